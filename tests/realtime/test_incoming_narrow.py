"""The incoming pages (and the working calendar's) at a phone's width (390 px) and a tablet's (768 px) in a real
Chromium: nothing makes the page scroll sideways (wide registers scroll inside their box), no internal name shows,
and the board draws its charts from the vendored Chart.js with no error. Screenshots in test-artifacts/narrow/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.realtime.test_browser import _sign_in
from tests.realtime.test_narrow_screens import ART, LEAKS, WIDTHS
from tests.support.live import live_server

pytestmark = pytest.mark.browser

PAGES = {
    "vanthu": ["/incoming/", "/incoming/new", "{doc}", "/incoming/registers", "/incoming/registers?kind=tracker",
               "/incoming/board"],
    "chutich": ["/incoming/?box=presented", "{doc}", "/incoming/board", "{listed}"],
    "chuyenvien": ["/incoming/?box=assigned", "{doc}"],
    "quantri": ["/calendar/"],
}


@pytest.fixture
def incoming_pages(served_env: dict[str, str]) -> dict[str, str]:
    """An incoming document registered, presented to the chair and directed to Ban Tuyên giáo."""
    from sqlalchemy import select

    from edoc.accounts.models import User
    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.clock import vietnam_today
    from edoc.core.db import db
    from edoc.incoming import service
    from edoc.incoming.intake import Part
    from edoc.organisations.models import Unit
    from edoc.tasks.service import Assignee
    from tests.incoming.conftest import data, text_pdf

    app = create_app(Settings.from_env(served_env))
    with app.app_context():
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        clerk, chair = users["vanthu"], users["chutich"]
        arrival = service.check_files(clerk.organisation_id, [Part("cong-van.pdf", text_pdf())])
        doc = service.register_arrival(clerk, service.precheck(clerk, data()), arrival)
        service.present(clerk, doc, chair.id)
        unit = db.session.execute(select(Unit).where(Unit.abbreviation == "TG")).scalars().first()
        service.direct(chair, doc, "Giao Ban Tuyên giáo chủ trì tham mưu kế hoạch thực hiện",
                       [Assignee("lead", unit_id=unit.id, instructions="Dự thảo kế hoạch")],
                       deadline=vietnam_today() + timedelta(days=10))
        db.session.commit()
        pages = {"doc": f"/incoming/{doc.id}",
                 "listed": f"/incoming/board/list?year={vietnam_today().year}&kind=in_progress&unit={unit.id}"}
        db.session.remove()
        db.engine.dispose()
    return pages


def test_incoming_pages_fit_a_phone_and_a_tablet(incoming_pages, browser, served_env, tmp_path):
    ART.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with live_server(served_env, tmp_path / "server.log") as base:
        for username, paths in PAGES.items():
            context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
            page = _sign_in(context, base, username)
            errors: list[str] = []
            page.on("pageerror", lambda error, errors=errors: errors.append(error))  # each context its own list
            for device, (width, height) in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                for path in paths:
                    url = base + path.format(**incoming_pages)
                    response = page.goto(url)
                    assert response is not None and response.status == 200, (username, path, response and
                                                                                response.status)
                    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
                    if overflow > 1:
                        problems.append(f"{device} {username} {path}: {overflow}px wider than the screen")
                    leak = LEAKS.search(page.locator("body").inner_text())
                    if leak:
                        problems.append(f"{device} {username} {path}: shows “{leak.group(0)}”")
                    if path == "/incoming/board":
                        drawn = page.evaluate("() => typeof Chart !== 'undefined' && "
                                              "!!Chart.getChart(document.getElementById('chart-month'))")
                        if not drawn:
                            problems.append(f"{device} {username}: the board's chart is not drawn")
                    name = re.sub(r"[^a-z0-9]+", "-", path.format(**incoming_pages)).strip("-")
                    page.screenshot(path=str(ART / f"{device}-{username}-{name}.png"), full_page=True)
            problems += [f"{username}: script error {e}" for e in map(str, errors)]
            context.close()
    assert not problems, "\n".join(problems)
