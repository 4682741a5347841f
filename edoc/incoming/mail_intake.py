"""The e-mail channel: the poll job (``incoming.mail_poll``) takes new messages from each organisation's mailbox
and makes each PDF attachment an incoming document waiting in the clerk's queue, its fields pre-filled from the
PDF's text and signatures; the sender is acknowledged by e-mail (``edoc.incoming.mail_ack``).

Taken once, even if the job is killed and run again:

1. the message is read from the server (``BODY.PEEK[]``: not marked), its files checked and their signatures
   validated with no transaction open;
2. one transaction records the message (unique per mailbox, UIDVALIDITY and UID), its documents and the
   acknowledgement's job; a second run that finds the row takes nothing again (and a racing one fails on the
   unique key and rolls back, its stored files with it);
3. after the commit the message is flagged ``\\Seen $EdocTaken`` on the server. Killed between 2 and 3, the next
   run finds the row and only flags it.

Bad mail is recorded, not retried for ever: no PDF, files of other kinds (an executable), an unreadable or active-
content PDF, a message over the size limit (refused from its size, not downloaded), broken MIME. A mailbox that
cannot be reached (wrong password, server away) is logged and its error shown on the settings page; its mail stays
on the server and the next run tries again."""

from __future__ import annotations

import email
import email.policy
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.utils import getaddresses

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from edoc import jobs
from edoc.audit.service import record
from edoc.contacts.models import Contact
from edoc.core.clock import vietnam_time
from edoc.core.db import commit, db, end_read_transaction, utcnow
from edoc.core.errors import ValidationFailed
from edoc.core.text import clean
from edoc.files import sniff
from edoc.files.service import store_bytes
from edoc.incoming import intake, mail_ack
from edoc.incoming.imap import Mailbox, MailboxError
from edoc.incoming.mail_models import AckState, IncomingMail, IncomingMailbox, MailState
from edoc.incoming.mail_secret import settings_of
from edoc.incoming.models import Channel, IncomingDocument, IncomingStatus
from edoc.incoming.ocr import request_ocr
from edoc.incoming.service import Arrival, check_files, clerks_of, duplicate_key, link, title
from edoc.notifications.service import notify
from edoc.signatures.service import keep_report, refuse_active_content

log = logging.getLogger(__name__)
POLL_JOB = "incoming.mail_poll"
MAX_PER_RUN = 200
"""Messages taken per mailbox per run; a longer backlog is taken by the next runs (the job stays short)."""
BASE64_OVERHEAD = 1.4
"""A message carries its attachments in base64 (4 bytes for 3, plus line ends and headers)."""
_FAILING = re.compile(r"\b(dmarc|spf|dkim)\s*=\s*(fail|softfail|permerror)\b", re.IGNORECASE)


@dataclass
class Sender:
    email: str = ""
    name: str = ""
    trusted: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Parsed:
    message_id: str = ""
    subject: str = ""
    sender: Sender = field(default_factory=Sender)
    pdfs: list[intake.Part] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """One line per file or problem not taken, in Vietnamese."""


@dataclass
class Checked:
    """A message read and checked, before anything is written."""

    uid: int
    size: int
    parsed: Parsed
    arrivals: list[Arrival] = field(default_factory=list)
    state: str = MailState.TAKEN.value
    arrived: datetime | None = None
    """When it reached the mailbox (the server's INTERNALDATE): its documents' ngày đến, so mail that waited while
    the mailbox could not be reached keeps the day it came."""


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot even decode: treated as absent (the defect is noted)
        return ""
    return clean(str(value)) if value is not None else ""


def sender_of(message: Message) -> Sender:
    """The From address, and whether a reply may be sent to it. Not trusted: several From lines or addresses, no
    valid address, a display name showing another address ("ubnd@gov.vn" <x@elsewhere>), or the receiving
    server's Authentication-Results (the topmost, which it wrote) saying SPF, DKIM or DMARC failed."""
    found = Sender()
    try:
        values = [str(v) for v in message.get_all("From", [])]
    except Exception:
        values = []
    addresses = [(clean(n), clean(a).lower()) for n, a in getaddresses(values) if a]
    if len(values) != 1 or len(addresses) != 1:
        found.notes.append("Thư không có đúng một địa chỉ người gửi (From).")
        if addresses:
            found.name, found.email = addresses[0][0][:255], addresses[0][1][:255]
        return found
    name, address = addresses[0]
    found.name, found.email = name[:255], address[:255]
    if not re.match(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", address):
        found.notes.append(f"Địa chỉ người gửi “{address}” không hợp lệ.")
        return found
    shown = re.findall(r"[^@\s<>\"']+@[^@\s<>\"']+", name)
    if any(s.lower() != address for s in shown):
        found.notes.append(f"Tên hiển thị “{name}” ghi một địa chỉ khác với địa chỉ gửi thật {address}: có thể giả "
                           "mạo.")
        return found
    results = _header(message, "Authentication-Results")
    failing = sorted({m.group(1).upper() for m in _FAILING.finditer(results)})
    if failing:
        found.notes.append(f"Máy chủ thư báo người gửi không xác thực được ({', '.join(failing)} không đạt): có thể "
                           "giả mạo địa chỉ gửi.")
        return found
    found.trusted = True
    return found


def parse(raw: bytes, max_bytes: int) -> Parsed:
    """Read one message: its sender, subject, Message-ID and PDF attachments (recognised by their bytes, not their
    names); every other file, oversize file or unreadable part is listed as refused."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parsed = Parsed(message_id=_header(message, "Message-ID")[:255], subject=_header(message, "Subject")[:500])
    parsed.sender = sender_of(message)
    defects = list(getattr(message, "defects", []))
    for part in message.walk():
        if part.is_multipart():
            defects.extend(getattr(part, "defects", []))
            continue
        try:
            filename = part.get_filename() or ""
            disposition = part.get_content_disposition() or ""
        except Exception:
            filename, disposition = "", ""
        if not filename and disposition != "attachment" and part.get_content_maintype() == "text":
            continue  # the message's own text
        name = clean(filename)[:200] or "tep-dinh-kem"
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:
            data = b""
        defects.extend(getattr(part, "defects", []))
        if not data:
            parsed.refused.append(f"Tệp “{name}” rỗng hoặc không giải mã được.")
            continue
        if len(data) > max_bytes:
            parsed.refused.append(f"Tệp “{name}” quá lớn ({len(data) / 1e6:.1f} MB; tối đa {max_bytes / 1e6:.0f} MB).")
            continue
        if sniff.sniff(data[: sniff.HEAD_SIZE]) != sniff.PDF:
            parsed.refused.append(f"Tệp “{name}” không phải PDF: không nhận.")
            continue
        parsed.pdfs.append(intake.Part(name if name.lower().endswith(".pdf") else f"{name}.pdf", data))
    if defects and not parsed.pdfs:
        parsed.refused.append("Thư không đúng định dạng MIME, không đọc được tệp đính kèm.")
    return parsed


def check_message(organisation_id: int, uid: int, size: int, raw: bytes, max_bytes: int, *,
                  header_only: bool = False) -> Checked:
    """Everything about one message decided before any write: what it is, which files are taken (each checked
    and its signatures validated, as an upload is) and which refused. ``header_only``: a message too large to
    download, known by its header (so its sender can be told)."""
    parsed = parse(raw, max_bytes)
    if header_only:
        parsed.pdfs, parsed.refused = [], [f"Thư quá lớn ({size / 1e6:.1f} MB; tệp đính kèm tối đa "
                                           f"{max_bytes / 1e6:.0f} MB): không tải về."]
        return Checked(uid, size, parsed, state=MailState.REJECTED.value)
    checked = Checked(uid, size, parsed)
    for part in parsed.pdfs:
        try:
            refuse_active_content(io.BytesIO(part.data), part.name, field="file")
            checked.arrivals.append(check_files(organisation_id, [part]))
        except ValidationFailed as exc:
            parsed.refused.append(exc.message)
    if not checked.arrivals:
        checked.state = MailState.REJECTED.value
        if not parsed.refused:
            parsed.refused.append("Thư không có tệp PDF đính kèm.")
    return checked


def _checked_or_unreadable(organisation_id: int, uid: int, size: int, raw: bytes, max_bytes: int,
                           header_only: bool) -> Checked:
    """``check_message``, or a message recorded as unreadable when reading it fails in a way nobody foresaw: one
    such message must not stop the mailbox for ever (it would fail every run, before the mail behind it)."""
    try:
        return check_message(organisation_id, uid, size, raw, max_bytes, header_only=header_only)
    except Exception as exc:
        db.session.rollback()
        log.exception("incoming mail UID %s of organisation %s could not be read", uid, organisation_id)
        parsed = Parsed()
        try:
            parsed = parse(raw, max_bytes)
        except Exception:  # not even its header: recorded without a sender (nobody is told)
            parsed = Parsed()
        parsed.pdfs, parsed.refused = [], [f"Không đọc được thư ({type(exc).__name__}): đã ghi nhật ký lỗi."]
        return Checked(uid, size, parsed, state=MailState.REJECTED.value)


def _contact(organisation_id: int, address: str) -> Contact | None:
    if not address:
        return None
    return db.session.execute(select(Contact).where(
        Contact.organisation_id == organisation_id, func.lower(Contact.email) == address.lower())
        .order_by(Contact.id)).scalars().first()


def _make_document(box: IncomingMailbox, mail: IncomingMail, arrival: Arrival, sender: Sender, summary: str,
                   now: datetime) -> IncomingDocument:
    """One PDF of the message as a document waiting in the clerk's queue, filled from what it carries."""
    org_id = box.organisation_id
    signers = [s.signer for s in getattr(arrival.report, "signatures", [])]
    found = intake.suggest_fields(arrival.text, signers)
    received_on = vietnam_time(now).date()
    contact = _contact(org_id, sender.email) if sender.trusted else None
    sender_name = contact.name if contact is not None else (sender.name or sender.email or "Không rõ người gửi")
    original_date = found.date if found.date and found.date <= received_on else None
    doc = IncomingDocument(
        organisation_id=org_id, channel=Channel.EMAIL.value, status=IncomingStatus.RECEIVED.value,
        received_at=now, received_on=received_on, sender_name=sender_name[:255],
        sender_contact_id=contact.id if contact is not None else None, sender_email=sender.email,
        original_reference=found.reference[:64], original_date=original_date, signer_name=found.signer[:255],
        summary=summary, duplicate_key=duplicate_key(sender_name, found.reference, original_date), mail_id=mail.id)
    main = store_bytes(arrival.main.pdf, arrival.main.name, uploader=None, purpose="incoming", media_type=sniff.PDF,
                       organisation_id=org_id)
    doc.file_id = main.id
    doc.signature_verdict = arrival.verdict
    if arrival.report is not None:
        kept = keep_report(None, org_id, main, arrival.report, context="incoming")  # type: ignore[arg-type]
        db.session.flush()
        doc.validation_id = kept.id
    db.session.add(doc)
    db.session.flush()
    if intake.has_text(arrival.text):
        doc.text, doc.text_source = clean(arrival.text), "pdf"
    else:
        request_ocr(doc)
    record("incoming.arrive", doc, organisation_id=org_id, changes={
        "channel": "email", "mail_id": mail.id, "from": sender.email, "reference": doc.original_reference,
        "verdict": doc.signature_verdict})
    return doc


def record_message(box: IncomingMailbox, uidvalidity: int, checked: Checked) -> IncomingMail:
    """In the caller's transaction: the message's row, its documents, and the acknowledgement's job."""
    parsed, sender = checked.parsed, checked.parsed.sender
    mail = IncomingMail(organisation_id=box.organisation_id, mailbox_id=box.id, uidvalidity=uidvalidity,
                        uid=checked.uid, message_id=parsed.message_id, sender_email=sender.email,
                        sender_name=sender.name, sender_trusted=sender.trusted, subject=parsed.subject,
                        size=checked.size, state=checked.state, taken_at=utcnow())
    # ngày đến: when it reached the mailbox; never later than now (a server clock running ahead), now if unknown
    arrived = min(checked.arrived, mail.taken_at) if checked.arrived is not None else mail.taken_at
    if parsed.message_id and db.session.execute(select(IncomingMail.id).where(
            IncomingMail.mailbox_id == box.id, IncomingMail.message_id == parsed.message_id)).first():
        mail.state = MailState.DUPLICATE.value
        parsed.refused.insert(0, f"Thư trùng mã {parsed.message_id} với một thư đã nhận: không tạo văn bản lần nữa.")
    mail.note = "\n".join(sender.notes + parsed.refused)
    db.session.add(mail)
    db.session.flush()
    made: list[IncomingDocument] = []
    if mail.state == MailState.TAKEN:
        subject = parsed.subject or "Văn bản nhận qua thư điện tử"
        for arrival in checked.arrivals:
            summary = subject if len(checked.arrivals) == 1 else f"{subject} ({arrival.main.name})"
            made.append(_make_document(box, mail, arrival, sender, summary[:2000], arrived))
    mail.documents = len(made)
    record("incoming.mail", mail, organisation_id=box.organisation_id, changes={
        "uid": checked.uid, "uidvalidity": uidvalidity, "message_id": parsed.message_id, "from": sender.email,
        "trusted": sender.trusted, "state": mail.state, "documents": [d.id for d in made]})
    if sender.trusted and mail.state != MailState.DUPLICATE:
        mail.ack_state = AckState.PENDING.value
        mail_ack.ask(mail)
    for clerk in clerks_of(box.organisation_id):
        for doc in made:
            notify(clerk.id, "incoming", f"Văn bản đến qua thư điện tử: {title(doc)}", link(doc))
        if not made:
            notify(clerk.id, "incoming", f"Thư từ {sender.email or 'không rõ người gửi'} không nhận được: "
                   f"{(parsed.refused or ['không có tệp PDF'])[0]}", "/incoming/mailbox")
    return mail


def _taken(box_id: int, uidvalidity: int, uid: int) -> bool:
    return db.session.execute(select(IncomingMail.id).where(
        IncomingMail.mailbox_id == box_id, IncomingMail.uidvalidity == uidvalidity, IncomingMail.uid == uid)
    ).first() is not None


@dataclass
class PollResult:
    taken: int = 0
    rejected: int = 0
    flagged_again: int = 0
    error: str = ""


def poll(box_id: int) -> PollResult:
    """Take the new messages of one mailbox. A mailbox that cannot be used is recorded on its row and logged (not
    raised: the next run tries again, and other organisations' mailboxes are polled meanwhile)."""
    result = PollResult()
    box = db.session.get(IncomingMailbox, box_id)
    if box is None or not box.enabled:
        return result
    max_bytes = int(current_app.config["EDOC"].max_upload_mb) * 1024 * 1024
    try:
        settings = settings_of(box)
        end_read_transaction()  # no transaction held while the mail server talks
        with Mailbox(settings) as server:
            for uid in server.new_uids()[:MAX_PER_RUN]:
                if _taken(box_id, server.uidvalidity, uid):
                    end_read_transaction()
                    server.mark_taken(uid)  # recorded by a run that died before flagging it
                    result.flagged_again += 1
                    continue
                end_read_transaction()
                size, arrived = server.info(uid)
                too_large = size > max_bytes * BASE64_OVERHEAD
                raw = server.fetch(uid, header_only=too_large)
                checked = _checked_or_unreadable(box.organisation_id, uid, size, raw, max_bytes, too_large)
                checked.arrived = arrived
                box = db.session.get(IncomingMailbox, box_id)
                assert box is not None
                try:
                    mail = record_message(box, server.uidvalidity, checked)
                    commit()
                except IntegrityError:  # another run took it meanwhile
                    db.session.rollback()
                    continue
                server.mark_taken(uid)
                if mail.state == MailState.TAKEN:
                    result.taken += 1
                else:
                    result.rejected += 1
    except MailboxError as exc:
        db.session.rollback()
        result.error = exc.message
        log.warning("incoming mailbox %s (organisation %s): %s", box_id, getattr(box, "organisation_id", "?"),
                    exc.message)
    box = db.session.get(IncomingMailbox, box_id)
    if box is not None:
        box.last_polled_at = utcnow()
        box.last_error = result.error
        if not result.error:
            box.last_ok_at = box.last_polled_at
        commit()
    return result


def run(context: jobs.JobContext) -> jobs.Outcome:
    """The periodic poll of every enabled mailbox, or of one (``mailbox_id``: the clerk's "Nhận thư ngay")."""
    if "mailbox_id" in context.payload:
        ids = [int(context.payload["mailbox_id"])]
    else:
        ids = list(db.session.execute(select(IncomingMailbox.id).where(IncomingMailbox.enabled.is_(True))
                                      .order_by(IncomingMailbox.id)).scalars())
        end_read_transaction()
    lines, totals = [], PollResult()
    for box_id in ids:
        got = poll(box_id)
        totals.taken, totals.rejected = totals.taken + got.taken, totals.rejected + got.rejected
        if got.error:
            lines.append(f"hộp thư #{box_id}: {got.error}")
    text = f"Đã nhận {totals.taken} thư, không nhận {totals.rejected} thư."
    return jobs.Outcome(" ".join([text, *lines]), {"taken": totals.taken, "rejected": totals.rejected,
                                                    "errors": len(lines)})


jobs.periodic(POLL_JOB, run, minute="*/5")
