"""Reminders before a meeting: the secretary sets them (minutes before the start); a periodic job on edoc's queue
(``meetings.remind``, every 5 minutes) sends each due one by e-mail and in the app to every participant who has
not said they cannot come.

Idempotent: a participant's reminder is claimed by inserting its ``meeting_reminder_sent`` row (insert-or-ignore
on a unique key) in the transaction that writes the notification and queues the e-mail, so a job run twice, or
two workers at once, remind nobody twice. When several reminders of a meeting are due at once (set late, or the
server was down), only the latest is sent; the others are recorded as skipped."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from edoc import jobs
from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import ValidationFailed
from edoc.notifications.mail import mail_after_commit
from edoc.notifications.service import notify
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from meetings.papers import policy
from meetings.papers.models import Reminder, ReminderSent

JOB = "meetings.remind"
PRESETS = {4320: "3 ngày", 1440: "1 ngày", 120: "2 giờ", 30: "30 phút"}
MAX_MINUTES = 30 * 24 * 60
LIVE = ("announced", "approved")
"""Meetings whose participants are reminded: announced (or approved and about to be); never drafts, cancelled."""
HORIZON = timedelta(days=31)


def label(minutes: int) -> str:
    if minutes in PRESETS:
        return PRESETS[minutes]
    if minutes % 1440 == 0:
        return f"{minutes // 1440} ngày"
    if minutes % 60 == 0:
        return f"{minutes // 60} giờ"
    return f"{minutes} phút"


def reminders_of(meeting: Meeting) -> list[Reminder]:
    return list(db.session.execute(select(Reminder).where(Reminder.meeting_id == meeting.id)
                                   .order_by(Reminder.minutes_before.desc())).scalars())


def parse_minutes(values: Iterable[object]) -> list[int]:
    result: set[int] = set()
    for raw in values:
        text = "" if raw is None else str(raw).strip()
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= MAX_MINUTES:
            raise ValidationFailed(f"Thời điểm nhắc là số phút trước giờ họp, từ 1 đến {MAX_MINUTES}.",
                                   field="minutes_before")
        result.add(int(text))
    return sorted(result, reverse=True)


def set_reminders(actor: User, meeting: Meeting, minutes: list[int]) -> list[Reminder]:
    """Replace the meeting's reminders with these; one already sent stays (with its record) if kept."""
    policy.require_edit(actor, meeting)
    existing = {r.minutes_before: r for r in reminders_of(meeting)}
    for value, reminder in existing.items():
        if value not in minutes:
            for sent in db.session.execute(select(ReminderSent).where(ReminderSent.reminder_id == reminder.id)
                                           ).scalars():
                db.session.delete(sent)
            db.session.delete(reminder)
    for value in minutes:
        if value not in existing:
            db.session.add(Reminder(meeting_id=meeting.id, minutes_before=value, created_by_id=actor.id))
    record("meeting.reminders", meeting, actor=actor, organisation_id=meeting.organisation_id,
           changes={"minutes_before": minutes})
    commit()
    return reminders_of(meeting)


def _text(meeting: Meeting) -> str:
    start = vietnam_time(meeting.starts_at)
    return f"Nhắc lịch họp: “{meeting.title}” bắt đầu lúc {start:%H:%M} ngày {start:%d/%m/%Y}"


def _link(meeting: Meeting) -> str:
    try:
        return url_for("meeting_agenda.show", meeting_id=meeting.id)
    except RuntimeError:  # no request: the job builds links from the public address
        return f"/meetings/{meeting.id}/agenda"


def remind_meeting(meeting: Meeting, now: datetime) -> int:
    """Send ``meeting``'s due reminder to each participant not yet reminded of it; the caller commits."""
    if meeting.status not in LIVE or meeting.starts_at <= now:
        return 0
    due = [r for r in reminders_of(meeting) if meeting.starts_at - timedelta(minutes=r.minutes_before) <= now]
    if not due:
        return 0
    latest = min(due, key=lambda r: r.minutes_before)
    participants = list(db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id))
                        .scalars())
    base = current_app.config["EDOC"].public_url.rstrip("/")
    sent = 0
    for participant in participants:
        if participant.answer == "absent":
            continue
        for reminder in due:
            if not _claim(reminder, participant, skipped=reminder is not latest, now=now):
                continue  # handled before, or by a concurrent run
            if reminder is not latest:
                continue
            text, link = _text(meeting), _link(meeting)
            if participant.user_id is not None:
                notify(participant.user_id, "meeting", text, link)
                user = db.session.get(User, participant.user_id)
                email = user.email if user is not None else ""
            else:
                email = participant.guest_email or ""
            mail_after_commit(email, f"[edoc] {text}", f"{text}.\n\n{base}{link}")
            sent += 1
    return sent


def _claim(reminder: Reminder, participant: Participant, *, skipped: bool, now: datetime) -> bool:
    """Insert the participant's row for the reminder unless it exists (or a concurrent run is inserting it):
    True when this run made it, and so sends."""
    dialect = db.session.get_bind(mapper=ReminderSent).dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    made = db.session.execute(insert(ReminderSent).values(
        reminder_id=reminder.id, participant_id=participant.id, skipped=skipped, sent_at=now)
        .on_conflict_do_nothing(index_elements=["reminder_id", "participant_id"])
        .returning(ReminderSent.id)).first()
    return made is not None  # RETURNING gives no row when the conflict did nothing


def remind_all(now: datetime | None = None) -> int:
    """Every meeting starting within the horizon, one short transaction each. Returns reminders sent."""
    now = now or utcnow()
    ids = list(db.session.execute(select(Meeting.id).where(
        Meeting.status.in_(LIVE), Meeting.starts_at > now, Meeting.starts_at <= now + HORIZON)
        .order_by(Meeting.starts_at)).scalars())
    sent = 0
    for meeting_id in ids:
        meeting = db.session.get(Meeting, meeting_id)
        if meeting is not None:
            sent += remind_meeting(meeting, now)
        commit()
    return sent


def _handle(context: jobs.JobContext) -> jobs.Outcome:
    return jobs.Outcome(f"đã nhắc {remind_all()} lượt đại biểu")


jobs.periodic(JOB, _handle, minute="*/5")
