"""Issuing: internal recipients find it at once (realtime); external ones get the PDF and its attachments by
e-mail in the background when SMTP is configured (a local SMTP sink stands in for the mail server); a recall
reaches everyone. The sending never holds the request, nor the database."""

from __future__ import annotations

import email
import io
import json
import threading
from email import policy as email_policy

import pytest
from sqlalchemy import select

from edoc import jobs
from edoc.accounts.models import User
from edoc.contacts.models import Contact
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.documents import actions, drafting, recall, review, sources
from edoc.documents.models import Recipient
from edoc.notifications.models import Notification
from edoc.organisations.models import Unit
from tests.documents.conftest import api_token, get_doc, scan_png, signed_on_paper, simple_pdf
from tests.support.components import free_port
from tests.support.web import csrf_token, login


class Sink:
    """Collects messages; ``gate`` (when set) holds each delivery until released."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.gate: threading.Event | None = None
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.arrived.set()
        if self.gate is not None:
            import asyncio

            while not self.gate.is_set():
                await asyncio.sleep(0.02)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 OK"


@pytest.fixture
def smtp_sink(app):
    from aiosmtpd.controller import Controller

    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config["EDOC"].smtp_host, app.config["EDOC"].smtp_port = controller.hostname, controller.port
    yield handler
    jobs.wait(app)
    controller.stop()


def _externals(app, demo) -> list[drafting.RecipientData]:
    with app.app_context():
        contacts = db.session.execute(select(Contact).order_by(Contact.id)).scalars().all()
        return [drafting.RecipientData("external", "act", contact_id=contacts[0].id),
                drafting.RecipientData("user", "info", user_id=demo["daibieu"])]


def _issue(app, demo, doc_id: int) -> None:
    with app.app_context():
        actions.issue_document(db.session.get(User, demo["vanthu"]), get_doc(doc_id))


def test_external_recipient_gets_the_pdf_and_attachments_by_email(app, demo, make_document, smtp_sink):
    doc_id = make_document("draft", recipients=_externals(app, demo))
    with app.app_context():
        drafter = db.session.get(User, demo["chuyenvien"])
        annex = simple_pdf(["Phụ lục I. Danh sách đơn vị"])
        sources.add_attachment(drafter, get_doc(doc_id), io.BytesIO(annex), "danh-sach.pdf", "Phụ lục I")
        review.submit(drafter, get_doc(doc_id))
        review.approve(db.session.get(User, demo["chutich"]), get_doc(doc_id))
        signed_on_paper(get_doc(doc_id))
        db.session.commit()
    _issue(app, demo, doc_id)
    jobs.wait(app)
    [message] = smtp_sink.messages
    assert message["To"] == "vanthu@ldldhanoi.example.vn" and "01/KH-LĐLĐ" in message["Subject"]
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["01-KH-LĐLĐ.pdf", "danh-sach.pdf"]
    assert all(a.get_content_type() == "application/pdf" for a in attachments)
    assert attachments[0].get_content().startswith(b"%PDF-") and attachments[1].get_content() == annex
    with app.app_context():
        external = db.session.execute(select(Recipient).where(Recipient.document_id == doc_id,
                                                               Recipient.kind == "external")).scalar_one()
        assert external.dispatch_status == "sent" and external.dispatched_at is not None


@pytest.fixture
def consumer(app):
    """The app's jobs on its queue file with a consumer of two threads, as ``edoc run`` has, instead of at commit."""
    queue = jobs.queue_of(app)
    queue.huey.immediate = False
    queue.start_consumer(threads=2)
    yield queue
    queue.stop_consumer()


def test_sending_happens_after_the_request_and_holds_no_database_lock(app, demo, make_document, smtp_sink,
                                                                     consumer):
    smtp_sink.gate = threading.Event()
    doc_id = make_document("approved", recipients=_externals(app, demo))
    clerk = app.test_client()
    login(clerk, "vanthu")
    response = clerk.post(f"/documents/{doc_id}/issue", data={"csrf_token": csrf_token(clerk, "/")})
    assert response.status_code == 302  # answered while the mail server still holds the message
    assert smtp_sink.arrived.wait(10) and smtp_sink.messages == []
    page = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Đang gửi" in page
    # another clerk's write goes through meanwhile (SQLite: every transaction holds the write lock)
    other = make_document("approved")
    _issue(app, demo, other)
    smtp_sink.gate.set()
    jobs.wait(app)
    assert len(smtp_sink.messages) == 1
    assert "Đã gửi e-mail" in clerk.get(f"/documents/{doc_id}").get_data(as_text=True)


def test_a_failed_send_is_recorded_keeps_the_issue_and_can_be_retried(app, demo, make_document, smtp_sink):
    port = app.config["EDOC"].smtp_port
    app.config["EDOC"].smtp_port = free_port()  # nobody listens
    doc_id = make_document("approved", recipients=_externals(app, demo))
    _issue(app, demo, doc_id)
    jobs.wait(app)
    with app.app_context():
        doc = get_doc(doc_id)
        assert doc.status == "issued" and doc.number == 1
        external = next(r for r in doc.recipients if r.kind == "external")
        assert external.dispatch_status == "failed" and "Gửi e-mail lỗi" in external.dispatch_note
    clerk = app.test_client()
    login(clerk, "vanthu")
    page = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Gửi lỗi" in page and "Gửi lại các nơi gửi lỗi" in page
    recipient = app.test_client()
    login(recipient, "daibieu")
    assert "Gửi lại" not in recipient.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert recipient.post(f"/documents/{doc_id}/dispatch",
                          data={"csrf_token": csrf_token(recipient, "/")}).status_code == 403
    app.config["EDOC"].smtp_port = port
    assert clerk.post(f"/documents/{doc_id}/dispatch", data={"csrf_token": csrf_token(clerk, "/")}).status_code == 302
    jobs.wait(app)
    assert len(smtp_sink.messages) == 1
    with app.app_context():
        assert next(r for r in get_doc(doc_id).recipients if r.kind == "external").dispatch_status == "sent"


def test_smtp_login_from_the_settings(app, demo, make_document):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"bi-mat")

    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        settings = app.config["EDOC"]
        settings.smtp_host, settings.smtp_port = controller.hostname, controller.port
        settings.smtp_username, settings.smtp_password = "vanthu", "bi-mat"
        doc_id = make_document("approved", recipients=_externals(app, demo))
        _issue(app, demo, doc_id)
        jobs.wait(app)
    finally:
        controller.stop()
    assert logins == [("vanthu", "bi-mat")] and len(handler.messages) == 1


def _self_signed(tmp_path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_starttls_when_the_settings_ask_for_it(app, demo, make_document, tmp_path, monkeypatch):
    """The mail server requires STARTTLS; the client checks its certificate against the trusted roots (here a
    test certificate, through SSL_CERT_FILE as an operator with a private CA would)."""
    import ssl

    from aiosmtpd.controller import Controller

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    try:
        settings = app.config["EDOC"]
        settings.smtp_host, settings.smtp_port = controller.hostname, controller.port
        doc_id = make_document("approved", recipients=_externals(app, demo))
        _issue(app, demo, doc_id)
        jobs.wait(app)
        with app.app_context():
            plain = next(r for r in get_doc(doc_id).recipients if r.kind == "external")
            assert plain.dispatch_status == "failed" and handler.messages == []  # the server wants STARTTLS
        settings.smtp_starttls = True
        clerk = app.test_client()
        login(clerk, "vanthu")
        assert clerk.post(f"/documents/{doc_id}/dispatch",
                          data={"csrf_token": csrf_token(clerk, "/")}).status_code == 302
        jobs.wait(app)
    finally:
        controller.stop()
    assert len(handler.messages) == 1
    with app.app_context():
        assert next(r for r in get_doc(doc_id).recipients if r.kind == "external").dispatch_status == "sent"


def test_without_smtp_externals_are_listed_for_dispatch(app, demo, make_document):
    doc_id = make_document("approved", recipients=_externals(app, demo))
    _issue(app, demo, doc_id)
    client = app.test_client()
    login(client, "vanthu")
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Gửi thủ công" in page and "Chưa cấu hình máy chủ thư" in page


def test_secret_documents_cannot_have_external_recipients(app, demo, make_document):
    with pytest.raises(ValidationFailed, match="Văn bản mật không được gửi ra ngoài"):
        make_document("draft", secrecy="Mật", reader_ids=[demo["vanthu"]], recipients=_externals(app, demo))
    with app.app_context():
        assert db.session.execute(select(Recipient)).first() is None


def test_internal_recipient_is_notified_live_and_read_is_tracked(app, demo, make_document):
    recipient = app.test_client()
    login(recipient, "daibieu")
    socket = app.extensions["socketio"].test_client(app, flask_test_client=recipient)
    socket.get_received()
    doc_id = make_document("approved", recipients=_externals(app, demo))
    _issue(app, demo, doc_id)
    notes = [m["args"][0] for m in socket.get_received() if m["name"] == "notification"]
    assert len(notes) == 1 and "01/KH-LĐLĐ" in notes[0]["text"]
    clerk = app.test_client()
    login(clerk, "vanthu")
    before = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Đã nhận 1, đã đọc 0" in before
    page = recipient.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Thực hiện Chỉ thị 15-CT/TU năm 2023" in page
    assert "đã đọc" not in page and "Đã nhận" not in page  # a recipient does not see others' status
    after = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Đã nhận 1, đã đọc 1" in after
    inbox = recipient.get("/documents/?tab=inbox").get_data(as_text=True)
    assert "Thực hiện Chỉ thị 15-CT/TU năm 2023" in inbox


def test_recall_notifies_every_recipient_the_signer_and_the_drafter_and_emails_externals(
        app, demo, make_document, smtp_sink):
    with app.app_context():
        vp = db.session.execute(select(Unit.id).where(Unit.abbreviation == "VP")).scalar_one()
    recipients = [*_externals(app, demo), drafting.RecipientData("unit", "act", unit_id=vp)]
    doc_id = make_document("approved", recipients=recipients)
    _issue(app, demo, doc_id)
    jobs.wait(app)
    response = app.test_client().post(f"/api/v1/documents/{doc_id}/recall", json={"reason": "Sai nơi nhận"},
                                      headers=api_token(app, demo["vanthu"]))
    assert response.status_code == 200 and response.get_json()["status"] == "recalled"
    jobs.wait(app)
    with app.app_context():
        notes = db.session.execute(select(Notification).where(Notification.kind == "recall")).scalars().all()
        told, texts = [n.user_id for n in notes], {n.text for n in notes}
    # the delegate (a person), every member of Văn phòng but the clerk who recalled, the signer, the drafter
    expected = {demo["daibieu"], demo["thuky"], demo["quantri"], demo["chutich"], demo["chuyenvien"]}
    assert sorted(told) == sorted(expected)  # one notification each
    assert texts == {"THU HỒI văn bản 01/KH-LĐLĐ: Sai nơi nhận"}
    for person in ("daibieu", "thuky", "chutich", "chuyenvien"):
        client = app.test_client()
        login(client, person)
        assert "Văn bản đã bị thu hồi: Sai nơi nhận" in client.get(f"/documents/{doc_id}").get_data(as_text=True)
    issued_mail, recall_mail = smtp_sink.messages
    assert recall_mail["Subject"].startswith("THU HỒI văn bản số 01/KH-LĐLĐ")
    assert "Lý do thu hồi: Sai nơi nhận" in recall_mail.get_content()
    with app.app_context():
        external = next(r for r in get_doc(doc_id).recipients if r.kind == "external")
        assert external.recall_notice == "sent"
        # its notes keep the recall beside the e-mail's outcome (the clerk's Nơi nhận table shows them)
        assert "THU HỒI văn bản 01/KH-LĐLĐ: Sai nơi nhận" in external.dispatch_note


def test_replacement_through_the_api(app, demo, make_document):
    doc_id = make_document("approved", recipients=_externals(app, demo)[1:])
    _issue(app, demo, doc_id)
    response = app.test_client().post(f"/api/v1/documents/{doc_id}/replacement",
                                      headers=api_token(app, demo["chuyenvien"]))
    assert response.status_code == 201
    new = response.get_json()
    assert new["replaces_id"] == doc_id and new["status"] == "draft" and new["id"] != doc_id
    for who, action in (("chuyenvien", "submit"), ("chutich", "approve"), ("vanthu", "issue")):
        if action == "issue":  # signed on paper: its scan first
            scan = app.test_client().post(f"/api/v1/documents/{new['id']}/paper-scan", headers=api_token(
                app, demo["vanthu"]), data={"file": (io.BytesIO(scan_png()), "ban-goc.png")})
            assert scan.status_code == 201, scan.get_json()
        answer = app.test_client().post(f"/api/v1/documents/{new['id']}/{action}",
                                        headers=api_token(app, demo[who]))
        assert answer.status_code == 200, answer.get_json()
    old = app.test_client().get(f"/api/v1/documents/{doc_id}", headers=api_token(app, demo["vanthu"])).get_json()
    assert old["status"] == "replaced" and answer.get_json()["reference"] == "02/KH-LĐLĐ"
    with app.app_context():
        told = {n.user_id for n in db.session.execute(
            select(Notification).where(Notification.kind == "recall")).scalars()}
    assert demo["daibieu"] in told  # the old one's recipient learns it was replaced


def _replace(app, demo, old_id: int) -> int:
    """The drafter drafts a replacement of ``old_id``, the signer approves it, the clerk issues it."""
    with app.app_context():
        drafter = db.session.get(User, demo["chuyenvien"])
        new = recall.start_replacement(drafter, get_doc(old_id))
        db.session.commit()
        review.submit(drafter, new)
        review.approve(db.session.get(User, demo["chutich"]), new)
        signed_on_paper(new)
        db.session.commit()
        return actions.issue_document(db.session.get(User, demo["vanthu"]), get_doc(new.id)).id


def test_a_replacement_is_emailed_to_the_old_documents_external_recipients(app, demo, make_document, smtp_sink):
    """As a recall is: the old document's external recipients are told, by e-mail, which number replaces it, and
    why it had been recalled before."""
    doc_id = make_document("approved", recipients=_externals(app, demo))
    _issue(app, demo, doc_id)
    jobs.wait(app)
    with app.app_context():
        actions.recall_document(db.session.get(User, demo["vanthu"]), get_doc(doc_id), "Sai nơi nhận")
    jobs.wait(app)
    new_id = _replace(app, demo, doc_id)
    jobs.wait(app)
    subjects = sorted(m["Subject"] for m in smtp_sink.messages)
    assert len(subjects) == 4, subjects  # 01 issued, 01 recalled, 02 issued (same recipients), 01 replaced
    [notice] = [m for m in smtp_sink.messages if m["Subject"].startswith("THAY THẾ")]
    assert notice["Subject"].startswith("THAY THẾ văn bản số 01/KH-LĐLĐ bằng văn bản số 02/KH-LĐLĐ")
    assert notice["To"] == "vanthu@ldldhanoi.example.vn"
    text = notice.get_content()
    assert "Văn bản đã bị thu hồi trước đó, lý do: Sai nơi nhận" in text
    assert "Đề nghị thực hiện theo văn bản số 02/KH-LĐLĐ" in text
    with app.app_context():
        old = next(r for r in get_doc(doc_id).recipients if r.kind == "external")
        assert old.recall_notice == "sent" and get_doc(new_id).reference == "02/KH-LĐLĐ"
        # the page's Nơi nhận table keeps every step, the recall's and the replacement's
        assert "THU HỒI văn bản 01/KH-LĐLĐ: Sai nơi nhận" in old.dispatch_note
        assert "đã được thay thế bởi văn bản 02/KH-LĐLĐ" in old.dispatch_note


def test_without_smtp_the_replacement_notice_is_listed_for_manual_dispatch(app, demo, make_document):
    doc_id = make_document("approved", recipients=_externals(app, demo))
    _issue(app, demo, doc_id)
    _replace(app, demo, doc_id)
    with app.app_context():
        old = next(r for r in get_doc(doc_id).recipients if r.kind == "external")
        assert old.recall_notice == "manual" and "Chưa cấu hình máy chủ thư" in old.dispatch_note


def test_a_failing_signature_report_neither_undoes_the_issue_nor_holds_the_dispatch(
        app, demo, make_document, smtp_sink, monkeypatch, caplog):
    """Keeping the issued file's validation report is the last step: if the validator fails, the document is
    issued all the same, its external recipients get it, the clerk is answered with its number, and the failure
    is logged. The validator is made to fail here: failure injection."""
    from edoc.documents import signature_reports, signing
    from edoc.signatures.devca import DEMO_PIN
    from edoc.signatures.models import ValidationRecord

    doc_id = make_document("approved", paper=False, recipients=_externals(app, demo))
    with app.app_context():
        signing.sign_one(db.session.get(User, demo["chutich"]), get_doc(doc_id), DEMO_PIN)
        db.session.commit()

    def broken_validator(pdf, roots):
        raise RuntimeError("validator unavailable")

    monkeypatch.setattr(signature_reports, "validate_with_roots", broken_validator)
    clerk = app.test_client()
    login(clerk, "vanthu")
    answer = clerk.post(f"/documents/{doc_id}/issue", data={"csrf_token": csrf_token(clerk, "/")})
    assert answer.status_code == 302
    assert "Đã ban hành văn bản số 01/KH-LĐLĐ" in clerk.get(answer.headers["Location"]).get_data(as_text=True)
    jobs.wait(app)
    [message] = smtp_sink.messages
    assert "01/KH-LĐLĐ" in message["Subject"]
    with app.app_context():
        doc = get_doc(doc_id)
        assert doc.status == "issued" and doc.issued_file_id not in {None, doc.signed_file_id}
        assert next(r for r in doc.recipients if r.kind == "external").dispatch_status == "sent"
        assert db.session.execute(select(ValidationRecord).where(ValidationRecord.document_id == doc_id)).first() \
            is None
    assert "signature report of issued document" in caplog.text and "validator unavailable" in caplog.text


def test_a_document_recalled_before_its_email_left_is_not_sent_and_its_jobs_say_so(app, demo, make_document,
                                                                                  smtp_sink):
    """Issue and recall both commit before any consumer runs (a busy or stopped worker): the issue's e-mail is not
    sent, nor a recall notice for a document the recipient never had; the jobs end with that as their outcome."""
    queue = jobs.queue_of(app)
    queue.huey.immediate = False  # the jobs wait in the queue file
    doc_id = make_document("approved", recipients=_externals(app, demo))
    _issue(app, demo, doc_id)
    with app.app_context():
        actions.recall_document(db.session.get(User, demo["vanthu"]), get_doc(doc_id), "Sai nơi nhận")
        assert db.session.execute(select(jobs.Job.status).where(jobs.Job.name == "documents.dispatch")).scalars() \
            .all() == ["queued", "queued"]
    queue.start_consumer(threads=2)
    try:
        assert jobs.wait(app, 30)
    finally:
        queue.stop_consumer()
    assert smtp_sink.messages == []
    with app.app_context():
        external = next(r for r in get_doc(doc_id).recipients if r.kind == "external")
        assert (external.dispatch_status, external.recall_notice) == ("cancelled", "cancelled")
        assert "Không gửi: văn bản đã bị thu hồi hoặc thay thế trước khi gửi." in external.dispatch_note
        done = {json.loads(j.payload)["kind"]: j for j in db.session.execute(
            select(jobs.Job).where(jobs.Job.name == "documents.dispatch")).scalars()}
        assert {kind: j.status for kind, j in done.items()} == {"issue": "done", "recall": "done"}
        assert done["issue"].outcome == ("Văn bản đã bị thu hồi hoặc thay thế trước khi gửi: không gửi e-mail "
                                         "(1 nơi nhận).")
    clerk = app.test_client()
    login(clerk, "vanthu")
    assert "Không gửi (đã thu hồi)" in clerk.get(f"/documents/{doc_id}").get_data(as_text=True)


def test_a_dispatch_job_whose_document_is_gone_ends_with_that_outcome(app, demo):
    with app.app_context():
        job = jobs.enqueue_after_commit("documents.dispatch", {"document_id": 987654, "kind": "issue"})
        db.session.commit()  # runs now (the tests' immediate mode)
        job = db.session.get(jobs.Job, job.id)
        assert (job.status, job.outcome) == ("done", "Văn bản #987654 không còn: không gửi gì.")
