"""DOCX → PDF on the job queue: the request hands the DOCX to a conversion job and waits for its PDF.

LibreOffice is a heavy child process (hundreds of MB, up to a minute of CPU). Run in the request, every web
worker could start one, and a crowd of uploads had only the machine-wide slot files to hold it back. On the
queue, conversions run where the workers' limits hold: in ``edoc worker`` processes in production (how many at
once: their threads, and on one machine still at most ``EDOC_MAX_CONVERSIONS``), in ``edoc run``'s own consumer
in the embedded default; tests run them as the job's row commits (immediate mode).

Meanwhile the bytes live in the file store as temporary objects under ``files/`` with no row: the DOCX put by
the request, the PDF put by the job. The request deletes both once it has the PDF (or gives up); anything a
killed process leaves is an orphan, which the storage sweep removes after its grace (an hour). Not the job's
row: a DOCX may be tens of MB, and a job row is kept after the job (docs/jobs.md, docs/hostile-input.md).
Here, not in edoc.rendering: the conversion needs the queue and the store, both beside or above rendering.
"""

from __future__ import annotations

import io
import logging

import storage
from edoc import jobs
from edoc.files import sniff
from edoc.files.service import discard, get_store
from edoc.rendering import convert
from edoc.rendering.convert import ConversionError

log = logging.getLogger(__name__)
JOB = "files.convert_docx"
WAIT_SECONDS = 90.0
"""How long a request waits for its conversion: LibreOffice's own limit (60 s) plus time for a busy worker
to take the job. Past it the user is told to try again, not left with a request that hangs."""


def docx_to_pdf(data: bytes) -> bytes:
    """The PDF of a DOCX, converted by a job; ``ConversionError`` (a Vietnamese message for the user) when the
    file is refused, LibreOffice fails, or no worker converted it within ``WAIT_SECONDS``. Call it with no
    transaction writing (``edoc.core.db.end_read_transaction`` first): the job's row commits on its own."""
    convert.check_docx(data)  # a file that is no Word document, or a bomb, is refused before anything is stored
    store = get_store()
    source = store.put(io.BytesIO(data), media_type=sniff.DOCX)
    made: str | None = None
    try:
        try:
            ended = jobs.run_and_wait(JOB, {"docx_key": source.key, "docx_sha256": source.sha256},
                                      timeout=WAIT_SECONDS)
        except jobs.JobUnanswered:
            log.warning("DOCX conversion not done within %g s: no job worker answered", WAIT_SECONDS)
            raise ConversionError(f"máy chủ chưa chuyển đổi được tệp sau {WAIT_SECONDS:g} giây (bộ phận xử lý nền "
                                  f"đang bận hoặc không hoạt động); hãy thử lại sau ít phút") from None
        if ended.status != jobs.DONE:
            raise ConversionError("máy chủ gặp lỗi khi chuyển đổi tệp (đã ghi nhật ký); hãy thử lại sau ít phút")
        if "error" in ended.result:
            raise ConversionError(str(ended.result["error"]))
        made = str(ended.result["pdf_key"])
        return store.read_bytes(made, expected_sha256=str(ended.result["pdf_sha256"]))
    finally:
        discard(source.key)
        if made is not None:
            discard(made)


def _convert(context: jobs.JobContext) -> jobs.Outcome:
    """The job: read the DOCX the request stored, convert it under convert's limits, store the PDF."""
    store = get_store()
    try:
        data = store.read_bytes(context.payload["docx_key"], expected_sha256=context.payload["docx_sha256"])
    except storage.ObjectNotFound:
        # the request gave up and deleted it: no one waits for this PDF
        return jobs.Outcome("Người gửi đã thôi chờ: không chuyển đổi.", {"error": "tệp không còn"})
    try:
        pdf = convert.docx_to_pdf(data)
    except ConversionError as exc:
        # the user's answer, not a failure of the job: recorded as its result, not retried
        return jobs.Outcome(f"Không chuyển được: {exc}", {"error": str(exc)})
    made = store.put(io.BytesIO(pdf), media_type=sniff.PDF)
    return jobs.Outcome("Đã chuyển DOCX sang PDF.", {"pdf_key": made.key, "pdf_sha256": made.sha256})


# A conversion that crashed its worker is tried once more (another worker, or after a restart); by then the
# request may have given up, and the job finds the DOCX gone.
jobs.register(JOB, _convert, max_attempts=2)
