"""edXML out (an issued document as a message to each external recipient with an OrganId) and in (a message
from the drop box or the API: a status updates what was sent; a document is kept, acknowledged with status 01 and
handed to incoming documents when that package is present).

Each change is one function: validate, authorise (``policy``), write in one transaction (the message's bytes in
the store, its row, the audit entry); sending through the transport happens after the commit (``deliver``), so
a failed send leaves the message kept and marked failed, never half a transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.config import Settings
from edoc.core.clock import vietnam_time
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from edoc.documents.models import OutgoingDocument, RecipientKind, Status
from edoc.exchange import edxml, policy
from edoc.exchange.edxml import BUSINESS_LABELS, DocumentMessage, EdxmlError, Organ, StatusMessage
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.transport import FolderTransport, HttpTransport, Transport, TransportError
from edoc.files.models import StoredFile
from edoc.files.service import read_verified, store_bytes
from edoc.organisations.models import Organisation
from edoc.registers.types import get_type
from edoc.signatures.credentials import SigningRefused, organisation_key
from edoc.signatures.trust import revocation_mode, trust_roots
from signing import xmlsig
from signing.errors import SigningError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/xml"
BUSINESS_CODES = {"new": 0, "recall": 1, "update": 2, "replace": 3}


class MessageRejected(DomainError):
    """A received message that cannot be taken (malformed, unsafe, too large, digest mismatch): 422."""

    status = 422
    code = "edxml_rejected"


class UnknownOrganisation(DomainError):
    status = 404
    code = "unknown_organisation"


def settings() -> Settings:
    return current_app.config["EDOC"]  # type: ignore[no-any-return]


def transport() -> Transport:
    s = settings()
    if s.exchange_transport == "http":
        return HttpTransport(s.exchange_http_url or "", s.exchange_http_token)
    assert s.exchange_dir is not None
    return FolderTransport(s.exchange_dir)


def max_bytes() -> int:
    return settings().exchange_max_mb * 1024 * 1024


def organ_of(org: Organisation) -> Organ:
    if not org.organ_id:
        raise ValidationFailed("Cơ quan chưa có mã định danh (OrganId) để gửi, nhận văn bản điện tử qua trục liên "
                               "thông: quản trị viên cần khai báo.", field="organ_id")
    return Organ(organ_id=org.organ_id, name=org.name, in_charge=org.parent_name or org.name, email=org.email)


# --- the envelope's signature ------------------------------------------------------------------------------

NO_CREDENTIAL = ("Cơ quan chưa có chứng thư số (chữ ký số của cơ quan). Quản trị viên nhập chứng thư số của cơ "
                 "quan tại trang “Chữ ký số của cơ quan”.")


def sign_envelope(org: Organisation, data: bytes) -> tuple[bytes, str, str]:
    """(the message, ``signed`` or ``unsigned``, who signed or why not): signed with the organisation's credential,
    the one its PDFs are sealed with. Without one, or with one that cannot sign now (expired, unopenable), the
    message goes unsigned and says why: the exchange must not stop for it (docs/search-and-exchange.md)."""
    try:
        key = organisation_key(org)
    except SigningRefused as exc:
        return data, "unsigned", exc.message
    if key is None:
        return data, "unsigned", NO_CREDENTIAL
    try:
        signed = edxml.sign(data, key)
    except SigningError as exc:
        log.warning("edXML message of organisation %s left unsigned: %s", org.id, exc)
        text = str(exc).rstrip(".")
        return data, "unsigned", f"Không ký được gói tin bằng chứng thư số của cơ quan: {text}."
    return signed, "signed", f"{key.subject} (số hiệu chứng thư {key.serial})"


@dataclass
class EnvelopeVerdict:
    verdict: str
    """valid, untrusted, unsigned."""
    note: str


def envelope_verdict(organisation_id: int, message: DocumentMessage | StatusMessage) -> EnvelopeVerdict:
    """A received message's signature (already verified intact by ``edxml.parse``) judged against the receiving
    organisation's trust store, as its PDFs are: the certificate's path, validity and revocation
    (``EDOC_SIGNING_REVOCATION``). Reads only: OCSP and CRL may be waited on, with no write lock held."""
    signature = message.signature
    if signature is None:
        return EnvelopeVerdict("unsigned", "Gói tin không có chữ ký số.")
    who = signature.signer + (f" — {signature.organisation}" if signature.organisation
                              and signature.organisation != signature.signer else "")
    who += f" (số hiệu chứng thư {signature.serial})"
    mode = revocation_mode()
    problem = xmlsig.check_trust(signature.certificate, signature.others, trust_roots(organisation_id),
                                 revocation=mode, fetch=mode != "off")
    if problem:
        return EnvelopeVerdict("untrusted", f"{who}: {problem}")
    return EnvelopeVerdict("valid", who)


# --- out -------------------------------------------------------------------------------------------------------

def _files(doc: OutgoingDocument) -> list[edxml.Attachment]:
    main = doc.issued_file or doc.signed_file
    if main is None:
        raise ValidationFailed("Văn bản chưa có tệp đã ký số để gửi.")
    out = [edxml.Attachment(name=f"{doc.reference.replace('/', '_')}.pdf", content_type=main.media_type,
                            data=read_verified(main), description="Văn bản")]
    for att in doc.attachments:
        row = att.issued_file or att.file
        out.append(edxml.Attachment(name=row.original_name, content_type=row.media_type, data=read_verified(row),
                                    description=att.title))
    return out


def edxml_document_id(doc: OutgoingDocument) -> str:
    assert doc.issued_on is not None
    return edxml.document_id(doc.organisation.organ_id, doc.issued_on, f"{doc.number:02d}", doc.notation)


def message_of(doc: OutgoingDocument, recipients: list[Organ], *, business: int, reason: str = ""
               ) -> DocumentMessage:
    """The document as an edXML message to ``recipients``."""
    if doc.number is None or doc.issued_on is None:
        raise ValidationFailed("Chỉ gửi được văn bản đã cấp số, ban hành.")
    doc_type = get_type(doc.type_code)
    signer = doc.signer
    replaces = [edxml_document_id(doc.replaces)] if business == edxml.BUSINESS_REPLACE and doc.replaces else []
    pdf_pages = 0
    return DocumentMessage(
        sender=organ_of(doc.organisation), recipients=recipients, code_number=f"{doc.number:02d}",
        code_notation=doc.notation, place=doc.organisation.place_name, promulgation_date=doc.issued_on,
        type_code=doc.type_code, type_name=doc_type.name if doc_type else doc.type_code, subject=doc.summary,
        content=doc.body[:4000], signer_name=signer.full_name if signer else "",
        signer_position=doc.signer_title,
        signer_competence=" ".join(p for p in [doc.signer_authority, doc.signer_authority_line] if p),
        to_places=[r.label for r in doc.recipients if r.kind == RecipientKind.EXTERNAL],
        priority=edxml.PRIORITY_OF_URGENCY.get(doc.urgency, 0), promulgation_amount=doc.copies,
        page_amount=pdf_pages, business=business,
        business_reason=reason or (doc.recall_reason if business == edxml.BUSINESS_RECALL else ""),
        replaces=replaces, attachments=_files(doc))


def _business_for(doc: OutgoingDocument, business: str) -> int:
    if business not in BUSINESS_CODES:
        raise ValidationFailed("Nghiệp vụ không hợp lệ: new, recall, update hoặc replace.", field="business")
    code = BUSINESS_CODES[business]
    if code == edxml.BUSINESS_RECALL and doc.status != Status.RECALLED.value:
        raise Conflict("Chỉ gửi thông báo thu hồi cho văn bản đã thu hồi.")
    if code == edxml.BUSINESS_REPLACE and doc.replaces_id is None:
        raise Conflict("Văn bản này không thay thế văn bản nào.")
    if code in {edxml.BUSINESS_NEW, edxml.BUSINESS_UPDATE} and doc.status != Status.ISSUED.value:
        raise Conflict("Chỉ gửi văn bản đang có hiệu lực (đã ban hành, chưa thu hồi hay bị thay thế).")
    return code


def send_document(actor: User, doc: OutgoingDocument, *, business: str = "new", reason: str = ""
                  ) -> list[ExchangeMessage]:
    """Gửi qua trục liên thông: make one message per external recipient with an OrganId, keep them (pending),
    commit, then send them (``deliver``: a failed send is kept as failed with its reason, to be sent again by
    ``edoc exchange poll``). A replacing document goes out as business 3 by default. The page and the API call
    this one function; it ends the transaction (docs/architecture.md "Who commits")."""
    if not policy.can_send(actor, doc):
        raise NotAllowed("Chỉ văn thư gửi văn bản đã ban hành (không mật) qua trục liên thông.")
    if business == "new" and doc.replaces_id is not None:
        business = "replace"
    code = _business_for(doc, business)
    here = set(db.session.execute(select(Organisation.organ_id).where(Organisation.organ_id != "")).scalars())
    # an organisation on this installation received it on the system at issue (edoc.incoming): not again
    targets = [r for r in doc.recipients if r.kind == RecipientKind.EXTERNAL and r.contact and r.contact.organ_id
               and r.contact.organ_id not in here]
    if not targets:
        raise ValidationFailed("Văn bản không có nơi nhận bên ngoài hệ thống nào có mã định danh (OrganId) trong "
                               "danh bạ.", field="recipients")
    made = []
    for recipient in targets:
        assert recipient.contact is not None
        organ = Organ(organ_id=recipient.contact.organ_id, name=recipient.contact.name)
        data, signed, signature_note = sign_envelope(doc.organisation, edxml.build_document(
            message_of(doc, [organ], business=code, reason=reason), now=vietnam_time(utcnow())))
        row = store_bytes(data, f"edxml-{doc.id}-{organ.organ_id}.edxml", uploader=actor, purpose="edxml",
                          media_type=MEDIA_TYPE)
        message = ExchangeMessage(
            organisation_id=doc.organisation_id, direction="out", kind="document",
            edxml_document_id=edxml_document_id(doc), business=code, peer_organ_id=organ.organ_id,
            peer_name=organ.name, outgoing_document_id=doc.id, file_id=row.id, sha256=row.sha256, state="pending",
            signature=signed, signature_note=signature_note)
        db.session.add(message)
        made.append(message)
    db.session.flush()
    record("exchange.send", doc, actor=actor, changes={
        "business": BUSINESS_LABELS[code], "to": [m.peer_organ_id for m in made], "messages": [m.id for m in made],
        "signature": made[0].signature})
    commit()
    deliver([m.id for m in made])
    return made


def deliver(message_ids: list[int]) -> None:
    """Send kept messages through the transport (after their commit) and record the outcome."""
    chosen = transport()
    for message_id in message_ids:
        message = db.session.get(ExchangeMessage, message_id)
        if message is None or message.state not in {"pending", "failed"}:
            continue
        file = db.session.get(StoredFile, message.file_id)
        assert file is not None
        try:
            where = chosen.send(message.peer_organ_id, read_verified(file))
        except TransportError as exc:
            message.state, message.note = "failed", str(exc)
            log.warning("edXML message %s to %s failed: %s", message.id, message.peer_organ_id, exc)
        else:
            message.state, message.note = "sent", where
        commit()  # each outcome kept on its own: a later failure must not lose an earlier "sent"


def message_bytes(message: ExchangeMessage) -> bytes:
    file = db.session.get(StoredFile, message.file_id)
    assert file is not None
    return read_verified(file)


def sent_for(user: User, doc: OutgoingDocument) -> list[ExchangeMessage]:
    if not policy.can_see(user, doc):
        raise NotFound("Không tìm thấy văn bản, hoặc bạn không có quyền xem văn bản này.")
    return list(db.session.execute(select(ExchangeMessage).where(
        ExchangeMessage.outgoing_document_id == doc.id, ExchangeMessage.direction == "out")
        .order_by(ExchangeMessage.id)).scalars())


# --- in --------------------------------------------------------------------------------------------------------

@dataclass
class Received:
    messages: list[ExchangeMessage]
    repeated: bool
    """The same bytes had already been received: nothing new was done."""


DocumentCheck = Callable[[int, DocumentMessage], object]
"""Before anything is written: the message's files checked and their signatures validated for the organisation
(its trust store), or MessageRejected. What it returns is handed to the DocumentHandler."""
DocumentHandler = Callable[[ExchangeMessage, DocumentMessage, object], int | None]
_document_handlers: list[tuple[DocumentCheck, DocumentHandler]] = []


def on_document(check: DocumentCheck, handler: DocumentHandler) -> None:
    """Incoming documents register here: ``check`` reads a received document message's files with nothing
    written yet (validation may wait on OCSP and CRL responders, which no write lock must), ``handler`` makes the
    incoming document from the kept message and the check's result in the same transaction and returns its id."""
    if (check, handler) not in _document_handlers:
        _document_handlers.append((check, handler))


def receive(data: bytes, *, only_organisation_id: int | None = None, actor: User | None = None) -> Received:
    """Take a received message: parse it safely, find the organisations of this installation it is for, keep it
    once per organisation (a repeat is recognised by its SHA-256 and changes nothing), then apply it: a document
    is acknowledged with status 01 and handed to incoming documents; a status updates the message sent.
    Raises MessageRejected or UnknownOrganisation with the reason; nothing is kept then."""
    try:
        message = edxml.parse(data, max_bytes=max_bytes())
    except EdxmlError as exc:
        raise MessageRejected(str(exc)) from None
    sha = hashlib.sha256(data).hexdigest()
    wanted = ([o.organ_id for o in message.recipients] if isinstance(message, DocumentMessage)
              else [message.responds_to_organ])
    orgs = list(db.session.execute(select(Organisation).where(
        Organisation.organ_id.in_([w for w in wanted if w]))).scalars())
    if only_organisation_id is not None:
        orgs = [o for o in orgs if o.id == only_organisation_id]
    if not orgs:
        raise UnknownOrganisation(f"Gói tin gửi tới mã định danh {', '.join(wanted) or '(trống)'}, không phải cơ "
                                  f"quan nào trên hệ thống này.")
    kept: dict[int, ExchangeMessage] = {}
    checked: dict[int, list[object]] = {}
    verdicts: dict[int, EnvelopeVerdict] = {}
    for org in orgs:  # reads only: a repeat is recognised, the new ones' files checked, before any write
        existing = db.session.execute(select(ExchangeMessage).where(
            ExchangeMessage.organisation_id == org.id, ExchangeMessage.direction == "in",
            ExchangeMessage.sha256 == sha)).scalar_one_or_none()
        if existing is not None:
            kept[org.id] = existing
        else:
            verdicts[org.id] = envelope_verdict(org.id, message)
            checked[org.id] = ([check(org.id, message) for check, _handler in _document_handlers]
                               if isinstance(message, DocumentMessage) else [])
    for org_id, prepared in checked.items():
        kept[org_id] = _take(next(o for o in orgs if o.id == org_id), message, data, sha, actor, prepared,
                             verdicts[org_id])
    return Received([kept[o.id] for o in orgs], repeated=not checked)


def receive_posted(data: bytes, *, organisation_id: int, actor: User) -> Received:
    """A message posted to the API by ``actor`` (the clerk of ``organisation_id``): taken as ``receive`` takes
    it (for that organisation only), committed, then the statuses it caused (01) and any other message waiting
    for that organisation are sent."""
    received = receive(data, only_organisation_id=organisation_id, actor=actor)
    commit()
    deliver(pending_out(organisation_id))
    return received


def _take(org: Organisation, message: DocumentMessage | StatusMessage, data: bytes, sha: str,
          actor: User | None, checked: list[object], envelope: EnvelopeVerdict) -> ExchangeMessage:
    is_status = isinstance(message, StatusMessage)
    peer = message.sender
    row = store_bytes(data, f"edxml-in-{sha[:12]}.edxml", uploader=actor, purpose="edxml", media_type=MEDIA_TYPE,
                      organisation_id=None if actor else org.id)
    kept = ExchangeMessage(
        organisation_id=org.id, direction="in", kind="status" if is_status else "document",
        edxml_document_id=message.document_id, business=0 if is_status else message.business,
        status_code=message.status_code if is_status else "", peer_organ_id=peer.organ_id, peer_name=peer.name,
        file_id=row.id, sha256=sha, state="received", signature=envelope.verdict, signature_note=envelope.note)
    db.session.add(kept)
    db.session.flush()
    if isinstance(message, StatusMessage):
        _apply_status(org, kept, message)
    else:
        for (_check, handler), prepared in zip(_document_handlers, checked, strict=True):
            kept.incoming_document_id = handler(kept, message, prepared)
        kept.state = "applied" if kept.incoming_document_id else "received"
        queue_status(org, kept, "01")
    record("exchange.receive", kept, actor=actor, organisation_id=org.id, changes={
        "kind": kept.kind, "from": peer.organ_id, "document_id": message.document_id,
        "business": kept.business, "status": kept.status_code, "signature": kept.signature})
    return kept


def _apply_status(org: Organisation, kept: ExchangeMessage, status: StatusMessage) -> None:
    sent = list(db.session.execute(select(ExchangeMessage).where(
        ExchangeMessage.organisation_id == org.id, ExchangeMessage.direction == "out",
        ExchangeMessage.kind == "document", ExchangeMessage.edxml_document_id == status.document_id,
        ExchangeMessage.peer_organ_id == status.sender.organ_id)).scalars())
    if not sent:
        kept.state, kept.note = "rejected", "Không có văn bản đã gửi nào khớp DocumentId và nơi gửi trạng thái."
        return
    for message in sent:
        # statuses may arrive out of order: a later stage is never overwritten by an earlier one (02 ends it)
        if message.peer_status in {"02", "06"} or (message.peer_status and status.status_code < message.peer_status):
            continue
        message.peer_status = status.status_code
        message.peer_status_note = status.description
        message.peer_status_at = utcnow()
    kept.state = "applied"


def queue_status(org: Organisation, about: ExchangeMessage, code: str, *, description: str = "",
                 staff: str = "", department: str = "") -> ExchangeMessage | None:
    """Keep a status message (01-06) for the sender of a received document; ``deliver`` sends it after the
    commit. Not twice the same code for one received document."""
    if code not in edxml.STATUS_LABELS:
        raise ValidationFailed("Mã trạng thái không hợp lệ (01-06).", field="status")
    done = db.session.execute(select(ExchangeMessage.id).where(
        ExchangeMessage.organisation_id == org.id, ExchangeMessage.direction == "out",
        ExchangeMessage.kind == "status", ExchangeMessage.edxml_document_id == about.edxml_document_id,
        ExchangeMessage.peer_organ_id == about.peer_organ_id, ExchangeMessage.status_code == code)).first()
    if done is not None or not org.organ_id:
        return None
    code_text = about.edxml_document_id.split(",", 2)[-1] if about.edxml_document_id.count(",") >= 2 else ""
    promulgated = _date_in(about.edxml_document_id)
    data, signed, signature_note = sign_envelope(org, edxml.build_status(StatusMessage(
        responds_to_organ=about.peer_organ_id, document_id=about.edxml_document_id, code=code_text,
        promulgation_date=promulgated, sender=organ_of(org), status_code=code,
        description=description or edxml.STATUS_LABELS[code],
        timestamp=f"{vietnam_time(utcnow()):%Y/%m/%d %H:%M:%S}", staff=staff, department=department)))
    row = store_bytes(data, f"edxml-status-{code}.edxml", uploader=None, purpose="edxml", media_type=MEDIA_TYPE,
                      organisation_id=org.id)
    message = ExchangeMessage(
        organisation_id=org.id, direction="out", kind="status", edxml_document_id=about.edxml_document_id,
        status_code=code, peer_organ_id=about.peer_organ_id, peer_name=about.peer_name, file_id=row.id,
        sha256=row.sha256, state="pending", signature=signed, signature_note=signature_note)
    db.session.add(message)
    db.session.flush()
    return message


def _date_in(document_id: str) -> date | None:
    parts = document_id.split(",")
    try:
        return edxml.parse_date(parts[1], "PromulgationDate") if len(parts) >= 3 else None
    except EdxmlError:
        return None


def pending_out(organisation_id: int | None = None) -> list[int]:
    stmt = select(ExchangeMessage.id).where(ExchangeMessage.direction == "out", ExchangeMessage.state == "pending")
    if organisation_id is not None:
        stmt = stmt.where(ExchangeMessage.organisation_id == organisation_id)
    return list(db.session.execute(stmt.order_by(ExchangeMessage.id)).scalars())


@dataclass
class PollResult:
    taken: int = 0
    repeated: int = 0
    rejected: int = 0


def poll_folder() -> PollResult:
    """Read the drop box of every organisation of this installation that has an OrganId: each message is taken
    in its own transaction (a bad one is moved to rejected/ with its reason), then the statuses it caused are
    sent."""
    chosen = transport()
    result = PollResult()
    if not isinstance(chosen, FolderTransport):
        return result
    organ_ids = [o for o in db.session.execute(select(Organisation.organ_id).where(
        Organisation.organ_id != "")).scalars()]
    for organ_id in organ_ids:
        for item in chosen.pending(organ_id):
            if item.size > max_bytes():
                chosen.done(item, rejected=f"Gói tin quá lớn ({item.size} byte, tối đa {max_bytes()}).")
                result.rejected += 1
                continue
            try:
                received = receive(item.read())
                commit()
            except DomainError as exc:
                db.session.rollback()
                chosen.done(item, rejected=exc.message)
                result.rejected += 1
                continue
            chosen.done(item)
            result.repeated += received.repeated
            result.taken += not received.repeated
    deliver(pending_out())
    return result


def message_for(user: User, message_id: int) -> ExchangeMessage:
    """A kept message, for someone of its organisation who may see the document it is about (or the clerk)."""
    message = db.session.get(ExchangeMessage, message_id)
    allowed = message is not None and message.organisation_id == user.organisation_id and (
        policy.can_receive(user) or (message.outgoing_document_id is not None and policy.can_see(
            user, db.session.get(OutgoingDocument, message.outgoing_document_id))))
    if not allowed:
        raise NotFound("Không tìm thấy gói tin.")
    assert message is not None
    return message
