"""Acknowledging an e-mailed arrival to its sender the same day (Article 21.2.c), as a job (``incoming.mail_ack``)
asked in the transaction that took the message, sent once that commits.

Sent with the installation's SMTP settings (as ``documents.dispatch`` sends issued documents), only to a sender the
intake trusted (``mail_intake.sender_of``): replying to a forged address would mail someone who sent nothing. A
message refused (no PDF, bad files) gets the reason, so the sender can send it again.

Idempotent like ``documents.dispatch``: the acknowledgement is claimed (``pending`` → ``sending`` with the attempt's
token) in a short transaction, sent with no transaction open, recorded in another. Killed after the server accepted
it and before the record, it is sent again with the same Message-ID (the receiver can tell the copy)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update

from edoc import jobs
from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import commit, db, end_read_transaction, utcnow
from edoc.incoming.mail_models import AckState, IncomingMail, MailState
from edoc.incoming.models import IncomingDocument
from edoc.notifications.mail import send_messages
from edoc.organisations.models import Organisation

log = logging.getLogger(__name__)
JOB = "incoming.mail_ack"
NO_SMTP = "Chưa cấu hình máy chủ gửi thư (SMTP): văn thư báo đã nhận bằng cách khác."


def ask(mail: IncomingMail) -> None:
    """In the caller's transaction (the one recording the message)."""
    jobs.enqueue_after_commit(JOB, {"mail_id": mail.id})


def _message_id(mail_id: int) -> str:
    domain = current_app.config["EDOC"].smtp_sender.rpartition("@")[2] or "edoc.local"
    return f"<edoc.incoming-ack.{mail_id}@{domain}>"


def _safe_reference(message_id: str) -> str:
    """The original Message-ID for In-Reply-To, only if it looks like one (nothing a header could be bent with)."""
    value = message_id.strip()
    if value.startswith("<") and value.endswith(">") and len(value) < 250 and all(
            33 <= ord(c) < 127 for c in value):
        return value
    return ""


def text_of(mail: IncomingMail, organisation: Organisation, docs: list[IncomingDocument]) -> tuple[str, str]:
    when = vietnam_time(mail.taken_at)
    subject = mail.subject or "(không có tiêu đề)"
    if mail.state == MailState.TAKEN:
        lines = "\n".join(f"- {d.original_reference or (d.file.original_name if d.file else d.summary[:80])}"
                          for d in docs)
        return (f"Đã nhận: {subject}"[:200],
                f"{organisation.name} đã nhận thư của quý cơ quan gửi lúc {when:%H:%M ngày %d/%m/%Y}, tiêu đề "
                f"“{subject}”, gồm {len(docs)} văn bản:\n{lines}\n\nVăn bản sẽ được vào sổ văn bản đến và xử lý theo "
                f"quy định. Đây là thư tự động, xin không trả lời thư này.\n")
    reasons = "\n".join(f"- {line}" for line in mail.note.splitlines() if line)
    return (f"Chưa tiếp nhận được: {subject}"[:200],
            f"{organisation.name} chưa tiếp nhận được văn bản trong thư của quý cơ quan gửi lúc "
            f"{when:%H:%M ngày %d/%m/%Y}, tiêu đề “{subject}”, vì:\n{reasons}\n\nĐề nghị gửi lại văn bản dưới dạng "
            "tệp PDF (đã ký số) đính kèm thư. Đây là thư tự động, xin không trả lời thư này.\n")


def _claim(mail_id: int, token: str) -> bool:
    running = select(jobs.Job.claimed_by).where(jobs.Job.status == jobs.RUNNING)
    taken = db.session.execute(update(IncomingMail).where(
        IncomingMail.id == mail_id,
        or_(IncomingMail.ack_state.in_([AckState.PENDING.value, AckState.FAILED.value]),
            (IncomingMail.ack_state == AckState.SENDING.value) & IncomingMail.ack_claim.not_in(running)))
        .values(ack_state=AckState.SENDING.value, ack_claim=token).execution_options(synchronize_session=False))
    commit()
    return taken.rowcount == 1


def _finish(mail_id: int, state: str, note: str) -> None:
    mail = db.session.get(IncomingMail, mail_id)
    if mail is None:
        db.session.rollback()
        return
    mail.ack_state, mail.ack_claim, mail.ack_note = state, "", note
    if state == AckState.SENT:
        mail.acked_at = utcnow()
        for doc in db.session.execute(select(IncomingDocument).where(IncomingDocument.mail_id == mail_id)).scalars():
            doc.acknowledged_at = mail.acked_at
    record("incoming.mail_ack", mail, organisation_id=mail.organisation_id, changes={"state": state, "note": note})
    commit()


def send(mail_id: int, token: str) -> str:
    settings = current_app.config["EDOC"]
    mail = db.session.get(IncomingMail, mail_id)
    if mail is None or mail.ack_state not in {AckState.PENDING, AckState.SENDING, AckState.FAILED}:
        db.session.rollback()
        return "không cần báo đã nhận"
    if not settings.smtp_host:
        db.session.rollback()
        _finish(mail_id, AckState.MANUAL.value, NO_SMTP)
        return NO_SMTP
    if not _claim(mail_id, token):
        return "đang được gửi bởi lần chạy khác"
    mail = db.session.get(IncomingMail, mail_id)
    assert mail is not None
    organisation = db.session.get(Organisation, mail.organisation_id)
    assert organisation is not None
    docs = list(db.session.execute(select(IncomingDocument).where(IncomingDocument.mail_id == mail_id)
                                   .order_by(IncomingDocument.id)).scalars())
    subject, text = text_of(mail, organisation, docs)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_sender, mail.sender_email, subject
    message["Message-ID"] = _message_id(mail_id)
    message["Auto-Submitted"] = "auto-replied"  # RFC 3834: the sender's own robot must not answer it
    reference = _safe_reference(mail.message_id)
    if reference:
        message["In-Reply-To"], message["References"] = reference, reference
    message.set_content(text)
    address = mail.sender_email
    end_read_transaction()  # nothing held while the mail server talks
    try:
        send_messages(settings, [message])
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("acknowledgement of incoming mail %s to %s not sent: %s", mail_id, address, exc)
        _finish(mail_id, AckState.FAILED.value, f"Gửi thư báo đã nhận lỗi: {exc}")
        raise  # the job runs again (up to its attempts); the state says failed meanwhile
    _finish(mail_id, AckState.SENT.value, f"Đã báo đã nhận tới {address}")
    return f"đã báo đã nhận tới {address}"


def _handle(context: jobs.JobContext) -> jobs.Outcome:
    return jobs.Outcome(send(int(context.payload["mail_id"]), context.token))


jobs.register(JOB, _handle, max_attempts=3)
