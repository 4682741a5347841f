"""A received edXML document becomes an incoming document (văn bản đến, waiting for the clerk to register it),
and the incoming document's progress goes back to its sender as status messages.

Exchange uses incoming, never the other way round: the arrival is made here with incoming's models, and the
statuses follow the incoming document's own changes through session hooks (registered → 03, directed and
assigned → 04, a progress report → 05, done → 06, returned to the sender → 02), queued in the transaction of the
change and sent by ``deliver`` (the API after its commit, ``edoc exchange poll`` for the rest).
"""

from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import db, utcnow
from edoc.core.errors import ValidationFailed
from edoc.exchange import edxml
from edoc.exchange.edxml import DocumentMessage
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.service import MessageRejected, on_document, queue_status
from edoc.files.service import store_bytes
from edoc.incoming import intake
from edoc.incoming.models import Channel, IncomingAttachment, IncomingDocument, IncomingStatus
from edoc.incoming.policy import SUBJECT
from edoc.incoming.service import clerks_of, duplicate_key, link, title
from edoc.notifications.service import notify
from edoc.organisations.models import Organisation
from edoc.registers.types import get_type
from edoc.tasks.models import Task

STATUS_OF = {IncomingStatus.REGISTERED.value: "03", IncomingStatus.IN_PROGRESS.value: "04",
             IncomingStatus.DONE.value: "06", IncomingStatus.RETURNED.value: "02"}


def check(message: DocumentMessage) -> tuple[intake.Prepared, list[tuple[edxml.Attachment, intake.Prepared]]]:
    """The message's files as incoming documents take them (the main PDF readable, attachments of accepted
    kinds), checked before anything is written; a refusal names the file."""
    pdfs = [a for a in message.attachments if a.content_type == "application/pdf" or a.name.lower().endswith(".pdf")]
    if not pdfs:
        raise MessageRejected("Gói tin không có tệp văn bản PDF.")
    main = pdfs[0]
    try:
        prepared = intake.prepare([intake.Part(main.name, main.data)])
        others = [(a, intake.prepare_attachment(intake.Part(a.name, a.data))) for a in message.attachments
                  if a is not main]
    except ValidationFailed as exc:
        raise MessageRejected(f"Tệp trong gói tin không hợp lệ: {exc.message}") from None
    return prepared, others


def make_incoming(kept: ExchangeMessage, message: DocumentMessage) -> int | None:
    """``exchange.service.on_document``: the received document, filled from the message, in the incoming queue."""
    if message.business != edxml.BUSINESS_NEW:
        return None  # a recall, update or replacement is kept and shown to the clerk, not a new arrival
    main, others = check(message)
    org = db.session.get(Organisation, kept.organisation_id)
    assert org is not None
    reference = f"{message.code_number}/{message.code_notation}" if message.code_notation else message.code_number
    sender = message.sender.name or message.sender.organ_id
    now = utcnow()
    text = intake.pdf_text(main.pdf)
    doc_type = get_type(message.type_code)
    arrived = IncomingDocument(
        organisation_id=org.id, channel=Channel.EDXML.value, status=IncomingStatus.RECEIVED.value, received_at=now,
        received_on=vietnam_time(now).date(), sender_name=sender[:255], original_reference=reference[:64],
        original_date=message.promulgation_date, type_code=message.type_code[:8] if doc_type else "",
        summary=message.subject, signer_name=message.signer_name[:255],
        urgency=edxml.URGENCY_OF_PRIORITY.get(message.priority, ""), pages=message.page_amount or None,
        duplicate_key=duplicate_key(sender, reference, message.promulgation_date),
        text=text if intake.has_text(text) else "", text_source="pdf" if intake.has_text(text) else "",
        ocr_status="" if intake.has_text(text) else "pending")
    arrived.file_id = store_bytes(main.pdf, main.name, uploader=None, purpose="incoming",
                                  media_type="application/pdf", organisation_id=org.id).id
    for source, other in others:
        copy = store_bytes(other.pdf, other.name, uploader=None, purpose="incoming",
                           media_type=source.content_type or "application/octet-stream", organisation_id=org.id)
        arrived.attachments.append(IncomingAttachment(file_id=copy.id, title=(source.description or other.name)[:255]))
    db.session.add(arrived)
    db.session.flush()
    record("incoming.arrive", arrived, organisation_id=org.id, changes={
        "channel": "edxml", "exchange_message_id": kept.id, "reference": reference})
    for clerk in clerks_of(org.id):
        notify(clerk.id, "incoming", f"Văn bản đến qua trục liên thông: {title(arrived)}", link(arrived))
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
    on_document(make_incoming)
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", _after_rollback)
