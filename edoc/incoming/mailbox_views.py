"""The incoming mailbox's settings page (/incoming/mailbox): the clerk or admin sets the IMAP mailbox, tests it,
asks for a poll now, and sees the last messages taken or refused. Thin: parse, one service call (which commits),
render."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import DomainError, NotAllowed
from edoc.incoming import mailbox, policy
from edoc.incoming.mail_models import SECURITY_LABELS, AckState, MailState

bp = Blueprint("mailbox", __name__, url_prefix="/mailbox")
"""Nested in the incoming blueprint (``incoming.mailbox.settings`` at /incoming/mailbox)."""

STATE_LABELS = {MailState.TAKEN: "Đã nhận", MailState.REJECTED: "Không nhận", MailState.DUPLICATE: "Thư trùng"}
ACK_LABELS = {AckState.NONE: "Không báo (người gửi chưa xác thực hoặc thư trùng)", AckState.PENDING: "Chờ gửi",
              AckState.SENDING: "Đang gửi", AckState.SENT: "Đã báo đã nhận", AckState.FAILED: "Gửi lỗi",
              AckState.MANUAL: "Báo thủ công (chưa cấu hình SMTP)"}


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _form() -> mailbox.MailboxForm:
    f = request.form
    return mailbox.MailboxForm(host=f.get("host", ""), port=f.get("port", ""), security=f.get("security", ""),
                               username=f.get("username", ""), password=f.get("password", ""),
                               folder=f.get("folder", ""), enabled=f.get("enabled") == "1")


def _page(form: dict[str, str] | None = None, status: int = 200, error_field: str = "") -> tuple[str, int]:
    user = me()
    box = mailbox.mailbox_of(user.organisation_id)
    return render_template("incoming/mailbox.html", box=box, form=form, securities=SECURITY_LABELS,
                           mails=mailbox.recent_mail(user), state_labels=STATE_LABELS, ack_labels=ACK_LABELS,
                           has_password=box is not None and box.password_sealed is not None,
                           error_field=error_field), status


@bp.route("", methods=["GET", "POST"])
@login_required
def settings() -> Response | tuple[str, int]:
    if not policy.can_manage_mailbox(me()):
        raise NotAllowed("Chỉ văn thư hoặc quản trị viên cài đặt hộp thư nhận văn bản.")
    if request.method == "GET":
        return _page()
    action = request.form.get("action", "save")
    typed = {k: v for k, v in request.form.items() if k not in {"password", "csrf_token"}}
    try:
        if action == "poll":
            mailbox.request_poll(me())
            flash("Đã yêu cầu nhận thư: thư mới sẽ vào hàng chờ vào sổ trong giây lát.", "success")
            return redirect(url_for("incoming.mailbox.settings"))
        count = None
        if action == "test":
            _, count = mailbox.test_connection(me(), _form())
        mailbox.save(me(), _form())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _page(typed, exc.status, getattr(exc, "field", "") or "")
    if count is None:
        flash("Đã lưu cài đặt hộp thư.", "success")
    else:
        flash(f"Kết nối được và đã lưu: thư mục có {count} thư.", "success")
    return redirect(url_for("incoming.mailbox.settings"))
