"""DOCX → PDF with LibreOffice, with real files: a real DOCX, and the ways an upload goes wrong."""

from __future__ import annotations

import io
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from edoc.rendering.convert import ConversionError, docx_to_pdf, soffice_path
from tests.support.components import missing, require_tool

TEXT = "Công đoàn Gia Lâm: dự thảo kế hoạch năm 2026"


@pytest.fixture(scope="module")
def docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real DOCX, written by LibreOffice from HTML."""
    if soffice_path() is None:
        missing("LibreOffice", "no soffice (Debian package libreoffice-writer-nogui)")
    folder = tmp_path_factory.mktemp("docx")
    html = folder / "du-thao.html"
    html.write_text(f"<html><body><h1>KẾ HOẠCH</h1><p>{TEXT}</p></body></html>", encoding="utf-8")
    subprocess.run([soffice_path(), "--headless", "--norestore", f"-env:UserInstallation={(folder / 'p').as_uri()}",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(folder), str(html)],
                   capture_output=True, check=True, timeout=120)
    return folder / "du-thao.docx"


def _text(pdf: bytes, tmp_path: Path) -> str:
    require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _zip(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, content in files.items():
            package.writestr(name, content)
    return out.getvalue()


def test_docx_converts_from_bytes_and_from_a_path(docx, tmp_path):
    for source in (docx.read_bytes(), docx):
        pdf = docx_to_pdf(source)
        assert pdf.startswith(b"%PDF-")
        assert TEXT in _text(pdf, tmp_path)


@pytest.mark.parametrize(("data", "message"), [
    (b"PK\x03\x04 this is not a real zip", "không phải văn bản Word"),
    (b"Just some text that LibreOffice would happily print.", "không phải văn bản Word"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "Word cũ"),
    (_zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}), "không phải văn bản"),
    (_zip({"[Content_Types].xml": '<Types><Override PartName="/xl/workbook.xml" ContentType="application/'
           'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'}), "không có phần văn bản Word"),
])
def test_what_is_not_a_docx_is_refused_before_libreoffice(data, message):
    with pytest.raises(ConversionError, match=message):
        docx_to_pdf(data)


def test_a_truncated_docx_is_refused(docx):
    with pytest.raises(ConversionError, match="bị hỏng"):
        docx_to_pdf(docx.read_bytes()[: len(docx.read_bytes()) // 2])


def test_a_docx_libreoffice_cannot_open_is_a_clear_error(docx):
    if soffice_path() is None:
        missing("LibreOffice", "no soffice (Debian package libreoffice-writer-nogui)")
    with zipfile.ZipFile(docx) as package:
        files = {name: package.read(name).decode("utf-8", "replace") for name in package.namelist()}
    files["word/document.xml"] = "this is <not xml"
    with pytest.raises(ConversionError, match="LibreOffice không mở được tệp"):
        docx_to_pdf(_zip(files))


def _live_members(group: int) -> list[int]:
    """Processes of a process group that are still running (zombies excepted)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def test_timeout_is_a_clear_error_and_leaves_no_process(docx, monkeypatch):
    started: list[subprocess.Popen[str]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        process = real_popen(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    with pytest.raises(ConversionError, match="không chuyển xong trong 0.05 giây"):
        docx_to_pdf(docx, timeout=0.05)
    [process] = started
    deadline = time.monotonic() + 5
    while _live_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _live_members(process.pid) == []  # soffice, oosplash and soffice.bin all gone


def test_missing_libreoffice_is_a_clear_error(docx, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no soffice anywhere
    with pytest.raises(ConversionError, match="chưa cài LibreOffice"):
        docx_to_pdf(docx)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConversionError, match="không đọc được tệp"):
        docx_to_pdf(tmp_path / "khong-co.docx")
