"""Fixtures for the signing library's tests: development CAs (one offline, one whose certificates name the
CRL, OCSP responder and TSA running on loopback), keys, images, PDFs, a SoftHSM2 token and the outside
checkers (poppler's pdfsig with an NSS database, pyHanko's command line).

Library-only PDFs come from WeasyPrint; ``unsigned_pdf`` (a Decree-shaped công văn with its fields) is the
one fixture that needs the app's renderer, imported only when a test asks for it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from PIL import Image, ImageDraw

from signing.devca import DevCA, create_ca
from signing.devservices import DevServices
from signing.keys import SignerKey
from tests.support.components import missing, require_tool

ROOT = Path(__file__).resolve().parents[2]
PYHANKO = Path(sys.executable).parent / "pyhanko"


def _png(color: tuple[int, int, int, int], size: tuple[int, int], seal: bool) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if seal:
        draw.ellipse([4, 4, size[0] - 4, size[1] - 4], outline=color, width=8)
    else:
        draw.line([(10, 60), (80, 20), (140, 70), (220, 15), (300, 50)], fill=color, width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def ca() -> DevCA:
    return create_ca()


@pytest.fixture(scope="session")
def root(ca: DevCA) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(ca.certificate.public_bytes(serialization.Encoding.DER))


@pytest.fixture(scope="session")
def leader(ca: DevCA) -> SignerKey:
    return ca.issue("Nguyễn Văn Hùng", organisation="Liên đoàn Lao động huyện Gia Lâm")


@pytest.fixture(scope="session")
def organisation_key(ca: DevCA) -> SignerKey:
    return ca.issue("LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM")


@pytest.fixture(scope="session")
def signature_png() -> bytes:
    return _png((20, 40, 180, 255), (320, 90), seal=False)


@pytest.fixture(scope="session")
def seal_png() -> bytes:
    return _png((220, 20, 20, 255), (400, 400), seal=True)


@pytest.fixture(scope="session")
def unsigned_pdf() -> bytes:
    """445/KH-LĐLĐ as the app renders it: number and date fields, the empty ``sig_signer`` field."""
    from edoc.rendering import render_pdf
    from edoc.rendering.samples import sample_445_kh

    return render_pdf(sample_445_kh(issued=False)).pdf


SIGNER_BLOCK_HTML = """<html><head><meta charset="utf-8"><style>
  @page { size: A4; margin: 20mm 15mm 20mm 30mm; }
  body { font-family: "Liberation Serif", "Times New Roman", serif; font-size: 14pt; }
  .block { margin-left: 55%; text-align: center; }
  .title { font-weight: bold; }
  .space { height: 30mm; }
</style></head><body>
  <p>Báo cáo kết quả thực hiện nhiệm vụ năm 2023 của Liên đoàn Lao động huyện Gia Lâm.</p>
  <p>Đề nghị các đơn vị phối hợp thực hiện.</p>
  <div class="block"><p class="title">CHỦ TỊCH</p><div class="space"></div>
  <p class="title">Nguyễn Văn Hùng</p></div>
</body></html>"""


@pytest.fixture(scope="session")
def plain_pdf() -> bytes:
    """A PDF as a user uploads it: no form fields, a signer block "CHỦ TỊCH / Nguyễn Văn Hùng"."""
    from weasyprint import HTML

    return HTML(string=SIGNER_BLOCK_HTML).write_pdf()


# --- a CA with its services on loopback ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def services() -> Iterator[DevServices]:
    """CRL, OCSP and TSA of ``live_ca`` on 127.0.0.1; certificates issued by it name those addresses."""
    with DevServices(create_ca(name="edoc TEST ONLINE CA - NOT A LEGAL CA")) as running:
        yield running


@pytest.fixture(scope="session")
def live_ca(services: DevServices) -> DevCA:
    return services.ca


@pytest.fixture(scope="session")
def live_person(live_ca: DevCA) -> SignerKey:
    return live_ca.issue("Trần Thị Lan", organisation="Liên đoàn Lao động huyện Gia Lâm")


@pytest.fixture(scope="session")
def live_organisation(live_ca: DevCA) -> SignerKey:
    return live_ca.issue_organisation("LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM")


# --- outside checkers ------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def roots_pem(tmp_path_factory: pytest.TempPathFactory, ca: DevCA, live_ca: DevCA) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("roots")
    paths = {"offline": folder / "root.pem", "live": folder / "live-root.pem"}
    paths["offline"].write_bytes(ca.pem())
    paths["live"].write_bytes(live_ca.pem())
    return paths


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory: pytest.TempPathFactory, roots_pem: dict[str, Path]) -> str:
    """An NSS database trusting both test roots, for pdfsig."""
    require_tool("certutil", "libnss3-tools")
    db = tmp_path_factory.mktemp("nss")
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    for name, path in roots_pem.items():
        subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", f"edoc-{name}", "-t", "CT,C,C", "-i", str(path)],
                       check=True, capture_output=True)
    return f"sql:{db}"


@dataclass(frozen=True)
class Checkers:
    """poppler's pdfsig and pyHanko's command line, run on a file."""

    nss_db: str
    roots: dict[str, Path]
    folder: Path

    def _file(self, pdf: bytes, name: str) -> Path:
        path = self.folder / name
        path.write_bytes(pdf)
        return path

    def pdfsig(self, pdf: bytes, name: str = "checked.pdf") -> str:
        require_tool("pdfsig", "poppler-utils")
        result = subprocess.run(["pdfsig", "-nssdir", self.nss_db, str(self._file(pdf, name))], capture_output=True,
                                text=True, timeout=60)
        return result.stdout + result.stderr

    def pyhanko(self, pdf: bytes, *args: str, name: str = "checked.pdf") -> subprocess.CompletedProcess[str]:
        if not PYHANKO.exists():
            missing("pyhanko CLI", f"{PYHANKO} not installed (pip install pyhanko-cli)")
        trust = [a for root in self.roots.values() for a in ("--trust", str(root))]
        return subprocess.run([str(PYHANKO), "sign", "validate", *trust, *args, str(self._file(pdf, name))],
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def checkers(nss_db: str, roots_pem: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Checkers:
    return Checkers(nss_db, roots_pem, tmp_path_factory.mktemp("checked"))


# --- SoftHSM2 --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SoftToken:
    module: str
    conf: Path
    label: str
    pin: str
    so_pin: str

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> SoftToken:
    """A SoftHSM2 token, in the session's one SoftHSM configuration (see tests.support.softhsm: the library
    reads SOFTHSM2_CONF once per process, so every test's tokens live in one folder)."""
    from tests.support.softhsm import softhsm_token

    try:
        import pkcs11  # noqa: F401
    except ImportError:
        missing("python-pkcs11", "not installed (pip install python-pkcs11)")
    module = softhsm_token(tmp_path_factory, "edoc-test", pin="123456", so_pin="87654321")
    return SoftToken(module, Path(os.environ["SOFTHSM2_CONF"]), "edoc-test", "123456", "87654321")


@pytest.fixture(scope="session")
def token(softhsm: SoftToken, live_ca: DevCA, ca: DevCA) -> dict[str, SignerKey]:
    """The token holds an RSA key (label ``tuan``) and an EC key (``ha``) of two people from the online CA,
    each with the CA's root, and a stray key with its certificate and root from another CA (``khac``), whose
    certificates must never end up in our signatures."""
    from signing.tokens import import_to_token

    keys = {"rsa": live_ca.issue("Phạm Minh Tuấn", organisation="UBND huyện Gia Lâm", key_type="rsa"),
            "ec": live_ca.issue("Lê Thu Hà", organisation="UBND huyện Gia Lâm"),
            "stray": ca.issue("Người của tổ chức khác")}
    for kind, label, key_id in (("rsa", "tuan", b"\x01"), ("ec", "ha", b"\x02"), ("stray", "khac", b"\x03")):
        import_to_token(softhsm.module, keys[kind], pin=softhsm.pin, label=label, key_id=key_id,
                        token_label=softhsm.label)
    return keys
