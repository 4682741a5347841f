"""A received edXML document becomes an incoming document (văn bản đến, waiting for the clerk to register it),
and the incoming document's progress goes back to its sender as status messages.

Exchange uses incoming, never the other way round: the arrival is made here with incoming's models, and the
statuses follow the incoming document's own changes through session hooks (registered → 03, directed and
assigned → 04, a progress report → 05, done → 06, returned to the sender → 02), queued in the transaction of the
change and sent by ``deliver`` (the API after its commit, ``edoc exchange poll`` for the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

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
from signing.validate import ValidationReport

STATUS_OF = {IncomingStatus.REGISTERED.value: "03", IncomingStatus.IN_PROGRESS.value: "04",
             IncomingStatus.DONE.value: "06", IncomingStatus.RETURNED.value: "02"}


@dataclass
class Checked:
    """A received document message's files as incoming documents take them, with their signatures validated
    against the receiving organisation's trust store; nothing written yet."""

    arrival: Arrival
    """The main PDF (``check_files``: readable, its signatures validated, its text) and the attachments."""
    sources: list[edxml.Attachment]
    """The message's attachments, in the order of ``arrival.attachments``."""
    attachment_reports: list[tuple[int, ValidationReport]]
    """(index in ``arrival.attachments``, report) of each signed attachment."""
    verdict: str
    """The main file's verdict, made ``invalid`` by any signed attachment that is not valid."""


def check(organisation_id: int, message: DocumentMessage) -> Checked | None:
    """``exchange.service.on_document``: the message's files as incoming checks an upload (the main PDF
    readable, attachments of accepted kinds) and every signed PDF in it validated, before anything is written; a
    refusal names the file. A recall carries no files to take: None."""
    if message.business == edxml.BUSINESS_RECALL:
        return None
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
    return Checked(arrival, sources, reports, verdict)


def _store(org: Organisation, doc: IncomingDocument, checked: Checked) -> None:
    """The checked files stored as ``doc``'s, each signed one's validation report kept with it, the verdict and
    text set (a scan without text goes to OCR once this commits)."""
    arrival = checked.arrival
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


def make_incoming(kept: ExchangeMessage, message: DocumentMessage, checked: object) -> int | None:
    """``exchange.service.on_document``: the received document, filled from the message, in the incoming queue."""
    if message.business != edxml.BUSINESS_NEW:
        return None  # a recall, update or replacement is kept and shown to the clerk, not a new arrival
    assert isinstance(checked, Checked)
    org = db.session.get(Organisation, kept.organisation_id)
    assert org is not None
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
        "verdict": arrived.signature_verdict})
    flag = (" — chữ ký số không hợp lệ hoặc không tin cậy, kiểm tra trước khi vào sổ"
            if arrived.signature_verdict == "invalid" else "")
    for clerk in clerks_of(org.id):
        notify(clerk.id, "incoming", f"Văn bản đến qua trục liên thông: {title(arrived)}{flag}", link(arrived))
    return arrived.id


def _source_of(incoming_id: int) -> ExchangeMessage | None:
    return db.session.execute(select(ExchangeMessage).where(
        ExchangeMessage.incoming_document_id == incoming_id, ExchangeMessage.direction == "in")).scalar_one_or_none()


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
        source = _source_of(incoming_id)
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
    on_document(check, make_incoming)
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", _after_rollback)
