"""User (người dùng) with roles, login attempts for throttling, and personal API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.db import UTCDateTime, db, utcnow
from edoc.organisations.models import Organisation, Unit


class Role(enum.StrEnum):
    CLERK = "clerk"
    """văn thư"""
    LEADER = "leader"
    """lãnh đạo"""
    SPECIALIST = "specialist"
    """chuyên viên"""
    SECRETARY = "secretary"
    """thư ký họp"""
    DELEGATE = "delegate"
    """đại biểu"""
    ADMIN = "admin"
    """quản trị"""

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.CLERK: "Văn thư",
    Role.LEADER: "Lãnh đạo",
    Role.SPECIALIST: "Chuyên viên",
    Role.SECRETARY: "Thư ký họp",
    Role.DELEGATE: "Đại biểu",
    Role.ADMIN: "Quản trị",
}


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    """Chức vụ as printed in a signer block, e.g. "CHỦ TỊCH"."""
    email: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    roles_text: Mapped[str] = mapped_column("roles", String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
    signature_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", use_alter=True))
    """The handwritten-signature image (transparent PNG) used in the signer's digital-signature appearance."""
    session_version: Mapped[int] = mapped_column(default=1)
    """Bumped on password change or deactivation so every existing session of the user ends."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    unit: Mapped[Unit | None] = relationship()

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles_text.split(",") if r)

    @roles.setter
    def roles(self, value: set[Role] | frozenset[Role] | list[Role]) -> None:
        self.roles_text = ",".join(sorted(Role(r).value for r in value))

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    # The sign-in this object was loaded for or just made (not columns; ``accounts.sessions`` sets them).
    session_key = ""
    session_id = 0

    def get_id(self) -> str:
        # What the session cookie and the remember cookie carry: the session version makes every old cookie stop
        # working after a password change; the sign-in's key names its row, which logout deletes.
        return f"{self.id}:{self.session_version}:{self.session_key}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"


def _width(column: str) -> int:
    """The declared length of one of ``user_account``'s string columns."""
    kind = User.__table__.c[column].type
    assert isinstance(kind, String) and kind.length is not None
    return kind.length


USERNAME_MAX = _width("username")
"""The longest username: the width of ``user_account.username`` (and of ``login_attempt.username``, which keeps
what was typed, cut to it)."""


class UserSession(db.Model):
    """One sign-in (phiên đăng nhập). Its session cookie and remember cookie carry a random key; only the key's
    SHA-256 is here. A cookie whose row is gone (logout, password change, deactivation) or past ``expires_at``
    signs nobody in, so a copy taken before the logout is worth nothing after it."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginAttempt(db.Model):
    """A failed sign-in, kept to throttle guessing across processes (the database is what they share)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    ip: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(db.Model):
    """A personal token for the JSON API; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scopes: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship()
