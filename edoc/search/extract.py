"""The text of a stored file: a PDF's text layer (poppler's ``pdftotext``), a DOCX's paragraphs, plain text.

Extracted once per file and kept (``FileText``); OCR text of scans arrives later through
``edoc.search.service.set_file_text``. A file whose text cannot be read gives no text, never an error in the
transaction that indexes it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import zipfile
from io import BytesIO

from defusedxml import ElementTree

from edoc.files.models import StoredFile
from edoc.files.service import read_verified

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 200_000
"""Per file: enough for a long report and its annexes; a 500-page scan's OCR does not bloat the index."""
MAX_EXTRACT_BYTES = 50 * 1024 * 1024
PDFTOTEXT_TIMEOUT = 30
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def extract_text(row: StoredFile) -> tuple[str, str]:
    """(text, source) of a stored file; source is ``pdf``, ``docx``, ``text``, ``none`` or ``error``."""
    if row.size > MAX_EXTRACT_BYTES:
        return "", "none"
    kind = _kind(row)
    if kind == "none":
        return "", "none"
    try:
        data = read_verified(row)
        text = {"pdf": pdf_text, "docx": docx_text, "text": _plain}[kind](data)
    except Exception:  # a broken or hostile file must not fail the save that indexes it
        log.warning("search: no text from file %s (%s)", row.id, row.media_type, exc_info=True)
        return "", "error"
    return text[:MAX_TEXT_CHARS], kind


def _kind(row: StoredFile) -> str:
    if row.media_type == "application/pdf":
        return "pdf"
    if row.media_type == DOCX or row.original_name.lower().endswith(".docx"):
        return "docx"
    if row.media_type.startswith("text/plain"):
        return "text"
    return "none"


def _plain(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def pdf_text(data: bytes) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise RuntimeError("pdftotext (poppler-utils) is not installed")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(data)
        tmp.flush()
        done = subprocess.run([exe, "-q", "-enc", "UTF-8", tmp.name, "-"], capture_output=True,
                              timeout=PDFTOTEXT_TIMEOUT, check=False)
    return done.stdout.decode("utf-8", errors="replace")


def docx_text(data: bytes) -> str:
    """The paragraphs of word/document.xml, parsed without entities (defusedxml) and with a size cap."""
    with zipfile.ZipFile(BytesIO(data)) as archive:
        info = archive.getinfo("word/document.xml")
        if info.file_size > MAX_EXTRACT_BYTES:
            return ""
        root = ElementTree.fromstring(archive.read(info))
    paragraphs = []
    for para in root.iter(f"{_W}p"):
        paragraphs.append("".join(node.text or "" for node in para.iter(f"{_W}t")))
    return "\n".join(p for p in paragraphs if p)
