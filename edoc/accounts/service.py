"""Every change to people and sign-in goes through these functions: validate, authorise, write, audit, notify."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, BinaryIO

from flask import current_app
from sqlalchemy import delete, func, select, update

from edoc.accounts import passwords, sessions
from edoc.accounts.models import USERNAME_MAX, ApiToken, LoginAttempt, Role, User
from edoc.accounts.policy import SIGNATURE_IMAGE, require_admin_of
from edoc.audit.service import diff, record
from edoc.core.db import commit, db, get_in, utcnow
from edoc.core.errors import Conflict, NotFound, Throttled, ValidationFailed
from edoc.core.text import clean
from edoc.files.images import transparent_png
from edoc.files.service import store_upload
from edoc.files.sniff import PNG
from edoc.notifications.service import notify
from edoc.organisations.models import Organisation, Unit
from edoc.realtime.events import end_sessions_after_commit

if TYPE_CHECKING:
    from edoc.files.models import StoredFile

USERNAME_RE = re.compile(rf"^[a-z0-9][a-z0-9._-]{{1,{USERNAME_MAX - 1}}}$")
TOKEN_PREFIX = "edoc_"


class LoginFailed(ValidationFailed):
    status = 401
    code = "login_failed"


# --- sign-in -------------------------------------------------------------------------------------------

def authenticate(username: str, password: str, *, ip: str = "") -> User:
    """Check a username and password, with throttling of repeated failures per username and per client address.

    The same message is given for an unknown user and a wrong password, so usernames cannot be probed; and the
    same when either limit is reached, so the answer does not tell which one (nor whether the name exists).
    The address limit slows a password spray, one or two guesses at each of many usernames from one machine,
    which the per-username limit never sees; it is higher, since one address may be a whole office behind NAT.
    """
    settings = current_app.config["EDOC"]
    username, possible = _sign_in_name(username)
    ip = ip[:64]
    window_start = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    recent = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= window_start)
    failures = db.session.execute(recent.where(LoginAttempt.username == username)).scalar_one()
    from_address = db.session.execute(recent.where(LoginAttempt.ip == ip)).scalar_one() if ip else 0
    if failures >= settings.login_max_failures or from_address >= settings.login_max_failures_per_address:
        raise Throttled(f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {settings.login_lockout_minutes} phút.")
    user = (db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
            if possible else None)
    ok = passwords.verify_password(user.password_hash if user else passwords.DUMMY_HASH, password)
    if not ok or user is None or not user.active:
        db.session.add(LoginAttempt(username=username, ip=ip))
        record("auth.login_failed", object_type="user_account", object_id=user.id if user else "",
               changes={"username": username}, organisation_id=user.organisation_id if user else None)
        commit()
        raise LoginFailed("Tên đăng nhập hoặc mật khẩu không đúng.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    record("auth.login", user, actor=user)
    commit()
    return user


def _sign_in_name(raw: str) -> tuple[str, bool]:
    """The typed name as it is looked up, counted and audited, and whether any account can have it.

    A name no account can have is never looked up, so "vanthu\x00" is not vanthu; it is still counted and
    audited, under a form both databases store: the form's 64-character limit is checked before lower-casing,
    which can lengthen text ("İ" becomes "i" and a combining dot), and PostgreSQL refuses NUL in any text
    (other control and unpaired surrogate characters are dropped alike, as they identify nothing).
    """
    name = clean(raw).lower()
    if USERNAME_RE.match(name):
        return name, True
    storable = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return storable[:USERNAME_MAX], False


# --- users ---------------------------------------------------------------------------------------------

@dataclass
class UserData:
    """What an admin sets on a user; strings are cleaned and NFC-normalised on the way in."""

    username: str
    full_name: str
    title: str = ""
    email: str = ""
    unit_id: int | None = None
    roles: frozenset[Role] = frozenset()
    active: bool = True


def _validate_user_data(data: UserData, organisation: Organisation) -> UserData:
    data.username = clean(data.username).lower()
    data.full_name = clean(data.full_name)
    data.title = clean(data.title)
    data.email = clean(data.email)
    if not USERNAME_RE.match(data.username):
        raise ValidationFailed(
            f"Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch ngang (2–{USERNAME_MAX} ký tự).",
            field="username",
        )
    if not data.full_name:
        raise ValidationFailed("Họ và tên không được để trống.", field="full_name")
    if data.email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", data.email):
        raise ValidationFailed("Địa chỉ e-mail không hợp lệ.", field="email")
    if data.unit_id is not None:
        unit = db.session.get(Unit, data.unit_id)
        if unit is None or unit.organisation_id != organisation.id:
            # A forged unit id from another organisation is refused like an unknown one.
            raise ValidationFailed("Đơn vị không tồn tại trong cơ quan này.", field="unit_id")
    return data


def _validate_password(password: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise ValidationFailed(f"Mật khẩu phải có ít nhất {passwords.MIN_LENGTH} ký tự.", field="password")


def _user_snapshot(user: User) -> dict[str, object]:
    return {
        "username": user.username, "full_name": user.full_name, "title": user.title, "email": user.email,
        "unit_id": user.unit_id, "roles": sorted(user.roles), "active": user.active,
    }


def create_user(actor: User, organisation: Organisation, data: UserData, password: str) -> User:
    require_admin_of(actor, organisation)
    data = _validate_user_data(data, organisation)
    _validate_password(password)
    if db.session.execute(select(User.id).where(User.username == data.username)).first():
        raise Conflict(f"Tên đăng nhập “{data.username}” đã được dùng.", field="username")
    user = User(
        organisation_id=organisation.id, username=data.username, full_name=data.full_name, title=data.title,
        email=data.email, unit_id=data.unit_id, active=data.active,
        password_hash=passwords.hash_password(password),
    )
    user.roles = data.roles
    db.session.add(user)
    record("user.create", user, actor=actor, changes=_user_snapshot(user))
    commit()
    return user


def update_user(actor: User, user: User, data: UserData) -> User:
    require_admin_of(actor, user.organisation)
    data = _validate_user_data(data, user.organisation)
    if data.username != user.username and db.session.execute(
        select(User.id).where(User.username == data.username)
    ).first():
        raise Conflict(f"Tên đăng nhập “{data.username}” đã được dùng.", field="username")
    if user.id == actor.id and (Role.ADMIN not in data.roles or not data.active):
        raise ValidationFailed("Bạn không thể tự bỏ quyền quản trị hoặc tự khóa tài khoản của mình.")
    before = _user_snapshot(user)
    user.username, user.full_name, user.title = data.username, data.full_name, data.title
    user.email, user.unit_id, user.active = data.email, data.unit_id, data.active
    user.roles = data.roles
    changes = diff(before, _user_snapshot(user))
    if not changes:
        db.session.rollback()
        return user
    record("user.update", user, actor=actor, changes=changes)
    if user.id != actor.id:
        notify(user.id, "account", f"{actor.full_name} đã cập nhật thông tin tài khoản của bạn.", "/profile")
    if before["active"] and not user.active:
        end_sessions(user)  # last: the notice above still reaches the open pages
    commit()
    return user


def end_sessions(user: User) -> None:
    """Every session of ``user`` ends, in the caller's transaction: their sign-in rows go and the session version
    their cookies carry no longer matches, and once that commits their open pages are told ("session.ended"),
    leave the personal room and are disconnected (``end_sessions_after_commit``). A page of a browser signed in
    again meanwhile (the user changed their own password in another tab) finds it is still signed in and connects
    again (static/js/realtime.js)."""
    user.session_version += 1
    end_sessions_after_commit(db.session, user.id, sessions.end_all(user))


def set_password(actor: User, user: User, new_password: str, *, current_password: str | None = None,
                 keep_api_tokens: bool = False) -> int:
    """An admin resets a password, or a user changes their own (then the current one is required).

    Every session of the user ends, and so do their API tokens: a token is a password that never expires, and a
    password is changed because it may be known to someone else, who may have made one. Only the user changing
    their own password may keep them (``keep_api_tokens``: a scheduled integration they know is theirs); an
    admin's reset always revokes. Returns how many tokens were revoked."""
    if actor.id == user.id:
        if current_password is None or not passwords.verify_password(user.password_hash, current_password):
            raise ValidationFailed("Mật khẩu hiện tại không đúng.", field="current_password")
    else:
        require_admin_of(actor, user.organisation)
        keep_api_tokens = False
    _validate_password(new_password)
    user.password_hash = passwords.hash_password(new_password)
    end_sessions(user)  # every session of this user ends (the profile page signs its own user in again)
    revoked = 0 if keep_api_tokens else _revoke_all_api_tokens(user)
    record("user.password", user, actor=actor, changes={"password": "changed", "api_tokens_revoked": revoked})
    commit()
    return revoked


def _revoke_all_api_tokens(user: User) -> int:
    """Revoke every live token of ``user`` in the caller's transaction; how many there were."""
    result = db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                                .values(revoked_at=utcnow()).execution_options(synchronize_session="fetch"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


SIGNATURE_MAX_BYTES = 1024 * 1024
SIGNATURE_MAX_PIXELS = (3000, 1500)


def check_signature_png(data: bytes) -> None:
    """A handwritten-signature image: a real PNG of a sensible size with a transparent background, drawn in blue
    ink as Appendix I of Decree 30 asks."""
    transparent_png(data, what="Ảnh chữ ký", field="image", max_bytes=SIGNATURE_MAX_BYTES, min_size=(20, 10),
                    max_size=SIGNATURE_MAX_PIXELS, ink="blue")


def replace_signature_image(actor: User, user: User, stream: BinaryIO, filename: str | None) -> StoredFile:
    """Store a new handwritten-signature PNG for ``user`` (themselves, or an admin of their organisation) and
    point the account at it. The previous image stays stored: documents signed with it keep their history."""
    if actor.id != user.id:
        require_admin_of(actor, user.organisation)
    data = stream.read(SIGNATURE_MAX_BYTES + 1)
    check_signature_png(data)
    row = store_upload(io.BytesIO(data), filename, uploader=actor, purpose=SIGNATURE_IMAGE,
                       allowed=frozenset({PNG}), max_size=SIGNATURE_MAX_BYTES, commit=False)
    before = user.signature_file_id
    user.signature_file_id = row.id
    record("user.signature_image", user, actor=actor, changes={"signature_file_id": [before, row.id]})
    if user.id != actor.id:
        notify(user.id, "account", f"{actor.full_name} đã cập nhật ảnh chữ ký của bạn.", "/profile")
    commit()
    return row


def get_user_in(organisation_id: int, user_id: int) -> User:
    return get_in(User, user_id, organisation_id, "Không tìm thấy người dùng.")


# --- API tokens ----------------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it once in clear; only its hash is kept."""
    name = clean(name)
    if not name:
        raise ValidationFailed("Hãy đặt tên cho mã truy cập (ví dụ: “Tích hợp phần mềm kế toán”).", field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name[:128], prefix=token[:12], token_hash=_token_hash(token))
    db.session.add(row)
    record("api_token.create", row, actor=user, changes={"name": row.name, "prefix": row.prefix},
           organisation_id=user.organisation_id)
    commit()
    return row, token


def revoke_api_token(user: User, token_id: int) -> None:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("Không tìm thấy mã truy cập.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record("api_token.revoke", row, actor=user, organisation_id=user.organisation_id)
        commit()


def user_for_token(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    # Recording every use would turn each API read into a write; a minute's resolution is enough.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        commit()
    return row.user
