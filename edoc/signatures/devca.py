"""The development CA behind ``edoc ca`` and the demo: kept in the instance folder, its key encrypted with a
password derived from the server's secret. It is NOT a legal CA; its certificates say so."""

from __future__ import annotations

import hashlib
import hmac
import io
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw, ImageFont

from signing.devca import DevCA, create_ca

DEMO_PIN = "123456"


def _password() -> str:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"edoc-devca", hashlib.sha256).hexdigest()


def ca_folder() -> Path:
    return Path(current_app.instance_path) / "devca"


def load_or_create_ca() -> DevCA:
    folder = ca_folder()
    key_path, cert_path = folder / "ca-key.pem", folder / "ca.pem"
    if key_path.exists() and cert_path.exists():
        return DevCA.from_pem(key_path.read_bytes(), cert_path.read_bytes(), _password())
    folder.mkdir(parents=True, exist_ok=True)
    ca = create_ca()
    key_pem, cert_pem = ca.to_pem(_password())
    key_path.write_bytes(key_pem)
    key_path.chmod(0o600)
    cert_path.write_bytes(cert_pem)
    return ca


def _font(size: int, *, italic: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in (("LiberationSerif-Italic.ttf", "DejaVuSerif-Italic.ttf") if italic
                 else ("LiberationSerif-Bold.ttf", "DejaVuSerif-Bold.ttf")):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default()


def signature_png(full_name: str) -> bytes:
    """A stand-in handwritten signature: the name in blue italics with a flourish, transparent background."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.text((30, 40), full_name.split()[-1], font=_font(96, italic=True), fill=(20, 45, 170, 255))
    draw.line([(30, 160), (200, 140), (420, 165), (570, 130)], fill=(20, 45, 170, 255), width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seal_png(organisation_name: str) -> bytes:
    """A stand-in round seal in red: two rings, a star and the name."""
    size = 600
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = (210, 25, 30, 235)
    draw.ellipse([8, 8, size - 8, size - 8], outline=red, width=14)
    draw.ellipse([120, 120, size - 120, size - 120], outline=red, width=6)
    cx = cy = size // 2
    import math

    points = []
    for i in range(10):
        radius = 70 if i % 2 == 0 else 28
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy - radius * math.sin(angle)))
    draw.polygon(points, fill=red)
    words = organisation_name.upper().split()
    top, bottom = " ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2:])
    font = _font(40)
    for text, y in ((top, 50), (bottom, size - 105)):
        width = draw.textlength(text, font=font)
        draw.text(((size - width) / 2, y), text, font=font, fill=red)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
