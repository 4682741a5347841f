from __future__ import annotations

import io

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from PIL import Image, ImageDraw

from edoc.rendering import render_pdf
from edoc.rendering.samples import sample_445_kh
from signing.devca import DevCA, create_ca
from signing.keys import SignerKey


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
    return render_pdf(sample_445_kh(issued=False)).pdf
