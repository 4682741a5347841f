"""The Giấy mời (GM, Decree 30 Appendix III form 1.7): announcing a meeting drafts it from the meeting's data as an
outgoing document of edoc (``edoc.documents.drafting``), which then goes the whole outgoing way: submitted to the
chair, approved, signed digitally, numbered and sealed by the clerk, delivered (same-installation organisations
receive it in their incoming queue) with read tracking. Its Nơi nhận is made from the participants. A change of
time or place after the announcement drafts a new Giấy mời that names the one it replaces."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.contacts.models import Contact
from edoc.core.clock import vietnam_time
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import Conflict, ValidationFailed
from edoc.core.text import clean
from edoc.documents import drafting, sources
from edoc.documents.models import OutgoingDocument
from edoc.notifications.service import notify
from edoc.organisations.models import Organisation, Unit
from meetings.meeting import policy, service
from meetings.meeting.models import Invitation, Meeting, MeetingStatus, Participant, ParticipantRole
from meetings.meeting.participants import link, participants_of

WEEKDAYS = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]
LIST_AT_MOST = 5
"""Up to this many invitees are named in the "trân trọng kính mời" line; more are "có tên tại Nơi nhận"."""
_PLACE_LEVELS = ("huyện", "quận", "tỉnh", "thành phố", "thị xã", "xã", "phường", "thị trấn")


def sentence_name(name: str) -> str:
    """An organisation's printed name (upper case) as it reads inside a sentence: "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA
    LÂM" → "Liên đoàn Lao động huyện Gia Lâm". Vietnamese capitalises the first word, the proper part of a body's
    name and place names; this knows the common shapes and the secretary can edit the draft for the rest."""
    text = " ".join(name.split()).lower()
    for proper in ("lao động", "công đoàn", "nhân dân", "mặt trận tổ quốc"):
        text = text.replace(f" {proper}", " " + proper.capitalize())
    for level in _PLACE_LEVELS:
        marker = f" {level} "
        if marker in text:
            head, _, place = text.partition(marker)
            text = head + marker + " ".join(w.capitalize() for w in place.split())
            break
    return text[:1].upper() + text[1:]


def _title(title: str) -> str:
    """A position as it reads in a sentence: "PHÓ CHỦ TỊCH" (as printed in a signer block) → "Phó Chủ tịch"."""
    if not title.isupper():
        return title
    words = title.lower().split()
    return " ".join(w.capitalize() if i == 0 or (i == 1 and words[0] == "phó") else w for i, w in enumerate(words))


def _time_line(m: Meeting) -> str:
    start, end = vietnam_time(m.starts_at), vietnam_time(m.ends_at)
    day = f"{WEEKDAYS[start.weekday()]}, ngày {start:%d} tháng {start:%m} năm {start:%Y}"
    if start.date() == end.date():
        return f"{start:%H} giờ {start:%M}, {day}"
    return (f"từ {start:%H} giờ {start:%M}, {day} đến {end:%H} giờ {end:%M}, {WEEKDAYS[end.weekday()]}, "
            f"ngày {end:%d} tháng {end:%m} năm {end:%Y}")


def _invitees(m: Meeting) -> list[Participant]:
    """Those the Giấy mời goes to: everyone but the chair (who signs it), the secretary (who drafts it) and
    deputies (the member they replace received it)."""
    return [p for p in participants_of(m) if p.role not in {ParticipantRole.CHAIR.value,
                                                            ParticipantRole.SECRETARY.value}
            and p.deputy_for_id is None]


def _contact_for(m: Meeting, org: Organisation) -> Contact:
    contact = db.session.execute(select(Contact).where(
        Contact.organisation_id == m.organisation_id, Contact.organ_id == org.organ_id, Contact.organ_id != "",
        Contact.active.is_(True)).order_by(Contact.id)).scalars().first()
    if contact is None:
        raise ValidationFailed(f"{org.name} không còn trong danh bạ của cơ quan (mã định danh {org.organ_id or '—'}):"
                               " văn thư thêm lại vào danh bạ để gửi giấy mời trên hệ thống.", field="participants")
    return contact


def recipients_for(m: Meeting) -> tuple[list[drafting.RecipientData], list[str]]:
    """(Nơi nhận, the invitees as named in the text). People of the organisation each by name; a unit invited
    whole once; each other organisation on the installation once, through its directory entry (same-installation
    delivery brings it to that organisation's incoming queue); outside guests only in the text (they have no
    address in the system: the secretary sends them the issued PDF)."""
    recipients: list[drafting.RecipientData] = []
    named: list[str] = []
    units: OrderedDict[int, Unit] = OrderedDict()
    others: OrderedDict[int, tuple[Organisation, list[str]]] = OrderedDict()
    for p in _invitees(m):
        if p.user is None:
            named.append(f"{p.guest_name}" + (f", {p.guest_organisation}" if p.guest_organisation else ""))
        elif p.user.organisation_id != m.organisation_id:
            org = p.user.organisation
            others.setdefault(org.id, (org, []))[1].append(p.user.full_name)
        elif p.unit_id is not None and p.unit is not None:
            units.setdefault(p.unit_id, p.unit)
        else:
            label = f"Đồng chí {p.user.full_name}" + (f", {_title(p.user.title)}" if p.user.title else "")
            recipients.append(drafting.RecipientData("user", "act", user_id=p.user_id, label=label))
            named.append(label[0].lower() + label[1:])
    for unit in units.values():
        recipients.append(drafting.RecipientData("unit", "act", unit_id=unit.id, label=unit.name))
        named.append(unit.name)
    for org, people in others.values():
        label = f"{sentence_name(org.name)} (đồng chí {', '.join(people)})"
        recipients.append(drafting.RecipientData("external", "act", contact_id=_contact_for(m, org).id, label=label))
        named.append(label)
    return recipients, named


def _body(m: Meeting, named: list[str], replaces: Invitation | None, reason: str) -> str:
    issuer = sentence_name(m.organisation.name)
    whom = "; ".join(named) if len(named) <= LIST_AT_MOST else "các đồng chí, đại biểu có tên tại Nơi nhận"
    lines = []
    if replaces is not None:
        first = db.session.get(OutgoingDocument, replaces.document_id)
        which = (f"Giấy mời số {first.reference}" if first is not None and first.reference
                 else f"Giấy mời gửi ngày {vietnam_time(replaces.created_at):%d/%m/%Y}")
        lines.append(f"Giấy mời này thay thế {which} ({reason}).")
    lines.append(f"{issuer} trân trọng kính mời: {whom}.")
    lines.append(f"Tới dự {m.title}.")
    chair = m.chair
    title = f", {_title(chair.title)}" if chair.title else ""
    lines.append(f"Chủ trì: đồng chí {chair.full_name}{title}.")
    lines.append(f"Thời gian: {_time_line(m)}.")
    lines.append(f"Địa điểm: {m.place}.")
    if m.notes:
        lines.append(m.notes)
    lines[-1] = lines[-1].rstrip(".") + "./."
    return "\n".join(lines)


def _draft(actor: User, m: Meeting, replaces: Invitation | None, reason: str) -> Invitation:
    chair = m.chair
    if not chair.has_role(Role.LEADER) or not chair.active:
        raise ValidationFailed("Giấy mời do người chủ trì ký: người chủ trì phải là lãnh đạo của cơ quan.",
                               field="chair_id")
    recipients, named = recipients_for(m)
    if not named:
        raise ValidationFailed("Chưa có người được mời: thêm thành phần tham dự trước khi thông báo.",
                               field="participants")
    data = drafting.DraftData(type_code="GM", summary=m.title, body=_body(m, named, replaces, reason),
                              signer_id=m.chair_id, recipients=recipients,
                              note="Giấy mời soạn từ thông tin cuộc họp" + (" (thay đổi)" if replaces else ""))
    doc = drafting.create_draft(actor, data)
    sources.render_version(doc)
    invitation = Invitation(meeting_id=m.id, document_id=doc.id, replaces_id=replaces.id if replaces else None,
                            reason=reason, starts_at=m.starts_at, place=m.place[:1500], created_by_id=actor.id)
    db.session.add(invitation)
    db.session.flush()
    return invitation


def invitations_of(m: Meeting) -> list[Invitation]:
    return list(db.session.execute(select(Invitation).where(Invitation.meeting_id == m.id)
                                   .order_by(Invitation.id)).scalars())


def announce(actor: User, m: Meeting, *, expected_version: int | None = None) -> Invitation:
    """Thông báo: the meeting is fixed, its participants see it and are told, and its Giấy mời is drafted for the
    chair's signature (the secretary checks it and submits it on the document's page)."""
    policy.require(policy.can_manage_meeting(actor, m))
    service.check_version(m, expected_version)
    if m.status_enum is MeetingStatus.DRAFT and m.requires_approval:
        raise Conflict("Cuộc họp cần văn phòng duyệt trước khi thông báo: bấm “Gửi văn phòng duyệt”.")
    if m.status_enum not in {MeetingStatus.DRAFT, MeetingStatus.APPROVED}:
        raise Conflict(f"Cuộc họp đang ở trạng thái “{m.status_label}”: không thông báo lại được.")
    if m.starts_at <= utcnow():
        raise Conflict("Cuộc họp đã qua giờ bắt đầu: không thông báo được nữa.")
    invitation = _draft(actor, m, None, "")
    m.status, m.announced_at = MeetingStatus.ANNOUNCED.value, utcnow()
    m.version += 1
    record("meeting.announce", m, actor=actor, changes={"document_id": invitation.document_id})
    for p in participants_of(m):
        if p.user_id is not None and p.user_id != actor.id:
            notify(p.user_id, "meeting", f"Giấy mời họp: {m.title[:100]} ({_time_line(m)})", link(m))
    commit()
    return invitation


def _changed(m: Meeting, starts_at: datetime, ends_at: datetime, place: str) -> list[str]:
    """What of the time and place ``m`` has now differs from the values given (those it had)."""
    what = []
    if (m.starts_at, m.ends_at) != (starts_at, ends_at):
        what.append("thời gian")
    if m.place != place:
        what.append("địa điểm")
    return what


def update(actor: User, m: Meeting, data: service.MeetingData, *, expected_version: int | None) -> Invitation | None:
    """Change the meeting; once announced, a change of time or place drafts a new Giấy mời that replaces the last
    one, in the same transaction (and is refused once the meeting has started, by ``service.update_meeting``)."""
    before = (m.starts_at, m.ends_at, m.place)
    service.apply_update(actor, m, data, expected_version=expected_version)
    what = _changed(m, *before) if m.announced_at is not None else []
    invitation = _reissue(actor, m, "thay đổi " + " và ".join(what)) if what else None
    commit()
    return invitation


def reissue(actor: User, m: Meeting, reason: str) -> Invitation:
    """A new Giấy mời replacing the last one (the secretary's "soạn lại"), refused once the meeting started."""
    invitation = _reissue(actor, m, reason)
    commit()
    return invitation


def _reissue(actor: User, m: Meeting, reason: str) -> Invitation:
    policy.require(policy.can_manage_meeting(actor, m))
    if m.status_enum is not MeetingStatus.ANNOUNCED:
        raise Conflict(f"Cuộc họp đang ở trạng thái “{m.status_label}”: không phát hành lại giấy mời được.")
    if m.starts_at <= utcnow():
        raise Conflict("Cuộc họp đã bắt đầu: không phát hành lại giấy mời được nữa.")
    reason = clean(reason)[:500] or "thay đổi"
    previous = invitations_of(m)
    invitation = _draft(actor, m, previous[-1] if previous else None, reason)
    record("meeting.reissue", m, actor=actor, changes={"document_id": invitation.document_id, "reason": reason})
    for p in participants_of(m):
        if p.user_id is not None and p.user_id != actor.id:
            notify(p.user_id, "meeting", f"Giấy mời họp thay đổi ({reason}): {m.title[:80]}", link(m))
    return invitation
