"""How the minutes take part in outgoing documents without documents importing meetings
(``edoc.documents.hooks``): the issue of a Biên bản is refused without its secretary's and chair's signatures; once
issued, its embedded record is checked against its signed text and the result kept; a Biên bản's, a notice's or
an answering document's page links back to the meeting."""

from __future__ import annotations

import logging

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, end_read_transaction
from edoc.documents import hooks
from edoc.documents.models import OutgoingDocument
from edoc.files.service import read_verified
from meetings.meeting.policy import can_view_meeting
from meetings.minutes import conclusions
from meetings.minutes import notice as _notice  # noqa: F401  (registers the notice reminder job)
from meetings.minutes.service import check_on_issue, linked_meeting, minutes_for_document
from signing.record import check_record

log = logging.getLogger(__name__)


def check_issued_record(doc: OutgoingDocument) -> None:
    """After the issue committed: recompute the record from the issued PDF alone (``signing.record``) and keep
    what was found with the minutes (the page shows it)."""
    minutes = minutes_for_document(doc)
    if minutes is None or doc.issued_file is None:
        return
    pdf = read_verified(doc.issued_file)
    end_read_transaction()  # nothing held while pdftotext runs
    report = check_record(pdf)
    minutes.record_check = "ok" if report.ok else "; ".join(report.problems)[:4000]
    record("meeting.minutes_record_check", minutes, organisation_id=doc.organisation_id,
           changes={"ok": report.ok, "problems": report.problems[:20]})
    commit()


def related(user: User, doc: OutgoingDocument) -> list[tuple[str, str]]:
    lines = conclusions.related(user, doc)
    found = linked_meeting(doc)
    if found is not None:
        minutes, kind = found
        meeting = minutes.meeting
        text = ("Biên bản của cuộc họp: " if kind == "minutes" else "Thông báo kết luận cuộc họp: ") + meeting.title
        lines.append((text, f"/meetings/{meeting.id}/minutes" if can_view_meeting(user, meeting) else ""))
    return lines


def install() -> None:
    hooks.register(on_issue=check_on_issue, after_issue=check_issued_record, related=related)
