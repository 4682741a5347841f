"""The reminder job (``tasks.remind``): every hour, each organisation's open tasks due soon or overdue are reminded.
``service.remind`` records each reminder per task and day, so running it hourly (or twice) reminds once a day."""

from __future__ import annotations

from sqlalchemy import select

from edoc import jobs
from edoc.core.db import commit, db
from edoc.organisations.models import Organisation
from edoc.tasks.service import remind

JOB = "tasks.remind"


def remind_all() -> int:
    """Reminders of every organisation, one short transaction each. Returns how many were sent."""
    sent = 0
    for org_id in list(db.session.execute(select(Organisation.id).order_by(Organisation.id)).scalars()):
        sent += remind(org_id)
        commit()
    return sent


def _handle(context: jobs.JobContext) -> jobs.Outcome:
    return jobs.Outcome(f"đã nhắc {remind_all()} việc")


# 01:05 UTC is 08:05 in Hà Nội: the morning's reminders; later runs of the day find them sent. Hourly, so a day the
# server was down at that minute still gets its reminders.
jobs.periodic(JOB, _handle, minute="5", hour="*")
