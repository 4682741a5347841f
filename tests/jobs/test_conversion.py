"""DOCX → PDF on the job queue (edoc.files.conversion): the request's conversion runs in a real ``edoc worker``
process and the request gets the PDF; with no worker, the user gets a clear message after the bound, and no
bytes are left behind either way."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from edoc import jobs
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.documents import sources
from edoc.files import conversion
from edoc.files.service import get_store
from edoc.rendering.convert import soffice_path
from tests.documents.conftest import DRAFT_LINES, minimal_docx
from tests.jobs.test_kill import _stop, _worker
from tests.support.components import missing

PRODUCTION = pytest.param("production", marks=[pytest.mark.postgres, pytest.mark.redis])


def _conversions(app) -> list[jobs.Job]:
    with app.app_context():
        found = list(db.session.execute(select(jobs.Job).where(jobs.Job.name == conversion.JOB)).scalars())
        db.session.expunge_all()
        db.session.remove()
    return found


def _stored(app) -> list[str]:
    with app.app_context():
        return list(get_store().keys("files/"))


@pytest.mark.parametrize("deployment", [PRODUCTION], indirect=True)
def test_the_request_gets_the_pdf_a_worker_process_converted(queue_app, queue_env, tmp_path):
    if soffice_path() is None:
        missing("LibreOffice", "no soffice (Debian package libreoffice-writer-nogui)")
    worker = _worker(queue_env, tmp_path / "worker.log")
    try:
        with queue_app.test_request_context():
            upload = sources.read_upload(io.BytesIO(minimal_docx(DRAFT_LINES)), "ke-hoach.docx")
    finally:
        _stop(worker)
    assert upload.pdf.startswith(b"%PDF-") and upload.layout.notation == "KH-LĐLĐ"
    [job] = _conversions(queue_app)
    assert job.status == jobs.DONE and job.attempts == 1
    assert f":{worker.pid}:" in job.claimed_by  # converted in the worker process, not in this one
    assert _stored(queue_app) == []  # the DOCX and the PDF handed over through the store are gone


def test_with_no_worker_the_user_is_told_after_the_bound(queue_app, monkeypatch):
    monkeypatch.setattr(conversion, "WAIT_SECONDS", 1.0)
    with queue_app.test_request_context(), pytest.raises(ValidationFailed) as refused:
        sources.read_upload(io.BytesIO(minimal_docx(DRAFT_LINES)), "ke-hoach.docx")
    assert "Không mở được tệp DOCX “ke-hoach.docx”: máy chủ chưa chuyển đổi được tệp sau 1 giây" in str(refused.value)
    [job] = _conversions(queue_app)
    assert job.status == jobs.FAILED  # withdrawn: a worker coming back later does not convert it for no one
    assert _stored(queue_app) == []


@pytest.mark.parametrize("deployment", ["embedded"], indirect=True)
def test_a_compression_bomb_is_refused_before_anything_is_stored(queue_app):
    packed = io.BytesIO(minimal_docx(DRAFT_LINES))
    with zipfile.ZipFile(packed, "a", zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/media/nen.bin", bytes(8 * 1024 * 1024))  # 8 MB of zeros: ~8 KB packed
    with queue_app.test_request_context(), pytest.raises(ValidationFailed, match="bom nén"):
        sources.read_upload(io.BytesIO(packed.getvalue()), "ke-hoach.docx")
    assert _conversions(queue_app) == [] and _stored(queue_app) == []
