"""A received edXML document becomes an incoming document (văn bản đến, waiting for the clerk to register it),
and the incoming document's progress goes back to its sender as status messages.

Exchange uses incoming, never the other way round: the arrival is made here with incoming's models, and the
statuses follow the incoming document's own changes through session hooks (registered → 03, directed and
assigned → 04, a progress report → 05, done → 06, returned to the sender → 02), queued in the transaction of the
change and sent by ``deliver`` (the API after its commit, ``edoc exchange poll`` for the rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import db, utcnow
from edoc.core.errors import ValidationFailed
from edoc.core.text import clean
from edoc.exchange import edxml
from edoc.exchange.edxml import DocumentMessage
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.service import MessageRejected, on_document, queue_status
from edoc.files.service import store_bytes
from edoc.incoming import intake
from edoc.incoming.models import Channel, IncomingAttachment, IncomingDocument, IncomingStatus
from edoc.incoming.ocr import request_ocr
from edoc.incoming.policy import SUBJECT
from edoc.incoming.service import Arrival, check_files, clerks_of, duplicate_key, link, title
from edoc.notifications.service import notify
from edoc.organisations.models import Organisation
from edoc.registers.types import get_type
from edoc.signatures.service import keep_report, validate_bytes
from edoc.tasks.models import Task
from edoc.tasks.service import tasks_of_subject
from signing.validate import ValidationReport

STATUS_OF = {IncomingStatus.REGISTERED.value: "03", IncomingStatus.IN_PROGRESS.value: "04",
             IncomingStatus.DONE.value: "06", IncomingStatus.RETURNED.value: "02"}


@dataclass
class Checked:
    """A received document message checked with nothing written yet: its files as incoming documents take them,
    every signed PDF validated against the receiving organisation's trust store, and for a recall, update or
    replacement the earlier arrival it concerns."""

    arrival: Arrival | None
    """The main PDF (``check_files``: readable, its signatures validated, its text) and the attachments; None for
    a recall (it carries no document to take)."""
    sources: list[edxml.Attachment]
    """The message's attachments, in the order of ``arrival.attachments``."""
    attachment_reports: list[tuple[int, ValidationReport]]
    """(index in ``arrival.attachments``, report) of each signed attachment."""
    verdict: str
    """The main file's verdict, made ``invalid`` by any signed attachment that is not valid."""
    earlier_id: int | None = None
    """The arrival a recall or update applies to, or a replacement replaces."""


ACTION = {edxml.BUSINESS_RECALL: "thu hồi", edxml.BUSINESS_UPDATE: "cập nhật", edxml.BUSINESS_REPLACE: "thay thế"}


def _code_and_date(document_id: str) -> tuple[str, date | None]:
    """``{OrganId},{YYYY/MM/DD},{số}/{ký hiệu}`` → (số/ký hiệu, date)."""
    parts = document_id.split(",", 2)
    if len(parts) < 3:
        return "", None
    try:
        return parts[2], edxml.parse_date(parts[1], "PromulgationDate")
    except edxml.EdxmlError:
        return parts[2], None


def earlier_arrival(organisation_id: int, message: DocumentMessage, document_id: str) -> int:
    """The arrival of this organisation that came as the message ``document_id`` names: found by that DocumentId,
    else by the số/ký hiệu and date it carries among the edXML arrivals. It must have come from the same sender
    (a recall or update in another agency's name is refused). MessageRejected when there is none."""
    action = ACTION[message.business]
    source = db.session.execute(select(ExchangeMessage).where(
        ExchangeMessage.organisation_id == organisation_id, ExchangeMessage.direction == "in",
        ExchangeMessage.kind == "document", ExchangeMessage.incoming_document_id.is_not(None),
        ExchangeMessage.business.in_([edxml.BUSINESS_NEW, edxml.BUSINESS_REPLACE]),
        ExchangeMessage.edxml_document_id == document_id).order_by(ExchangeMessage.id.desc())).scalars().first()
    code, day = _code_and_date(document_id)
    if source is None and code and day is not None:
        arrival_id = db.session.execute(select(IncomingDocument.id).where(
            IncomingDocument.organisation_id == organisation_id, IncomingDocument.channel == Channel.EDXML.value,
            IncomingDocument.original_reference == code, IncomingDocument.original_date == day)
            .order_by(IncomingDocument.id.desc())).scalars().first()
        source = source_of(arrival_id) if arrival_id is not None else None
    if source is None or source.incoming_document_id is None:
        raise MessageRejected(f"Không tìm thấy văn bản đến {code or document_id}"
                              f"{f' ngày {day:%d/%m/%Y}' if day else ''} nhận qua trục liên thông để {action}: "
                              f"gói tin {action} không được nhận.")
    if source.peer_organ_id != message.sender.organ_id:
        raise MessageRejected(f"Gói tin {action} văn bản {code or document_id} đến từ {message.sender.organ_id}, "
                              f"nhưng văn bản đó do {source.peer_organ_id} gửi: nơi gửi không khớp, không nhận.")
    return source.incoming_document_id


def check(organisation_id: int, message: DocumentMessage) -> Checked:
    """``exchange.service.on_document``: the message's files as incoming checks an upload (the main PDF
    readable, attachments of accepted kinds) and every signed PDF in it validated, and the arrival a recall,
    update or replacement concerns found, before anything is written; a refusal says which file or document."""
    earlier_id = None
    if message.business in {edxml.BUSINESS_RECALL, edxml.BUSINESS_UPDATE}:
        earlier_id = earlier_arrival(organisation_id, message, message.document_id)
    elif message.business == edxml.BUSINESS_REPLACE and message.replaces:
        earlier_id = earlier_arrival(organisation_id, message, message.replaces[0])
    if message.business == edxml.BUSINESS_RECALL:
        return Checked(None, [], [], "", earlier_id)
    pdfs = [a for a in message.attachments if a.content_type == "application/pdf" or a.name.lower().endswith(".pdf")]
    if not pdfs:
        raise MessageRejected("Gói tin không có tệp văn bản PDF.")
    main = pdfs[0]
    sources = [a for a in message.attachments if a is not main and a.data]
    try:
        arrival = check_files(organisation_id, [intake.Part(main.name, main.data)],
                              [intake.Part(a.name, a.data) for a in sources])
    except ValidationFailed as exc:
        raise MessageRejected(f"Tệp trong gói tin không hợp lệ: {exc.message}") from None
    reports: list[tuple[int, ValidationReport]] = []
    verdict = arrival.verdict
    for index, prepared in enumerate(arrival.attachments):
        if prepared.broken:
            verdict = "invalid"
        if not prepared.signed:
            continue
        try:
            report = validate_bytes(organisation_id, prepared.pdf)
        except ValidationFailed:
            verdict = "invalid"  # signature structures that cannot even be read: flagged, as a broken one
            continue
        reports.append((index, report))
        if report.verdict != "valid":
            verdict = "invalid"
    return Checked(arrival, sources, reports, verdict, earlier_id)


def _store(org: Organisation, doc: IncomingDocument, checked: Checked) -> None:
    """The checked files stored as ``doc``'s, each signed one's validation report kept with it, the verdict and
    text set (a scan without text goes to OCR once this commits)."""
    arrival = checked.arrival
    assert arrival is not None
    main = store_bytes(arrival.main.pdf, arrival.main.name, uploader=None, purpose="incoming",
                       media_type="application/pdf", organisation_id=org.id)
    doc.file_id = main.id
    stored = []
    for source, other in zip(checked.sources, arrival.attachments, strict=True):
        copy = store_bytes(other.pdf, other.name, uploader=None, purpose="incoming",
                           media_type=source.content_type or "application/octet-stream", organisation_id=org.id)
        stored.append(copy)
        doc.attachments.append(IncomingAttachment(file_id=copy.id, title=(source.description or other.name)[:255]))
    if arrival.report is not None:
        kept = keep_report(None, org.id, main, arrival.report, context="incoming")  # type: ignore[arg-type]
        db.session.flush()
        doc.validation_id = kept.id
    for index, report in checked.attachment_reports:
        keep_report(None, org.id, stored[index], report, context="incoming")
    doc.signature_verdict = checked.verdict
    if intake.has_text(arrival.text):
        doc.text, doc.text_source, doc.ocr_status = clean(arrival.text), "pdf", ""
    else:
        doc.text, doc.text_source = "", ""
        request_ocr(doc)


def handlers_of(doc: IncomingDocument) -> set[int]:
    """Who has the arrival in hand: the clerks, whoever registered, was presented, directed it, and the people
    its tasks are assigned to."""
    people = {c.id for c in clerks_of(doc.organisation_id)}
    people |= {u for u in (doc.registered_by_id, doc.presented_to_id, doc.directed_by_id) if u}
    people |= {t.user_id for t in tasks_of_subject(SUBJECT, doc.id) if t.user_id}
    return people


def take_document(kept: ExchangeMessage, message: DocumentMessage, checked: object) -> int | None:
    """``exchange.service.on_document``: a new document (0) or a replacement (3) becomes an arrival in the
    incoming queue, filled from the message (a replacement linked to the arrival it replaces); a recall (1) or an
    update (2) is applied to the earlier arrival. Returns the arrival concerned."""
    assert isinstance(checked, Checked)
    org = db.session.get(Organisation, kept.organisation_id)
    assert org is not None
    earlier = db.session.get(IncomingDocument, checked.earlier_id) if checked.earlier_id else None
    if message.business == edxml.BUSINESS_RECALL:
        assert earlier is not None
        return _recall(kept, message, earlier)
    if message.business == edxml.BUSINESS_UPDATE:
        assert earlier is not None
        return _update(org, kept, message, earlier, checked)
    arrived = _arrive(org, kept, message, checked)
    if earlier is not None:
        arrived.replaces_id = earlier.id
        record("incoming.replaced", earlier, organisation_id=org.id, changes={
            "by": arrived.id, "exchange_message_id": kept.id, "reason": message.business_reason})
        for user_id in handlers_of(earlier) - {c.id for c in clerks_of(org.id)}:
            notify(user_id, "incoming", f"{title(earlier)} đã được nơi gửi thay thế bằng văn bản "
                   f"{arrived.original_reference}", link(arrived))
    return arrived.id


def _arrive(org: Organisation, kept: ExchangeMessage, message: DocumentMessage, checked: Checked
            ) -> IncomingDocument:
    reference = f"{message.code_number}/{message.code_notation}" if message.code_notation else message.code_number
    sender = message.sender.name or message.sender.organ_id
    now = utcnow()
    doc_type = get_type(message.type_code)
    arrived = IncomingDocument(
        organisation_id=org.id, channel=Channel.EDXML.value, status=IncomingStatus.RECEIVED.value, received_at=now,
        received_on=vietnam_time(now).date(), sender_name=sender[:255], original_reference=reference[:64],
        original_date=message.promulgation_date, type_code=message.type_code[:8] if doc_type else "",
        summary=message.subject, signer_name=message.signer_name[:255],
        urgency=edxml.URGENCY_OF_PRIORITY.get(message.priority, ""), pages=message.page_amount or None,
        duplicate_key=duplicate_key(sender, reference, message.promulgation_date))
    db.session.add(arrived)
    _store(org, arrived, checked)
    db.session.flush()
    record("incoming.arrive", arrived, organisation_id=org.id, changes={
        "channel": "edxml", "exchange_message_id": kept.id, "reference": reference,
        "verdict": arrived.signature_verdict, "business": message.business})
    flag = (" — chữ ký số không hợp lệ hoặc không tin cậy, kiểm tra trước khi vào sổ"
            if arrived.signature_verdict == "invalid" else "")
    if kept.signature == "untrusted":
        flag += " — chữ ký số của gói tin không được tin cậy"
    what = "Văn bản thay thế" if message.business == edxml.BUSINESS_REPLACE else "Văn bản đến"
    for clerk in clerks_of(org.id):
        notify(clerk.id, "incoming", f"{what} qua trục liên thông: {title(arrived)}{flag}", link(arrived))
    return arrived


def _recall(kept: ExchangeMessage, message: DocumentMessage, doc: IncomingDocument) -> int:
    """The sender recalled it: marked recalled with the sender's reason (its số đến, if taken, stays in the
    register), and everyone who has it in hand told."""
    reason = message.business_reason if message.business_reason != edxml.BUSINESS_LABELS[1] else ""
    doc.status, doc.recall_reason, doc.recalled_at = IncomingStatus.RECALLED.value, reason, utcnow()
    record("incoming.recall", doc, organisation_id=doc.organisation_id, changes={
        "reason": reason, "exchange_message_id": kept.id, "sender": message.sender.organ_id})
    text = f"Nơi gửi đã thu hồi {title(doc)}" + (f". Lý do: {reason}" if reason else "")
    for user_id in handlers_of(doc):
        notify(user_id, "incoming", text[:500], link(doc))
    return doc.id


def _update(org: Organisation, kept: ExchangeMessage, message: DocumentMessage, doc: IncomingDocument,
            checked: Checked) -> int:
    """The sender updated it: its files are the message's from now on (the previous ones stay in the store,
    named in the audit entry, and the earlier message keeps them whole), validated again; while it waits for
    registration its fields follow the message too (once registered, they are the register's)."""
    before = {"file_id": doc.file_id, "attachments": [a.file_id for a in doc.attachments],
              "verdict": doc.signature_verdict}
    for attachment in list(doc.attachments):
        doc.attachments.remove(attachment)
        db.session.delete(attachment)
    doc.validation_id = None
    _store(org, doc, checked)
    if doc.status == IncomingStatus.RECEIVED.value:
        doc.summary, doc.signer_name = message.subject, message.signer_name[:255]
        doc.urgency = edxml.URGENCY_OF_PRIORITY.get(message.priority, "")
    record("incoming.update", doc, organisation_id=org.id, changes={
        "before": before, "file_id": doc.file_id, "attachments": [a.file_id for a in doc.attachments],
        "verdict": doc.signature_verdict, "exchange_message_id": kept.id, "reason": message.business_reason})
    text = f"Nơi gửi đã cập nhật tệp của {title(doc)}" + (
        f" ({message.business_reason})" if message.business_reason != edxml.BUSINESS_LABELS[2] else "")
    for user_id in handlers_of(doc):
        notify(user_id, "incoming", text[:500], link(doc))
    return doc.id


def source_of(incoming_id: int) -> ExchangeMessage | None:
    """The message an arrival came as (not the recalls or updates applied to it later)."""
    return db.session.execute(select(ExchangeMessage).where(
        ExchangeMessage.incoming_document_id == incoming_id, ExchangeMessage.direction == "in",
        ExchangeMessage.business.in_([edxml.BUSINESS_NEW, edxml.BUSINESS_REPLACE]))
        .order_by(ExchangeMessage.id)).scalars().first()


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    wanted: list[tuple[int, str]] = []
    for obj in session.dirty:
        if isinstance(obj, IncomingDocument) and obj.channel == Channel.EDXML.value:
            history = inspect(obj).attrs.status.history
            if history.has_changes() and obj.status in STATUS_OF:
                wanted.append((obj.id, STATUS_OF[obj.status]))
        elif isinstance(obj, Task) and obj.subject_kind == SUBJECT and obj.progress > 0:
            if inspect(obj).attrs.progress.history.has_changes():
                wanted.append((obj.subject_id, "05"))
    if wanted:
        session.info.setdefault("edoc_exchange_statuses", []).extend(wanted)


def _before_commit(session: Session) -> None:
    wanted = session.info.pop("edoc_exchange_statuses", [])
    for incoming_id, code in wanted:
        source = source_of(incoming_id)
        if source is None:
            continue
        org = db.session.get(Organisation, source.organisation_id)
        assert org is not None
        doc = db.session.get(IncomingDocument, incoming_id)
        note = doc.return_reason if code == "02" and doc is not None else ""
        queue_status(org, source, code, description=note)


def _after_rollback(session: Session) -> None:
    session.info.pop("edoc_exchange_statuses", None)


def install() -> None:
    on_document(check, take_document)
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", _after_rollback)
