"""Batch signing in a real browser: the progress bar moves as each document is signed, without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtime.test_browser import _sign_in
from tests.support.live import live_server

pytestmark = pytest.mark.browser


def _approved_documents(base_env: dict[str, str], count: int) -> None:
    from edoc.accounts.models import User
    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.db import db
    from edoc.documents import drafting, review, sources

    app = create_app(Settings.from_env(base_env))
    with app.app_context():
        users = {u.username: u for u in db.session.query(User)}
        for i in range(count):
            doc = drafting.create_draft(users["chuyenvien"], drafting.DraftData(
                type_code="TB", summary=f"Thông báo số {i + 1} về lịch công tác tháng 12",
                body="Thường trực LĐLĐ huyện thông báo lịch công tác.", signer_id=users["chutich"].id))
            sources.render_version(doc)
            review.submit(users["chuyenvien"], doc)
            review.approve(users["chutich"], doc)
        db.session.commit()
        db.engine.dispose()


def test_batch_signing_progress_bar(browser, served_env, tmp_path):
    _approved_documents(served_env, 3)
    with live_server(served_env, tmp_path / "server.log") as base:
        leader = _sign_in(browser.new_context(locale="vi-VN"), base, "chutich")
        leader.goto(f"{base}/signatures/pending")
        leader.wait_for_selector("body[data-realtime=connected]")
        assert leader.locator("input[name=ids]").count() == 3
        # nothing is ticked for the signer: they tick what they have read (here all three, with "select all")
        assert leader.locator("input[name=ids]:checked").count() == 0
        leader.check("#check-all")
        assert leader.locator("#picked-count").inner_text() == "3"
        # every width the bar takes, as the browser renders it: it must step through each document
        leader.evaluate("""() => { window.widths = [];
            new MutationObserver(() => window.widths.push(document.getElementById("progress-bar").style.width))
              .observe(document.getElementById("progress-bar"), {attributes: true}); }""")
        leader.fill("#pin", "123456")
        leader.click("#batch-sign")
        leader.wait_for_selector("body[data-batch=done]", timeout=30_000)
        # the answer may come before the last event; the bar still steps through each document
        leader.wait_for_function("() => window.widths.length >= 3", timeout=10_000)
        assert leader.evaluate("window.widths") == ["33%", "67%", "100%"]
        assert leader.locator("text=Đã ký 3/3 văn bản.").count() == 1
        assert leader.locator("td.state:has-text('Đã ký')").count() == 3
        Path("test-artifacts").mkdir(exist_ok=True)
        leader.screenshot(path="test-artifacts/batch-signing.png", full_page=True)


def _uploaded_without_the_name(base_env: dict[str, str]) -> int:
    """An approved draft uploaded as a PDF whose signer block does not carry the signer's name: nowhere to sign
    by itself, so the signer chooses the place."""
    from edoc.accounts.models import User
    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.db import db
    from edoc.documents import drafting, review
    from edoc.files import sniff
    from edoc.files.service import store_bytes
    from tests.documents.conftest import draft_data
    from tests.signatures.test_signatures import _report_pdf

    app = create_app(Settings.from_env(base_env))
    with app.app_context():
        users = {u.username: u for u in db.session.query(User)}
        demo = {name: user.id for name, user in users.items()}
        row = store_bytes(_report_pdf("Người Khác"), "bao-cao.pdf", uploader=users["chuyenvien"],
                          purpose="document-source", media_type=sniff.PDF)
        doc = drafting.create_draft(users["chuyenvien"], draft_data(demo, type_code="BC", recipients=[]),
                                   source="pdf", source_file=row, pdf_file=row)
        review.submit(users["chuyenvien"], doc)
        review.approve(users["chutich"], doc)
        db.session.commit()
        doc_id = doc.id
        db.engine.dispose()
    return doc_id


def test_the_signer_clicks_where_the_signature_goes(browser, served_env, tmp_path):
    """The page drawn at whatever size the browser shows it: a click a quarter of the way across and two thirds
    down the page puts the signature's centre there in PDF points (the page's own units, from its bottom)."""
    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.db import db
    from edoc.documents.models import OutgoingDocument
    from edoc.files.service import read_verified
    from signing.forms import field_boxes

    doc_id = _uploaded_without_the_name(served_env)
    with live_server(served_env, tmp_path / "server.log") as base:
        leader = _sign_in(browser.new_context(locale="vi-VN", viewport={"width": 900, "height": 900}), base,
                          "chutich")
        leader.goto(f"{base}/signatures/place/{doc_id}")
        image = leader.locator(".page-pick img").first
        image.wait_for()
        leader.wait_for_function("() => document.querySelector('.page-pick img').complete")
        shown = image.bounding_box()
        assert shown is not None and shown["width"] < 595 * 96 / 72  # drawn scaled down, not at 1 px a point
        assert leader.locator("#place-sign").is_disabled()
        image.click(position={"x": shown["width"] / 4, "y": shown["height"] * 2 / 3})
        assert leader.locator("#place-marker").is_visible()
        assert leader.locator("#place-text").inner_text().startswith("Trang 1, cách lề trái")
        leader.fill("input[name=pin]", "123456")
        leader.click("#place-sign")
        leader.wait_for_url(f"{base}/documents/{doc_id}")
        Path("test-artifacts").mkdir(exist_ok=True)
        leader.screenshot(path="test-artifacts/signed-where-clicked.png", full_page=True)

    app = create_app(Settings.from_env(served_env))
    with app.app_context():
        doc = db.session.get(OutgoingDocument, doc_id)
        assert doc is not None and doc.signed_file_id is not None
        box = field_boxes(read_verified(doc.signed_file))["sig_signer"]
        db.engine.dispose()
    x1, y1, x2, y2 = box.box
    page_width, page_height = 595.276, 841.89  # A4, as WeasyPrint made it
    assert box.page == 0
    assert abs((x1 + x2) / 2 - page_width / 4) < 3  # a few points: the click lands on a whole CSS pixel
    assert abs((y1 + y2) / 2 - page_height / 3) < 3
