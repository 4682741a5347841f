from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from PIL import Image, ImageDraw

from edoc.accounts.models import User
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.incoming import service
from edoc.incoming.intake import Part
from tests.documents.conftest import make_document, simple_pdf  # noqa: F401  (fixture reused)

LINES = ["LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI", "Số: 89/KH-LĐLĐ", "Hà Nội, ngày 03 tháng 12 năm 2026",
         "KẾ HOẠCH", "Tổ chức Tháng Công nhân năm 2027",
         "Đề nghị các LĐLĐ quận, huyện báo cáo kết quả trong thời hạn 10 ngày làm việc kể từ ngày nhận."]


@functools.cache
def text_pdf() -> bytes:
    """A PDF with a text layer (made once: WeasyPrint takes a second), so registering it needs no OCR."""
    return simple_pdf(LINES)


def scan_png(label: str = "Trang 1") -> bytes:
    image = Image.new("L", (620, 877), 255)
    ImageDraw.Draw(image).text((40, 40), label, fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def huge_png(width: int = 20_000, height: int = 10_000) -> bytes:
    """A PNG whose header claims 200 megapixels (what a phone's panorama or a bad scanner setting gives), with
    almost no data: a decoder that believed it would allocate gigabytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


ORIGINAL_DATE = vietnam_today() - timedelta(days=2)
"""The original's date the clerk types (two days before arrival)."""


def data(**overrides: object) -> service.IncomingData:
    values: dict[str, object] = {
        "summary": "Kế hoạch tổ chức Tháng Công nhân năm 2027", "sender_name": "LĐLĐ thành phố Hà Nội",
        "original_reference": "89/KH-LĐLĐ", "type_code": "KH", "signer_name": "Phạm Văn Đông",
        "original_date": ORIGINAL_DATE,
    }
    values.update(overrides)
    return service.IncomingData(**values)  # type: ignore[arg-type]


@pytest.fixture
def register_doc(app: Flask, demo: dict[str, int]) -> Callable[..., int]:
    """Register an arrival through the service (as the page does); returns its id."""
    def make(parts: list[Part] | None = None, clerk: str = "vanthu", allow_duplicate: bool = False,
             **overrides: object) -> int:
        with app.app_context():
            actor = db.session.get(User, demo[clerk])
            checked = service.precheck(actor, data(**overrides), allow_duplicate=allow_duplicate)
            # as the page does: a signed file is validated by the job once the registration commits
            arrival = service.check_files(actor.organisation_id, parts or [Part("cong-van.pdf", text_pdf())],
                                          validate=False)
            doc = service.register_arrival(actor, checked, arrival, allow_duplicate=allow_duplicate)
            db.session.commit()
            return doc.id

    return make
