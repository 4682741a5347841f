"""Asking for a job: its intent is a row written in the caller's transaction, handed to the queue after commit.

A rolled-back change asks for nothing; a committed one has its job row whatever happens next: if the process
dies before the hand-over, the sweep (``edoc.jobs.runner``) hands it over later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from edoc.core.db import db
from edoc.jobs import registry, secrets
from edoc.jobs.models import OPEN, Job
from edoc.jobs.queue import queue_of, wait_until
from edoc.jobs.runner import sweep

log = logging.getLogger(__name__)
_PENDING = "edoc_pending_jobs"


def enqueue_after_commit(name: str, payload: dict[str, Any], *, requested_by: int | None = None,
                         batch: str | None = None, secret: str | None = None) -> Job:
    """Write job ``name``'s intent in the current transaction; it is handed to the queue once that commits.

    ``payload`` is JSON (ids, not rows: the job reads the rows as they are when it runs). ``secret`` (a PIN) is
    sealed with the server's secret key and erased when the job ends."""
    if registry.get(name) is None:
        raise ValueError(f"no job handler named {name!r} is registered")
    job = Job(name=name, payload=registry.dumps(payload), requested_by_id=requested_by, batch=batch)
    db.session.add(job)
    db.session.flush()  # its id, for the hand-over after commit and the sealed secret's binding
    if secret is not None:
        job.secret = secrets.seal(current_app.config["SECRET_KEY"], job.id, secret)
    db.session.info.setdefault(_PENDING, []).append(job.id)
    return job


@event.listens_for(Session, "after_commit")
def _hand_over(session: Session) -> None:
    pending: list[int] = session.info.pop(_PENDING, [])
    if not pending or not has_app_context():
        return
    queue = queue_of(current_app._get_current_object())  # type: ignore[attr-defined]
    for job_id in pending:
        queue.enqueue(job_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: object) -> None:
    session.info.pop(_PENDING, None)


def jobs_of_batch(batch: str) -> list[Job]:
    return list(db.session.execute(select(Job).where(Job.batch == batch).order_by(Job.id)).scalars())


def open_count(app: Flask, ids: Sequence[int] | None = None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Job).where(Job.status.in_(OPEN))
        if ids is not None:
            query = query.where(Job.id.in_(list(ids)))
        try:
            return int(db.session.execute(query).scalar_one())
        finally:
            db.session.remove()


def wait(app: Flask, timeout: float = 30, ids: Sequence[int] | None = None) -> bool:
    """Wait until no job (of ``ids``, or at all) is queued or running; False if some still are at ``timeout``."""
    return wait_until(lambda: open_count(app, ids) == 0, timeout)


def drain(app: Flask, timeout: float = 120) -> bool:
    """Run what is queued with a consumer in this process, then stop it (``edoc demo`` before it exits)."""
    if open_count(app) == 0:
        return True
    queue = queue_of(app)
    started = queue.consumer is None and not queue.huey.immediate
    if started:
        queue.start_consumer()
        with app.app_context():
            sweep(queue)  # what a dead process left queued or running, as a consumer's first tick would
    try:
        return wait(app, timeout)
    finally:
        if started:
            queue.stop_consumer()
