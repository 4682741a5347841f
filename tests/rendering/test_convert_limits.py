"""Conversions are bounded: a decompression bomb is refused from the zip directory before LibreOffice runs, LibreOffice
runs with a memory limit (prlimit), and no more than MAX_AT_ONCE run at once across processes (lock files)."""

from __future__ import annotations

import fcntl
import io
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from edoc.rendering import convert
from edoc.rendering.convert import ConversionError, docx_to_pdf
from tests.documents.conftest import CONTENT_TYPES, RELS, minimal_docx
from tests.rendering.test_convert import docx  # noqa: F401  (the module's real DOCX fixture)


def _bomb(size: int) -> bytes:
    """A Word package whose document part is ``size`` bytes of one paragraph repeated: tiny once deflated."""
    paragraph = '<w:p><w:r><w:t xml:space="preserve">Công đoàn Gia Lâm </w:t></w:r></w:p>'
    body = paragraph * (size // len(paragraph.encode()))
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f'<w:body>{body}</w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", RELS)
        package.writestr("word/document.xml", document)
    return out.getvalue()


def test_a_decompression_bomb_is_refused_before_libreoffice_runs(monkeypatch):
    data = _bomb(40 * 1024 * 1024)
    assert len(data) < 1024 * 1024  # 40 MB of text in well under 1 MB, as the 852 KB held 800 MB
    monkeypatch.setattr(convert, "_run", lambda *a, **k: pytest.fail("LibreOffice was started"))
    with pytest.raises(ConversionError, match=r"phần “word/document.xml” bị nén quá 100 lần \(có thể là “bom nén”\)"):
        docx_to_pdf(data)


def test_a_package_too_big_once_unpacked_is_refused(monkeypatch):
    monkeypatch.setattr(convert, "MAX_UNPACKED_BYTES", 1024 * 1024)
    monkeypatch.setattr(convert, "_run", lambda *a, **k: pytest.fail("LibreOffice was started"))
    with pytest.raises(ConversionError, match=r"tệp giải nén ra 2 MB, vượt giới hạn 1 MB"):
        convert.check_unpacked_size(_bomb(2 * 1024 * 1024 + 4096))


def test_an_ordinary_draft_passes_the_checks():
    convert.check_docx(minimal_docx(["Số:     /KH-LĐLĐ", "Kế hoạch"]))


def test_libreoffice_runs_under_a_memory_limit(docx, monkeypatch):  # noqa: F811
    """With the limit set far too low LibreOffice cannot start: the limit reaches it (and the error is clear)."""
    assert convert._limits()[1] == f"--as={convert.MEMORY_LIMIT}"
    monkeypatch.setattr(convert, "MEMORY_LIMIT", 64 * 1024 * 1024)
    with pytest.raises(ConversionError, match="LibreOffice không mở được tệp"):
        docx_to_pdf(docx)


def test_no_more_conversions_at_once_than_the_slots(docx, monkeypatch):  # noqa: F811
    """Another process holding every slot: a conversion waits, then says the server is busy."""
    monkeypatch.setattr(convert, "MAX_AT_ONCE", 1)
    monkeypatch.setattr(convert, "SLOT_WAIT_SECONDS", 0.5)
    folder = Path(tempfile.gettempdir()) / f"edoc-conversions-{__import__('os').getuid()}"
    folder.mkdir(exist_ok=True)
    with open(folder / "slot-0.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a separate open file description: the same as another process
        started = time.monotonic()
        with pytest.raises(ConversionError, match="máy chủ đang chuyển đổi 1 tệp khác; hãy thử lại sau ít phút"):
            docx_to_pdf(docx)
        assert time.monotonic() - started >= 0.5
        release = threading.Timer(0.3, lambda: fcntl.flock(held, fcntl.LOCK_UN))
        monkeypatch.setattr(convert, "SLOT_WAIT_SECONDS", 30)
        release.start()
        assert docx_to_pdf(docx).startswith(b"%PDF-")  # waited for the slot, then converted


def test_an_image_bomb_is_refused_before_it_is_decoded():
    """A PNG of a few dozen bytes claiming 100,000 × 100,000 pixels (40 GB decoded) as a signature image."""
    import struct
    import zlib

    from edoc.core.errors import ValidationFailed
    from edoc.files.images import transparent_png

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))
    assert len(png) < 100
    with pytest.raises(ValidationFailed, match=r"Ảnh chữ ký (100000×100000 điểm ảnh|quá nhiều điểm ảnh): cần từ "
                                               r"16×16 đến 3000×1500"):
        transparent_png(png, what="Ảnh chữ ký", field="signature", max_bytes=1024 * 1024, min_size=(16, 16),
                        max_size=(3000, 1500))
