"""Issuing: internal recipients find it at once (realtime), external ones get the PDF by e-mail when SMTP is
configured (a local SMTP sink stands in for the mail server)."""

from __future__ import annotations

import email
from email import policy as email_policy

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import service, sources
from edoc.documents.models import Contact, Recipient
from tests.documents.conftest import get_doc
from tests.support.components import free_port
from tests.support.web import login


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self) -> None:
            self.messages: list[email.message.EmailMessage] = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content, policy=email_policy.default))
            return "250 OK"

    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def _issue_to_externals(app, demo, make_document) -> int:
    with app.app_context():
        contacts = db.session.execute(select(Contact).order_by(Contact.id)).scalars().all()
        recipients = [service.RecipientData("external", "act", contact_id=contacts[0].id),
                      service.RecipientData("user", "info", user_id=demo["daibieu"])]
    doc_id = make_document("approved", recipients=recipients)
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        doc = service.issue(clerk, get_doc(doc_id))
        sources.finalise_issued(clerk, doc)
        db.session.commit()
        sources.dispatch_external(doc)
    return doc_id


def test_external_recipient_gets_the_pdf_by_email(app, demo, make_document, smtp_sink):
    controller, sink = smtp_sink
    app.config["EDOC"].smtp_host, app.config["EDOC"].smtp_port = controller.hostname, controller.port
    doc_id = _issue_to_externals(app, demo, make_document)
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert message["To"] == "vanthu@ldldhanoi.example.vn"
    assert "01/KH-LĐLĐ" in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF-")
    with app.app_context():
        external = db.session.execute(select(Recipient).where(Recipient.document_id == doc_id,
                                                               Recipient.kind == "external")).scalar_one()
        assert external.dispatch_status == "sent" and external.dispatched_at is not None


def test_unreachable_smtp_is_recorded_per_recipient_and_keeps_the_issue(app, demo, make_document):
    app.config["EDOC"].smtp_host, app.config["EDOC"].smtp_port = "127.0.0.1", free_port()
    doc_id = _issue_to_externals(app, demo, make_document)
    with app.app_context():
        doc = get_doc(doc_id)
        assert doc.status == "issued" and doc.number == 1
        external = next(r for r in doc.recipients if r.kind == "external")
        assert external.dispatch_status == "failed" and "lỗi" in external.dispatch_note


def test_without_smtp_externals_are_listed_for_dispatch(app, demo, make_document):
    doc_id = _issue_to_externals(app, demo, make_document)
    client = app.test_client()
    login(client, "vanthu")
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Chờ gửi" in page and "Chưa cấu hình máy chủ thư" in page


def test_internal_recipient_is_notified_live_and_read_is_tracked(app, demo, make_document):
    recipient = app.test_client()
    login(recipient, "daibieu")
    socket = app.extensions["socketio"].test_client(app, flask_test_client=recipient)
    socket.get_received()
    doc_id = _issue_to_externals(app, demo, make_document)
    notes = [m["args"][0] for m in socket.get_received() if m["name"] == "notification"]
    assert len(notes) == 1 and "01/KH-LĐLĐ" in notes[0]["text"]
    clerk = app.test_client()
    login(clerk, "vanthu")
    before = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Đã nhận 1, đã đọc 0" in before
    assert recipient.get(f"/documents/{doc_id}").status_code == 200
    after = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Đã nhận 1, đã đọc 1" in after
    inbox = recipient.get("/documents/?tab=inbox").get_data(as_text=True)
    assert "Thực hiện Chỉ thị 15-CT/TU năm 2023" in inbox
