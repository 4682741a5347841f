"""A meeting of the demo organisation, made directly (its own tests are meet-core's): chaired by chutich,
prepared by thuky, with phochutich and daibieu as members, and chuyenvien not invited."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db, utcnow
from meetings.agenda.models import AgendaItem
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from tests.documents.conftest import simple_pdf

MEMBERS = {"chutich": "chair", "thuky": "secretary", "phochutich": "member", "daibieu": "member"}


@functools.cache
def paper_pdf() -> bytes:
    return simple_pdf(["BÁO CÁO", "Tình hình hoạt động công đoàn quý IV năm 2026", "Trang một."])


@pytest.fixture
def make_meeting(app: Flask, demo: dict[str, int]) -> Callable[..., int]:
    def make(*, starts_in: timedelta = timedelta(days=14), kind: str = "regular", status: str = "announced",
             items: int = 1) -> int:
        with app.app_context():
            starts = (utcnow() + starts_in).replace(microsecond=0)
            meeting = Meeting(organisation_id=db.session.get(User, demo["thuky"]).organisation_id,
                              title="Họp Ban Thường vụ tháng 12", kind=kind, mode="in_person", starts_at=starts,
                              ends_at=starts + timedelta(hours=2), chair_id=demo["chutich"],
                              secretary_id=demo["thuky"], created_by_id=demo["thuky"], status=status,
                              announced_at=utcnow() if status == "announced" else None)
            db.session.add(meeting)
            db.session.flush()
            for username, role in MEMBERS.items():
                db.session.add(Participant(meeting_id=meeting.id, user_id=demo[username], role=role,
                                           votes=True))
            for n in range(items):
                db.session.add(AgendaItem(meeting_id=meeting.id, position=n + 1, title=f"Nội dung {n + 1}",
                                          kind="report", presenter_user_id=demo["phochutich"]))
            db.session.commit()
            return meeting.id

    return make


def first_item(app: Flask, meeting_id: int) -> int:
    with app.app_context():
        return db.session.execute(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id)
                                  .order_by(AgendaItem.position)).scalars().first()
