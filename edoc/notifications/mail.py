"""Notifications by e-mail: collected in the transaction, sent after it commits, outside any request's transaction.

Sending takes seconds and the server may not answer, so it happens in a background thread with its own app
context (as ``edoc.documents.dispatch`` does for issued documents). Without SMTP settings nothing is sent: the
notification in the page is the record. A lost e-mail loses nothing the page does not show."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_PENDING = "edoc_pending_mail"
_THREADS = "edoc_mail_threads"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


def mail_after_commit(session: Session, to: str, subject: str, text: str) -> None:
    if to:
        session.info.setdefault(_PENDING, []).append(Mail(to, subject, text))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    pending: list[Mail] = session.info.pop(_PENDING, [])
    if not pending or not has_app_context():
        return
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["EDOC"].smtp_host:
        return
    thread = threading.Thread(target=_send, args=(app, pending), daemon=True, name="edoc-mail")
    app.extensions.setdefault(_THREADS, []).append(thread)
    thread.start()


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction: object) -> None:
    session.info.pop(_PENDING, None)


def _send(app: Flask, messages: list[Mail]) -> None:
    settings = app.config["EDOC"]
    try:
        with smtplib.SMTP(str(settings.smtp_host), int(settings.smtp_port), timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            for m in messages:
                email = EmailMessage()
                email["From"], email["To"], email["Subject"] = settings.smtp_sender, m.to, m.subject
                email.set_content(m.text)
                smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("notification e-mail not sent (%d messages): %s", len(messages), exc)


def wait(app: Flask, timeout: float = 30) -> None:
    """Wait for the e-mail threads started so far (tests, and commands about to exit)."""
    for thread in app.extensions.pop(_THREADS, []):
        thread.join(timeout)
