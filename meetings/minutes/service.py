"""The minutes (biên bản) of an ended meeting, from the record to the issued document.

- ``draft_minutes``: the secretary gets a Biên bản (type BB, an outgoing document drafted by the secretary, signed by
  the chair as CHỦ TỌA) whose text is drafted from what the system recorded (``gather`` → ``facts``), with the
  machine-readable record embedded in its PDF.
- ``save_text`` (the secretary's words, the conclusions per item) and ``correct_fact`` (a recorded fact changed, with
  its reason, printed as a correction) each make a new version.
- ``sign_as_secretary``: the secretary's signature in the THƯ KÝ field of a version rendered afresh; ``submit`` then
  sends it to the chair, refused if anything changed since the secretary signed; ``sign_as_chair``: the chair
  approves and signs through the documents flow. The clerk numbers and issues it like any document; the issue hook
  (``check_on_issue``) refuses a Biên bản that does not carry the secretary's and the chair's signatures.

Every function validates, authorises (``policy``), writes in the caller's transaction and appends the audit entry;
the caller commits (views call ``meetings.minutes.actions``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.calendar.service import calendar_for
from edoc.core.clock import vietnam_time
from edoc.core.db import db, locked, utcnow
from edoc.core.errors import Conflict, ValidationFailed
from edoc.core.text import clean
from edoc.documents import drafting, review
from edoc.documents.models import OutgoingDocument, Status
from edoc.documents.signing import sign_with_pin
from edoc.documents.spec import spec_for
from edoc.files import sniff
from edoc.files.models import StoredFile
from edoc.files.service import read_verified, store_bytes
from edoc.rendering import SignerBlock, render_pdf
from edoc.rendering.html import COSIGNER_FIELD, SIGNATURE_FIELD
from edoc.signatures.credentials import SigningRefused, personal_key
from edoc.signatures.labels import in_vietnamese
from edoc.signatures.trust import revocation_mode, timestamper, validation_context
from meetings.agenda.models import AgendaItem
from meetings.attendance.checkin import CheckIn
from meetings.attendance.models import Participant
from meetings.live.events import publish
from meetings.live.models import MeetingEvent
from meetings.meeting.models import Meeting, MeetingStatus
from meetings.minutes import facts as f
from meetings.minutes import policy
from meetings.minutes.models import NOTICE_WORKING_DAYS, FactCorrection, ItemMinutes, Minutes, WrittenOpinion
from meetings.papers.service import papers_of
from meetings.speakers.service import record_of as speakers_of
from meetings.votes.models import Vote, VoteOption, VoteVoter
from meetings.votes.record import rule_record, vote_record
from signing.errors import SigningError
from signing.record import canonical, embed_record, event_log_hash
from signing.sign import sign_pdf, signed_fields

MINUTES_TYPE = "BB"
MAX_TEXT = 20000
LOCKED_STATUSES = {Status.SUBMITTED, Status.APPROVED, Status.ISSUED, Status.RECALLED, Status.REPLACED}


def require_ended(meeting: Meeting, what: str) -> None:
    if meeting.status_enum is not MeetingStatus.ENDED:
        raise ValidationFailed(f"Cuộc họp chưa kết thúc ({meeting.status_label.lower()}): chưa thể {what}.")


def minutes_of(meeting: Meeting) -> Minutes | None:
    return db.session.execute(select(Minutes).where(Minutes.meeting_id == meeting.id)).scalar_one_or_none()


def ended_at(meeting: Meeting) -> datetime:
    """When the meeting ended: as ``end_meeting`` recorded it, else (a meeting ended otherwise) the scheduled
    end."""
    minutes = minutes_of(meeting)
    return minutes.ended_at if minutes is not None else meeting.ends_at


ENDABLE = {MeetingStatus.ANNOUNCED, MeetingStatus.IN_PROGRESS}


def end_meeting(actor: User, meeting: Meeting) -> Minutes:
    """The chair (or the secretary) ends the meeting: its status ended, the moment kept as the minutes' end time,
    ``meeting.ended`` appended to the room's event log; the secretary can then draft the minutes. No package had
    this step yet (docs/meetings.md): a meeting that has started (announced or in progress, its start time past)."""
    policy.require(policy.can_write_minutes(actor, meeting), "Chỉ chủ tọa hoặc thư ký kết thúc cuộc họp.")
    meeting = locked(meeting)
    now = utcnow()
    if meeting.status_enum not in ENDABLE or meeting.starts_at > now:
        raise ValidationFailed(f"Cuộc họp {meeting.status_label.lower()}"
                               + (" và chưa đến giờ họp" if meeting.starts_at > now else "")
                               + ": không kết thúc được.")
    meeting.status = MeetingStatus.ENDED.value
    minutes = ensure_minutes(actor, meeting, end=now)
    publish(meeting.id, "meeting.ended", {"at": now.isoformat()}, actor=actor)
    record("meeting.end", meeting, actor=actor, changes={"ended_at": now.isoformat()})
    return minutes


def ensure_minutes(actor: User, meeting: Meeting, *, end: datetime | None = None) -> Minutes:
    """The meeting's minutes row (made when the meeting ends, or at the first step after it: drafting, a
    conclusion, the notice): its end and the notice's last day, ``NOTICE_WORKING_DAYS`` working days after the
    meeting's day."""
    minutes = minutes_of(meeting)
    if minutes is not None:
        return minutes
    end = end or ended_at(meeting)
    due = calendar_for(meeting.organisation_id).add_working_days(vietnam_time(end).date(), NOTICE_WORKING_DAYS)
    minutes = Minutes(meeting_id=meeting.id, ended_at=end, notice_due_on=due, created_by_id=actor.id,
                      opening="", closing="", record_sha256="", record_check="")
    db.session.add(minutes)
    db.session.flush()
    record("meeting.minutes_open", minutes, actor=actor, organisation_id=meeting.organisation_id,
           changes={"meeting_id": meeting.id, "notice_due_on": due.isoformat()})
    return minutes


# --- the facts, as recorded ------------------------------------------------------------------------------------

def _ordered_items(meeting: Meeting) -> list[tuple[str, AgendaItem]]:
    """Agenda items in order with their printed numbers: "1", "2", sub-items "2.1"."""
    items = list(db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                                    .order_by(AgendaItem.position, AgendaItem.id)).scalars())
    children: dict[int | None, list[AgendaItem]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    ordered: list[tuple[str, AgendaItem]] = []

    def walk(parent: int | None, prefix: str) -> None:
        for n, item in enumerate(children.get(parent, []), start=1):
            number = f"{prefix}{n}"
            ordered.append((number, item))
            walk(item.id, number + ".")

    walk(None, "")
    return ordered


ANSWER_STATUS = {"attend": "present", "attend_online": "online", "absent": "absent", "deputy": "absent",
                 "pending": "absent"}


CHECKIN_STATUS = {"in_room": "present", "online": "online", "absent": "absent"}


def _status(p: Participant, deputies: dict[int, Participant], checkins: dict[int, CheckIn],
            by_id: dict[int, Participant]) -> tuple[str, str]:
    """Attendance as recorded, with the reason for an absence: the check-in (the room's, the secretary's) where
    there is one; for a participant nobody checked in, the answer to the invitation."""
    checkin = checkins.get(p.id)
    if checkin is not None:
        if checkin.deputy_id is not None and checkin.deputy_id in by_id:
            return "absent", checkin.reason or f"cử {by_id[checkin.deputy_id].name} dự thay"
        return CHECKIN_STATUS.get(checkin.status, "absent"), checkin.reason or ""
    if p.deputy_for_id is not None:
        came = checkins.get(p.deputy_for_id)
        if came is not None:
            return ("deputy", "") if came.deputy_id == p.id else ("absent", "không điểm danh")
    if p.role in ("chair", "secretary"):
        return "present", ""
    if p.deputy_for_id is not None:
        if p.deputy_approved is False:
            return "absent", "chủ tọa không đồng ý người dự thay"
        return "deputy", ""
    status = ANSWER_STATUS.get(p.answer, "absent")
    reason = p.answer_reason or ""
    if p.answer == "deputy" and p.id in deputies:
        reason = reason or f"cử {deputies[p.id].name} dự thay"
    elif p.answer == "pending":
        reason = "không trả lời giấy mời"
    return status, reason


def _named_ballots(vote_ids: list[int]) -> dict[int, list[dict[str, object]]]:
    """Every named vote's ballots in one query of plain columns: who (the person's name, or the guest's), the
    options' labels, how it arrived. ``meetings.votes.service.named_list`` loads each ballot and participant as
    objects, one vote at a time: for 2,000 members and 30 named votes that was ~5 of the 6 CPU seconds of
    drafting (bench/meeting_minutes.py)."""
    if not vote_ids:
        return {}
    labels = {(o.vote_id, o.key): o.label for o in db.session.execute(
        select(VoteOption).where(VoteOption.vote_id.in_(vote_ids))).scalars()}
    rows = db.session.execute(
        select(VoteVoter.vote_id, VoteVoter.channel, VoteVoter.choice, User.full_name, Participant.guest_name)
        .join(Participant, Participant.id == VoteVoter.participant_id)
        .outerjoin(User, User.id == Participant.user_id)
        .where(VoteVoter.vote_id.in_(vote_ids)).order_by(VoteVoter.vote_id, Participant.id))
    found: dict[int, list[dict[str, object]]] = {}
    for vote_id, channel, choice, full_name, guest_name in rows:
        found.setdefault(vote_id, []).append({
            "voter": full_name or guest_name or "", "channel": channel,
            "choices": [labels.get((vote_id, k), k) for k in (choice or "").split(",") if k]})
    return found


def _vote_entry(vote: Vote, number: int, ballots: dict[int, list[dict[str, object]]]) -> dict[str, object]:
    """The vote's record entry as ``meetings.votes.record.vote_record`` makes it, the named ballots taken from
    ``_named_ballots`` (same content, one query for all)."""
    if vote.kind != "named":
        return vote_record(vote, number)
    result = json.loads(vote.result or "{}")
    entry: dict[str, object] = {
        "number": number, "title": vote.title, "kind": vote.kind, "members": vote.members_at_close,
        "present": vote.present_at_close, "valid": result["valid"], "invalid": result["invalid"],
        "options": [o.label for o in vote.options], "counts": {ln["label"]: ln["votes"] for ln in result["lines"]},
        "rule": rule_record(vote), "ballots": ballots.get(vote.id, [])}
    if vote.option_set == "election":
        labels = {o.key: o.label for o in vote.options}
        entry.update(election=True, seats=vote.seats, elected=[labels[k] for k in result["elected"]])
    else:
        entry.update(approving=next(o.label for o in vote.options if o.approves),
                     result="passed" if result["passed"] else "rejected")
    return entry


def _closed_votes(meeting: Meeting, item_order: list[int]) -> dict[int | None, list[dict[str, object]]]:
    """The meeting's closed votes as record entries, numbered in the order of the agenda and, within an item, of
    closing; a vote outside the agenda under None."""
    rank = {item_id: n for n, item_id in enumerate(item_order)}
    closed = [v for v in db.session.execute(select(Vote).where(Vote.meeting_id == meeting.id,
                                                               Vote.status == "closed")).scalars()]
    closed.sort(key=lambda v: (rank.get(v.agenda_item_id, len(rank)) if v.agenda_item_id is not None else len(rank),
                               v.closed_at or v.created_at, v.id))
    ballots = _named_ballots([v.id for v in closed if v.kind == "named"])
    by_item: dict[int | None, list[dict[str, object]]] = {}
    for number, vote in enumerate(closed, start=1):
        item_id = vote.agenda_item_id if vote.agenda_item_id in rank else None
        by_item.setdefault(item_id, []).append(_vote_entry(vote, number, ballots))
    return by_item


ROLE_ORDER = {"chair": 0, "secretary": 1, "member": 2, "guest": 3}


def gather(meeting: Meeting, minutes: Minutes | None) -> f.MeetingFacts:
    participants = sorted(db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id))
                          .scalars(), key=lambda p: (ROLE_ORDER.get(p.role, 9), p.id))
    by_id = {p.id: p for p in participants}
    deputies = {p.deputy_for_id: p for p in participants if p.deputy_for_id is not None}
    checkins = {c.participant_id: c for c in db.session.execute(
        select(CheckIn).where(CheckIn.meeting_id == meeting.id)).scalars()}
    people = []
    for p in participants:
        status, reason = _status(p, deputies, checkins, by_id)
        deputy_for = by_id[p.deputy_for_id].name if p.deputy_for_id in by_id else ""
        people.append(f.Person(key=f"p{p.id}", name=p.name, role=p.role, status=status, votes=p.votes,
                               reason=reason, deputy_for=deputy_for, organisation=p.guest_organisation or ""))
    texts = {t.agenda_item_id: t for t in db.session.execute(
        select(ItemMinutes).where(ItemMinutes.meeting_id == meeting.id)).scalars()}
    opinions: dict[int, list[WrittenOpinion]] = {}
    for o in db.session.execute(select(WrittenOpinion).where(WrittenOpinion.meeting_id == meeting.id)
                                .order_by(WrittenOpinion.id)).scalars():
        opinions.setdefault(o.agenda_item_id, []).append(o)
    ordered = _ordered_items(meeting)
    votes = _closed_votes(meeting, [item.id for _, item in ordered])
    speeches: dict[int | None, list[f.Speech]] = {}
    for spoken in speakers_of(meeting.id):
        seconds = int(spoken.get("seconds") or 0)
        what = "kiến nghị thủ tục" if spoken.get("kind") == "order" else "phát biểu"
        speeches.setdefault(spoken.get("item_id"), []).append(
            f.Speech(str(spoken["name"]), f"{what} {seconds // 60} phút {seconds % 60:02d} giây"))
    papers: dict[int, list[str]] = {}
    for paper in papers_of(meeting):
        papers.setdefault(paper.agenda_item_id, []).append(paper.title + (" (dự thảo)" if paper.draft else ""))
    items = []
    for number, item in ordered:
        text = texts.get(item.id)
        items.append(f.Item(number=number, title=item.title,
                            presenter=item.presenter.full_name if item.presenter else "",
                            papers=papers.get(item.id, []), votes=votes.get(item.id, []),
                            speeches=speeches.get(item.id, []),
                            opinions=[f.Opinion(o.participant.name, o.text) for o in opinions.get(item.id, [])],
                            proceedings=text.proceedings if text else "",
                            conclusion=text.conclusion if text else ""))
    if votes.get(None):
        items.append(f.Item(number=str(len(ordered) + 1), title="Biểu quyết ngoài chương trình", votes=votes[None]))
    corrections = [f.Correction(c.target, c.recorded, c.corrected, c.reason, c.by.full_name)
                   for c in db.session.execute(select(FactCorrection).where(FactCorrection.meeting_id == meeting.id)
                                               .order_by(FactCorrection.id)).scalars()]
    chair, secretary = meeting.chair, meeting.secretary
    return f.MeetingFacts(
        organisation=meeting.organisation.name, title=meeting.title, starts_at=meeting.starts_at,
        ended_at=minutes.ended_at if minutes else ended_at(meeting),
        place=meeting.room.name if meeting.room else meeting.location,
        online_link=meeting.online_link or "" if meeting.mode != "in_person" else "",
        chair=chair.full_name, chair_title=chair.title, secretary=secretary.full_name, people=people, items=items,
        event_log=event_log_of(meeting), opening=minutes.opening if minutes else "",
        closing=minutes.closing if minutes else "", corrections=corrections)


def event_lines(meeting: Meeting) -> list[bytes]:
    """The meeting's event log (``meetings.live``), one canonical JSON line per event in sequence order: what the
    record's hash covers and what the meeting file carries, so ``python -m signing record --event-log`` can check."""
    rows = db.session.execute(select(MeetingEvent).where(MeetingEvent.meeting_id == meeting.id)
                              .order_by(MeetingEvent.seq)).scalars()
    return [canonical(row.payload()) for row in rows]


def event_log_of(meeting: Meeting) -> dict[str, object]:
    lines = event_lines(meeting)
    return {"events": len(lines), "sha256": event_log_hash(lines)}


def content(meeting: Meeting, minutes: Minutes | None) -> tuple[f.MeetingFacts, dict[str, object], str]:
    facts = gather(meeting, minutes)
    data = f.record_of(facts)
    return facts, data, f.body_of(facts, data)


# --- the Biên bản as an outgoing document -----------------------------------------------------------------------

def _render(doc: OutgoingDocument, meeting: Meeting, data: dict[str, object], body: str) -> bytes:
    """Form 1.9 through the documents' renderer: THƯ KÝ left, CHỦ TỌA right, the record embedded before any
    signature."""
    spec = replace(spec_for(doc), body=body, signer=SignerBlock(title="CHỦ TỌA", full_name=meeting.chair.full_name),
                   cosigner=SignerBlock(title="THƯ KÝ", full_name=meeting.secretary.full_name))
    return embed_record(render_pdf(spec).pdf, data)


def _draft_data(doc: OutgoingDocument | None, meeting: Meeting, body: str) -> drafting.DraftData:
    if doc is not None:
        data = drafting.draft_data_of(doc)
        data.body = body
        return data
    return drafting.DraftData(type_code=MINUTES_TYPE, summary=meeting.title, body=body, signer_id=meeting.chair_id,
                              signer_title="CHỦ TỌA")


def _new_version(actor: User, minutes: Minutes, meeting: Meeting, *, note: str = "",
                 sign_pin: str | None = None) -> OutgoingDocument:
    """A new version of the Biên bản from the current facts and text; signed by the secretary with ``sign_pin``."""
    _, data, body = content(meeting, minutes)
    doc = minutes.document
    draft = _draft_data(doc, meeting, body)
    draft.note = note
    if doc is None:
        try:
            doc = drafting.create_draft(actor, draft, source="pdf")
        except ValidationFailed as exc:
            if exc.field == "signer_id":
                raise ValidationFailed(f"Chủ tọa {meeting.chair.full_name} phải là lãnh đạo đang hoạt động của cơ quan "
                                       "để ký số biên bản (ô CHỦ TỌA).", field="chair_id") from None
            raise
        minutes.document_id = doc.id
    else:
        drafting.update_draft(actor, doc, draft, source="pdf")
    pdf = _render(doc, meeting, data, body)
    if sign_pin is not None:
        pdf = _secretary_signature(actor, pdf, sign_pin)
    version = doc.current_version
    assert version is not None
    version.pdf_file_id = store_bytes(pdf, f"bien-ban-v{version.number}.pdf", uploader=actor, purpose="document",
                                      media_type=sniff.PDF).id
    minutes.record_sha256 = hashlib.sha256(canonical(data)).hexdigest()
    minutes.secretary_version_id = version.id if sign_pin is not None else None
    return doc


def _require_editable(minutes: Minutes) -> None:
    doc = minutes.document
    if doc is not None and doc.status_enum in LOCKED_STATUSES:
        raise Conflict("Biên bản đã trình chủ tọa ký hoặc đã ban hành: không sửa được nữa. Muốn sửa khi chưa ban hành, "
                       "chủ tọa trả lại biên bản cho thư ký.")


def draft_minutes(actor: User, meeting: Meeting) -> Minutes:
    """The secretary's Biên bản, drafted from what the system recorded."""
    policy.require(policy.is_secretary(actor, meeting), "Chỉ thư ký cuộc họp soạn biên bản.")
    require_ended(meeting, "soạn biên bản")
    minutes = ensure_minutes(actor, meeting)
    if minutes.document_id is not None:
        raise Conflict("Biên bản của cuộc họp đã được soạn.")
    doc = _new_version(actor, minutes, meeting, note="Soạn từ dữ liệu cuộc họp")
    record("meeting.minutes_draft", minutes, actor=actor, organisation_id=meeting.organisation_id,
           changes={"document_id": doc.id, "record_sha256": minutes.record_sha256})
    return minutes


def _text(value: str, field: str, what: str) -> str:
    text = clean(value).replace("\r\n", "\n")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"{what} dài quá {MAX_TEXT} ký tự.", field=field)
    return text


def save_text(actor: User, meeting: Meeting, *, opening: str | None = None, closing: str | None = None,
              items: dict[int, tuple[str | None, str | None]] | None = None) -> Minutes:
    """The secretary's text (before the first item, after the last, each item's discussion) and the conclusions
    (the chair may enter them too). ``items``: agenda item id → (proceedings, conclusion), None keeps a value.
    The secretary's save makes a new version of the Biên bản; the chair's conclusions reach it at the secretary's
    next save or signature."""
    policy.require(policy.can_write_minutes(actor, meeting), "Chỉ chủ tọa và thư ký cuộc họp ghi biên bản, kết luận.")
    require_ended(meeting, "ghi biên bản")
    minutes = ensure_minutes(actor, meeting)
    _require_editable(minutes)
    secretary = policy.is_secretary(actor, meeting)
    if (opening is not None or closing is not None) and not secretary:
        raise ValidationFailed("Chỉ thư ký sửa lời văn của biên bản; chủ tọa ghi kết luận.", field="opening")
    if opening is not None:
        minutes.opening = _text(opening, "opening", "Phần mở đầu")
    if closing is not None:
        minutes.closing = _text(closing, "closing", "Phần kết thúc")
    valid = {item.id for _, item in _ordered_items(meeting)}
    changed: list[int] = []
    for item_id, (proceedings, conclusion) in (items or {}).items():
        if item_id not in valid:
            raise ValidationFailed("Nội dung không thuộc cuộc họp này.", field="items")
        if proceedings is not None and not secretary:
            raise ValidationFailed("Chỉ thư ký ghi diễn biến; chủ tọa ghi kết luận.", field="proceedings")
        row = db.session.execute(select(ItemMinutes).where(ItemMinutes.agenda_item_id == item_id)).scalar_one_or_none()
        if row is None:
            row = ItemMinutes(meeting_id=meeting.id, agenda_item_id=item_id, proceedings="", conclusion="",
                              updated_by_id=actor.id)
            db.session.add(row)
        if proceedings is not None:
            row.proceedings = _text(proceedings, "proceedings", "Diễn biến")
        if conclusion is not None:
            row.conclusion = _text(conclusion, "conclusion", "Kết luận")
        row.updated_by_id = actor.id
        changed.append(item_id)
    db.session.flush()
    if secretary and minutes.document is not None:
        _new_version(actor, minutes, meeting, note="Thư ký sửa lời văn")
    record("meeting.minutes_text", minutes, actor=actor, organisation_id=meeting.organisation_id,
           changes={"items": changed, "opening": opening is not None, "closing": closing is not None})
    return minutes


def _fact_targets(meeting: Meeting, minutes: Minutes) -> dict[str, str]:
    """Every recorded fact a correction may change, with its value as it stands now."""
    facts = gather(meeting, minutes)
    people = {p.key: p for p in f.corrected_people(facts)}
    targets = {}
    for key, p in people.items():
        targets[f"person:{key}:status"] = p.status
        targets[f"person:{key}:reason"] = p.reason
    for number, vote in f.corrected_votes(facts).items():
        for option, count in vote["counts"].items():
            targets[f"vote:{number}:{option}"] = str(count)
        targets[f"vote:{number}:result"] = str(vote.get("result", ""))
    return targets


def correct_fact(actor: User, meeting: Meeting, target: str, corrected: str, reason: str) -> FactCorrection:
    """A recorded fact changed, shown as a correction (never a silent edit): in the text beside the value first
    recorded, and in the embedded record."""
    policy.require(policy.is_secretary(actor, meeting), "Chỉ thư ký cuộc họp đính chính dữ liệu trong biên bản.")
    require_ended(meeting, "đính chính biên bản")
    minutes = ensure_minutes(actor, meeting)
    _require_editable(minutes)
    target, corrected, reason = clean(target), clean(corrected), clean(reason)
    targets = _fact_targets(meeting, minutes)
    if target not in targets:
        raise ValidationFailed("Không có dữ liệu này trong biên bản để đính chính.", field="target")
    if not reason:
        raise ValidationFailed("Ghi rõ lý do đính chính.", field="reason")
    if len(reason) > 2000 or len(corrected) > 2000:
        raise ValidationFailed("Nội dung đính chính dài quá 2000 ký tự.", field="corrected")
    if target.endswith(":status") and corrected not in f.STATUS_TEXT:
        raise ValidationFailed("Tình trạng tham dự phải là có mặt, trực tuyến, vắng mặt hoặc dự thay.",
                               field="corrected")
    if target.startswith("vote:") and not target.endswith(":result") and not (corrected.isdigit()
                                                                             and len(corrected) <= 6):
        raise ValidationFailed("Số phiếu phải là số nguyên không âm.", field="corrected")
    if target.endswith(":result") and corrected not in ("passed", "rejected"):
        raise ValidationFailed("Kết quả phải là thông qua hoặc không thông qua.", field="corrected")
    if targets[target] == corrected:
        raise ValidationFailed("Giá trị mới giống giá trị đang ghi: không có gì để đính chính.", field="corrected")
    row = FactCorrection(meeting_id=meeting.id, target=target, recorded=targets[target], corrected=corrected,
                         reason=reason, by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    if minutes.document is not None:
        _new_version(actor, minutes, meeting, note=f"Đính chính: {target}")
    record("meeting.minutes_correct", row, actor=actor, organisation_id=meeting.organisation_id,
           changes={"target": target, "recorded": row.recorded, "corrected": corrected, "reason": reason})
    return row


# --- signatures ------------------------------------------------------------------------------------------------

def _secretary_signature(actor: User, pdf: bytes, pin: str) -> bytes:
    """The secretary's signature in the THƯ KÝ field, with their image, the organisation's trust and revocation
    settings and timestamp authority, as the documents' signer gets."""
    if actor.signature_file_id is None:
        raise SigningRefused("Bạn chưa có ảnh chữ ký (PNG). Hãy tải ảnh chữ ký ở trang tài khoản.")
    image = db.session.get(StoredFile, actor.signature_file_id)
    assert image is not None
    stamper = timestamper()
    options = {"validation_context": validation_context(actor.organisation_id), "timestamper": stamper,
               "embed_validation_info": stamper is not None and revocation_mode() != "off"}
    with personal_key(actor, pin) as key:
        try:
            return sign_pdf(pdf, key, field=COSIGNER_FIELD, image_png=read_verified(image),
                            location=actor.organisation.place_name, **options)  # type: ignore[arg-type]
        except SigningError as exc:
            raise SigningRefused(f"Không ký được: {in_vietnamese(str(exc)).rstrip('.')}.") from None


def sign_as_secretary(actor: User, meeting: Meeting, pin: str) -> Minutes:
    """The secretary signs a version rendered afresh from the current facts and text (THƯ KÝ)."""
    policy.require(policy.is_secretary(actor, meeting), policy.NOT_SECRETARY)
    minutes = minutes_of(meeting)
    if minutes is None or minutes.document is None:
        raise ValidationFailed("Chưa có biên bản để ký: hãy soạn biên bản trước.")
    _require_editable(minutes)
    doc = _new_version(actor, minutes, meeting, note="Thư ký ký số", sign_pin=pin)
    record("meeting.minutes_secretary_sign", minutes, actor=actor, organisation_id=meeting.organisation_id,
           changes={"document_id": doc.id, "version_id": minutes.secretary_version_id,
                    "record_sha256": minutes.record_sha256})
    return minutes


def signed_by_secretary(minutes: Minutes, meeting: Meeting) -> bool:
    """The current version is the one the secretary signed, and nothing the minutes say has changed since (a
    conclusion the chair entered, a correction)."""
    doc = minutes.document
    if doc is None or minutes.secretary_version_id is None or doc.current_version is None:
        return False
    if doc.current_version.id != minutes.secretary_version_id:
        return False
    _, data, body = content(meeting, minutes)
    return doc.body == body and hashlib.sha256(canonical(data)).hexdigest() == minutes.record_sha256


def submit(actor: User, meeting: Meeting) -> Minutes:
    """Trình chủ tọa ký: only a Biên bản the secretary signed as it stands."""
    policy.require(policy.is_secretary(actor, meeting), "Chỉ thư ký trình biên bản cho chủ tọa ký.")
    minutes = minutes_of(meeting)
    if minutes is None or minutes.document is None:
        raise ValidationFailed("Chưa có biên bản để trình ký.")
    if not signed_by_secretary(minutes, meeting):
        raise ValidationFailed("Biên bản chưa có chữ ký số của thư ký, hoặc đã thay đổi sau khi thư ký ký (kết luận, "
                               "đính chính): thư ký cần ký lại trước khi trình chủ tọa.", field="pin")
    review.submit(actor, minutes.document)
    return minutes


def sign_as_chair(actor: User, meeting: Meeting, pin: str) -> Minutes:
    """The chair approves (if not yet) and signs the Biên bản as CHỦ TỌA, through the documents flow."""
    policy.require(policy.is_chair(actor, meeting), policy.NOT_CHAIR)
    minutes = minutes_of(meeting)
    if minutes is None or minutes.document is None:
        raise ValidationFailed("Chưa có biên bản để ký.")
    doc = locked(minutes.document)
    if doc.status_enum is Status.SUBMITTED:
        if not signed_by_secretary(minutes, meeting):
            raise ValidationFailed("Biên bản chưa có chữ ký số của thư ký: trả lại để thư ký ký trước.")
        review.approve(actor, doc)
    elif doc.status_enum is not Status.APPROVED:
        raise ValidationFailed("Biên bản chưa được thư ký trình ký.")
    sign_with_pin(actor, doc, pin)
    record("meeting.minutes_chair_sign", minutes, actor=actor, organisation_id=meeting.organisation_id,
           changes={"document_id": doc.id})
    return minutes


def minutes_for_document(doc: OutgoingDocument) -> Minutes | None:
    return db.session.execute(select(Minutes).where(Minutes.document_id == doc.id)).scalar_one_or_none()


def check_on_issue(doc: OutgoingDocument) -> None:
    """The issue hook (in the issuing transaction): a meeting's Biên bản is issued only signed by its secretary
    (THƯ KÝ, on the version they signed) and its chair (CHỦ TỌA); otherwise the issue is refused and its number
    rolled back."""
    minutes = minutes_for_document(doc)
    if minutes is None:
        return
    meeting = minutes.meeting
    current = doc.current_version
    problems = []
    if doc.signer_id != meeting.chair_id:
        problems.append(f"người ký không phải chủ tọa cuộc họp ({meeting.chair.full_name})")
    if current is None or current.id != minutes.secretary_version_id:
        problems.append(f"bản được duyệt không phải bản thư ký ({meeting.secretary.full_name}) đã ký")
    if doc.signed_file is not None:
        fields = signed_fields(read_verified(doc.signed_file))
        if not {COSIGNER_FIELD, SIGNATURE_FIELD} <= fields:
            problems.append("tệp thiếu chữ ký số của thư ký hoặc của chủ tọa")
    else:
        problems.append("biên bản chưa được ký số")
    if problems:
        raise Conflict("Không ban hành được biên bản: " + "; ".join(problems) + ".")


def linked_meeting(doc: OutgoingDocument) -> tuple[Minutes, str] | None:
    """The minutes this document is the Biên bản or the notice of, and which."""
    row = db.session.execute(select(Minutes).where((Minutes.document_id == doc.id) | (Minutes.notice_id == doc.id))
                             ).scalar_one_or_none()
    if row is None:
        return None
    return row, "minutes" if row.document_id == doc.id else "notice"


def meeting_day(meeting: Meeting) -> date:
    return vietnam_time(meeting.starts_at).date()
