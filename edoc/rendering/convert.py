"""DOCX → PDF with LibreOffice headless, in a throwaway profile and folder per conversion."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


class ConversionError(Exception):
    """LibreOffice is missing, timed out, or could not open the file; the message says which."""


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes | Path, *, timeout: float = 90) -> bytes:
    binary = soffice_path()
    if binary is None:
        raise ConversionError("máy chủ chưa cài LibreOffice (gói libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory(prefix="edoc-convert-") as tmp:
        work = Path(tmp)
        source = work / "input.docx"
        if isinstance(data, Path):
            shutil.copyfile(data, source)
        else:
            source.write_bytes(data)
        # A profile of its own: concurrent conversions must not share (and lock) one user installation.
        command = [binary, "--headless", "--norestore", "--nologo", "--nolockcheck",
                   f"-env:UserInstallation={(work / 'profile').as_uri()}",
                   "--convert-to", "pdf", "--outdir", str(work / "out"), str(source)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ConversionError(f"LibreOffice không chuyển xong trong {timeout:.0f} giây") from None
        output = work / "out" / "input.pdf"
        if result.returncode != 0 or not output.exists() or output.stat().st_size == 0:
            raise ConversionError("tệp bị hỏng hoặc không phải văn bản Word hợp lệ")
        pdf = output.read_bytes()
        if not pdf.startswith(b"%PDF-"):
            raise ConversionError("LibreOffice không tạo được PDF từ tệp này")
        return pdf
