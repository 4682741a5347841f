"""Asking for a job: its intent is a row written in the caller's transaction, handed to the queue after commit.

A rolled-back change asks for nothing; a committed one has its job row whatever happens next: if the process
dies before the hand-over, the sweep (``edoc.jobs.runner``) hands it over later.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from edoc.core.db import commit, db, utcnow
from edoc.jobs import registry, secrets
from edoc.jobs.models import FAILED, OPEN, QUEUED, Job
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


class JobUnanswered(Exception):
    """No worker ended the job within the time the caller would wait (every worker down or busy)."""


@dataclass(frozen=True)
class Ended:
    """How a job waited for ended: ``done`` with the result its handler kept, or ``failed``."""

    status: str
    result: dict[str, Any] = field(default_factory=dict)
    outcome: str = ""


def run_and_wait(name: str, payload: dict[str, Any], *, timeout: float, interval: float = 0.25,
                 requested_by: int | None = None) -> Ended:
    """Ask for job ``name`` now and wait, at most ``timeout`` seconds, for a worker to end it: work a request
    needs done before it answers but that must run where the workers' limits hold (a conversion).

    The job's row commits in a transaction of its own, so call this before the request writes anything (a
    session with pending writes is refused rather than committed half-way). The wait polls the row with short
    transactions and sleeps between polls: under gevent the sleep is a greenlet switch, so the worker serves
    others meanwhile, and no transaction stays open. A job still queued at ``timeout`` is withdrawn (``failed``),
    so that a worker coming back later does not do work no one waits for; one already running is left to end.
    Raises ``JobUnanswered`` then. In tests' immediate mode the job has run when its row commits."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("run_and_wait commits its job's row: call it before the request writes anything")
    job_id = enqueue_after_commit(name, payload, requested_by=requested_by).id
    commit()  # handed to the queue here
    deadline = time.monotonic() + timeout
    while True:
        status, result, outcome = db.session.execute(
            select(Job.status, Job.result, Job.outcome).where(Job.id == job_id)).one()
        commit()  # a read: ends the snapshot (and, on SQLite, the write turn every transaction takes)
        if status not in OPEN:
            return Ended(status, json.loads(result or "{}"), outcome)
        if time.monotonic() >= deadline:
            db.session.execute(update(Job).where(Job.id == job_id, Job.status == QUEUED).values(
                status=FAILED, finished_at=utcnow(), error=f"no worker took it within {timeout:g} s",
                outcome="Không ai chờ kết quả nữa: đã thôi.").execution_options(synchronize_session=False))
            commit()
            raise JobUnanswered(f"job {job_id} ({name}) not ended within {timeout:g} s")
        time.sleep(interval)
