"""OCR of incoming scans without a text layer, in Vietnamese, as a job (``incoming.ocr``): ocrmypdf with
Tesseract's ``vie`` model reads the stored PDF and its text is kept beside it (``IncomingDocument.text``). The stored
file is never replaced, signed or not: what was received stays byte for byte what was received.

Idempotent: the job does nothing for a document whose OCR is no longer ``pending``; killed half-way, it runs again
from the start (nothing is written until the text is read). The caller's transaction asks for it
(``request_ocr``), so the request is never lost."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from edoc import jobs
from edoc.audit.service import record
from edoc.core.db import commit, db
from edoc.core.text import clean
from edoc.files.service import read_verified
from edoc.incoming.models import IncomingDocument

log = logging.getLogger(__name__)
JOB = "incoming.ocr"
LANGUAGE = "vie"


class OcrUnavailable(RuntimeError):
    """Tesseract (with its Vietnamese model) or ocrmypdf is missing on this server."""


def available() -> str | None:
    """None if OCR can run here, else what is missing (for logs and skipped tests)."""
    try:
        import ocrmypdf  # noqa: F401
    except ImportError:
        return "the ocrmypdf Python package"
    if shutil.which("tesseract") is None:
        return "tesseract (Debian tesseract-ocr)"
    data = [Path(p) for p in ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")]
    if not any((d / f"{LANGUAGE}.traineddata").exists() for d in data):
        return "Tesseract's Vietnamese model (Debian tesseract-ocr-vie)"
    return None


def ocr_text(pdf: bytes) -> str:
    """The text Tesseract reads in ``pdf``'s pages (pages that have a text layer are read as they are)."""
    missing = available()
    if missing:
        raise OcrUnavailable(f"OCR needs {missing}")
    import ocrmypdf

    with tempfile.TemporaryDirectory(prefix="edoc-ocr-") as tmp:
        source, output, sidecar = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf", Path(tmp) / "text.txt"
        source.write_bytes(pdf)
        # The output PDF is thrown away: only the sidecar text is kept, beside the untouched original. So a signed
        # PDF may be read too (ocrmypdf refuses one unless told its copy may lose the signature: only the copy does).
        ocrmypdf.ocr(source, output, language=LANGUAGE, sidecar=sidecar, skip_text=True, progress_bar=False,
                     jobs=1, output_type="pdf", optimize=0, invalidate_digital_signatures=True)
        return sidecar.read_text(encoding="utf-8", errors="replace")


def request_ocr(doc: IncomingDocument) -> None:
    """Ask for the OCR of ``doc`` in the caller's transaction (it runs once that commits)."""
    doc.ocr_status = "pending"
    db.session.flush()
    jobs.enqueue_after_commit(JOB, {"document_id": doc.id})


def run_ocr(document_id: int) -> str:
    """The job's body: read, OCR with no transaction open (seconds a page), then record the text."""
    doc = db.session.get(IncomingDocument, document_id)
    if doc is None or doc.ocr_status != "pending" or doc.file is None:
        return "không cần nhận dạng"
    pdf = read_verified(doc.file)
    commit()  # no transaction held while Tesseract works (SQLite's write lock)
    try:
        text = clean(ocr_text(pdf).replace("\f", "\n"))
    except OcrUnavailable:
        raise  # the server lacks a tool: the job fails visibly (and is retried after the operator installs it)
    except Exception as exc:  # a scan ocrmypdf cannot read: recorded, not retried for ever
        log.warning("OCR of incoming document %s failed: %s", document_id, exc)
        doc = db.session.get(IncomingDocument, document_id)
        if doc is not None and doc.ocr_status == "pending":
            doc.ocr_status = "failed"
            record("incoming.ocr", doc, changes={"status": "failed", "error": str(exc)[:200]})
            commit()
        return "nhận dạng không được"
    doc = db.session.get(IncomingDocument, document_id)
    if doc is None or doc.ocr_status != "pending":
        return "không cần nhận dạng"
    doc.text, doc.text_source, doc.ocr_status = text, "ocr", "done"
    record("incoming.ocr", doc, changes={"status": "done", "characters": len(text)})
    commit()
    return f"đã nhận dạng {len(text)} ký tự"


def _handle(context: jobs.JobContext) -> jobs.Outcome:
    return jobs.Outcome(run_ocr(int(context.payload["document_id"])))


jobs.register(JOB, _handle, max_attempts=3)
