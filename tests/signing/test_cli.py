"""``python -m signing``: every option of ``sign`` (PKCS#12 and PKCS#11 keys, timestamps, B-LT/B-LTA, the place
of the signature, the seal, the attachment stamp), ``timestamp`` and ``validate --json``, and the development
CA across processes (``devca serve`` sees a ``devca revoke`` made by another process).

Most runs call ``signing.cli.main`` in this process (the command line's own code, a second per run saved);
those about the real entry point (exit status, no traceback on stderr, two processes) run it as a program.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509

from signing.cli import main
from signing.keys import export_pkcs12
from tests.support.components import free_port

ROOT = Path(__file__).resolve().parents[2]


class Cli:
    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder, self.capsys = folder, capsys

    def __call__(self, *args: str | Path) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.folder / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, capsys)


@pytest.fixture
def files(cli: Cli, plain_pdf, live_person, live_organisation, signature_png, seal_png, roots_pem):
    return {"in": cli.write("in.pdf", plain_pdf), "sig": cli.write("sig.png", signature_png),
            "seal": cli.write("seal.png", seal_png), "pw": cli.write("pw.txt", "mật-khẩu\n"),
            "person": cli.write("person.p12", export_pkcs12(live_person, "mật-khẩu")),
            "org": cli.write("org.p12", export_pkcs12(live_organisation, "mật-khẩu")),
            "root": roots_pem["live"]}


def _report(cli: Cli, pdf: Path, *options: str) -> tuple[int, dict]:
    code, out, err = cli("validate", pdf, "--trust", cli.folder / "root.pem", "--json", *options)
    assert not err, err
    return code, json.loads(out)


def test_sign_near_the_name_then_seal_then_validate(cli, files):
    (cli.folder / "root.pem").write_bytes(files["root"].read_bytes())
    code, out, _ = cli("sign", files["in"], cli.folder / "signed.pdf", "--pkcs12", files["person"],
                       "--password-file", files["pw"], "--image", files["sig"], "--near-name", "Nguyễn Văn Hùng")
    assert code == 0 and "Đã ký:" in out
    code, out, _ = cli("sign", cli.folder / "signed.pdf", cli.folder / "sealed.pdf", "--pkcs12", files["org"],
                       "--password-file", files["pw"], "--seal-image", files["seal"], "--seal-mm", "38")
    assert code == 0
    code, report = _report(cli, cli.folder / "sealed.pdf")
    assert code == 0 and report["all_valid"]
    assert [s["field"] for s in report["signatures"]] == ["sig_signer", "sig_seal"]
    assert report["signatures"][0]["signer"] == "Trần Thị Lan"
    # the human-readable report, in Vietnamese
    code, out, _ = cli("validate", cli.folder / "sealed.pdf", "--trust", files["root"])
    assert code == 0 and "CHỮ KÝ SỐ HỢP LỆ" in out and "kiểm tra tại thời điểm hiện tại" in out


def test_box_attachment_stamp_and_refusals(cli, files):
    code, _, _ = cli("sign", files["in"], cli.folder / "box.pdf", "--pkcs12", files["person"], "--password",
                     "mật-khẩu", "--box", "1,100,200,150,60")
    assert code == 0
    code, _, _ = cli("sign", files["in"], cli.folder / "att.pdf", "--pkcs12", files["org"], "--password-file",
                     files["pw"], "--attachment-stamp", "445/KH-LĐLĐ")
    assert code == 0
    for name, field in (("box.pdf", "sig_signer"), ("att.pdf", "sig_attachment")):
        code, out, _ = cli("validate", cli.folder / name, "--trust", files["root"], "--json")
        assert code == 0 and json.loads(out)["signatures"][0]["field"] == field
    refusals = [
        (["--box", "1,100,200,0,60"], "--box phải có dạng"),
        (["--box", "0,100,200,50,60"], "--box phải có dạng"),
        (["--box", "a,b"], "--box phải có dạng"),
        (["--box", "9,100,200,50,60"], "trang 9 không có trong tệp"),
        (["--near-name", "Người Không Có"], "không tìm thấy họ tên"),
        (["--seal-image", str(files["seal"])], "chưa có chữ ký số của người có thẩm quyền"),
        (["--ltv"], "cần máy chủ dấu thời gian"),
        (["--check-revocation"], "cần --trust"),
        (["--image", str(files["sig"]), "--attachment-stamp", "1/QĐ"], "chỉ chọn một"),
        (["--image", str(files["in"]), "--box", "1,100,200,150,60"], "ảnh không đọc được"),
    ]
    for options, message in refusals:
        code, out, err = cli("sign", files["in"], cli.folder / "x.pdf", "--pkcs12", files["person"],
                             "--password-file", files["pw"], *options)
        assert code == 2 and message in err and err.startswith("Lỗi: "), (options, err)
    assert not (cli.folder / "x.pdf").exists()
    code, _, err = cli("sign", files["in"], cli.folder / "x.pdf", "--pkcs12", files["person"], "--password", "sai")
    assert code == 2 and "sai mật khẩu" in err
    code, _, err = cli("sign", cli.folder / "không-có.pdf", cli.folder / "x.pdf", "--pkcs12", files["person"],
                       "--password", "sai")
    assert code == 2 and "không tìm thấy tệp" in err
    code, _, err = cli("sign", files["in"], cli.folder / "x.pdf")
    assert code == 2 and "cần --pkcs12" in err


def test_timestamps_ltv_lta_and_a_document_timestamp(cli, files, services):
    (cli.folder / "root.pem").write_bytes(files["root"].read_bytes())
    common = ["--pkcs12", str(files["person"]), "--password-file", str(files["pw"]), "--box", "1,330,120,170,70",
              "--tsa-url", services.tsa_url, "--trust", str(files["root"])]
    assert cli("sign", files["in"], cli.folder / "bt.pdf", *common)[0] == 0
    assert cli("sign", files["in"], cli.folder / "blt.pdf", *common, "--ltv")[0] == 0
    assert cli("sign", files["in"], cli.folder / "blta.pdf", *common, "--lta")[0] == 0
    code, out, _ = cli("timestamp", cli.folder / "bt.pdf", cli.folder / "bt-ts.pdf", "--tsa-url", services.tsa_url,
                       "--trust", files["root"])
    assert code == 0 and "Đã đóng dấu thời gian" in out
    levels = {}
    for name in ("bt", "blt", "blta", "bt-ts"):
        code, report = _report(cli, cli.folder / f"{name}.pdf", "--revocation", "hard", "--fetch")
        assert code == 0 and report["all_valid"], report
        levels[name] = (report["signatures"][0]["pades_level"], len(report["timestamps"]))
    assert levels == {"bt": ("B-T", 0), "blt": ("B-LT", 0), "blta": ("B-LTA", 1), "bt-ts": ("B-T", 1)}
    # offline, hard: only the B-LT files carry what it takes
    assert _report(cli, cli.folder / "blt.pdf", "--revocation", "hard")[0] == 0
    assert _report(cli, cli.folder / "bt.pdf", "--revocation", "hard")[0] == 1
    services.tsa_down = True
    try:
        code, _, err = cli("sign", files["in"], cli.folder / "down.pdf", *common)
    finally:
        services.tsa_down = False
    assert code == 2 and "dấu thời gian" in err and not (cli.folder / "down.pdf").exists()


def test_a_key_on_a_pkcs11_token(cli, files, softhsm, token):
    pin = cli.write("pin.txt", softhsm.pin)
    token_args = ["--pkcs11-module", softhsm.module, "--token-label", softhsm.label, "--key-label", "tuan"]
    code, _, err = cli("sign", files["in"], cli.folder / "p11.pdf", *token_args, "--pin-file", pin,
                       "--image", files["sig"], "--near-name", "Nguyễn Văn Hùng")
    assert code == 0, err
    code, out, _ = cli("validate", cli.folder / "p11.pdf", "--trust", files["root"], "--json")
    assert code == 0 and json.loads(out)["signatures"][0]["signer"] == "Phạm Minh Tuấn"
    for options, message in ((["--pin", "000000"], "mã PIN"),
                             (["--pin-file", str(pin), "--key-label", "không-có"], "không tìm thấy chứng thư số"),
                             (["--pin-file", str(pin), "--token-label", "không-có"], "không tìm thấy thiết bị"),
                             ([], "thiếu pin")):
        code, _, err = cli("sign", files["in"], cli.folder / "x.pdf", *token_args, *options)
        assert code == 2 and message in err, (options, err)
    code, _, err = cli("sign", files["in"], cli.folder / "x.pdf", "--pkcs11-module", cli.folder / "không-có.so",
                       "--pin", "1")
    assert code == 2 and "thư viện PKCS#11" in err


def test_validate_exit_codes(cli, files, plain_pdf):
    code, out, _ = cli("validate", files["in"], "--json")
    assert code == 1 and json.loads(out)["verdict"] == "unsigned"
    code, _, err = cli("validate", cli.write("not.pdf", b"hello"))
    assert code == 2 and "không phải PDF" in err
    code, _, err = cli("validate", files["in"], "--trust", cli.write("bad.pem", b"not a certificate"))
    assert code == 2 and "không phải chứng thư số X.509" in err
    code, _, err = cli("validate", cli.folder)
    assert code == 2 and "thư mục" in err


def _program(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "signing", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, **kwargs)  # type: ignore[call-overload]


def test_the_program_exits_cleanly_on_bad_input(tmp_path):
    result = _program("sign", tmp_path / "none.pdf", tmp_path / "out.pdf", "--pkcs12", tmp_path / "k.p12",
                      "--password", "x")
    assert result.returncode == 2 and result.stderr.startswith("Lỗi: ") and "Traceback" not in result.stderr


def test_devca_serve_sees_a_revocation_made_by_another_process(cli, plain_pdf):
    """``devca serve`` runs as its own program, ``devca revoke`` as another; the rest runs here."""
    port = free_port()
    folder = cli.folder / "ca"
    password = ["--password", "mật-khẩu-CA"]
    assert cli("devca", "init", folder, *password, "--url", f"http://127.0.0.1:{port}")[0] == 0
    code, out, _ = cli("devca", "issue", folder, *password, "--name", "Trần Văn Bình", "--output",
                       cli.folder / "binh.p12", "--p12-password", "p12", "--key-type", "rsa")
    assert code == 0
    serial = out.split("số hiệu ")[1].split(")")[0]
    sign = ["sign", cli.write("in.pdf", plain_pdf), cli.folder / "out.pdf", "--pkcs12", cli.folder / "binh.p12",
            "--password", "p12", "--box", "1,100,100,150,60", "--trust", folder / "ca.pem", "--check-revocation"]
    server = subprocess.Popen([sys.executable, "-m", "signing", "devca", "serve", str(folder), *password],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert f"127.0.0.1:{port}/ocsp" in line, line + (server.stderr.read() if server.poll() is not None else "")
        code, _, err = cli(*sign)
        assert code == 0, err  # checked against the running OCSP responder: good
        (cli.folder / "out.pdf").unlink()
        revoked = _program("devca", "revoke", folder, *password, serial)
        assert revoked.returncode == 0 and "Đã thu hồi" in revoked.stdout, revoked.stderr
        crl = urllib.request.urlopen(f"http://127.0.0.1:{port}/crl", timeout=10).read()
        assert x509.load_der_x509_crl(crl).get_revoked_certificate_by_serial_number(int(serial)) is not None
        code, _, err = cli(*sign)
        assert code == 2 and "đã bị thu hồi" in err, err
        assert not (cli.folder / "out.pdf").exists()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
