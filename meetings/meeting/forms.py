"""Reading what a page or an API client sends about a meeting or a room into the service's data, so a malformed
value is a 400 with a Vietnamese message naming the field, never a 500."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from edoc.core.clock import VIETNAM, vietnam_time
from edoc.core.errors import ValidationFailed
from edoc.core.forms import parse_int, parse_optional_id
from meetings.meeting.service import MeetingData, RoomData, vietnam_moment

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_day(raw: object, field: str, label: str) -> date:
    text = str(raw or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{label}: nhập ngày dạng dd/mm/yyyy.", field=field) from None


def parse_clock(raw: object, field: str, label: str) -> tuple[int, int]:
    match = _TIME.match(str(raw or "").strip())
    if match is None:
        raise ValidationFailed(f"{label}: nhập giờ dạng HH:MM (ví dụ 08:00).", field=field)
    return int(match.group(1)), int(match.group(2))


def parse_moment(raw: object, field: str) -> datetime:
    """An ISO 8601 moment from the API; without an offset it is read on the Vietnam clock."""
    try:
        moment = datetime.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed("Thời gian theo ISO 8601, ví dụ 2026-12-10T08:00:00+07:00.", field=field) from None
    if moment.year < 2000 or moment.year > 2100:
        raise ValidationFailed("Năm từ 2000 đến 2100.", field=field)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VIETNAM)


def _checked(form: Mapping[str, Any], name: str) -> bool:
    return str(form.get(name, "")).lower() in {"1", "on", "true", "yes"}


def meeting_form(form: Mapping[str, Any]) -> MeetingData:
    """The page's form: a day with start and end times (and an end day for a meeting of several days)."""
    day = parse_day(form.get("day"), "day", "Ngày họp")
    end_day = parse_day(form.get("end_day"), "end_day", "Ngày kết thúc") if form.get("end_day") else day
    start = parse_clock(form.get("start"), "start", "Giờ bắt đầu")
    end = parse_clock(form.get("end"), "end", "Giờ kết thúc")
    return MeetingData(
        title=str(form.get("title", "")), kind=str(form.get("kind", "regular")),
        mode=str(form.get("mode", "in_person")), starts_at=vietnam_moment(day, *start),
        ends_at=vietnam_moment(end_day, *end), room_id=parse_optional_id(form.get("room_id"), field="room_id"),
        location=str(form.get("location", "")), online_link=str(form.get("online_link", "")),
        chair_id=parse_optional_id(form.get("chair_id"), field="chair_id"),
        secretary_id=parse_optional_id(form.get("secretary_id"), field="secretary_id"),
        requires_approval=_checked(form, "requires_approval"),
        quorum_rule=str(form.get("quorum_rule", "half_members")),
        allow_remote_vote=_checked(form, "allow_remote_vote"), notes=str(form.get("notes", "")))


def form_of(data: MeetingData) -> dict[str, Any]:
    """The form's values for a meeting (to edit it)."""
    assert data.starts_at is not None and data.ends_at is not None
    start, end = vietnam_time(data.starts_at), vietnam_time(data.ends_at)
    return {"title": data.title, "kind": data.kind, "mode": data.mode, "day": start.date().isoformat(),
            "end_day": end.date().isoformat() if end.date() != start.date() else "",
            "start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "room_id": data.room_id or "",
            "location": data.location, "online_link": data.online_link, "chair_id": data.chair_id,
            "secretary_id": data.secretary_id, "requires_approval": data.requires_approval,
            "quorum_rule": data.quorum_rule, "allow_remote_vote": data.allow_remote_vote, "notes": data.notes}


def parse_version(raw: object) -> int | None:
    if raw in (None, ""):
        return None
    return parse_int(raw, field="version", minimum=1, maximum=2**31 - 1, message="Phiên bản không hợp lệ.")


def room_form(form: Mapping[str, Any]) -> RoomData:
    capacity = parse_int(form.get("capacity") or 0, field="capacity", minimum=0, maximum=100_000,
                         message="Sức chứa từ 0 đến 100000 người.")
    return RoomData(name=str(form.get("name", "")), capacity=capacity, equipment=str(form.get("equipment", "")),
                    active=_checked(form, "active") if form.get("_has_active") else True)
