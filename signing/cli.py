"""``python -m signing``: sign and validate PDFs, and run a development CA, with nothing but this package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from signing.errors import SigningError


def _load_certs(paths: list[str]) -> list[asn1_x509.Certificate]:
    certs = []
    for path in paths:
        data = Path(path).read_bytes()
        if pem.detect(data):
            certs += [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        else:
            certs.append(asn1_x509.Certificate.load(data))
    return certs


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        return Path(args.password_file).read_text().strip()
    return args.password or ""


def cmd_sign(args: argparse.Namespace) -> int:
    from signing.keys import load_pkcs12
    from signing.sign import seal_pdf, sign_pdf

    key = load_pkcs12(Path(args.pkcs12).read_bytes(), _password(args))
    pdf = Path(args.input).read_bytes()
    if args.seal_image:
        out = seal_pdf(pdf, key, seal_png=Path(args.seal_image).read_bytes(), seal_mm=args.seal_mm)
    else:
        image = Path(args.image).read_bytes() if args.image else None
        new_field = None
        if args.box:
            page, *box = (float(v) for v in args.box.split(","))
            new_field = (int(page), (box[0], box[1], box[2], box[3]))
        out = sign_pdf(pdf, key, field=args.field, image_png=image, new_field=new_field, reason=args.reason)
    Path(args.output).write_bytes(out)
    print(f"Đã ký: {args.output}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from signing.validate import validate_pdf

    report = validate_pdf(Path(args.input).read_bytes(), trust_roots=_load_certs(args.trust or []))
    if args.json:
        print(report.to_json())
    else:
        if not report.signatures:
            print("Tệp không có chữ ký số.")
        for s in report.signatures:
            state = "HỢP LỆ" if s.valid and s.trusted else ("NGUYÊN VẸN, CHƯA TIN CẬY" if s.intact else "HỎNG")
            print(f"{s.field}: {s.signer} — {state}; ký lúc {s.signing_time}; sau khi ký: {s.modification_text}")
    return 0 if report.all_valid else 1


def cmd_devca_init(args: argparse.Namespace) -> int:
    from signing.devca import create_ca

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    ca = create_ca()
    key_pem, cert_pem = ca.to_pem(_password(args))
    (folder / "ca-key.pem").write_bytes(key_pem)
    (folder / "ca.pem").write_bytes(cert_pem)
    print(f"CA phát triển (KHÔNG có giá trị pháp lý): {folder / 'ca.pem'}")
    return 0


def cmd_devca_issue(args: argparse.Namespace) -> int:
    from signing.devca import DevCA
    from signing.keys import export_pkcs12

    folder = Path(args.folder)
    ca = DevCA.from_pem((folder / "ca-key.pem").read_bytes(), (folder / "ca.pem").read_bytes(), _password(args))
    key = ca.issue(args.name, organisation=args.organisation or "", email=args.email or "")
    Path(args.output).write_bytes(export_pkcs12(key, args.p12_password))
    print(f"Chứng thư số cho {args.name}: {args.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m signing", description="Ký số và kiểm tra chữ ký số PDF.")
    sub = parser.add_subparsers(dest="command", required=True)
    sign = sub.add_parser("sign", help="ký một tệp PDF")
    sign.add_argument("input")
    sign.add_argument("output")
    sign.add_argument("--pkcs12", required=True)
    sign.add_argument("--password")
    sign.add_argument("--password-file")
    sign.add_argument("--field", default="sig_signer")
    sign.add_argument("--image", help="ảnh chữ ký PNG (nền trong suốt)")
    sign.add_argument("--box", help="trang,x1,y1,x2,y2 (điểm PDF) khi tệp chưa có ô chữ ký")
    sign.add_argument("--seal-image", help="ảnh con dấu PNG: ký số của cơ quan, sau chữ ký người có thẩm quyền")
    sign.add_argument("--seal-mm", type=float, default=36.0)
    sign.add_argument("--reason")
    sign.set_defaults(func=cmd_sign)
    validate = sub.add_parser("validate", help="kiểm tra chữ ký số trong tệp PDF")
    validate.add_argument("input")
    validate.add_argument("--trust", action="append", help="chứng thư gốc tin cậy (PEM/DER), lặp được")
    validate.add_argument("--json", action="store_true")
    validate.set_defaults(func=cmd_validate)
    devca = sub.add_parser("devca", help="CA phát triển để thử nghiệm (không có giá trị pháp lý)")
    devca_sub = devca.add_subparsers(dest="devca_command", required=True)
    init = devca_sub.add_parser("init")
    init.add_argument("folder")
    init.add_argument("--password", default="")
    init.add_argument("--password-file")
    init.set_defaults(func=cmd_devca_init)
    issue = devca_sub.add_parser("issue")
    issue.add_argument("folder")
    issue.add_argument("--name", required=True)
    issue.add_argument("--organisation")
    issue.add_argument("--email")
    issue.add_argument("--output", required=True)
    issue.add_argument("--p12-password", required=True)
    issue.add_argument("--password", default="")
    issue.add_argument("--password-file")
    issue.set_defaults(func=cmd_devca_issue)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SigningError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
