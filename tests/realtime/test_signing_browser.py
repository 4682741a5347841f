"""Batch signing in a real browser: the progress bar moves as each document is signed, without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtime.test_browser import _sign_in, browser  # noqa: F401  (the fixture)
from tests.support.live import live_server

pytestmark = pytest.mark.browser


def _approved_documents(base_env: dict[str, str], count: int) -> None:
    from edoc.accounts.models import User
    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.db import db
    from edoc.documents import service, sources

    app = create_app(Settings.from_env(base_env))
    with app.app_context():
        users = {u.username: u for u in db.session.query(User)}
        for i in range(count):
            doc = service.create_draft(users["chuyenvien"], service.DraftData(
                type_code="TB", summary=f"Thông báo số {i + 1} về lịch công tác tháng 12",
                body="Thường trực LĐLĐ huyện thông báo lịch công tác.", signer_id=users["chutich"].id))
            sources.render_version(doc)
            service.submit(users["chuyenvien"], doc)
            service.approve(users["chutich"], doc)
        db.session.commit()
        db.engine.dispose()


def test_batch_signing_progress_bar(browser, served_env, tmp_path):  # noqa: F811
    _approved_documents(served_env, 3)
    with live_server(served_env, tmp_path / "server.log") as base:
        leader = _sign_in(browser.new_context(locale="vi-VN"), base, "chutich")
        leader.goto(f"{base}/signatures/pending")
        leader.wait_for_selector("body[data-realtime=connected]")
        assert leader.locator("input[name=ids]").count() == 3
        # every width the bar takes, as the browser renders it: it must step through each document
        leader.evaluate("""() => { window.widths = [];
            new MutationObserver(() => window.widths.push(document.getElementById("progress-bar").style.width))
              .observe(document.getElementById("progress-bar"), {attributes: true}); }""")
        leader.fill("#pin", "123456")
        leader.click("#batch-sign")
        leader.wait_for_selector("body[data-batch=done]", timeout=30_000)
        # the answer may come before the last event; the bar still steps through each document
        leader.wait_for_function("window.widths.length >= 3", timeout=10_000)
        assert leader.evaluate("window.widths") == ["33%", "67%", "100%"]
        assert leader.locator("text=Đã ký 3/3 văn bản.").count() == 1
        assert leader.locator("td.state:has-text('Đã ký')").count() == 3
        Path("test-artifacts").mkdir(exist_ok=True)
        leader.screenshot(path="test-artifacts/batch-signing.png", full_page=True)
