"""Reading and saving one's own note. There is no way to read another person's: every function takes the actor
and finds the actor's row, never a row by id. Not in the audit log's changes (the text is private): the entry
says a note was saved, not what it says."""

from __future__ import annotations

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, insert_ignore, utcnow
from edoc.core.errors import ValidationFailed
from edoc.core.text import has_control_chars, nfc
from meetings.meeting import policy
from meetings.meeting.models import Meeting
from meetings.notes.models import Note

MAX_NOTE = 20_000


def note_of(actor: User, meeting: Meeting) -> Note | None:
    policy.require(policy.can_view_meeting(actor, meeting))
    return db.session.execute(select(Note).where(Note.meeting_id == meeting.id,
                                                 Note.user_id == actor.id)).scalar_one_or_none()


def save_note(actor: User, meeting: Meeting, text: object) -> Note:
    policy.require(policy.can_view_meeting(actor, meeting))
    if not isinstance(text, str):
        raise ValidationFailed("Ghi chú phải là văn bản.", field="text")
    value = nfc(text) or ""
    if len(value) > MAX_NOTE:
        raise ValidationFailed(f"Ghi chú dài quá {MAX_NOTE} ký tự.", field="text")
    if has_control_chars(value.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise ValidationFailed("Ghi chú chứa ký tự điều khiển.", field="text")
    insert_ignore(Note, {"meeting_id": meeting.id, "user_id": actor.id, "text": "", "updated_at": utcnow()},
                  conflict_columns=["meeting_id", "user_id"])
    note = db.session.execute(select(Note).where(Note.meeting_id == meeting.id, Note.user_id == actor.id)
                              .with_for_update().execution_options(populate_existing=True)).scalar_one()
    note.text, note.updated_at = value, utcnow()
    record("meeting.note.save", meeting, actor=actor, changes={"length": len(value)})
    commit()
    return note
