"""A secret vote in real browsers (Chromium through Playwright, each person in a context of their own, one
delegate on a 390 px phone): the chair creates and opens it, delegates vote, one of them loses the network in the
middle of the vote and its ballot goes once it is back (counted once), turnout moves live, and the result reaches
every page when the chair closes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db, utcnow
from meetings.attendance.checkin import CheckIn
from meetings.votes.models import VoteBallot, VoteVoter
from tests.realtime.conftest import browser, served_env  # noqa: F401
from tests.support.live import live_server
from tests.support.meeting_room import make_live_room
from tests.support.room_browser import open_room, wait_for_text

pytestmark = pytest.mark.browser
ARTIFACTS = Path("test-artifacts")
VOTES_LOADED = "#meeting-votes[data-loaded='1']"


def test_secret_vote_with_a_reconnect_and_the_result_on_every_page(browser, served_env, tmp_path):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    app = create_app(Settings.from_env(served_env))
    room = make_live_room(app)
    with app.app_context():
        for name in ("chair", "m1", "m2"):
            db.session.add(CheckIn(meeting_id=room.meeting_id, participant_id=room.participants[name],
                                   status="in_room", reason="", method="self", by_user_id=room.users[name],
                                   at=utcnow()))
        db.session.commit()
    with live_server(served_env, tmp_path / "server.log") as base:
        chair = open_room(browser, base, "r-chair", room.meeting_id, ready=VOTES_LOADED,
                          viewport={"width": 1280, "height": 900})
        phone = open_room(browser, base, "r-m1", room.meeting_id, ready=VOTES_LOADED,
                          viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        laptop = open_room(browser, base, "r-m2", room.meeting_id, ready=VOTES_LOADED,
                           viewport={"width": 1024, "height": 800})
        everyone = (chair, phone, laptop)
        assert phone.locator(".mv-create").is_hidden() and chair.locator(".mv-create").is_visible()

        chair.fill(".mv-create [name=title]", "Bầu Trưởng ban Nữ công")
        chair.select_option(".mv-create [name=kind]", "secret")
        chair.click(".mv-create button[type=submit]")
        chair.click(".mv-card .mv-action")  # Mở biểu quyết
        for page in everyone:
            wait_for_text(page, ".mv-card .mv-badge", "Đang biểu quyết")

        phone.click(".mv-option:has-text('Tán thành')")
        phone.click(".mv-send")
        wait_for_text(phone, ".mv-card", "Bạn đã biểu quyết (phiếu kín)")
        wait_for_text(phone, ".mv-card", "Mã phiếu của bạn")
        wait_for_text(chair, ".mv-card .mv-count", "1")

        # the laptop loses its network while sending: the ballot waits, then goes once, with the same key
        laptop.context.set_offline(True)
        laptop.click(".mv-option:has-text('Không tán thành')")
        laptop.click(".mv-send")
        wait_for_text(laptop, ".mv-status", "Mất kết nối")
        laptop.context.set_offline(False)
        wait_for_text(laptop, ".mv-card", "Bạn đã biểu quyết (phiếu kín)", timeout=30_000)
        wait_for_text(chair, ".mv-card .mv-count", "2")
        phone.screenshot(path=str(ARTIFACTS / "votes-open-390.png"), full_page=True)

        chair.once("dialog", lambda dialog: dialog.accept())
        chair.click(".mv-card .mv-action:has-text('Kết thúc')")
        for page in everyone:
            wait_for_text(page, ".mv-card .mv-headline", "Không thông qua")  # 1 of 3 present for: not more than half
            wait_for_text(page, ".mv-card .mv-reasons", "Tán thành: 1/3 thành viên có mặt")
        phone.screenshot(path=str(ARTIFACTS / "votes-result-390.png"), full_page=True)
        chair.screenshot(path=str(ARTIFACTS / "votes-result-desktop.png"), full_page=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(VoteVoter)).scalar_one() == 2
        assert db.session.execute(select(func.count()).select_from(VoteBallot)).scalar_one() == 2
        db.engine.dispose()
