"""A meeting in progress with the people a vote needs: chair, secretary, five members (one replaced by an
approved deputy), a member without a vote, an outside guest with an account, and somebody from outside."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.accounts.passwords import hash_password
from edoc.admin.organisations import OrganisationData, create_organisation
from edoc.core.db import db, utcnow
from edoc.organisations.models import Organisation
from meetings.attendance.checkin import CheckIn
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting

PASSWORD = "GiaLam@2023"


@dataclass
class Room:
    meeting_id: int
    users: dict[str, int]
    participants: dict[str, int]

    def check_in(self, *names: str, channel: str = "room") -> None:
        """Check-in rows as the check-in writes them: the member's row (a deputy's for the member they replace)."""
        status = {"room": "in_room", "remote": "online", "absent": "absent"}[channel]
        for name in names:
            counted = self.participants["m5" if name == "deputy" else name]
            row = db.session.execute(select(CheckIn).where(CheckIn.participant_id == counted)).scalar_one_or_none()
            if row is None:
                row = CheckIn(meeting_id=self.meeting_id, participant_id=counted, method="self",
                              by_user_id=self.users[name])
                db.session.add(row)
            row.status, row.reason = status, "Đi công tác" if status == "absent" else ""
            row.deputy_id = self.participants["deputy"] if name == "deputy" else None
        db.session.commit()


@pytest.fixture
def room(app: Flask) -> Room:
    with app.app_context():
        org: Organisation = create_organisation(OrganisationData(
            name="CÔNG ĐOÀN VIÊN CHỨC HUYỆN", parent_name="LIÊN ĐOÀN LAO ĐỘNG HUYỆN", abbreviation="CĐVC",
            place_name="Gia Lâm"))
        db.session.flush()
        people = {"chair": ("Nguyễn Văn Chủ", Role.LEADER), "secretary": ("Trần Thị Thư", Role.SECRETARY),
                  **{f"m{i}": (f"Đại biểu Số {i}", Role.DELEGATE) for i in range(1, 6)},
                  "deputy": ("Lê Văn Thay", Role.DELEGATE), "novote": ("Phạm Dự Thính", Role.DELEGATE),
                  "guest": ("Khách Mời", Role.DELEGATE), "outsider": ("Người Ngoài", Role.DELEGATE)}
        users: dict[str, User] = {}
        for name, (full_name, role) in people.items():
            user = User(organisation_id=org.id, username=f"v-{name}", full_name=full_name,
                        password_hash=hash_password(PASSWORD))
            user.roles = {role}
            db.session.add(user)
            users[name] = user
        db.session.flush()
        now = utcnow()
        meeting = Meeting(organisation_id=org.id, title="Đại hội Công đoàn viên chức nhiệm kỳ 2026-2031",
                          starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3),
                          chair_id=users["chair"].id, secretary_id=users["secretary"].id,
                          created_by_id=users["secretary"].id, status="in_progress", announced_at=now,
                          quorum_rule="half_members", allow_remote_vote=True)
        db.session.add(meeting)
        db.session.flush()
        parts: dict[str, Participant] = {}
        for name in ("chair", "secretary", "m1", "m2", "m3", "m4", "m5", "novote", "guest"):
            role = {"chair": "chair", "secretary": "secretary", "guest": "guest"}.get(name, "member")
            parts[name] = Participant(meeting_id=meeting.id, user_id=users[name].id, role=role,
                                      votes=name not in {"novote", "guest", "secretary"}, answer="attend")
        db.session.add_all(parts.values())
        db.session.flush()
        parts["m5"].answer = "deputy"
        parts["deputy"] = Participant(meeting_id=meeting.id, user_id=users["deputy"].id, role="member", votes=True,
                                      deputy_for_id=parts["m5"].id, deputy_approved=True, answer="attend")
        db.session.add(parts["deputy"])
        db.session.commit()
        made = Room(meeting.id, {k: u.id for k, u in users.items()}, {k: p.id for k, p in parts.items()})

    return made


@pytest.fixture
def as_user(app: Flask, room: Room) -> Callable[[str], User]:
    def get(name: str) -> User:
        return db.session.get(User, room.users[name])

    return get
