"""Meetings made through the service, as the pages do; the demo organisation's people play the roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask

from edoc.accounts.models import User
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from meetings.meeting import service

DAY = vietnam_today() + timedelta(days=7)
"""The meetings' day: a week ahead, so none has started."""


def meeting_data(demo: dict[str, int], day: date = DAY, start: tuple[int, int] = (8, 0),
                 end: tuple[int, int] = (10, 0), **overrides: object) -> service.MeetingData:
    values: dict[str, object] = {
        "title": "Hội nghị Ban Thường vụ tháng 12", "kind": "regular", "mode": "in_person",
        "starts_at": service.vietnam_moment(day, *start), "ends_at": service.vietnam_moment(day, *end),
        "chair_id": demo["chutich"], "secretary_id": demo["thuky"], "notes": "Mang theo tài liệu đã gửi."}
    values.update(overrides)
    return service.MeetingData(**values)  # type: ignore[arg-type]


@pytest.fixture
def room(app: Flask, demo: dict[str, int]) -> int:
    """Phòng họp tầng 2, made by the clerk (the office manages rooms)."""
    with app.app_context():
        made = service.create_room(db.session.get(User, demo["vanthu"]), service.RoomData(
            name="Phòng họp tầng 2", capacity=30, equipment="Màn hình\nMáy chiếu\nHệ thống họp trực tuyến"))
        db.session.commit()
        return made.id


@pytest.fixture
def make_meeting(app: Flask, demo: dict[str, int], room: int) -> Callable[..., int]:
    def make(actor: str = "thuky", **overrides: object) -> int:
        overrides.setdefault("room_id", room)
        with app.app_context():
            m = service.create_meeting(db.session.get(User, demo[actor]), meeting_data(demo, **overrides))
            db.session.commit()
            return m.id

    return make
