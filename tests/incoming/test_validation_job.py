"""An arriving signed PDF is validated by a job (``incoming.validate``; issue 8, item 4): its intent is written in
the registration's transaction (rolled back with a refused one), the page says "Đang kiểm tra" until the report is
kept, and a second run keeps nothing twice."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.audit.models import AuditEntry
from edoc.core.db import db
from edoc.incoming import service, validation
from edoc.incoming.intake import Part
from edoc.incoming.models import IncomingDocument
from edoc.jobs.models import Job
from edoc.signatures.models import ValidationRecord
from tests.incoming.conftest import data
from tests.incoming.test_intake import _signed_pdf
from tests.support.web import login


def _jobs() -> list[Job]:
    return list(db.session.execute(select(Job).where(Job.name == validation.JOB).order_by(Job.id)).scalars())


def test_the_validation_job_is_asked_with_the_registration_and_runs_once(app, demo, make_document, register_doc,
                                                                        client, monkeypatch):
    signed = _signed_pdf(app, demo, make_document)
    doc_id = register_doc([Part("ky-so.pdf", signed)], original_reference="01/KH-LĐLĐ")
    with app.app_context():
        [job] = _jobs()
        assert json.loads(job.payload)["document_id"] == doc_id and job.status == "done"
        doc = db.session.get(IncomingDocument, doc_id)
        assert doc.signature_verdict == "valid" and doc.validation_id is not None
        # run again (a duplicate message, a worker that died after its commit): nothing kept twice
        assert validation.run_validation(doc_id) == "không cần kiểm tra"
        records = db.session.scalar(select(func.count()).select_from(ValidationRecord)
                                    .where(ValidationRecord.file_id == doc.file_id))
        audits = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                   .where(AuditEntry.action == "incoming.validate"))
        assert (records, audits) == (1, 1)

        # a registration refused after its file was stored (the same arrival again): its job goes with it
        clerk = db.session.get(User, demo["vanthu"])
        arrival = service.check_files(clerk.organisation_id, [Part("ky-so.pdf", signed)], validate=False)
        assert arrival.verdict == validation.PENDING and arrival.report is None
        with pytest.raises(service.DuplicateArrival):
            service.register_arrival(clerk, data(original_reference="01/KH-LĐLĐ"), arrival)
        db.session.rollback()
        assert len(_jobs()) == 1

        # until the job has run, the page says the signature is being checked
        monkeypatch.setattr(validation.jobs, "enqueue_after_commit", lambda *a, **k: None)
        waiting = service.register_arrival(clerk, data(original_reference="02/KH-LĐLĐ"), service.check_files(
            clerk.organisation_id, [Part("ky-so.pdf", signed)], validate=False))
        waiting_id = waiting.id
        assert db.session.get(IncomingDocument, waiting_id).signature_verdict == validation.PENDING
    login(client, "vanthu")
    page = client.get(f"/incoming/{waiting_id}")
    assert page.status_code == 200 and 'id="signature-pending"' in page.text and "Đang kiểm tra" in page.text
    with app.app_context():
        assert validation.run_validation(waiting_id) == "chữ ký: valid"
    assert 'id="signature-ok"' in client.get(f"/incoming/{waiting_id}").text
