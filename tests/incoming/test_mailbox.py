"""The e-mail channel (issue 10, item 1): a real IMAP server (Dovecot, tests/support/dovecot.py) holds the clerk's
mailbox, a real SMTP server (aiosmtpd) receives the acknowledgements. Each PDF attachment becomes a document in the
clerk's queue with fields pre-filled from its text and signature; every message is taken once even when the job
dies before or after its commit; hostile or bad mail is recorded with its reason and never stops the poll; wrong
credentials are shown on the settings page and lose no mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from edoc import jobs
from edoc.accounts.models import User
from edoc.core.clock import vietnam_time
from edoc.core.db import db
from edoc.files.service import read_verified
from edoc.incoming import mail_intake, mailbox, service
from edoc.incoming.imap import TAKEN
from edoc.incoming.mail_models import IncomingMail, IncomingMailbox
from edoc.incoming.models import IncomingDocument
from tests.incoming.conftest import data, text_pdf
from tests.incoming.test_intake import _signed_pdf
from tests.support import dovecot
from tests.support.smtp import smtp_inbox
from tests.support.web import csrf_token, login

PASSWORD = "mat-khau-dung"
SENDER = "vanthu@ldldhanoi.example.vn"
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
"""What the PostgreSQL run adds (the unique key, the transactions) the first test covers on both databases."""


@pytest.fixture(scope="module")
def imap():
    return dovecot.imap_server()


@pytest.fixture
def smtp(settings_env):
    with smtp_inbox(settings_env, "edoc@ldldgialam.example.vn") as handler:
        yield handler


def message(subject: str, *files: tuple[str, bytes, str], sender: str = f"LĐLĐ thành phố Hà Nội <{SENDER}>",
            headers: dict[str, str] | None = None) -> bytes:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = sender, "vanthu@ldldgialam.example.vn", subject, make_msgid()
    for name, value in (headers or {}).items():
        m[name] = value
    m.set_content("Kính gửi LĐLĐ huyện Gia Lâm, gửi kèm văn bản.")
    for name, content, media in files:
        maintype, _, subtype = media.partition("/")
        m.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes()


def configure(app, demo, imap, user: str, password: str = PASSWORD) -> int:
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        box = mailbox.save(clerk, mailbox.MailboxForm(host=imap.host, port=str(imap.port), security="none",
                                                      username=user, password=password))
        db.session.commit()
        return box.id


def poll(app, box_id: int) -> mail_intake.PollResult:
    with app.app_context():
        return mail_intake.poll(box_id)


def mails(app) -> list[IncomingMail]:
    with app.app_context():
        rows = list(db.session.execute(select(IncomingMail).order_by(IncomingMail.uid)).scalars())
        db.session.expunge_all()
        return rows


def docs(app) -> list[IncomingDocument]:
    with app.app_context():
        rows = list(db.session.execute(select(IncomingDocument).order_by(IncomingDocument.id)).scalars())
        assert all(row.file is not None for row in rows)  # loaded before the session goes
        db.session.expunge_all()
        return rows


def test_each_pdf_becomes_a_prefilled_draft_once_and_the_sender_is_acknowledged(smtp, app, demo, imap,
                                                                                 make_document, monkeypatch):
    signed = _signed_pdf(app, demo, make_document)
    user = imap.add_user()
    box_id = configure(app, demo, imap, user)
    imap.deliver(user, message("Kế hoạch Tháng Công nhân", ("89-KH-LDLD.pdf", text_pdf(), "application/pdf")),
                 message("Văn bản ký số", ("ky-so.pdf", signed, "application/octet-stream")))

    # killed before its commit (after reading the first message): nothing is kept, the message stays new
    real = mail_intake.record_message
    monkeypatch.setattr(mail_intake, "record_message", lambda *a: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        poll(app, box_id)
    assert mails(app) == [] and docs(app) == [] and TAKEN not in imap.flags(user)[1]

    # killed after the first commit, before the flag: the next run finds the record and only flags it
    monkeypatch.setattr(mail_intake, "record_message", real)
    monkeypatch.setattr(mail_intake.Mailbox, "mark_taken", lambda self, uid: (_ for _ in ()).throw(SystemExit()))
    with pytest.raises(SystemExit):
        poll(app, box_id)
    assert len(mails(app)) == 1 and len(docs(app)) == 1
    monkeypatch.undo()
    got = poll(app, box_id)
    assert (got.taken, got.rejected, got.flagged_again, got.error) == (1, 0, 1, "")
    assert poll(app, box_id).taken == 0  # a third run finds nothing new
    assert all(TAKEN in flags and "\\Seen" in flags for flags in imap.flags(user).values())

    first, second = docs(app)
    assert len(mails(app)) == 2
    assert (first.status, first.channel, first.sender_email) == ("received", "email", SENDER)
    assert first.original_reference == "89/KH-LĐLĐ" and first.original_date is not None  # from the text
    assert first.summary == "Kế hoạch Tháng Công nhân"
    # the address is the directory's entry for the sender (trusted): its name, not the display name
    assert first.sender_contact_id and first.sender_name == "Liên đoàn Lao động thành phố Hà Nội"
    assert first.text_source == "pdf" and first.signature_verdict == "unsigned"
    assert second.signer_name == "Nguyễn Văn Hùng" and second.signature_verdict == "valid"  # from its signature
    with app.app_context():
        assert read_verified(db.session.get(IncomingDocument, second.id).file) == signed  # as received

    # acknowledged the same day, once per message, in reply to it
    assert [m["To"] for m in smtp.messages] == [SENDER, SENDER]
    first_ack = smtp.messages[0]
    assert first_ack["Subject"].startswith("Đã nhận: Kế hoạch") and "89/KH-LĐLĐ" in first_ack.get_content()
    assert smtp.messages[0]["In-Reply-To"] and smtp.messages[0]["Auto-Submitted"] == "auto-replied"
    assert all(m.ack_state == "sent" for m in mails(app)) and all(d.acknowledged_at for d in docs(app))

    # in the clerk's queue, registered as any arrival
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        assert {d.id for d in service.list_documents(clerk, "received")} == {first.id, second.id}
        registered = service.register_received(clerk, db.session.get(IncomingDocument, first.id),
                                               data(original_reference=first.original_reference))
        db.session.commit()
        assert registered.number == 1


def _active_pdf() -> bytes:
    from tests.documents.test_active_content import _crafted

    return _crafted("openaction-javascript")


@sqlite_only
def test_hostile_and_bad_mail_is_recorded_with_its_reason_and_never_stops_the_poll(smtp, app, demo, imap,
                                                                                    monkeypatch):
    real_check = mail_intake.check_files

    def check_files(organisation_id, parts):  # a file whose reading fails in a way nobody foresaw
        if parts[0].name == "bat-ngo.pdf":
            raise RuntimeError("unforeseen")
        return real_check(organisation_id, parts)

    monkeypatch.setattr(mail_intake, "check_files", check_files)
    user = imap.add_user()
    box_id = configure(app, demo, imap, user)
    pdf = text_pdf()
    malformed = (b"From: " + SENDER.encode() + b"\r\nSubject: Hong\r\nMessage-ID: <hong@x>\r\nMIME-Version: 1.0\r\n"
                 b"Content-Type: multipart/mixed; boundary=\"abc\"\r\n\r\n--abc\r\nContent-Type: application/pdf\r\n"
                 b"Content-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                 b"%%%% not base64 at all \xff\xfe\r\n--ab")
    imap.deliver(
        user,
        message("Không có tệp"),
        message("Tệp chạy", ("cai-dat.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/octet-stream"),
                ("cong-van.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")),
        malformed,
        message("Quá lớn", ("lon.pdf", pdf + b"%" + b"0" * (6 * 1024 * 1024), "application/pdf")),
        message("Có mã lệnh", ("js.pdf", _active_pdf(), "application/pdf")),
        message("Giả mạo", ("gia.pdf", pdf, "application/pdf"), sender=f'"{SENDER}" <ke-xau@example.net>'),
        message("Giả mạo SPF", ("gia2.pdf", pdf, "application/pdf"),
                headers={"Authentication-Results": "mx.gialam.example; spf=fail smtp.mailfrom=x; dmarc=fail"}),
        message("Bất ngờ", ("bat-ngo.pdf", pdf, "application/pdf")),
    )
    got = poll(app, box_id)
    assert (got.taken, got.rejected, got.error) == (2, 6, "")
    assert "Không đọc được thư (RuntimeError)" in {m.subject: m for m in mails(app)}["Bất ngờ"].note
    rows = {m.subject: m for m in mails(app)}
    assert rows["Không có tệp"].state == "rejected" and "không có tệp PDF" in rows["Không có tệp"].note
    assert rows["Tệp chạy"].state == "rejected" and rows["Tệp chạy"].note.count("không phải PDF") == 2
    assert rows["Hong"].state == "rejected" and rows["Hong"].note
    assert rows["Quá lớn"].state == "rejected" and "Thư quá lớn" in rows["Quá lớn"].note  # only its header read
    assert rows["Có mã lệnh"].state == "rejected" and "JavaScript" in rows["Có mã lệnh"].note
    forged, spf = rows["Giả mạo"], rows["Giả mạo SPF"]
    assert forged.state == spf.state == "taken" and not forged.sender_trusted and not spf.sender_trusted
    assert "địa chỉ khác" in forged.note and "SPF, DMARC" in spf.note or "DMARC, SPF" in spf.note
    assert forged.ack_state == spf.ack_state == ""  # a forged address gets no mail
    # the trusted senders of refused mail are told why; nobody else is written to
    told = sorted(m["Subject"] for m in smtp.messages)
    assert all(m["To"] == SENDER for m in smtp.messages) and len(told) == 6, told
    assert all(s.startswith("Chưa tiếp nhận được") for s in told)
    assert len(docs(app)) == 2 and {d.sender_name for d in docs(app)} == {SENDER, "LĐLĐ thành phố Hà Nội"}
    forged_ids = [d.id for d in docs(app)]
    with app.app_context():  # returned by the clerk: no mail to the forged address either
        clerk = db.session.get(User, demo["vanthu"])
        for doc_id in forged_ids:
            service.return_to_sender(clerk, db.session.get(IncomingDocument, doc_id), "Không rõ nơi gửi")
        db.session.commit()
    assert len(smtp.messages) == 6
    assert poll(app, box_id).taken == 0 and len(mails(app)) == 8


@sqlite_only
def test_wrong_credentials_are_shown_on_the_page_and_lose_no_mail(app, demo, imap, client, monkeypatch):
    user = imap.add_user()
    box_id = configure(app, demo, imap, user, password="sai-mat-khau")
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    imap.deliver(user, message("Chờ nhận", ("cv.pdf", text_pdf(), "application/pdf")), arrived=two_days_ago)
    with app.app_context():  # the periodic job's run (every mailbox): done, the error in its outcome and logged
        job_id = jobs.enqueue_after_commit(mailbox.POLL_JOB, {}).id
        db.session.commit()
        job = db.session.get(jobs.Job, job_id)
        assert job.status == "done" and "sai tên đăng nhập hoặc mật khẩu" in job.outcome
    assert mails(app) == [] and not {"\\Seen", TAKEN} & set(imap.flags(user)[1].split())  # untouched
    with app.app_context():
        box = db.session.get(IncomingMailbox, box_id)
        assert "sai tên đăng nhập" in box.last_error and b"sai-mat-khau" not in box.password_sealed

    login(client, "vanthu")
    page = client.get("/incoming/mailbox")
    assert page.status_code == 200 and 'id="mailbox-error"' in page.text and "sai-mat-khau" not in page.text
    form = {"host": imap.host, "port": str(imap.port), "security": "none", "username": user, "folder": "INBOX",
            "enabled": "1", "action": "test", "csrf_token": csrf_token(client, "/incoming/mailbox")}
    refused = client.post("/incoming/mailbox", data={**form, "password": "van-sai"})
    assert refused.status_code == 400 and "sai tên đăng nhập hoặc mật khẩu" in refused.text
    assert client.post("/incoming/mailbox", data={**form, "port": "99999", "password": PASSWORD}).status_code == 400
    plain = client.post("/incoming/mailbox", data={**form, "security": "ssl", "password": PASSWORD})
    assert plain.status_code == 400 and "kết nối mã hóa" in plain.text  # TLS asked of the plain port
    untrusted = client.post("/incoming/mailbox", data={**form, "security": "ssl", "port": imap.tls_port,
                                                       "password": PASSWORD})
    assert untrusted.status_code == 400 and "CERTIFICATE_VERIFY_FAILED" in untrusted.text  # a CA not trusted yet
    # the mail server's private CA trusted as an operator would (the system's store, here SSL_CERT_FILE):
    # IMAP over TLS, and STARTTLS (kept: the poll below reads the mail over it)
    monkeypatch.setenv("SSL_CERT_FILE", str(imap.ca_file))
    for security, port in (("ssl", imap.tls_port), ("starttls", imap.port)):
        ok = client.post("/incoming/mailbox", data={**form, "security": security, "port": port, "password": PASSWORD},
                         follow_redirects=True)
        assert ok.status_code == 200 and "Kết nối được và đã lưu: thư mục có 1 thư" in ok.text, security
    # the job's next run takes the mail that waited; "Nhận thư ngay" asks for it
    now = client.post("/incoming/mailbox", data={"action": "poll", "csrf_token": form["csrf_token"]},
                      follow_redirects=True)
    assert now.status_code == 200 and "Chờ nhận" in now.text
    assert [m.subject for m in mails(app)] == ["Chờ nhận"] and len(docs(app)) == 1
    # it keeps the day it reached the mailbox (ngày đến), not the day the mailbox could be read again
    assert docs(app)[0].received_on == vietnam_time(two_days_ago).date()
    with app.app_context():
        assert db.session.get(IncomingMailbox, box_id).last_error == ""
        assert db.session.execute(select(func.count()).select_from(IncomingMail)).scalar_one() == 1

    for username, status in (("quantri", 200), ("chuyenvien", 403)):  # the admin may set it; a specialist not
        other = app.test_client()
        login(other, username)
        assert other.get("/incoming/mailbox").status_code == status, username
