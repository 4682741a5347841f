"""Sign-in, sign-out, one's own profile, password and API tokens."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from edoc.accounts import service, sessions
from edoc.accounts.forms import LoginForm, PasswordChangeForm, SignatureImageForm, TokenForm
from edoc.accounts.models import ApiToken, User
from edoc.core.db import db
from edoc.core.errors import DomainError
from edoc.core.forms import parse_id
from edoc.core.http import SIGN_IN_FIRST, local_path

bp = Blueprint("auth", __name__)

ProfilePart = Callable[[User], dict[str, object]]
_profile_parts: list[ProfilePart] = []


def add_to_profile(part: ProfilePart) -> None:
    """What a package above accounts shows on one's profile page (signatures: the signing credential) is handed
    to the template through this hook, installed by the app factory: accounts never imports those packages."""
    if part not in _profile_parts:
        _profile_parts.append(part)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.username.data or "", form.password.data or "",
                                        ip=request.remote_addr or "")
        except DomainError as exc:
            flash(exc.message, "danger")
            status = exc.status
        else:
            sessions.start(user, remember=bool(form.remember.data))
            login_user(user, remember=bool(form.remember.data))
            return redirect(local_path(request.args.get("next")) or url_for("home.index"))
    elif request.method == "POST":
        status = 400
    # sent here by a page that needs a sign-in (``next``): say so, as the redirect itself writes no flash
    reason = SIGN_IN_FIRST if request.method == "GET" and request.args.get("next") else None
    return render_template("auth/login.html", form=form, reason=reason), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    sessions.end(current_user._get_current_object())  # type: ignore[attr-defined]
    logout_user()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Response | str:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    password_form = PasswordChangeForm(prefix="pw")
    token_form = TokenForm(prefix="tok")
    signature_form = SignatureImageForm(prefix="sig")
    new_token = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "password" and password_form.validate_on_submit():
            revoked = service.set_password(user, user, password_form.new_password.data or "",
                                           current_password=password_form.current_password.data or "",
                                           keep_api_tokens=bool(password_form.keep_api_tokens.data))
            flash("Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc"
                  + (f"; đã thu hồi {revoked} mã truy cập API." if revoked else "."), "success")
            sessions.start(user, remember=False)
            login_user(user)
            return redirect(url_for("auth.profile"))
        if action == "token" and token_form.validate_on_submit():
            _row, new_token = service.create_api_token(user, token_form.name.data or "")
            flash("Đã tạo mã truy cập. Hãy sao chép ngay: mã chỉ hiển thị một lần.", "success")
        if action == "signature" and signature_form.validate_on_submit():
            upload = signature_form.image.data
            service.replace_signature_image(user, user, upload.stream, upload.filename)
            flash("Đã cập nhật ảnh chữ ký.", "success")
            return redirect(url_for("auth.profile"))
        if action == "revoke":
            service.revoke_api_token(user, parse_id(request.form.get("token_id")))
            flash("Đã thu hồi mã truy cập.", "info")
            return redirect(url_for("auth.profile"))
    tokens = db.session.query(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.id.desc()).all()
    parts = {name: value for part in _profile_parts for name, value in part(user).items()}
    return render_template("auth/profile.html", user=user, password_form=password_form, token_form=token_form,
                           signature_form=signature_form, tokens=tokens, new_token=new_token, **parts)
