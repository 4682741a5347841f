"""The room in Chromium for a delegate on a 390 px phone: private annotations on the paper on screen (drawn, pinned,
back after a reload, not on another delegate's screen), then a network cut longer than the server's ping timeout
while the chair moves the agenda and opens a vote: the paper stays readable, a note typed meanwhile is kept, and
within 3 s of the network's return the page shows the current item and the open vote, and the note is sent."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db, utcnow
from meetings.notes.models import Note, PaperAnnotation
from meetings.papers import service as papers
from meetings.papers.files import read_upload
from tests.support.live import live_server
from tests.support.meeting_room import make_live_room
from tests.support.room_browser import open_room, paper_pdf, wait_for_text

pytestmark = pytest.mark.browser
ARTIFACTS = Path("test-artifacts")
PING = 2
"""The server's ping interval and ping timeout in this test (seconds): it drops a silent page after 2 + 2 s."""


def _box(page, selector: str) -> dict[str, float]:
    """Where the element is on the screen, once scrolled into view (the mouse acts on the viewport)."""
    page.locator(selector).scroll_into_view_if_needed()
    return page.locator(selector).bounding_box()


def _drag(page, selector: str, points: list[tuple[float, float]]) -> None:
    box = _box(page, selector)
    x0, y0 = box["x"] + box["width"] * points[0][0], box["y"] + box["height"] * points[0][1]
    page.mouse.move(x0, y0)
    page.mouse.down()
    for fx, fy in points[1:]:
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=6)
    page.mouse.up()


def test_annotations_and_a_network_cut_on_a_phone(browser, served_env, tmp_path: Path):
    ARTIFACTS.mkdir(exist_ok=True)
    env = {**served_env, "EDOC_SOCKETIO_PING_INTERVAL": str(PING), "EDOC_SOCKETIO_PING_TIMEOUT": str(PING)}
    app = create_app(Settings.from_env(env))
    room = make_live_room(app)
    with app.app_context():
        secretary, meeting = room.user("secretary"), room.meeting()
        paper_id = papers.add_upload(secretary, meeting, room.items[1], read_upload(io.BytesIO(paper_pdf(2)),
                                                                                     "du-thao.pdf"),
                                     title="Dự thảo phương hướng").id
        papers.set_release(secretary, meeting, utcnow() - timedelta(hours=2))
    with live_server(env, tmp_path / "server.log") as base:
        chair = open_room(browser, base, "r-chair", room.meeting_id, viewport={"width": 1280, "height": 900})
        phone = open_room(browser, base, "r-m2", room.meeting_id, viewport={"width": 390, "height": 844},
                      is_mobile=True, has_touch=True)
        chair.click(f"#agenda li[data-item='{room.items[1]}'] button")
        chair.click("#current-papers button.show-paper")
        phone.wait_for_selector("#room-viewer[data-shown='1/2'] svg.marks", timeout=20_000)

        # a stroke and a pinned note on page 1, saved; back after a reload
        phone.click("#mark-tools [data-tool=ink]")
        _drag(phone, "#room-viewer svg.marks", [(0.2, 0.3), (0.5, 0.35), (0.7, 0.3)])
        wait_for_text(phone, "#mark-status", "Đã lưu chú thích")
        phone.click("#mark-tools [data-tool=note]")
        box = _box(phone, "#room-viewer svg.marks")
        phone.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.15)
        phone.fill("#mark-tools .note-form input", "Hỏi lại chỉ tiêu đoàn viên mới")
        phone.click("#mark-tools .note-form button[type=submit]")
        wait_for_text(phone, "#mark-notes", "1. Hỏi lại chỉ tiêu đoàn viên mới")
        phone.wait_for_function("() => !Object.keys(localStorage).some((k) => k.startsWith('edoc-annot:'))")
        phone.screenshot(path=str(ARTIFACTS / "meeting-room-marks-390.png"), full_page=True)
        phone.reload()
        phone.wait_for_selector("#room-viewer svg.marks[data-items='2']", timeout=20_000)
        wait_for_text(phone, "#mark-notes", "Hỏi lại chỉ tiêu đoàn viên mới")
        # the paper's own reading page shows the same marks over the same page
        reading = phone.context.new_page()
        reading.goto(f"{base}/meetings/{room.meeting_id}/papers/{paper_id}")
        reading.wait_for_selector("#page-1 svg.marks[data-items='2']", timeout=20_000)
        wait_for_text(reading, "#mark-notes", "Hỏi lại chỉ tiêu đoàn viên mới")
        reading.screenshot(path=str(ARTIFACTS / "meeting-paper-marks-390.png"), full_page=True)
        reading.close()
        # another delegate reading the same page sees none of it
        other = open_room(browser, base, "r-m1", room.meeting_id, viewport={"width": 768, "height": 1024})
        other.wait_for_selector("#room-viewer[data-shown='1/2'] svg.marks[data-items='0']", timeout=20_000)
        assert other.locator("#mark-notes li").count() == 0
        other.screenshot(path=str(ARTIFACTS / "meeting-room-768.png"), full_page=True)
        other.context.close()

        # the network goes; the page says so at once and stays usable
        sid = phone.evaluate("window.edocSocket.id")
        phone.context.set_offline(True)
        cut = time.monotonic()
        phone.wait_for_selector("#meeting-room[data-live=offline]", timeout=5_000)
        assert phone.locator("#room-offline").is_visible()
        phone.click("#my-next")  # the paper is in memory: the next page still draws
        phone.wait_for_selector("#room-viewer[data-shown='2/2']", timeout=15_000)
        phone.click("#mark-tools [data-tool=highlight]")
        _drag(phone, "#room-viewer svg.marks", [(0.1, 0.1), (0.6, 0.2)])
        wait_for_text(phone, "#mark-status", "Chưa gửi được chú thích")
        phone.fill("#note-text", "Ghi chú viết lúc mất mạng")
        phone.click("#note-save")
        wait_for_text(phone, "#note-status", "Chưa gửi được")
        phone.screenshot(path=str(ARTIFACTS / "meeting-room-offline-390.png"), full_page=True)

        # meanwhile the chair moves to the first item and opens a vote
        chair.click(f"#agenda li[data-item='{room.items[0]}'] button")
        chair.fill(".mv-create [name=title]", "Thông qua báo cáo kết quả công tác năm 2026")
        chair.click(".mv-create button[type=submit]")
        chair.click(".mv-card .mv-action")
        wait_for_text(chair, ".mv-card .mv-badge", "Đang biểu quyết")
        # longer than the server's ping interval + timeout: it has dropped the phone's session by now
        time.sleep(max(0.0, 3 * PING - (time.monotonic() - cut)))
        assert "Thảo luận" in phone.locator("#current-item").inner_text()  # it could not know yet

        back = time.monotonic()
        phone.context.set_offline(False)
        phone.wait_for_function(
            "() => document.querySelector('#current-item').textContent.includes('Báo cáo kết quả công tác năm 2026')"
            " && (document.querySelector('.mv-card .mv-badge')?.textContent || '').includes('Đang biểu quyết')",
            timeout=10_000, polling=50)
        recovered = time.monotonic() - back
        assert recovered < 3.0, f"the page showed the current item and the open vote {recovered:.2f} s after"
        assert phone.locator("#meeting-room").get_attribute("data-live") == "live"
        assert phone.evaluate("window.edocSocket.id") != sid  # a new session: the old one was dropped
        assert phone.locator("#room-offline").is_hidden()
        wait_for_text(phone, "#note-status", "Đã lưu.")
        phone.wait_for_function("() => !Object.keys(localStorage).some((k) => k.startsWith('edoc-annot:'))",
                                timeout=15_000)
        phone.screenshot(path=str(ARTIFACTS / "meeting-room-back-390.png"), full_page=True)
        print(f"recovered {recovered:.2f} s after the network came back")
    with app.app_context():
        user_id = room.users["m2"]
        assert db.session.execute(select(Note.text).where(Note.user_id == user_id)).scalar_one() \
            == "Ghi chú viết lúc mất mạng"
        pages = sorted(db.session.execute(select(PaperAnnotation.page).where(PaperAnnotation.user_id == user_id))
                       .scalars())
        assert pages == [1, 2]
        db.engine.dispose()
