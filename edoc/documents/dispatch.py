"""Sending issued documents (and recall or replacement notices) to external recipients by e-mail, as a job.

The change that makes an e-mail due (issue, recall, a replacement's issue, the clerk's "send again") marks the
external recipients ``pending`` and writes the job's intent in the same transaction (``ask``); the job
(``documents.dispatch``, on ``edoc.jobs``) sends after the commit, in a worker or the web process's consumer.

Each recipient is one claimed effect, so the job can die anywhere and run again without sending twice:

1. claim the next recipient in a short transaction: ``pending`` → ``sending``, stamped with the attempt's claim
   token (a recipient ``sending`` under a token no running attempt holds was left by a dead one, and is taken
   again);
2. send it with no transaction open (one SMTP connection for the job, the store's files read once);
3. record its outcome (sent, failed with the server's answer) in another short transaction.

What is left: a worker killed after the mail server accepted a message (its 250) and before step 3 commits
(a few milliseconds) sends that one again on recovery. Every message carries a Message-ID made from the
recipient and the notice (``_message_id``), the same on both sends, so the receiving system can tell the copy.

A document recalled (or replaced) before its e-mail left is not sent: its pending recipients are marked
``cancelled``, and the job ends with that outcome. Without SMTP settings, recipients are listed for manual
dispatch (or the exchange network). Failed ones stay listed; the clerk sends them again (``retry``).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import or_, select

from edoc import jobs
from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import NotAllowed
from edoc.documents import policy
from edoc.documents.events import DOCUMENT_DISPATCH
from edoc.documents.models import OutgoingDocument, Recipient, RecipientKind, Status
from edoc.documents.recall import replaced_by
from edoc.files import sniff
from edoc.files.service import get_store
from edoc.notifications.mail import connect
from edoc.realtime.events import emit_after_commit, user_room

log = logging.getLogger(__name__)
ISSUE, RECALL = "issue", "recall"
"""What is sent: the issued document, or the notice that it no longer stands. ``RECALL`` covers a recall and a
replacement alike (``Recipient.recall_notice``): the document's status when the notice is sent decides its
text, so a replacement that follows a recall tells both (the reason and the new number), and a notice sent
again after a failure tells the state as it is."""
JOB = "documents.dispatch"
NO_SMTP = "Chưa cấu hình máy chủ thư: gửi thủ công hoặc qua trục liên thông."
NO_ADDRESS = "Nơi nhận chưa có địa chỉ e-mail: gửi thủ công."
CANCELLED = "Không gửi: văn bản đã bị thu hồi hoặc thay thế trước khi gửi."
RESENT = "Lần gửi trước bị gián đoạn (tiến trình gửi dừng giữa chừng): gửi lại cùng mã thư (Message-ID)."


@dataclass(frozen=True)
class _File:
    key: str
    sha256: str
    name: str
    media_type: str


def _column(kind: str) -> str:
    return "dispatch_status" if kind == ISSUE else "recall_notice"


def ask(doc: OutgoingDocument, kind: str = ISSUE) -> jobs.Job | None:
    """In the caller's transaction: the job that e-mails ``doc``'s external recipients marked pending for ``kind``
    (none if there are none). Sent once the transaction commits."""
    column = _column(kind)
    if not any(r.kind == RecipientKind.EXTERNAL and getattr(r, column) == "pending" for r in doc.recipients):
        return None
    return jobs.enqueue_after_commit(JOB, {"document_id": doc.id, "kind": kind})


def _note(old: str, new: str) -> str:
    """``new`` added to the recipient's notes once; what was noted before (a recall, a replacement) is kept."""
    if not old:
        return new
    return old if new in old else f"{old}\n{new}"


@jobs.handler(JOB)
def run(context: jobs.JobContext) -> jobs.Outcome:
    doc_id, kind = int(context.payload["document_id"]), str(context.payload["kind"])
    column = _column(kind)
    doc = db.session.get(OutgoingDocument, doc_id)
    if doc is None:
        return jobs.Outcome(f"Văn bản #{doc_id} không còn: không gửi gì.")
    if kind == ISSUE and doc.status_enum is not Status.ISSUED:
        return _cancel(doc, kind, column)
    if not current_app.config["EDOC"].smtp_host:
        count = _mark(doc, column, ("pending",), "manual", NO_SMTP)
        return jobs.Outcome(f"{NO_SMTP} ({count} nơi nhận)")
    subject, text = _text(doc, kind)
    files = _files(doc) if kind == ISSUE else []
    commit()  # nothing is held open while the mail server talks
    sent = failed = 0
    with _Mailer(files) as mailer:
        while True:
            claimed = _claim_next(doc_id, kind, column, context.token)
            if claimed is None:
                break
            recipient_id, address, again = claimed
            status, note = mailer.send(address, subject, text, _message_id(doc_id, kind, recipient_id))
            _record(doc_id, kind, column, recipient_id, status, f"{RESENT}\n{note}" if again else note)
            sent, failed = sent + (status == "sent"), failed + (status == "failed")
    return jobs.Outcome(f"Đã gửi {sent}, lỗi {failed}.")


def _cancel(doc: OutgoingDocument, kind: str, column: str) -> jobs.Outcome:
    """The document no longer stands as issued: its pending e-mails are not sent (nor their recall notices,
    for a recipient that never got the document)."""
    count = _mark(doc, column, ("pending",), "cancelled", CANCELLED)
    for r in doc.recipients:
        if r.kind == RecipientKind.EXTERNAL and r.dispatch_status == "cancelled" and r.recall_notice == "pending":
            r.recall_notice = "cancelled"
    record("document.dispatch", doc, changes={"kind": kind, "cancelled": count, "status": doc.status})
    commit()
    return jobs.Outcome(f"Văn bản đã bị thu hồi hoặc thay thế trước khi gửi: không gửi e-mail ({count} nơi nhận).")


def _mark(doc: OutgoingDocument, column: str, among: tuple[str, ...], status: str, note: str) -> int:
    rows = db.session.execute(select(Recipient).where(
        Recipient.document_id == doc.id, Recipient.kind == RecipientKind.EXTERNAL.value,
        getattr(Recipient, column).in_(among)).with_for_update()).scalars().all()
    for r in rows:
        setattr(r, column, status)
        r.dispatch_note = _note(r.dispatch_note, note)
    commit()
    return len(rows)


def _claim_next(doc_id: int, kind: str, column: str, token: str) -> tuple[int, str, bool] | None:
    """Short transaction: the next recipient to send to, stamped ``sending`` with this attempt's token; one
    left ``sending`` by an attempt no longer running is taken again (the third value says so)."""
    state = getattr(Recipient, column)
    running = select(jobs.Job.claimed_by).where(jobs.Job.status == jobs.RUNNING)
    while True:
        row = db.session.execute(select(Recipient).where(
            Recipient.document_id == doc_id, Recipient.kind == RecipientKind.EXTERNAL.value,
            or_(state == "pending", (state == "sending") & Recipient.dispatch_claim.not_in(running)))
            .order_by(Recipient.id).limit(1).with_for_update(skip_locked=True)).scalar_one_or_none()
        if row is None:
            commit()
            return None
        if kind == RECALL and row.dispatch_status in {"pending", "cancelled"}:
            row.recall_notice = "cancelled"  # it never had the document: nothing to withdraw
            commit()
            continue
        again = getattr(row, column) == "sending"
        address = row.contact.email if row.contact is not None else ""
        if not address:
            setattr(row, column, "manual")
            row.dispatch_note = _note(row.dispatch_note, NO_ADDRESS)
            commit()
            continue
        setattr(row, column, "sending")
        row.dispatch_claim = token
        claimed = row.id, address, again  # read before the commit expires the row: a reload would open a transaction
        commit()
        return claimed


def _record(doc_id: int, kind: str, column: str, recipient_id: int, status: str, note: str) -> None:
    """Short transaction: one recipient's outcome; the clerk's and the drafter's open pages are told."""
    r = db.session.get(Recipient, recipient_id)
    doc = db.session.get(OutgoingDocument, doc_id)
    if r is None or doc is None:
        db.session.rollback()
        return
    setattr(r, column, status)
    r.dispatch_claim = ""
    r.dispatch_note = _note(r.dispatch_note, note) if kind == RECALL else note
    if kind == ISSUE and status == "sent":
        r.dispatched_at = utcnow()
    record("document.dispatch", doc, changes={"kind": kind, "recipient": recipient_id, "status": status})
    for uid in {doc.drafter_id, doc.issued_by_id} - {None}:
        emit_after_commit(db.session, DOCUMENT_DISPATCH, {"document_id": doc_id}, room=user_room(uid))
    commit()


def _message_id(doc_id: int, kind: str, recipient_id: int) -> str:
    """The same for every send of one notice to one recipient: a copy sent again after a crash is recognisable."""
    domain = current_app.config["EDOC"].smtp_sender.rpartition("@")[2] or "edoc.local"
    return f"<edoc.{doc_id}.{kind}.{recipient_id}@{domain}>"


class _Mailer:
    """One SMTP connection for a job's messages, opened at the first; a connection that fails fails the rest."""

    def __init__(self, files: list[_File]) -> None:
        self.files = files
        self.blobs: dict[str, bytes] = {}
        self.smtp: smtplib.SMTP | None = None
        self.broken: str | None = None

    def __enter__(self) -> _Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()

    def _connect(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.smtp = connect(current_app.config["EDOC"])
        return self.smtp

    def send(self, address: str, subject: str, text: str, message_id: str) -> tuple[str, str]:
        if self.broken is not None:
            return "failed", self.broken
        settings = current_app.config["EDOC"]
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = settings.smtp_sender, address, subject
        email["Message-ID"] = message_id or make_msgid()
        email.set_content(text)
        try:
            for f in self.files:
                if f.key not in self.blobs:
                    self.blobs[f.key] = get_store().read_bytes(f.key, expected_sha256=f.sha256)
                maintype, _, subtype = f.media_type.partition("/")
                email.add_attachment(self.blobs[f.key], maintype=maintype, subtype=subtype, filename=f.name)
            self._connect().send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            return "failed", f"Gửi e-mail lỗi: {exc}"
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("SMTP %s:%s: %s", settings.smtp_host, settings.smtp_port, exc)
            self.broken = f"Gửi e-mail lỗi: {exc}"
            if self.smtp is not None:
                self.smtp.close()
                self.smtp = None
            return "failed", self.broken
        return "sent", f"Đã gửi tới {address}"


def _files(doc: OutgoingDocument) -> list[_File]:
    """The issued PDF, then each attachment as issued (signed by the organisation) or as attached."""
    stem = doc.reference.replace("/", "-")
    files = []
    if doc.issued_file is not None:
        files.append(_File(doc.issued_file.key, doc.issued_file.sha256, f"{stem}.pdf", sniff.PDF))
    for a in doc.attachments:
        row = a.issued_file or a.file
        name = f"{stem}-phu-luc-{a.position + 1}.pdf" if a.issued_file is not None else row.original_name
        files.append(_File(row.key, row.sha256, name, row.media_type))
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


def retry(actor: User, doc: OutgoingDocument) -> int:
    """The clerk sends again to the external recipients whose e-mail failed, in the caller's transaction (the
    jobs are asked with it); returns how many."""
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
    ask(doc, ISSUE)
    ask(doc, RECALL)
    return count
