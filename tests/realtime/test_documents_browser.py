"""The outgoing flow in a real browser, as the people who do it: the specialist drafts, the leader approves,
the clerk issues, and the recipient's open page learns of it without a reload. Screenshots are kept in
test-artifacts/ for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.documents.conftest import scan_png
from tests.realtime.test_browser import _sign_in
from tests.support.live import live_server

pytestmark = pytest.mark.browser
ART = Path("test-artifacts")


def test_draft_approve_issue_and_live_inbox(browser, served_env, tmp_path):
    ART.mkdir(exist_ok=True)
    with live_server(served_env, tmp_path / "server.log") as base:
        recipient = _sign_in(browser.new_context(locale="vi-VN"), base, "daibieu")
        recipient.wait_for_selector("body[data-realtime=connected]")
        assert recipient.locator("#to-do li[data-key=inbox] .count").inner_text() == "0"

        drafter = _sign_in(browser.new_context(locale="vi-VN"), base, "chuyenvien")
        drafter.goto(f"{base}/documents/new")
        drafter.select_option("#type_code", "KH")
        drafter.fill("#summary", "Tổ chức Tháng Công nhân năm 2026")
        drafter.fill("#body", "I. MỤC ĐÍCH, YÊU CẦU\n1. Mục đích\nChăm lo đời sống, việc làm cho đoàn viên.\n"
                              "- Tổ chức các hoạt động thiết thực trong Tháng Công nhân.")
        drafter.select_option("#signer_id", label="Nguyễn Văn Hùng (CHỦ TỊCH)")
        drafter.select_option("#signer_authority", "TM.")
        drafter.fill("#signer_authority_line", "Ban Thường vụ")
        drafter.select_option("#recipients_act", label="Cá nhân: Hoàng Văn Nam")
        drafter.screenshot(path=str(ART / "document-new.png"), full_page=True)
        drafter.click("button:has-text('Lưu dự thảo')")
        drafter.wait_for_selector("#doc-status")
        doc_url = drafter.url
        # submitting asks first, in the page: "Hủy" sends nothing, "Xác nhận" sends it
        drafter.click("button:has-text('Trình ký')")
        drafter.wait_for_selector("#submit-form .confirm-box")
        assert "Trình dự thảo này cho Nguyễn Văn Hùng duyệt?" in drafter.locator(".confirm-question").inner_text()
        drafter.click("#submit-form .confirm-no")
        assert drafter.locator(".confirm-box").count() == 0 and drafter.url == doc_url
        assert drafter.locator("#doc-status").inner_text() == "Dự thảo"
        drafter.click("button:has-text('Trình ký')")
        drafter.click("#submit-form .confirm-yes")
        drafter.wait_for_selector("text=Đã trình ký.")

        leader = _sign_in(browser.new_context(locale="vi-VN"), base, "chutich")
        leader.goto(f"{base}/documents/?tab=to_sign")
        leader.click("text=Tổ chức Tháng Công nhân năm 2026")
        leader.click("button:has-text('Duyệt')")
        leader.wait_for_selector("text=Đã duyệt văn bản.")

        clerk = _sign_in(browser.new_context(locale="vi-VN"), base, "vanthu")
        clerk.goto(doc_url)
        # signed on paper (the leader signed the printout): no issue button until the clerk uploads its scan,
        # looks at it, then confirms
        assert clerk.locator("#issue-button").count() == 0
        assert "chưa được người ký ký số" in clerk.locator("#unsigned-note").inner_text()
        scan = tmp_path / "ban-goc-da-ky.png"
        scan.write_bytes(scan_png())
        clerk.set_input_files("#paper-form input[name=scan]", str(scan))
        clerk.click("#paper-button")
        clerk.wait_for_selector("#paper-scan")
        clerk.click("#issue-button")
        clerk.wait_for_selector("#issue-form .confirm-box")
        clerk.screenshot(path=str(ART / "document-issue-confirm.png"), full_page=True)
        clerk.click("#issue-form .confirm-yes")
        clerk.wait_for_selector("text=Đã ban hành văn bản số 01/KH-LĐLĐ.")
        assert clerk.locator("#paper-tag").inner_text() == "Ký trên giấy"
        clerk.screenshot(path=str(ART / "document-issued.png"), full_page=True)

        # the recipient's open page: the bell and a toast, no reload
        recipient.wait_for_selector(".toast", timeout=10_000)
        assert "01/KH-LĐLĐ" in recipient.locator(".toast").first.inner_text()
        # and the home page's to-do list, fetched again on the notification
        recipient.wait_for_selector("#to-do li[data-key=inbox].waiting", timeout=10_000)
        assert recipient.locator("#to-do li[data-key=inbox] .count").inner_text() == "1"
        recipient.screenshot(path=str(ART / "recipient-live.png"), full_page=True)

        # the clerk's open page, never reloaded from here on, follows the recipient opening the document
        clerk.wait_for_selector("#recipients-table[data-refreshed]")  # the fetch a (re)connect makes
        table = clerk.locator("#recipients-table")
        assert "Đã nhận 1, đã đọc 0" in table.inner_text() and "Hoàng Văn Nam: chưa đọc" in table.inner_text()
        recipient.goto(f"{base}/documents/?tab=inbox")
        recipient.click("text=Tổ chức Tháng Công nhân năm 2026")
        assert "01/KH-LĐLĐ" in recipient.locator("#doc-reference").inner_text()
        assert "Tình trạng" not in recipient.locator("#recipients-table").inner_text()  # not for recipients
        clerk.wait_for_function(
            "() => document.getElementById('recipients-table').innerText.includes('Đã nhận 1, đã đọc 1')",
            timeout=10_000)
        assert "Hoàng Văn Nam: đã đọc" in table.inner_text()
        clerk.screenshot(path=str(ART / "clerk-live-read.png"), full_page=True)
        clerk.goto(f"{base}/registers/")
        clerk.click("text=Sổ đăng ký văn bản đi")
        assert "01/KH-LĐLĐ" in clerk.locator("#register-table").inner_text()
        clerk.screenshot(path=str(ART / "register.png"), full_page=True)
