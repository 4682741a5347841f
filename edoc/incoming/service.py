"""Incoming documents, one service function per change of state: register (with its số đến), present, direct and
assign, finish (answered or closed), file, return to the sender; and the lists built on them.

Each function a page or the API calls validates, authorises, writes, appends its audit entry and commits (views and
API routes never do). Notifications are pushed after the commit (``edoc.notifications``). The leaders' board's
counts follow every change of a document by themselves (``board_counts``: a flush hook, so none can forget them)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.calendar.service import calendar_for
from edoc.calendar.workdays import Term, suggest_deadline
from edoc.contacts.service import create_contact, get_contact_in
from edoc.core.clock import vietnam_time, vietnam_today
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import Conflict, ValidationFailed
from edoc.core.text import clean, fold
from edoc.documents.models import OutgoingDocument, Secrecy, Urgency
from edoc.documents.policy import PUBLISHED_VALUES
from edoc.documents.policy import can_view as can_view_outgoing
from edoc.files import sniff
from edoc.files.service import store_bytes
from edoc.incoming import board_counts, intake, policy, validation
from edoc.incoming.models import Channel, IncomingAttachment, IncomingDocument, IncomingReader, IncomingStatus
from edoc.incoming.ocr import request_ocr
from edoc.notifications.mail import mail_after_commit
from edoc.notifications.service import notify
from edoc.registers.models import Register, RegisterKind
from edoc.registers.numbering import lock_counter
from edoc.registers.types import DOCUMENT_TYPES
from edoc.signatures.service import keep_report, validate_bytes
from edoc.tasks import service as tasks
from edoc.tasks.models import Task, TaskRole
from edoc.tasks.subjects import Subject, register_subject

SUBJECT = policy.SUBJECT
MAX_SUMMARY = 2000


class DuplicateArrival(Conflict):
    """The same sender, số/ký hiệu and date are already registered: shown to the clerk before a number is taken."""

    code = "duplicate_arrival"

    def __init__(self, existing: IncomingDocument) -> None:
        super().__init__(
            f"Văn bản này đã được vào sổ: số đến {existing.arrival_number}/{existing.year}, ngày đến "
            f"{vietnam_time(existing.received_at):%d/%m/%Y} ({existing.sender_name}, {existing.original_reference}). "
            f"Không lấy số đến thứ hai; nếu đúng là văn bản khác, đánh dấu “vẫn vào sổ” và ghi rõ.",
            field="original_reference")
        self.existing_id = existing.id


@dataclass
class IncomingData:
    """The fields the clerk enters (or the system fills) for an arrival."""

    summary: str = ""
    sender_contact_id: int | None = None
    sender_name: str = ""
    """A sender not in the directory yet: added to it."""
    original_reference: str = ""
    original_date: date | None = None
    type_code: str = ""
    signer_name: str = ""
    secrecy: str = ""
    urgency: str = ""
    pages: int | None = None
    attachments_note: str = ""
    reader_ids: list[int] = field(default_factory=list)
    """Named readers of a secret document."""


def _enum(value: str, allowed: type, field_name: str, message: str) -> str:
    value = clean(value)
    if value not in {m.value for m in allowed}:  # type: ignore[attr-defined]
        raise ValidationFailed(message, field=field_name)
    return value


def validate(actor: User, data: IncomingData, *, received_on: date) -> IncomingData:
    """Everything checked before a file is stored or a number taken."""
    summary = clean(data.summary)
    if not summary:
        raise ValidationFailed("Nhập trích yếu nội dung văn bản.", field="summary")
    if len(summary) > MAX_SUMMARY:
        raise ValidationFailed(f"Trích yếu dài quá {MAX_SUMMARY} ký tự.", field="summary")
    sender_name = clean(data.sender_name)
    if data.sender_contact_id is not None:
        sender_name = get_contact_in(actor.organisation_id, data.sender_contact_id).name
    if not sender_name:
        raise ValidationFailed("Chọn cơ quan gửi trong danh bạ hoặc nhập tên cơ quan gửi.", field="sender_name")
    if len(sender_name) > 255:
        raise ValidationFailed("Tên cơ quan gửi dài quá 255 ký tự.", field="sender_name")
    reference = re.sub(r"\s+", "", clean(data.original_reference))
    if len(reference) > 64:
        raise ValidationFailed("Số, ký hiệu dài quá 64 ký tự.", field="original_reference")
    if data.original_date is not None and data.original_date > received_on:
        raise ValidationFailed(f"Ngày văn bản ({data.original_date:%d/%m/%Y}) sau ngày đến "
                               f"({received_on:%d/%m/%Y}).", field="original_date")
    type_code = clean(data.type_code)
    if type_code and type_code not in DOCUMENT_TYPES:
        raise ValidationFailed("Loại văn bản không có trong danh mục (Phụ lục III).", field="type_code")
    if data.pages is not None and not 1 <= data.pages <= 10_000:
        raise ValidationFailed("Số trang từ 1 đến 10000.", field="pages")
    signer = clean(data.signer_name)
    note = clean(data.attachments_note)
    if len(signer) > 255 or len(note) > 255:
        raise ValidationFailed("Người ký và ghi chú phụ lục tối đa 255 ký tự.", field="signer_name")
    readers = sorted(set(data.reader_ids))
    for user_id in readers:
        user = db.session.get(User, user_id)
        if user is None or user.organisation_id != actor.organisation_id:
            raise ValidationFailed("Người được xem phải là người trong cơ quan.", field="reader_ids")
    return IncomingData(
        summary=summary, sender_contact_id=data.sender_contact_id, sender_name=sender_name,
        original_reference=reference, original_date=data.original_date, type_code=type_code, signer_name=signer,
        secrecy=_enum(data.secrecy, Secrecy, "secrecy", "Độ mật không hợp lệ."),
        urgency=_enum(data.urgency, Urgency, "urgency", "Độ khẩn không hợp lệ."), pages=data.pages,
        attachments_note=note, reader_ids=readers)


def duplicate_key(sender_name: str, reference: str, original_date: date | None) -> str:
    """Folded sender, số/ký hiệu and date: "LĐLĐ thành phố Hà Nội, 89/KH-LĐLĐ, 03/4/2026" typed with or without
    accents, spaces or a leading zero gives one key. Empty without a số/ký hiệu (nothing to compare)."""
    if not reference:
        return ""
    ref = fold(reference).replace(" ", "")
    ref = re.sub(r"^0+(\d)", r"\1", ref)
    sender = " ".join(fold(sender_name).split())
    raw = f"{sender}|{ref}|{original_date.isoformat() if original_date else ''}"
    return hashlib.sha256(raw.encode()).hexdigest()


def incoming_register(organisation_id: int) -> Register:
    register = db.session.execute(
        select(Register).where(Register.organisation_id == organisation_id,
                               Register.kind == RegisterKind.INCOMING.value, Register.active.is_(True))
        .order_by(Register.id)).scalars().first()
    if register is None:
        raise ValidationFailed("Cơ quan chưa có Sổ đăng ký văn bản đến: quản trị viên thêm sổ ở mục Sổ đăng ký.")
    return register


def find_duplicate(organisation_id: int, key: str, *, exclude_id: int | None = None) -> IncomingDocument | None:
    if not key:
        return None
    query = select(IncomingDocument).where(
        IncomingDocument.organisation_id == organisation_id, IncomingDocument.duplicate_key == key,
        IncomingDocument.number.is_not(None), IncomingDocument.status != IncomingStatus.RETURNED.value)
    if exclude_id is not None:
        query = query.where(IncomingDocument.id != exclude_id)
    return db.session.execute(query.order_by(IncomingDocument.id)).scalars().first()


def _number(actor: User, doc: IncomingDocument, *, allow_duplicate: bool) -> None:
    """Take the số đến under the register counter's lock: the duplicate check and the number are one clerk's at a
    time, so two clerks registering the same arrival at once get one number and one "already registered"."""
    register = incoming_register(doc.organisation_id)
    moment = utcnow()
    year = vietnam_time(moment).year
    counter = lock_counter(register, year)
    existing = find_duplicate(doc.organisation_id, doc.duplicate_key, exclude_id=doc.id)
    if existing is not None and not allow_duplicate:
        raise DuplicateArrival(existing)
    counter.last_number += 1
    doc.register_id, doc.year, doc.number = register.id, year, counter.last_number
    doc.registered_at, doc.registered_by_id = moment, actor.id
    doc.status = IncomingStatus.REGISTERED.value
    db.session.flush()


def _apply(doc: IncomingDocument, data: IncomingData) -> None:
    doc.summary, doc.sender_contact_id, doc.sender_name = data.summary, data.sender_contact_id, data.sender_name
    doc.original_reference, doc.original_date, doc.type_code = (data.original_reference, data.original_date,
                                                                data.type_code)
    doc.signer_name, doc.secrecy, doc.urgency = data.signer_name, data.secrecy, data.urgency
    doc.pages, doc.attachments_note = data.pages, data.attachments_note
    doc.duplicate_key = duplicate_key(data.sender_name, data.original_reference, data.original_date)
    current = {r.user_id for r in doc.readers}
    for user_id in data.reader_ids:
        if user_id not in current:
            doc.readers.append(IncomingReader(user_id=user_id))


@dataclass
class Arrival:
    """Files checked (``intake.prepare``) and their signatures validated, before any write."""

    main: intake.Prepared
    attachments: list[intake.Prepared]
    report: object | None
    """The main file's ``ValidationReport`` (signed PDFs), None for a scan or an unsigned file."""
    verdict: str
    text: str


def check_files(organisation_id: int, parts: list[intake.Part], attachment_parts: Sequence[intake.Part] = (), *,
                validate: bool = True) -> Arrival:
    """Read and check everything the clerk gave, and validate signatures, with nothing written yet: on SQLite a
    write transaction holds the database's lock, which validation (OCSP, CRL) must not. ``validate=False`` (the
    clerk's pages and API): a signed file is validated by a job once its registration commits (verdict
    ``pending`` until then, ``edoc.incoming.validation``), so the clerk does not wait for the responders."""
    main = intake.prepare(parts)
    attachments = [intake.prepare_attachment(p) for p in attachment_parts if p.data]
    report, verdict = None, "" if main.made_from_images else "unsigned"
    if main.signed and not validate:
        verdict = validation.PENDING
    elif main.signed:
        try:
            report = validate_bytes(organisation_id, main.pdf)
            verdict = report.verdict  # type: ignore[attr-defined]
        except ValidationFailed:
            verdict = "invalid"  # signature structures pyHanko cannot even read: flagged, as a broken one
    if main.broken and verdict != validation.PENDING:  # a pending one carries it to its job
        verdict = "invalid"
    text = "" if main.made_from_images else intake.pdf_text(main.pdf)
    return Arrival(main, attachments, report, verdict, text)


def _store_files(actor: User, doc: IncomingDocument, arrival: Arrival) -> None:
    main = store_bytes(arrival.main.pdf, arrival.main.name, uploader=actor, purpose="incoming",
                       media_type=sniff.PDF)
    doc.file_id = main.id
    for att in arrival.attachments:
        media = sniff.sniff(att.pdf[: sniff.HEAD_SIZE]) or "application/octet-stream"
        row = store_bytes(att.pdf, att.name, uploader=actor, purpose="incoming", media_type=media)
        doc.attachments.append(IncomingAttachment(file_id=row.id, title=att.name[:255]))
    if arrival.report is not None:
        kept = keep_report(actor, doc.organisation_id, main, arrival.report, context="incoming")  # type: ignore[arg-type]
        db.session.flush()
        doc.validation_id = kept.id
    doc.signature_verdict = arrival.verdict
    if arrival.verdict == validation.PENDING:
        validation.request_validation(doc, broken=arrival.main.broken)
    if intake.has_text(arrival.text):
        doc.text, doc.text_source, doc.ocr_status = clean(arrival.text), "pdf", ""
    else:
        request_ocr(doc)  # a scan without a text layer: the OCR job reads it once this commits


def _prefill(data: IncomingData, arrival: Arrival) -> IncomingData:
    """Fields the clerk left blank, filled from the received PDF's text and its signatures (what the clerk typed
    always wins); a date later than today is not taken."""
    signers = [s.signer for s in getattr(arrival.report, "signatures", [])]
    found = intake.suggest_fields(arrival.text, signers)
    today = vietnam_today()
    return replace(data, original_reference=data.original_reference or found.reference,
                   original_date=data.original_date or (found.date if found.date and found.date <= today else None),
                   signer_name=data.signer_name or found.signer)


def register_arrival(actor: User, data: IncomingData, arrival: Arrival, *, channel: str = Channel.PAPER.value,
                     allow_duplicate: bool = False) -> IncomingDocument:
    """The clerk registers what arrived on paper or as a file: fields checked, files stored, the số đến taken (a
    duplicate arrival refused unless the clerk says it is another document), in the caller's transaction."""
    policy.require(policy.can_register(actor), "Chỉ văn thư được vào sổ văn bản đến.")
    if channel not in {Channel.PAPER.value, Channel.UPLOAD.value}:
        raise ValidationFailed("Kênh tiếp nhận không hợp lệ.", field="channel")
    now = utcnow()
    received_on = vietnam_time(now).date()
    data = _prefill(data, arrival)
    data = validate(actor, data, received_on=received_on)
    if data.sender_contact_id is None:
        contact = create_contact(actor, actor.organisation_id, data.sender_name)
        db.session.flush()
        data.sender_contact_id = contact.id
    doc = IncomingDocument(organisation_id=actor.organisation_id, channel=channel, received_at=now,
                           received_on=received_on)
    _apply(doc, data)
    db.session.add(doc)
    _store_files(actor, doc, arrival)
    _number(actor, doc, allow_duplicate=allow_duplicate)
    record("incoming.register", doc, actor=actor, changes={
        "number": doc.number, "year": doc.year, "channel": channel, "sender": doc.sender_name,
        "reference": doc.original_reference, "verdict": doc.signature_verdict, "duplicate_allowed": allow_duplicate})
    validation.tell_flagged(doc)
    commit()
    return doc


def register_received(actor: User, doc: IncomingDocument, data: IncomingData, *,
                      allow_duplicate: bool = False) -> IncomingDocument:
    """An arrival waiting in the queue (e-mail, same installation), its fields checked by the clerk, numbered."""
    policy.require(policy.can_register(actor) and policy.can_view(actor, doc), "Chỉ văn thư được vào sổ văn bản đến.")
    doc = _lock(doc)
    if doc.status_enum is not IncomingStatus.RECEIVED:
        raise Conflict(f"Văn bản đã được vào sổ với số đến {doc.arrival_number}." if doc.number else
                       "Văn bản không còn chờ vào sổ.")
    data = validate(actor, data, received_on=doc.received_on)
    if data.sender_contact_id is None:
        data.sender_contact_id = create_contact(actor, actor.organisation_id, data.sender_name).id
    _apply(doc, data)
    _number(actor, doc, allow_duplicate=allow_duplicate)
    record("incoming.register", doc, actor=actor, changes={
        "number": doc.number, "year": doc.year, "channel": doc.channel, "sender": doc.sender_name,
        "reference": doc.original_reference, "duplicate_allowed": allow_duplicate})
    for hook in _registered_hooks:
        hook(actor, doc)
    commit()
    return doc


_registered_hooks: list[Callable[[User, IncomingDocument], None]] = []


def on_registered(hook: Callable[[User, IncomingDocument], None]) -> None:
    """Called when an arrival from the queue is registered: ``edoc.incoming.delivery`` acknowledges receipt to a
    sender on the same installation (delivery imports this module, not the other way round)."""
    if hook not in _registered_hooks:
        _registered_hooks.append(hook)


def _lock(doc: IncomingDocument) -> IncomingDocument:
    return db.session.execute(select(IncomingDocument).where(IncomingDocument.id == doc.id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def link(doc: IncomingDocument) -> str:
    return f"/incoming/{doc.id}"


def title(doc: IncomingDocument) -> str:
    number = f"Số đến {doc.arrival_number}" if doc.number else "Văn bản đến"
    ref = f" ({doc.original_reference})" if doc.original_reference else ""
    return f"{number}{ref} — {doc.summary[:100]}"


def _describe(doc_id: int) -> Subject:
    doc = db.session.get(IncomingDocument, doc_id)
    return Subject(title(doc), link(doc)) if doc is not None else Subject(f"Văn bản đến #{doc_id}", "")


register_subject(SUBJECT, _describe)


# --- presenting, directing ----------------------------------------------------------------------------

def presentation_due(doc: IncomingDocument) -> date:
    """Article 23.1: the same day, at the latest the next working day; an urgent one at once (the same day)."""
    if doc.urgency:
        return doc.received_on
    return calendar_for(doc.organisation_id).next_working_day(doc.received_on)


def present(actor: User, doc: IncomingDocument, leader_id: int) -> IncomingDocument:
    policy.require(policy.can_present(actor, doc), "Chỉ văn thư trình văn bản đã vào sổ.")
    leader = db.session.get(User, leader_id)
    if leader is None or leader.organisation_id != doc.organisation_id or not leader.has_role(Role.LEADER) \
            or not leader.active:
        raise ValidationFailed("Chọn lãnh đạo của cơ quan để trình.", field="leader_id")
    doc = _lock(doc)
    now = utcnow()
    doc.presented_to_id, doc.presented_at = leader.id, now
    doc.presented_on = vietnam_time(now).date()
    doc.presented_late = doc.presented_on > presentation_due(doc)
    if doc.status_enum is IncomingStatus.REGISTERED:
        doc.status = IncomingStatus.PRESENTED.value
    record("incoming.present", doc, actor=actor, changes={"to": leader.id, "late": doc.presented_late})
    text = f"Trình văn bản đến: {title(doc)}"
    notify(leader.id, "incoming", text, link(doc))
    mail_after_commit(leader.email, "[edoc] Văn bản đến chờ ý kiến chỉ đạo", f"{text}\n\n{link(doc)}")
    commit()
    return doc


def suggested_deadline(doc: IncomingDocument) -> Term | None:
    """The deadline the document's text sets (its summary, then its text layer or OCR text), if any."""
    return suggest_deadline(f"{doc.summary}\n{doc.text}", doc.received_on, calendar_for(doc.organisation_id))


def direct(actor: User, doc: IncomingDocument, direction: str, assignees: Sequence[tasks.Assignee], *,
           deadline: date | None = None) -> list[Task]:
    """Ý kiến chỉ đạo and the assignments: one lead (chủ trì), others to cooperate (phối hợp) or for information
    (để biết); a line without its own deadline takes the document's. Directing again adds the new lines."""
    policy.require(policy.can_direct(actor, doc), "Chỉ lãnh đạo được trình văn bản này ghi ý kiến chỉ đạo.")
    direction = clean(direction)
    if not direction:
        raise ValidationFailed("Ghi ý kiến chỉ đạo.", field="direction")
    if len(direction) > tasks.MAX_TEXT:
        raise ValidationFailed(f"Ý kiến chỉ đạo dài quá {tasks.MAX_TEXT} ký tự.", field="direction")
    if deadline is not None and deadline < doc.received_on:
        raise ValidationFailed(f"Hạn giải quyết ({deadline:%d/%m/%Y}) trước ngày đến của văn bản "
                               f"({doc.received_on:%d/%m/%Y}).", field="deadline")
    lines = [tasks.Assignee(a.role, a.user_id, a.unit_id, a.instructions, a.deadline or deadline) for a in assignees]
    if not lines:
        raise ValidationFailed("Giao cho ít nhất một đơn vị hoặc người (chủ trì, phối hợp hoặc để biết).",
                               field="assignee")
    checked = tasks.check_assignees(doc.organisation_id, lines, not_before=doc.received_on)
    existing = tasks.tasks_of_subject(SUBJECT, doc.id)
    if any(a.role == TaskRole.LEAD for a in checked) and any(t.role == TaskRole.LEAD and t.parent_id is None
                                                             for t in existing):
        raise ValidationFailed("Văn bản đã có đơn vị/người chủ trì.", field="role")
    doc = _lock(doc)
    doc.direction = direction if not doc.direction else f"{doc.direction}\n{direction}"
    doc.directed_by_id, doc.directed_at = actor.id, utcnow()
    lead = next((a for a in checked if a.role == TaskRole.LEAD), None)
    if lead is not None:
        doc.lead_unit_id = lead.unit_id if lead.unit_id is not None else _unit_of(lead.user_id)
    if lead is not None and lead.deadline is not None:
        doc.deadline = lead.deadline
    elif deadline is not None and doc.deadline is None:
        doc.deadline = deadline
    doc.status = IncomingStatus.IN_PROGRESS.value
    made = [tasks.assign(actor, doc.organisation_id, SUBJECT, doc.id, a) for a in checked]
    record("incoming.direct", doc, actor=actor, changes={
        "direction": direction, "deadline": doc.deadline.isoformat() if doc.deadline else None,
        "tasks": [t.id for t in made]})
    commit()
    return made


def _unit_of(user_id: int | None) -> int | None:
    person = db.session.get(User, user_id) if user_id is not None else None
    return person.unit_id if person is not None else None


def pass_on(actor: User, doc: IncomingDocument, task: Task, user_id: int, instructions: str,
            deadline: date | None) -> Task:
    _require_task_of(doc, task)
    if deadline is not None and deadline < doc.received_on:
        raise ValidationFailed("Hạn giải quyết trước ngày đến của văn bản.", field="deadline")
    made = tasks.pass_on(actor, task, user_id, instructions, deadline)
    commit()
    return made


def report(actor: User, doc: IncomingDocument, task: Task, *, progress: int, note: str, done: bool = False) -> None:
    _require_task_of(doc, task)
    if doc.status_enum is not IncomingStatus.IN_PROGRESS:
        raise Conflict("Văn bản không còn trong thời gian giải quyết.")
    tasks.report(actor, task, progress=progress, note=note, done=done)
    commit()


def _require_task_of(doc: IncomingDocument, task: Task) -> None:
    if task.subject_kind != SUBJECT or task.subject_id != doc.id:
        raise ValidationFailed("Việc này không thuộc văn bản đến này.", field="task_id")


# --- finishing ----------------------------------------------------------------------------------------

def finish(actor: User, doc: IncomingDocument, *, result: str, reply_document_id: int | None = None
           ) -> IncomingDocument:
    """Answered (the outgoing document that replies, issued, linked both ways) or closed with a result."""
    policy.require(policy.can_finish(actor, doc), "Chỉ người chủ trì hoặc lãnh đạo chỉ đạo được kết thúc xử lý.")
    result = clean(result)
    reply: OutgoingDocument | None = None
    if reply_document_id is not None:
        reply = db.session.get(OutgoingDocument, reply_document_id)
        if reply is None or reply.organisation_id != doc.organisation_id or not can_view_outgoing(actor, reply):
            raise ValidationFailed("Không tìm thấy văn bản đi trả lời.", field="reply_document_id")
        if reply.status not in PUBLISHED_VALUES:
            raise ValidationFailed(f"Văn bản {reply.reference} chưa ban hành: chỉ văn bản đã ban hành mới là văn "
                                   f"bản trả lời.", field="reply_document_id")
        if not result:
            result = f"Đã trả lời bằng văn bản số {reply.reference}"
    if not result:
        raise ValidationFailed("Ghi kết quả giải quyết, hoặc chọn văn bản đi trả lời.", field="result")
    if len(result) > tasks.MAX_TEXT:
        raise ValidationFailed(f"Kết quả dài quá {tasks.MAX_TEXT} ký tự.", field="result")
    doc = _lock(doc)
    now = utcnow()
    doc.result, doc.finished_at, doc.finished_on = result, now, vietnam_time(now).date()
    doc.reply_document_id = reply.id if reply else None
    doc.status = IncomingStatus.DONE.value
    for task in tasks.tasks_of_subject(SUBJECT, doc.id):
        if task.is_open and task.role == TaskRole.LEAD:
            task.status, task.result, task.progress = "done", result, 100
            task.done_at, task.done_on = now, doc.finished_on
    record("incoming.finish", doc, actor=actor, changes={"result": result, "reply": reply.id if reply else None})
    if doc.directed_by_id and doc.directed_by_id != actor.id:
        notify(doc.directed_by_id, "incoming", f"Đã giải quyết xong: {title(doc)}", link(doc))
    commit()
    return doc


MAX_ATTACH = 20


def attach_files(actor: User, doc: IncomingDocument, parts: Sequence[intake.Part]) -> list[IncomingAttachment]:
    """Attachments added after registration (đính kèm thêm): each a PDF or an image, all checked before any is
    stored, so a bad one stores none; refused once the document is finished, filed, returned or recalled."""
    policy.require(policy.can_attach(actor, doc), "Chỉ văn thư đính kèm tệp vào văn bản đến.")
    if doc.status_enum not in policy.ATTACHABLE:
        raise Conflict(f"Văn bản “{doc.status_label}”: không đính kèm thêm tệp.")
    parts = [p for p in parts if p.data]
    if not parts:
        raise ValidationFailed("Chọn ít nhất một tệp để đính kèm.", field="attachments")
    if len(parts) > MAX_ATTACH:
        raise ValidationFailed(f"Đính kèm tối đa {MAX_ATTACH} tệp một lần.", field="attachments")
    prepared = [intake.prepare_attachment(p) for p in parts]  # refuses a bad file before anything is stored
    doc = _lock(doc)
    if doc.status_enum not in policy.ATTACHABLE:
        raise Conflict(f"Văn bản “{doc.status_label}”: không đính kèm thêm tệp.")
    made = []
    for att in prepared:
        media = sniff.sniff(att.pdf[: sniff.HEAD_SIZE]) or "application/octet-stream"
        row = store_bytes(att.pdf, att.name, uploader=actor, purpose="incoming", media_type=media)
        made.append(IncomingAttachment(file_id=row.id, title=att.name[:255]))
        doc.attachments.append(made[-1])
    db.session.flush()
    record("incoming.attach", doc, actor=actor, changes={"files": [a.file_id for a in made],
                                                          "names": [a.title for a in made]})
    commit()
    return made


def file_document(actor: User, doc: IncomingDocument) -> IncomingDocument:
    policy.require(policy.can_file(actor, doc), "Chỉ văn thư lưu hồ sơ văn bản đã giải quyết xong.")
    doc = _lock(doc)
    doc.status, doc.filed_at = IncomingStatus.FILED.value, utcnow()
    record("incoming.file", doc, actor=actor)
    commit()
    return doc


def return_to_sender(actor: User, doc: IncomingDocument, reason: str) -> IncomingDocument:
    """Article 21.2.b: a document that fails the checks, or reached the wrong body, goes back with the reason. Its
    số đến, if taken, stays in the register (a number is never reused) with the return noted."""
    policy.require(policy.can_return(actor, doc), "Chỉ văn thư trả lại văn bản chưa được chỉ đạo giải quyết.")
    reason = clean(reason)
    if not reason:
        raise ValidationFailed("Ghi lý do trả lại.", field="reason")
    if len(reason) > 2000:
        raise ValidationFailed("Lý do dài quá 2000 ký tự.", field="reason")
    doc = _lock(doc)
    doc.status, doc.return_reason, doc.returned_at = IncomingStatus.RETURNED.value, reason, utcnow()
    record("incoming.return", doc, actor=actor, changes={"reason": reason})
    text = (f"{actor.organisation.name} trả lại văn bản {doc.original_reference or ''} ({doc.summary[:100]}). "
            f"Lý do: {reason}")
    if doc.sender_organisation_id is not None:
        for clerk in _clerks(doc.sender_organisation_id):
            notify(clerk.id, "incoming", text,
                   f"/documents/{doc.source_document_id}" if doc.source_document_id else "")
    # not to an e-mail sender the intake could not verify (a forged From): the mail would go to someone else
    if doc.sender_email and (doc.mail is None or doc.mail.sender_trusted):
        mail_after_commit(doc.sender_email, f"Trả lại văn bản {doc.original_reference}", text)
    commit()
    return doc


def _clerks(organisation_id: int) -> list[User]:
    users = db.session.execute(select(User).where(User.organisation_id == organisation_id,
                                                  User.active.is_(True))).scalars()
    return [u for u in users if u.has_role(Role.CLERK)]


def clerks_of(organisation_id: int) -> list[User]:
    return _clerks(organisation_id)


def leaders_of(organisation_id: int) -> list[User]:
    users = db.session.execute(select(User).where(User.organisation_id == organisation_id, User.active.is_(True))
                               .order_by(User.full_name)).scalars()
    return [u for u in users if u.has_role(Role.LEADER)]


# --- lists ------------------------------------------------------------------------------------------------

BOXES = {
    "received": "Chờ vào sổ",
    "registered": "Đã vào sổ, chờ trình",
    "presented": "Trình tôi",
    "assigned": "Giao tôi",
    "due": "Sắp đến hạn, quá hạn",
    "all": "Tất cả",
}


def list_documents(user: User, box: str, *, limit: int = 300) -> list[IncomingDocument]:
    query = select(IncomingDocument).where(policy.visible_clause(user))
    if box == "received":
        query = query.where(IncomingDocument.status == IncomingStatus.RECEIVED.value)
    elif box == "registered":
        query = query.where(IncomingDocument.status == IncomingStatus.REGISTERED.value)
    elif box == "presented":
        query = query.where(IncomingDocument.presented_to_id == user.id,
                            IncomingDocument.status == IncomingStatus.PRESENTED.value)
    elif box == "assigned":
        query = query.where(IncomingDocument.id.in_(
            select(Task.subject_id).where(Task.subject_kind == SUBJECT, tasks.assigned_to(user))))
    elif box == "due":
        today = vietnam_today()
        bound = tasks.due_bounds(calendar_for(user.organisation_id), today)
        query = query.where(IncomingDocument.status == IncomingStatus.IN_PROGRESS.value,
                            IncomingDocument.deadline.is_not(None), IncomingDocument.deadline <= bound)
        return list(db.session.execute(query.order_by(IncomingDocument.deadline).limit(limit)).scalars())
    return list(db.session.execute(query.order_by(IncomingDocument.received_at.desc(), IncomingDocument.id.desc())
                                   .limit(limit)).scalars())


def presentation_overdue(doc: IncomingDocument, today: date | None = None) -> bool:
    """Registered and still not presented after the rule's day: shown in the lists."""
    return doc.status_enum is IncomingStatus.REGISTERED and (today or vietnam_today()) > presentation_due(doc)


def when(moment: datetime | None) -> str:
    return "" if moment is None else f"{vietnam_time(moment):%d/%m/%Y %H:%M}"


def precheck(actor: User, data: IncomingData, *, allow_duplicate: bool = False) -> IncomingData:
    """The fields checked and a duplicate arrival caught before the files are even read: the clerk sees "already
    registered as số đến …" at once. ``register_arrival`` checks again under the counter's lock."""
    policy.require(policy.can_register(actor), "Chỉ văn thư được vào sổ văn bản đến.")
    checked = validate(actor, data, received_on=vietnam_today())
    if not allow_duplicate:
        existing = find_duplicate(actor.organisation_id, duplicate_key(
            checked.sender_name, checked.original_reference, checked.original_date))
        if existing is not None:
            raise DuplicateArrival(existing)
    return checked


def answerable(user: User, *, limit: int = 100) -> list[OutgoingDocument]:
    """Issued outgoing documents of the organisation that ``user`` may see, newest first: the replies to choose."""
    rows = db.session.execute(select(OutgoingDocument).where(
        OutgoingDocument.organisation_id == user.organisation_id, OutgoingDocument.status.in_(PUBLISHED_VALUES))
        .order_by(OutgoingDocument.issued_at.desc()).limit(limit * 2)).scalars()
    return [d for d in rows if can_view_outgoing(user, d)][:limit]


def answering(reply: OutgoingDocument) -> list[IncomingDocument]:
    """The incoming documents an outgoing one answers ("trả lời văn bản đến số …" on the outgoing side)."""
    return list(db.session.execute(select(IncomingDocument).where(IncomingDocument.reply_document_id == reply.id)
                                   .order_by(IncomingDocument.id)).scalars())


def rebuild_board(organisation_id: int | None = None) -> int:
    """Recount the board's kept counts from the documents (``edoc incoming rebuild-board``): after documents were
    written around the ORM (a bulk load, a restore), or to check them. Returns the count rows kept."""
    kept = board_counts.rebuild(organisation_id)
    commit()
    return kept
