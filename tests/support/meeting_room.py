"""A meeting under way for the live room's tests: its own organisation (no demo: faster), a chair, a secretary,
four members (one replaced by a deputy the chair approved, one by a deputy not approved yet), a guest, and somebody
who is not invited; two agenda items, the second presented by a member. Each person signs in through the login
page with the test client (``signed_in``) and may open a Socket.IO test client (``socket``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edoc.accounts.models import Role, User
from edoc.accounts.passwords import hash_password
from edoc.admin.organisations import OrganisationData, create_organisation
from edoc.core.db import db, utcnow
from meetings.agenda.models import AgendaItem
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from tests.support.web import login

PASSWORD = "GiaLam@2023"
PEOPLE = {"chair": ("Nguyễn Văn Chủ", Role.LEADER), "secretary": ("Trần Thị Thư", Role.SECRETARY),
          "m1": ("Đại biểu Một", Role.DELEGATE), "m2": ("Đại biểu Hai", Role.DELEGATE),
          "m3": ("Đại biểu Ba", Role.DELEGATE), "m4": ("Đại biểu Bốn", Role.DELEGATE),
          "deputy": ("Lê Văn Thay", Role.DELEGATE), "pending": ("Hồ Chờ Duyệt", Role.DELEGATE),
          "guest": ("Khách Mời", Role.DELEGATE), "outsider": ("Người Ngoài", Role.DELEGATE)}


@dataclass
class LiveRoom:
    app: Flask
    meeting_id: int
    other_meeting_id: int
    users: dict[str, int]
    participants: dict[str, int]
    items: list[int]
    other_item: int
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def user(self, name: str) -> User:
        found = db.session.get(User, self.users[name])
        assert found is not None
        return found

    def meeting(self, meeting_id: int | None = None) -> Meeting:
        found = db.session.get(Meeting, meeting_id or self.meeting_id)
        assert found is not None
        return found

    def signed_in(self, name: str) -> FlaskClient:
        if name not in self.clients:
            client = self.app.test_client()
            login(client, f"r-{name}")
            self.clients[name] = client
        return self.clients[name]

    def socket(self, name: str) -> Any:
        return self.app.extensions["socketio"].test_client(self.app, flask_test_client=self.signed_in(name))


def make_live_room(app: Flask, *, status: str = "in_progress") -> LiveRoom:
    with app.app_context():
        org = create_organisation(OrganisationData(
            name="CÔNG ĐOÀN VIÊN CHỨC HUYỆN", parent_name="LIÊN ĐOÀN LAO ĐỘNG HUYỆN", abbreviation="CĐVC",
            place_name="Gia Lâm"))
        db.session.flush()
        users: dict[str, User] = {}
        for name, (full_name, role) in PEOPLE.items():
            user = User(organisation_id=org.id, username=f"r-{name}", full_name=full_name,
                        password_hash=hash_password(PASSWORD))
            user.roles = {role}
            db.session.add(user)
            users[name] = user
        db.session.flush()
        now = utcnow()

        def meeting(title: str) -> Meeting:
            m = Meeting(organisation_id=org.id, title=title, starts_at=now - timedelta(hours=1),
                        ends_at=now + timedelta(hours=3), chair_id=users["chair"].id,
                        secretary_id=users["secretary"].id, created_by_id=users["secretary"].id, status=status,
                        announced_at=now, quorum_rule="half_members")
            db.session.add(m)
            db.session.flush()
            return m

        m = meeting("Hội nghị Ban Chấp hành mở rộng")
        other = meeting("Họp giao ban tuần (cuộc họp khác)")
        parts: dict[str, Participant] = {}
        for name in ("chair", "secretary", "m1", "m2", "m3", "m4", "guest"):
            role = {"chair": "chair", "secretary": "secretary", "guest": "guest"}.get(name, "member")
            parts[name] = Participant(meeting_id=m.id, user_id=users[name].id, role=role,
                                      votes=name not in {"secretary", "guest"}, answer="attend")
        db.session.add_all(parts.values())
        db.session.flush()
        parts["deputy"] = Participant(meeting_id=m.id, user_id=users["deputy"].id, role="member", votes=True,
                                      deputy_for_id=parts["m3"].id, deputy_approved=True, answer="attend")
        parts["pending"] = Participant(meeting_id=m.id, user_id=users["pending"].id, role="member", votes=True,
                                       deputy_for_id=parts["m4"].id, deputy_approved=None, answer="attend")
        # the outsider is in the other meeting only
        db.session.add_all([parts["deputy"], parts["pending"],
                            Participant(meeting_id=other.id, user_id=users["outsider"].id, role="member",
                                        votes=True, answer="attend")])
        items = [AgendaItem(meeting_id=m.id, position=1, title="Báo cáo kết quả công tác năm 2026"),
                 AgendaItem(meeting_id=m.id, position=2, title="Thảo luận phương hướng năm 2027",
                            presenter_user_id=users["m1"].id, kind="discussion")]
        other_item = AgendaItem(meeting_id=other.id, position=1, title="Nội dung của cuộc họp khác")
        db.session.add_all([*items, other_item])
        db.session.commit()
        return LiveRoom(app, m.id, other.id, {k: u.id for k, u in users.items()},
                        {k: p.id for k, p in parts.items()}, [i.id for i in items], other_item.id)


@pytest.fixture
def live_room(app: Flask) -> LiveRoom:
    return make_live_room(app)
