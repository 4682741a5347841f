"""The job table: a job's intent, written in the transaction of the change that asks for it, and its course.

The queue library (Huey) only carries a job's id. Huey acknowledges nothing: a message taken by a worker that
dies is gone. This row is what brings the work back (``edoc.jobs.runner``): a job still ``queued`` long after it
was handed to the queue, or ``running`` under a lease nobody renews, is handed to the queue again by the sweep.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import UTCDateTime, db, utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
OPEN = (QUEUED, RUNNING)


class Job(db.Model):
    """Việc chạy nền: one unit of background work."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_enqueued_at", "status", "enqueued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    """The registered handler's name (``documents.dispatch``)."""
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    """Unique when given: a periodic job's slot (``files.sweep@2026-12-03T10:00``), so several workers' schedulers
    make one job for it."""
    payload: Mapped[str] = mapped_column(Text, default="{}")
    """JSON object handed to the handler."""
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    """A secret the job needs (a signer's PIN), sealed with the server's secret key (``edoc.jobs.secrets``);
    erased when the job ends."""
    batch: Mapped[str | None] = mapped_column(String(64), index=True)
    """Jobs started by one action (a batch of signatures split in parts) share it; the page follows the batch."""
    requested_by_id: Mapped[int | None] = mapped_column(Integer)
    """Who asked for it (a user id, no foreign key: jobs sit below accounts); only they read its state."""
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    """When it was last handed to the queue (or, before that, when its intent was written)."""
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """A running job's claim holds until then; its worker renews it while alive."""
    claimed_by: Mapped[str] = mapped_column(String(128), default="")
    """The attempt holding the claim: host, process, thread and a random token (a fencing token: a finished
    attempt that lost its claim meanwhile records nothing)."""
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str] = mapped_column(Text, default="{}")
    """JSON the handler records with its effects (per-document outcomes of a batch)."""
    outcome: Mapped[str] = mapped_column(Text, default="")
    """One line saying how it ended, for people (``Văn bản đã bị thu hồi: không gửi``)."""
    error: Mapped[str] = mapped_column(Text, default="")
    """The last failed attempt's exception, for the log reader."""
