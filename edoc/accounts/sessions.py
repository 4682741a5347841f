"""Sign-ins kept on the server (phiên đăng nhập): made at sign-in, checked on every request and socket connect,
ended by logout (that one), a password change or a deactivation (all of the user's)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from edoc.accounts.models import User, UserSession
from edoc.audit.service import record
from edoc.core.db import commit, db, utcnow
from edoc.realtime.events import end_session_after_commit

SESSION_LIFETIME = timedelta(hours=12)
"""A sign-in without "Ghi nhớ đăng nhập" ends after this however busy it is: a working day and its overtime. (The
session cookie itself also lapses 8 hours after it was last written: PERMANENT_SESSION_LIFETIME.)"""
REMEMBER_LIFETIME = timedelta(days=14)
"""A remembered sign-in, its remember cookie included, ends after two weeks (Flask-Login's default is a year:
far too long for a stolen or forgotten cookie on a shared office computer)."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, *, remember: bool) -> None:
    """A new sign-in for ``user`` (already authenticated): its row is written and committed, and ``user`` carries
    its key, which ``login_user`` puts in the cookies. The user's expired rows go at the same time."""
    now = utcnow()
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now))
    key = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, key_hash=_hash(key), remember=remember, created_at=now,
                      expires_at=now + (REMEMBER_LIFETIME if remember else SESSION_LIFETIME))
    db.session.add(row)
    commit()
    user.session_key, user.session_id = key, row.id


def load(cookie_id: str) -> User | None:
    """The user a session or remember cookie signs in, or None: the id, the user's session version and a live
    sign-in's key must all match (``User.get_id``). A cookie of the former form (no key) signs nobody in."""
    ident, version, key = (cookie_id.split(":", 2) + ["", ""])[:3]
    if not ident.isdigit() or not key or len(ident) > 10:
        return None
    found = db.session.execute(
        select(User, UserSession.id).join(UserSession, UserSession.user_id == User.id)
        .where(User.id == int(ident), UserSession.key_hash == _hash(key), UserSession.expires_at > utcnow())
    ).first()
    if found is None or str(found[0].session_version) != version:
        return None
    user, session_id = found
    user.session_key, user.session_id = key, session_id
    return user


def end(user: User) -> None:
    """Logout: this sign-in ends on the server (its row goes, so a copy of its cookie or remember cookie signs
    nobody in) and, once that commits, its open pages are told and its sockets disconnected in every process."""
    db.session.execute(delete(UserSession).where(UserSession.id == user.session_id))
    record("auth.logout", user, actor=user)
    end_session_after_commit(db.session, user.session_id)
    commit()


def end_all(user: User) -> list[int]:
    """Every sign-in of ``user`` ends, in the caller's transaction; the ids of those that did."""
    ids = list(db.session.execute(select(UserSession.id).where(UserSession.user_id == user.id)).scalars())
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    return ids
