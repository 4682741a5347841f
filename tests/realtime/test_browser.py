"""Two people in two real browsers: what one does appears on the other's open page without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.live import live_server, retitle_specialist

pytestmark = pytest.mark.browser


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


_WATCH = """() => {
    window.seen = {connects: 0, ended: 0};
    edocSocket.on("connect", () => { window.seen.connects += 1; });
    edocSocket.on("session.ended", () => { window.seen.ended += 1; });
}"""


def test_changing_one_s_own_password_keeps_the_browser_s_other_tabs(browser, served_env, tmp_path: Path):
    """A user changes their own password in one tab. Every session of theirs ends, but the profile page signs that
    browser in again: its other tab, told the sessions ended, finds it is still signed in, says nothing and joins
    the user's channel again (a later notification reaches it). Another browser of the same user is signed out and
    says so."""
    with live_server(served_env, tmp_path / "server.log") as base:
        same_browser = browser.new_context(locale="vi-VN")
        profile = _sign_in(same_browser, base, "chuyenvien")
        other_tab = same_browser.new_page()
        other_tab.goto(f"{base}/")
        elsewhere = _sign_in(browser.new_context(locale="vi-VN"), base, "chuyenvien")
        for page in (other_tab, elsewhere):
            page.wait_for_selector("body[data-realtime=connected]")
            page.evaluate(_WATCH)

        profile.goto(f"{base}/profile")
        profile.fill("#pw-current_password", "GiaLam@2023")
        profile.fill("#pw-new_password", "MatKhauMoi@2026")
        profile.click("button:has-text('Đổi mật khẩu')")
        profile.wait_for_selector("text=Đã đổi mật khẩu")

        other_tab.wait_for_function("() => window.seen.ended === 1 && window.seen.connects === 1", timeout=20_000)
        assert other_tab.locator("body").get_attribute("data-realtime") == "connected"
        elsewhere.wait_for_selector("body[data-realtime=ended]", timeout=20_000)
        assert elsewhere.evaluate("window.seen") == {"connects": 0, "ended": 1}
        assert "Phiên đăng nhập đã kết thúc" in elsewhere.locator("#toasts").inner_text()

        retitle_specialist(base)
        other_tab.wait_for_selector("#unread-count:not(.hidden)", timeout=10_000)
        assert "đã cập nhật thông tin tài khoản của bạn" in other_tab.locator("#toasts").inner_text()
        assert "Phiên đăng nhập" not in other_tab.locator("#toasts").inner_text()
        assert other_tab.locator("body").get_attribute("data-realtime") == "connected"
        assert elsewhere.locator("#unread-count").is_hidden()  # the signed-out browser hears nothing more


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
