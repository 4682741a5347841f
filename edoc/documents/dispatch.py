"""Sending issued documents (and recall notices) to external recipients by e-mail, outside the request.

An SMTP conversation takes seconds and the mail server may not answer at all; on SQLite every transaction holds
the database's write lock (docs/decisions.md), so sending inside the issuing request would stop every other
writer meanwhile. So after the issue commits, a background thread with its own app context:

1. claims what to send in one short transaction (pending → sending, so a second thread or a retry sends
   nothing twice) and commits;
2. reads the files from the object store and talks to the mail server with no transaction open;
3. records each recipient's outcome (sent, failed with the server's answer, manual without an address) in a
   new short transaction.

Failed ones stay listed; the clerk sends them again (``retry``). Without SMTP settings they are listed for
manual dispatch (or the exchange network) straight away.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from flask import Flask, current_app
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import db, utcnow
from edoc.core.errors import NotAllowed
from edoc.documents import policy
from edoc.documents.models import OutgoingDocument, Recipient, RecipientKind, Status
from edoc.documents.recall import replaced_by
from edoc.files import sniff
from edoc.files.service import get_store
from edoc.realtime.events import emit_after_commit, user_room

log = logging.getLogger(__name__)
ISSUE, RECALL = "issue", "recall"
"""What is sent: the issued document, or the notice that it no longer stands. ``RECALL`` covers a recall and a
replacement alike (``Recipient.recall_notice``): the document's status when the notice is sent decides its
text, so a replacement that follows a recall tells both (the reason and the new number), and a notice sent
again after a failure tells the state as it is."""
NO_SMTP = "Chưa cấu hình máy chủ thư: gửi thủ công hoặc qua trục liên thông."
_THREADS = "edoc_dispatch_threads"


@dataclass
class Outgoing:
    """One e-mail to send, prepared in the claiming transaction."""

    recipient_id: int
    address: str
    subject: str
    text: str
    files: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(object key, SHA-256, file name in the e-mail, media type): read from the store with no transaction."""


def _status_column(kind: str) -> str:
    return "dispatch_status" if kind == ISSUE else "recall_notice"


def start(doc: OutgoingDocument, kind: str = ISSUE) -> threading.Thread | None:
    """After the commit: mark what has no way out, then send the rest in a background thread."""
    column = _status_column(kind)
    pending = [r for r in doc.recipients if r.kind == RecipientKind.EXTERNAL and getattr(r, column) == "pending"]
    if not pending:
        return None
    if not current_app.config["EDOC"].smtp_host:
        for r in pending:
            setattr(r, column, "manual")
            r.dispatch_note = _note(r.dispatch_note, NO_SMTP)
        db.session.commit()
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_run, args=(app, doc.id, kind), name=f"dispatch-{doc.id}", daemon=True)
    app.extensions.setdefault(_THREADS, []).append(thread)
    thread.start()
    return thread


def wait(app: Flask, timeout: float = 30) -> None:
    """Wait for the dispatch threads started so far (tests, benchmarks, shutting down)."""
    threads = app.extensions.get(_THREADS, [])
    for thread in list(threads):
        thread.join(timeout)
        if not thread.is_alive():
            threads.remove(thread)


def _note(old: str, new: str) -> str:
    """``new`` added to the recipient's notes once; what was noted before (a recall, a replacement) is kept."""
    if not old:
        return new
    return old if new in old else f"{old}\n{new}"


def _run(app: Flask, doc_id: int, kind: str) -> None:
    with app.app_context():
        try:
            messages = _claim(doc_id, kind)
            if not messages:
                return
            results = _send(messages)
            _record(doc_id, kind, results)
        except Exception:  # a background thread has no one to report to but the log
            log.exception("dispatch of document %s (%s) failed", doc_id, kind)
            db.session.rollback()
        finally:
            db.session.remove()


def _claim(doc_id: int, kind: str) -> list[Outgoing]:
    """Short transaction 1: take the pending recipients (pending → sending) and what to send them."""
    column = _status_column(kind)
    doc = db.session.get(OutgoingDocument, doc_id)
    if doc is None:
        return []
    rows = db.session.execute(
        select(Recipient).where(Recipient.document_id == doc_id, Recipient.kind == RecipientKind.EXTERNAL.value,
                                getattr(Recipient, column) == "pending").with_for_update()
    ).scalars().all()
    files = _files(doc) if kind == ISSUE else []
    messages = []
    for r in rows:
        address = r.contact.email if r.contact is not None else ""
        if not address:
            setattr(r, column, "manual")
            r.dispatch_note = _note(r.dispatch_note, "Nơi nhận chưa có địa chỉ e-mail: gửi thủ công.")
            continue
        setattr(r, column, "sending")
        messages.append(Outgoing(r.id, address, *_text(doc, kind), files=files))
    db.session.commit()
    return messages


def _files(doc: OutgoingDocument) -> list[tuple[str, str, str, str]]:
    """The issued PDF, then each attachment as issued (signed by the organisation) or as attached."""
    stem = doc.reference.replace("/", "-")
    files = []
    if doc.issued_file is not None:
        files.append((doc.issued_file.key, doc.issued_file.sha256, f"{stem}.pdf", sniff.PDF))
    for a in doc.attachments:
        row = a.issued_file or a.file
        name = f"{stem}-phu-luc-{a.position + 1}.pdf" if a.issued_file is not None else row.original_name
        files.append((row.key, row.sha256, name, row.media_type))
    return files


def _text(doc: OutgoingDocument, kind: str) -> tuple[str, str]:
    issued = f" ngày {doc.issued_on:%d/%m/%Y}" if doc.issued_on else ""
    if kind == RECALL and doc.status == Status.REPLACED.value:
        by = replaced_by(doc)
        new = "một văn bản mới"
        if by is not None:
            new = f"văn bản số {by.reference}" + (f" ngày {by.issued_on:%d/%m/%Y}" if by.issued_on else "")
        recalled = f"Văn bản đã bị thu hồi trước đó, lý do: {doc.recall_reason}\n" if doc.recall_reason else ""
        return (f"THAY THẾ văn bản số {doc.reference} bằng {new}: {doc.summary[:100]}",
                f"{doc.organisation.name} thay thế văn bản số {doc.reference}{issued} bằng {new}.\n"
                f"Trích yếu: {doc.summary}\n{recalled}Đề nghị thực hiện theo {new}.\n")
    if kind == RECALL:
        return (f"THU HỒI văn bản số {doc.reference}: {doc.summary[:120]}",
                f"{doc.organisation.name} thu hồi văn bản số {doc.reference}{issued}.\n"
                f"Trích yếu: {doc.summary}\nLý do thu hồi: {doc.recall_reason}\n"
                "Đề nghị không thực hiện và hủy văn bản đã nhận.\n")
    return (f"Văn bản số {doc.reference}: {doc.summary[:150]}",
            f"{doc.organisation.name} gửi văn bản số {doc.reference}{issued}.\nTrích yếu: {doc.summary}\n")


def _send(messages: list[Outgoing]) -> list[tuple[int, str, str]]:
    """No transaction is open here. One connection for all; each recipient's outcome on its own."""
    settings = current_app.config["EDOC"]
    host, port, sender = str(settings.smtp_host), int(settings.smtp_port), str(settings.smtp_sender)
    blobs: dict[str, bytes] = {}
    results: list[tuple[int, str, str]] = []
    try:
        with smtplib.SMTP(host, port, timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            for m in messages:
                email = EmailMessage()
                email["From"], email["To"], email["Subject"] = sender, m.address, m.subject
                email.set_content(m.text)
                for key, sha256, name, media_type in m.files:
                    if key not in blobs:
                        blobs[key] = get_store().read_bytes(key, expected_sha256=sha256)
                    maintype, _, subtype = media_type.partition("/")
                    email.add_attachment(blobs[key], maintype=maintype, subtype=subtype, filename=name)
                try:
                    smtp.send_message(email)
                except smtplib.SMTPException as exc:
                    results.append((m.recipient_id, "failed", f"Gửi e-mail lỗi: {exc}"))
                else:
                    results.append((m.recipient_id, "sent", f"Đã gửi tới {m.address}"))
    except (OSError, smtplib.SMTPException) as exc:
        done = {rid for rid, _, _ in results}
        results += [(m.recipient_id, "failed", f"Gửi e-mail lỗi: {exc}") for m in messages
                    if m.recipient_id not in done]
        log.warning("SMTP %s:%s: %s", host, port, exc)
    return results


def _record(doc_id: int, kind: str, results: list[tuple[int, str, str]]) -> None:
    """Short transaction 3: each recipient's outcome; the clerk's and the drafter's open pages are told."""
    column = _status_column(kind)
    now = utcnow()
    doc = db.session.get(OutgoingDocument, doc_id)
    for recipient_id, status, note in results:
        r = db.session.get(Recipient, recipient_id)
        if r is None:
            continue
        setattr(r, column, status)
        r.dispatch_note = _note(r.dispatch_note, note) if kind == RECALL else note
        if kind == ISSUE and status == "sent":
            r.dispatched_at = now
    if doc is not None:
        record("document.dispatch", doc, changes={"kind": kind, "results": {str(rid): s for rid, s, _ in results}})
        for uid in {doc.drafter_id, doc.issued_by_id} - {None}:
            emit_after_commit(db.session, "document.dispatch", {"document_id": doc_id}, room=user_room(uid))
    db.session.commit()


def retry(actor: User, doc: OutgoingDocument) -> int:
    """The clerk sends again to the external recipients whose e-mail failed; returns how many."""
    if not policy.can_dispatch(actor, doc):
        raise NotAllowed("Chỉ văn thư gửi lại văn bản đã ban hành.")
    count = 0
    for r in doc.recipients:
        if r.kind != RecipientKind.EXTERNAL:
            continue
        if r.dispatch_status == "failed":
            r.dispatch_status, count = "pending", count + 1
        if r.recall_notice == "failed":
            r.recall_notice, count = "pending", count + 1
    record("document.dispatch_retry", doc, actor=actor, changes={"recipients": count})
    return count
