"""A meeting paper read in a real Chromium with the vendored pdf.js, under the pages' strict CSP (the ``browser``
fixture fails on any violation): the module and its worker load from our origin, the page is drawn on a canvas,
at a phone's width nothing scrolls sideways, and the comment form takes the page being read. Screenshots in
test-artifacts/narrow/."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db, utcnow
from meetings.agenda import service as agenda
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from meetings.papers import files
from meetings.papers import service as papers
from tests.documents.conftest import simple_pdf
from tests.realtime.test_browser import _sign_in
from tests.realtime.test_narrow_screens import ART
from tests.support.live import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def paper_page(served_env: dict[str, str]) -> str:
    """A released draft paper of several pages of an announced meeting daibieu is invited to."""
    app = create_app(Settings.from_env(served_env))
    with app.app_context():
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        starts = (utcnow() + timedelta(days=7)).replace(microsecond=0)
        meeting = Meeting(organisation_id=users["thuky"].organisation_id, title="Họp Ban Thường vụ", kind="regular",
                          mode="in_person", starts_at=starts, ends_at=starts + timedelta(hours=2),
                          chair_id=users["chutich"].id, secretary_id=users["thuky"].id,
                          created_by_id=users["thuky"].id, status="announced", announced_at=utcnow())
        db.session.add(meeting)
        db.session.flush()
        db.session.add(Participant(meeting_id=meeting.id, user_id=users["daibieu"].id, role="member", votes=True))
        db.session.commit()
        item = agenda.create_item(users["thuky"], meeting, agenda.ItemData("Thảo luận dự thảo", "discussion",
                                                                           None, 30))
        pdf = simple_pdf(["DỰ THẢO NGHỊ QUYẾT", *["Nội dung dự thảo."] * 70])
        paper = papers.add_upload(users["thuky"], meeting, item.id, files.read_upload(io.BytesIO(pdf), "nq.pdf"),
                                  title="Dự thảo Nghị quyết", draft=True)
        papers.set_release(users["thuky"], meeting, utcnow() - timedelta(minutes=5))
        path = f"/meetings/{meeting.id}/papers/{paper.id}"
        db.session.remove()
        db.engine.dispose()
    return path


def test_a_paper_is_read_with_pdfjs_under_the_csp(browser, served_env, paper_page, tmp_path):
    ART.mkdir(parents=True, exist_ok=True)
    with live_server(served_env, tmp_path / "server.log") as base:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = _sign_in(context, base, "daibieu")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + paper_page)
        page.wait_for_selector("#pdf-viewer[data-ready], #pdf-viewer[data-error]", timeout=30_000)
        assert page.get_attribute("#pdf-viewer", "data-error") is None
        assert int(page.get_attribute("#pdf-viewer", "data-ready")) >= 2  # every page of the paper counted
        # the first page is drawn: a canvas with ink on it (not a blank rectangle)
        inked = page.evaluate("""() => {
            const c = document.querySelector('#page-1 canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let dark = 0;
            for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++;
            return dark;
        }""")
        assert inked > 100
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("#page-2").scroll_into_view_if_needed()
        # polled from here: Playwright's wait_for_function evaluates a string, which the CSP rightly refuses
        for _ in range(100):
            if page.input_value("#comment-page") == "2":
                break
            page.wait_for_timeout(100)
        assert page.input_value("#comment-page") == "2"
        page.screenshot(path=str(ART / "meeting-paper-phone.png"), full_page=True)
        assert errors == []
        context.close()
