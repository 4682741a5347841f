"""The live room in Chromium, for the browser tests and bench/meeting_network_cut.py: a person signed in through
the login page with the room open, waiting for text, and a paper of several pages."""

from __future__ import annotations

import io
from typing import Any

import pikepdf

from tests.documents.conftest import simple_pdf
from tests.support.meeting_room import PASSWORD

ROOM_LIVE = "#meeting-room[data-live=live]"
"""The room page once its live state is drawn."""


def open_room(browser: Any, base: str, username: str, meeting_id: int, *, ready: str = ROOM_LIVE,
              timeout: int = 20_000, **options: Any) -> Any:
    """A new browser context (``options``: viewport, …) signed in as ``username``, on the meeting's room page once
    ``ready`` is there."""
    page = browser.new_context(locale="vi-VN", **options).new_page()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/meetings/{meeting_id}/room")
    page.wait_for_selector(ready, timeout=timeout)
    return page


def wait_for_text(page: Any, selector: str, text: str, timeout: int = 15_000) -> None:
    page.wait_for_function("([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)",
                           arg=[selector, text], timeout=timeout)


def paper_pdf(pages: int) -> bytes:
    """A paper of ``pages`` pages, each saying its number."""
    out = pikepdf.Pdf.new()
    for n in range(1, pages + 1):
        out.pages.extend(pikepdf.Pdf.open(io.BytesIO(simple_pdf([f"Dự thảo phương hướng, trang {n}"]))).pages)
    data = io.BytesIO()
    out.save(data)
    return data.getvalue()
