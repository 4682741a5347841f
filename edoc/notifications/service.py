"""Creating notifications: stored in the transaction, pushed to the user's room after commit."""

from __future__ import annotations

from sqlalchemy import func, select

from edoc.core.db import commit, db, utcnow
from edoc.notifications.events import NOTIFICATION, NOTIFICATION_COUNT
from edoc.notifications.models import Notification
from edoc.realtime.events import emit_after_commit, user_room


def notify(user_id: int, kind: str, text: str, link: str = "") -> Notification:
    """Add a notification for ``user_id`` to the current transaction (the caller commits)."""
    note = Notification(user_id=user_id, kind=kind, text=text, link=link)
    db.session.add(note)
    db.session.flush()
    emit_after_commit(
        db.session,
        NOTIFICATION,
        {"id": note.id, "kind": kind, "text": text, "link": link, "unread": unread_count(user_id)},
        room=user_room(user_id),
    )
    return note


def unread_count(user_id: int) -> int:
    return int(
        db.session.execute(
            select(func.count()).select_from(Notification).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        ).scalar_one()
    )


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(
        db.session.execute(
            select(Notification).where(Notification.user_id == user_id)
            .order_by(Notification.id.desc()).limit(limit)
        ).scalars()
    )


def mark_all_read(user_id: int) -> int:
    rows = db.session.execute(
        select(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalars().all()
    now = utcnow()
    for row in rows:
        row.read_at = now
    commit()
    return len(rows)


def mark_link_read(user_id: int, link: str) -> int:
    """Mark ``user_id``'s unread notifications pointing at ``link`` read, as the page they point at is opened: the
    bell's count goes down as items are opened, not only when the whole list is cleared. Joins the caller's
    transaction (the caller commits); the user's other open pages get the new count after the commit."""
    rows = db.session.execute(
        select(Notification).where(Notification.user_id == user_id, Notification.link == link,
                                   Notification.read_at.is_(None))
    ).scalars().all()
    if not rows:
        return 0
    now = utcnow()
    for row in rows:
        row.read_at = now
    db.session.flush()
    emit_after_commit(db.session, NOTIFICATION_COUNT, {"unread": unread_count(user_id)}, room=user_room(user_id))
    return len(rows)
