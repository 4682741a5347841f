"""The live room in real browsers (Chromium through Playwright, each person in a context of their own, the
delegate on a 390 px phone): check-in and the quorum, the chair moving the agenda, the presenter's page followed
and left, the speakers' queue with a point of order, and a page that lost its network catching up when it
comes back."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import utcnow
from meetings.papers import service as papers
from meetings.papers.files import read_upload
from tests.support.live import live_server
from tests.support.meeting_room import make_live_room
from tests.support.room_browser import open_room, paper_pdf, wait_for_text

pytestmark = pytest.mark.browser
ARTIFACTS = Path("test-artifacts")


def test_chair_secretary_and_delegates_in_one_room(browser, served_env, tmp_path: Path):
    ARTIFACTS.mkdir(exist_ok=True)
    app = create_app(Settings.from_env(served_env))
    room = make_live_room(app)
    with app.app_context():  # a three-page paper on the second item, released before the meeting
        secretary, meeting = room.user("secretary"), room.meeting()
        papers.add_upload(secretary, meeting, room.items[1], read_upload(io.BytesIO(paper_pdf(3)), "du-thao.pdf"),
                          title="Dự thảo phương hướng")
        papers.set_release(secretary, meeting, utcnow() - timedelta(hours=2))
    with live_server(served_env, tmp_path / "server.log") as base:
        chair = open_room(browser, base, "r-chair", room.meeting_id, viewport={"width": 1280, "height": 900})
        secretary = open_room(browser, base, "r-secretary", room.meeting_id, viewport={"width": 1280, "height": 900})
        presenter = open_room(browser, base, "r-m1", room.meeting_id, viewport={"width": 768, "height": 1024})
        phone = open_room(browser, base, "r-m2", room.meeting_id, viewport={"width": 390, "height": 844},
                      is_mobile=True, has_touch=True)
        everyone = (chair, secretary, presenter, phone)

        # check-in: the delegate on the phone, the secretary for the presenter; the quorum moves on every page
        phone.click("button[data-checkin=in_room]")
        secretary.select_option(f"tr[data-participant='{room.participants['m1']}'] select", "online")
        for page in everyone:
            wait_for_text(page, "#quorum", "Có mặt 2/5 thành viên (tại phòng 1, trực tuyến 1, vắng 0)")
        wait_for_text(phone, "#my-status", "Có mặt tại phòng họp")
        assert "CHƯA đủ túc số" in chair.locator("#quorum").inner_text()
        chair.select_option(f"tr[data-participant='{room.participants['chair']}'] select", "in_room")
        for page in everyone:
            wait_for_text(page, "#quorum", "ĐỦ túc số")
        # a delegate has no way to move the agenda or mark others
        assert phone.locator("#agenda button").count() == 0 and phone.locator("#participants select").count() == 0

        # the chair opens the second item; every page follows, the presenter turns pages, the phone follows
        chair.click(f"#agenda li[data-item='{room.items[1]}'] button")
        for page in everyone:
            wait_for_text(page, "#current-item", "Thảo luận phương hướng năm 2027")
        presenter.click("#page-next")
        presenter.click("#page-next")
        wait_for_text(phone, "#presenter-page", "2")
        wait_for_text(phone, "#my-page", "2")
        phone.click("#my-next")  # reads ahead alone
        wait_for_text(phone, "#my-page", "3")
        presenter.click("#page-prev")
        wait_for_text(phone, "#presenter-page", "1")
        assert phone.locator("#my-page").inner_text() == "3"  # unlocked: stays where the delegate reads
        phone.click("#follow")
        wait_for_text(phone, "#my-page", "1")

        # the presenter puts the paper on screen: the phone's viewer (pdf.js) shows the presenter's page, then
        # the page the delegate reads alone, then the presenter's again
        presenter.click("#current-papers button.show-paper")
        phone.wait_for_selector("#room-viewer[data-shown='1/3'] canvas", timeout=20_000)
        presenter.click("#page-next")
        phone.wait_for_selector("#room-viewer[data-shown='2/3']", timeout=15_000)
        phone.click("#my-next")
        phone.wait_for_selector("#room-viewer[data-shown='3/3']", timeout=15_000)
        presenter.click("#page-next")
        wait_for_text(phone, "#presenter-page", "3")
        phone.click("#my-prev")
        phone.wait_for_selector("#room-viewer[data-shown='2/3']", timeout=15_000)
        assert phone.locator("#presenter-page").inner_text() == "3"  # unlocked: the viewer stays on the reader's
        phone.click("#follow")
        phone.wait_for_selector("#room-viewer[data-shown='3/3']", timeout=15_000)
        phone.screenshot(path=str(ARTIFACTS / "meeting-room-viewer-390.png"), full_page=True)

        # speakers: the phone asks to speak, the presenter raises a point of order, which goes first
        phone.click("#ask-speak")
        wait_for_text(chair, "#speaker-queue", "Đại biểu Hai")
        presenter.click("#ask-order")
        chair.wait_for_function("() => document.querySelectorAll('#speaker-queue li').length === 2")
        assert "kiến nghị thủ tục" in chair.locator("#speaker-queue li").first.inner_text()
        chair.locator("#speaker-queue li").nth(1).locator("button.give").click()
        for page in everyone:
            wait_for_text(page, "#floor", "Đang phát biểu: Đại biểu Hai")
        wait_for_text(phone, "#floor-timer", "/ 05:00")
        phone.screenshot(path=str(ARTIFACTS / "meeting-room-390.png"), full_page=True)
        chair.screenshot(path=str(ARTIFACTS / "meeting-room-chair.png"), full_page=True)

        # the phone loses its network; meanwhile the chair moves back to the first item and ends the speech
        phone.context.set_offline(True)
        phone.wait_for_selector("#meeting-room[data-live=offline]", timeout=60_000)
        chair.click(f"#agenda li[data-item='{room.items[0]}'] button")
        chair.click("#end-floor")
        wait_for_text(chair, "#floor", "Chưa ai được mời phát biểu.")
        assert "Thảo luận" in phone.locator("#current-item").inner_text()  # it could not know yet
        phone.context.set_offline(False)
        phone.wait_for_selector("#meeting-room[data-live=live]", timeout=15_000)
        wait_for_text(phone, "#current-item", "Báo cáo kết quả công tác năm 2026")
        wait_for_text(phone, "#floor", "Chưa ai được mời phát biểu.")
        wait_for_text(phone, "#spoken", "Đại biểu Hai")
