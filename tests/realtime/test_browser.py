"""Two people in two real browsers: what one does appears on the other's open page without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.components import chromium_path, missing
from tests.support.live import live_server

pytestmark = pytest.mark.browser


@pytest.fixture
def browser():
    path = chromium_path()
    if path is None:
        missing("Chromium", "no /usr/bin/chromium (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright", "the playwright Python package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def _sign_in(context, base: str, username: str):
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "GiaLam@2023")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def test_admin_change_updates_the_users_open_page(browser, served_env, tmp_path: Path):
    artifacts = Path("test-artifacts")
    artifacts.mkdir(exist_ok=True)
    with live_server(served_env, tmp_path / "server.log") as base:
        specialist = _sign_in(browser.new_context(locale="vi-VN"), base, "chuyenvien")
        specialist.wait_for_selector("body[data-realtime=connected]")
        assert specialist.locator("#unread-count").is_hidden()

        admin = _sign_in(browser.new_context(locale="vi-VN"), base, "quantri")
        admin.goto(f"{base}/admin/")
        admin.click("text=Phạm Quốc Bảo")
        admin.fill("#title", "Chuyên viên chính")
        admin.click("button:has-text('Lưu')")
        admin.wait_for_url(f"{base}/admin/")
        admin.screenshot(path=str(artifacts / "admin-users.png"), full_page=True)

        # No reload: the socket event updates the bell, the list and shows a toast.
        specialist.wait_for_selector("#unread-count:not(.hidden)", timeout=10_000)
        assert specialist.locator("#unread-count").inner_text() == "1"
        specialist.wait_for_selector("#home-notifications li.unread")
        assert "đã cập nhật thông tin tài khoản của bạn" in specialist.locator("#home-notifications").inner_text()
        assert specialist.locator(".toast").count() == 1
        specialist.screenshot(path=str(artifacts / "home-live-notification.png"), full_page=True)


def test_login_page_in_vietnamese(browser, served_env, tmp_path: Path):
    with live_server(served_env, tmp_path / "server.log") as base:
        page = browser.new_page()
        page.goto(f"{base}/login")
        assert page.locator("h1").inner_text() == "Đăng nhập"
        page.fill("#username", "vanthu")
        page.fill("#password", "sai")
        page.click("button[type=submit]")
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in page.content()
        page.screenshot(path=str(Path("test-artifacts") / "login-error.png"))
