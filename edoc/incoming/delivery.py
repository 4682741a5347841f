"""Same-installation delivery: an outgoing document issued to an organisation that uses this installation arrives
in that organisation's incoming queue in the issue's own transaction, its fields filled from the issued document
(nothing to type), its files copied into the receiving organisation's (each organisation's files are its own).

A recipient is another organisation on the installation when its directory entry's mã định danh (edXML OrganId)
is that organisation's. Its line in the sender's Nơi nhận is marked delivered (no e-mail is sent); registering it
acknowledges receipt to the sender's clerks (Article 21.2.c)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import commit, db, utcnow
from edoc.documents import hooks
from edoc.documents.models import OutgoingDocument, RecipientKind
from edoc.files import sniff
from edoc.files.service import read_verified, store_bytes
from edoc.incoming import intake, policy, service
from edoc.incoming.models import Channel, IncomingAttachment, IncomingDocument, IncomingStatus
from edoc.incoming.ocr import request_ocr
from edoc.incoming.service import clerks_of, duplicate_key, link, title
from edoc.notifications.service import notify
from edoc.organisations.models import Organisation
from edoc.signatures.service import keep_report, validate_bytes

log = logging.getLogger(__name__)


def _receivers(doc: OutgoingDocument) -> list[tuple[int, Organisation]]:
    """(recipient id, organisation on this installation) for each external recipient that is one."""
    found: list[tuple[int, Organisation]] = []
    for recipient in doc.recipients:
        if recipient.kind != RecipientKind.EXTERNAL or recipient.contact is None or not recipient.contact.organ_id:
            continue
        org = db.session.execute(select(Organisation).where(
            Organisation.organ_id == recipient.contact.organ_id, Organisation.id != doc.organisation_id)
        ).scalars().first()
        if org is not None:
            found.append((recipient.id, org))
    return found


def deliver_issued(doc: OutgoingDocument) -> None:
    """``documents.hooks`` on_issue: one incoming document per receiving organisation (twice named, once
    delivered), waiting for its clerk to register it."""
    receivers = _receivers(doc)
    if not receivers:
        return
    source = doc.issued_file
    pdf = read_verified(source) if source is not None else None
    text = intake.pdf_text(pdf) if pdf else ""
    issued_at = doc.issued_at or utcnow()
    done: set[int] = set()
    for recipient_id, org in receivers:
        recipient = next(r for r in doc.recipients if r.id == recipient_id)
        recipient.dispatch_status, recipient.dispatched_at = "delivered", issued_at
        recipient.dispatch_note = f"Đã chuyển trên hệ thống tới {org.name}"
        if org.id in done or db.session.execute(select(IncomingDocument.id).where(
                IncomingDocument.organisation_id == org.id, IncomingDocument.source_document_id == doc.id)).first():
            continue
        done.add(org.id)
        arrived = IncomingDocument(
            organisation_id=org.id, channel=Channel.INTERNAL.value, status=IncomingStatus.RECEIVED.value,
            received_at=issued_at, received_on=vietnam_time(issued_at).date(), sender_name=doc.organisation.name,
            sender_organisation_id=doc.organisation_id, sender_email=doc.organisation.email,
            original_reference=doc.reference, original_date=doc.issued_on, type_code=doc.type_code,
            summary=doc.summary, signer_name=doc.signer.full_name if doc.signer else "", secrecy=doc.secrecy,
            urgency=doc.urgency, source_document_id=doc.id,
            duplicate_key=duplicate_key(doc.organisation.name, doc.reference, doc.issued_on))
        if pdf is not None:
            arrived.file_id = store_bytes(pdf, f"{doc.reference.replace('/', '-')}.pdf", uploader=None,
                                          purpose="incoming", media_type=sniff.PDF, organisation_id=org.id).id
            if intake.has_text(text):
                arrived.text, arrived.text_source = text, "pdf"
        for attachment in doc.attachments:
            file = attachment.issued_file or attachment.file
            copy = store_bytes(read_verified(file), file.original_name, uploader=None, purpose="incoming",
                               media_type=file.media_type, organisation_id=org.id)
            arrived.attachments.append(IncomingAttachment(file_id=copy.id, title=attachment.title[:255]))
        db.session.add(arrived)
        db.session.flush()
        if arrived.file_id is not None and not arrived.text:
            request_ocr(arrived)
        record("incoming.arrive", arrived, organisation_id=org.id,
               changes={"channel": "internal", "source_document_id": doc.id, "reference": doc.reference})
        for clerk in clerks_of(org.id):
            notify(clerk.id, "incoming", f"Văn bản đến trên hệ thống: {title(arrived)}", link(arrived))


def validate_delivered(doc: OutgoingDocument) -> None:
    """``documents.hooks`` after_issue: each delivered copy's signatures checked against its receiver's trust store
    and the report kept with it, after the issue committed (validation may wait on OCSP and CRL responders)."""
    arrived = list(db.session.execute(select(IncomingDocument).where(
        IncomingDocument.source_document_id == doc.id, IncomingDocument.validation_id.is_(None),
        IncomingDocument.file_id.is_not(None))).scalars())
    for incoming in arrived:
        pdf = read_verified(incoming.file)  # type: ignore[arg-type]
        if b"/ByteRange" not in pdf:
            incoming.signature_verdict = "unsigned"
            continue
        commit()  # no transaction held while validating (SQLite's write lock)
        report = validate_bytes(incoming.organisation_id, pdf)
        kept = keep_report(None, incoming.organisation_id, incoming.file, report,  # type: ignore[arg-type]
                           context="incoming")
        db.session.flush()
        incoming.validation_id, incoming.signature_verdict = kept.id, report.verdict
    commit()


def acknowledge(actor: User, incoming: IncomingDocument) -> None:
    """Receipt acknowledged to the sender on the same installation once registered (Article 21.2.c): the sender's
    clerks are told, and the Nơi nhận line says it."""
    if incoming.sender_organisation_id is None or incoming.acknowledged_at is not None:
        return
    incoming.acknowledged_at = utcnow()
    text = (f"{actor.organisation.name} đã nhận văn bản {incoming.original_reference} "
            f"(số đến {incoming.arrival_number}, ngày {vietnam_time(incoming.acknowledged_at):%d/%m/%Y})")
    source = db.session.get(OutgoingDocument, incoming.source_document_id) if incoming.source_document_id else None
    if source is not None:
        for recipient in source.recipients:
            if recipient.dispatch_status == "delivered" and recipient.contact is not None \
                    and recipient.contact.organ_id == actor.organisation.organ_id:
                recipient.dispatch_note = text
    for clerk in clerks_of(incoming.sender_organisation_id):
        notify(clerk.id, "incoming", text, f"/documents/{incoming.source_document_id}")


def related_lines(user: User, doc: OutgoingDocument) -> list[tuple[str, str]]:
    """On an outgoing document's page: "trả lời văn bản đến số …" for each incoming document it answers; the
    link only for those who may open it."""
    rows = db.session.execute(select(IncomingDocument).where(IncomingDocument.reply_document_id == doc.id)
                              .order_by(IncomingDocument.id)).scalars()
    lines: list[tuple[str, str]] = []
    for incoming in rows:
        text = (f"Trả lời văn bản đến số {incoming.arrival_number}/{incoming.year} "
                f"({incoming.original_reference} của {incoming.sender_name})")
        lines.append((text, link(incoming) if policy.can_view(user, incoming) else ""))
    return lines


def register_hooks() -> None:
    hooks.register(on_issue=deliver_issued, after_issue=validate_delivered, related=related_lines)
    service.on_registered(acknowledge)
