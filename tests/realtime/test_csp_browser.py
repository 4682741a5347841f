"""The pages' Content-Security-Policy in Chromium: the shared ``browser`` fixture's watch catches a violation (so
its silence in every other browser test means something), and a PDF shown inline still displays under the
policy files are sent with."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtime.test_browser import _sign_in
from tests.support.live import live_server

pytestmark = pytest.mark.browser


def test_the_watch_reports_an_inline_script_the_policy_refuses(browser):
    page = browser.new_page()
    page.route("http://edoc.test/probe", lambda route: route.fulfill(
        status=200, content_type="text/html", headers={"Content-Security-Policy": "script-src 'self'"},
        body="<!doctype html><p>probe</p><script>document.title = 'ran';</script>"))
    page.goto("http://edoc.test/probe")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(300)  # the binding's report is asynchronous
    assert page.title() != "ran"
    caught = list(browser.violations)
    browser.violations.clear()  # this test's violation is the point; the fixture must not fail it
    assert any("script-src" in v for v in caught), caught
    assert any("Content Security Policy" in v for v in caught), caught  # the console's line too


def test_a_pdf_shown_inline_displays_under_the_policy(browser, served_env, tmp_path: Path):
    from edoc.accounts.models import User
    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.db import db
    from edoc.files import sniff
    from edoc.files.service import store_bytes
    from tests.signatures.test_signatures import _report_pdf

    app = create_app(Settings.from_env(served_env))
    with app.app_context():
        leader = db.session.query(User).filter_by(username="chutich").one()
        file_id = store_bytes(_report_pdf("Nguyễn Văn Hùng"), "bao-cao.pdf", uploader=leader, purpose="upload",
                              media_type=sniff.PDF).id
        db.session.commit()
        db.engine.dispose()
    with live_server(served_env, tmp_path / "server.log") as base:
        page = _sign_in(browser.new_context(locale="vi-VN"), base, "chutich")
        response = page.goto(f"{base}/files/{file_id}?inline=1")
        assert response is not None and response.headers["content-type"] == "application/pdf"
        # the file's own policy (nothing in it may run), as the server sends it
        direct = page.request.get(f"{base}/files/{file_id}?inline=1")
        assert "default-src 'none'" in direct.headers["content-security-policy"]
        assert direct.headers["x-frame-options"] == "DENY"
        # Chromium's viewer shows it: its frame is there and the page is drawn (mostly white where it lies)
        from PIL import Image

        shot, white = tmp_path / "pdf.png", 0.0
        for _ in range(20):  # the viewer draws the page a moment after it loads; a busy machine takes longer
            page.wait_for_timeout(500)
            page.screenshot(path=str(shot))
            with Image.open(shot) as image:
                region = image.convert("L").crop((450, 120, 1100, 700))
                white = sum(region.histogram()[246:]) / (region.width * region.height)
            if white > 0.8:
                break
        assert white > 0.8, f"the PDF page was not drawn ({white:.0%} white)"
