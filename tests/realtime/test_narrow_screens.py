"""Every page a role uses, at a phone's width (390 px) and a tablet's (768 px), in a real Chromium: nothing makes
the page itself scroll sideways (wide tables scroll inside their own box), the menu is reachable, and no English
or internal field name reaches the screen. Screenshots go to test-artifacts/narrow/ for people to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.realtime.test_browser import _sign_in
from tests.support.live import live_server

pytestmark = pytest.mark.browser
ART = Path("test-artifacts") / "narrow"
WIDTHS = {"phone": (390, 844), "tablet": (768, 1024)}

PAGES = {
    "vanthu": ["/", "/documents/?tab=to_issue", "/documents/?tab=issued", "{issued}", "{to_issue}", "/registers/",
               "{register}", "/contacts/", "/notifications/", "/signatures/validate"],
    "chutich": ["/", "/documents/?tab=to_sign", "{to_sign}", "/signatures/pending", "/profile",
                "/signatures/credential"],
    "phochutich": ["{to_approve}"],
    "chuyenvien": ["/", "/documents/?tab=mine", "/documents/new", "{returned}", "/files/"],
    "daibieu": ["/", "/documents/?tab=inbox", "{issued}"],
    "quantri": ["/admin/", "/signatures/trust"],
}
"""Who looks at what: {name} stands for a demo document's page, found by its status."""

LEAKS = re.compile(r"\b(sig_signer|sig_seal|doc_day|doc_month|doc_year|doc_number|Common Name|Organization|"
                   r"None|null|undefined|Traceback)\b")


@pytest.fixture
def demo_pages(served_env: dict[str, str]) -> dict[str, str]:
    """Made before the browser starts: signing runs its own event loop, which Playwright's would refuse."""
    return _demo_pages(served_env)


def _demo_pages(env: dict[str, str]) -> dict[str, str]:
    """The demo's documents at each step (``edoc demo`` makes them), as page addresses."""
    from sqlalchemy import select

    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.db import db
    from edoc.demo import load_demo_documents
    from edoc.documents.models import OutgoingDocument
    from edoc.organisations.models import Organisation
    from edoc.registers.models import Register

    app = create_app(Settings.from_env(env))
    with app.app_context():
        load_demo_documents(db.session.execute(select(Organisation)).scalar_one())
        db.session.commit()
        docs = db.session.execute(select(OutgoingDocument)).scalars().all()
        by_status = {d.status: d.id for d in docs}
        awaiting = next(d.id for d in docs if d.status == "approved")
        register = db.session.execute(select(Register.id).where(Register.kind == "outgoing")).scalar_one()
        pages = {"issued": f"/documents/{by_status['issued']}", "to_issue": f"/documents/{awaiting}",
                 "to_sign": f"/documents/{awaiting}", "to_approve": f"/documents/{by_status['submitted']}",
                 "returned": f"/documents/{by_status['returned']}", "register": f"/registers/{register}"}
        db.session.remove()
        db.engine.dispose()
    return pages


def test_every_page_fits_a_phone_and_a_tablet(demo_pages, browser, served_env, tmp_path):
    ART.mkdir(parents=True, exist_ok=True)
    pages = demo_pages
    problems: list[str] = []
    with live_server(served_env, tmp_path / "server.log") as base:
        for username, paths in PAGES.items():
            context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
            page = _sign_in(context, base, username)
            for device, (width, height) in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                for path in paths:
                    url = base + path.format(**pages)
                    response = page.goto(url)
                    assert response is not None and response.status == 200, (username, path, response and
                                                                                response.status)
                    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
                    if overflow > 1:
                        problems.append(f"{device} {username} {path}: {overflow}px wider than the screen")
                    text = page.locator("body").inner_text()
                    leak = LEAKS.search(text)
                    if leak:
                        problems.append(f"{device} {username} {path}: shows “{leak.group(0)}”")
                    name = re.sub(r"[^a-z0-9]+", "-", path.format(**pages)).strip("-") or "home"
                    page.screenshot(path=str(ART / f"{device}-{username}-{name}.png"), full_page=True)
            context.close()
    assert not problems, "\n".join(problems)
