"""Notifications by e-mail, as jobs of the queue (``notifications.mail``), and the one way edoc talks SMTP.

An e-mail is asked in the transaction of the change it tells about: its intent is a job row written with that
change (``jobs.enqueue_after_commit``), so a rolled-back change sends nothing and a process killed between the
commit and the send loses nothing: the queue's sweep hands the job over again (docs/jobs.md). It used to be a
thread of the web process, which a restart lost and nothing retried. Without SMTP settings nothing is queued: the
notification in the page is the record.

Sent at least once: a worker killed after the mail server's 250 and before the job's outcome commits sends it
again, with the same Message-ID (made from the job's id), so the receiving system can tell the copy
(as ``documents.dispatch`` and ``incoming.mail_ack`` do)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

from flask import current_app

from edoc import jobs
from edoc.config import Settings
from edoc.core.db import end_read_transaction

JOB = "notifications.mail"


def mail_after_commit(to: str, subject: str, text: str) -> None:
    """Ask for a notification e-mail in the caller's transaction; sent by a job once it commits."""
    if to and current_app.config["EDOC"].smtp_host:
        jobs.enqueue_after_commit(JOB, {"to": to, "subject": subject, "text": text})


def connect(settings: Settings) -> smtplib.SMTP:
    """A connection to the configured mail server, STARTTLS and login done as the settings say. Raises
    ``OSError`` or ``smtplib.SMTPException``."""
    smtp = smtplib.SMTP(str(settings.smtp_host), int(settings.smtp_port), timeout=20)
    try:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_messages(settings: Settings, messages: Sequence[EmailMessage]) -> None:
    """Send ``messages`` over one connection. Raises ``OSError`` or ``smtplib.SMTPException``: the caller's job
    decides whether to try again."""
    with connect(settings) as smtp:
        for message in messages:
            smtp.send_message(message)


def _message_id(settings: Settings, job_id: int) -> str:
    domain = settings.smtp_sender.rpartition("@")[2] or "edoc.local"
    return f"<edoc.notice.{job_id}@{domain}>"


def _send(context: jobs.JobContext) -> jobs.Outcome:
    settings: Settings = current_app.config["EDOC"]
    to = str(context.payload["to"])
    if not settings.smtp_host:  # the settings changed since it was asked
        return jobs.Outcome(f"không gửi tới {to}: chưa cấu hình máy chủ gửi thư (SMTP)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_sender, to, str(context.payload["subject"])
    message["Message-ID"] = _message_id(settings, context.job_id)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no robot answers a notification
    message.set_content(str(context.payload["text"]))
    end_read_transaction()  # nothing held while the mail server talks
    send_messages(settings, [message])  # a failure raises: the job runs again, up to its attempts
    return jobs.Outcome(f"đã gửi tới {to}")


jobs.register(JOB, _send, max_attempts=3)
