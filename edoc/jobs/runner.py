"""Running a job: claim its row, run its handler, record how it ended; and the sweep that brings lost jobs back.

Huey hands a job id to a worker and forgets it. What makes the work survive a ``kill -9`` is here:

- **claim**: one conditional UPDATE takes the row (queued, or running under a lease that ran out) and stamps it
  with this attempt's token; a second message for the same job, or a second worker, finds nothing to take.
- **lease**: the claim holds for ``EDOC_JOB_LEASE_SECONDS``; the process's heartbeat renews it while it lives.
- **finish**: the outcome is recorded only by the attempt still holding the claim (the token is a fence).
- **sweep** (every minute in each consumer, and when it starts): a job still queued a lease after it was last
  handed over (the process died between commit and enqueue, or Huey lost the message), or running under a
  lease that ran out (its worker died), is handed to the queue again; the conditional update on ``enqueued_at``
  lets one sweeper of several do it.

Handlers make their own effects idempotent (see ``edoc.jobs.registry``): the job may run again after dying
anywhere.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import datetime
from typing import TYPE_CHECKING, Any

from huey import crontab
from sqlalchemy import and_, or_, select, update

from edoc.core.db import commit, db, insert_ignore, utcnow
from edoc.jobs import registry, secrets
from edoc.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from edoc.jobs.registry import JobContext

if TYPE_CHECKING:
    from edoc.jobs.queue import JobQueue

log = logging.getLogger(__name__)
SWEEP_LIMIT = 500
"""Jobs handed over again per sweep; a longer backlog is taken by the next minutes' sweeps."""


def execute(queue: JobQueue, job_id: int) -> None:
    """Huey's task: run job ``job_id`` if this attempt can claim it."""
    token = queue.claim_token()
    try:
        context = _claim(queue, job_id, token)
        if context is None:
            return
        queue.holding(token)
        try:
            _run(queue, context, token)
        finally:
            queue.released(token)
    finally:
        db.session.remove()


def _claim(queue: JobQueue, job_id: int, token: str) -> JobContext | None:
    now = utcnow()
    taken = db.session.execute(
        update(Job).where(Job.id == job_id, or_(Job.status == QUEUED,
                                                and_(Job.status == RUNNING, Job.lease_until < now)))
        .values(status=RUNNING, claimed_by=token, lease_until=now + queue.lease, attempts=Job.attempts + 1,
                started_at=now, finished_at=None)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # done, failed, running elsewhere, or no such row (rolled back, deleted)
        db.session.rollback()
        return None
    job = db.session.execute(select(Job).where(Job.id == job_id)).scalar_one()
    registered = registry.get(job.name)
    if registered is None or job.attempts > registered.max_attempts:
        reason = (f"no handler named {job.name!r} in this process" if registered is None else
                  f"given up after {job.attempts - 1} attempt(s) that did not finish")
        _end(job, FAILED, now, error=reason, outcome="Không hoàn thành được việc này; đã ghi nhật ký.")
        commit()
        log.error("job %s (%s): %s", job_id, job.name, reason)
        return None
    secret = None
    if job.secret is not None:
        secret = secrets.unseal(queue.app.config["SECRET_KEY"], job.id, job.secret)
    context = JobContext(job_id=job.id, name=job.name, payload=json.loads(job.payload or "{}"),
                         attempt=job.attempts, requested_by_id=job.requested_by_id, batch=job.batch, secret=secret,
                         token=token, result=json.loads(job.result or "{}"))
    commit()
    return context


def _run(queue: JobQueue, context: JobContext, token: str) -> None:
    registered = registry.get(context.name)
    assert registered is not None
    try:
        outcome = registered.run(context)
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s (%s) attempt %s failed", context.job_id, context.name, context.attempt)
        _failed(queue, context, token, exc, final=context.attempt >= registered.max_attempts)
        return
    db.session.rollback()  # whatever the handler left uncommitted is not part of its recorded effects
    values: dict[str, Any] = {"outcome": outcome.text[:2000]}
    if outcome.result is not None:
        values["result"] = registry.dumps(outcome.result)
    if not _fenced(context.job_id, token, DONE, values):
        log.warning("job %s (%s): finished after its claim was taken over; its outcome is not recorded",
                    context.job_id, context.name)


def _failed(queue: JobQueue, context: JobContext, token: str, exc: Exception, *, final: bool) -> None:
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    if final:
        _fenced(context.job_id, token, FAILED, {"error": error,
                                                "outcome": "Không hoàn thành được việc này; đã ghi nhật ký."})
        return
    # queued again, handed over by the sweep once a lease has passed: a pause before the next attempt
    db.session.execute(update(Job).where(Job.id == context.job_id, Job.claimed_by == token)
                       .values(status=QUEUED, lease_until=None, claimed_by="", enqueued_at=utcnow(), error=error)
                       .execution_options(synchronize_session=False))
    commit()


def _fenced(job_id: int, token: str, status: str, values: dict[str, Any]) -> bool:
    """End the job if this attempt still holds its claim; the secret goes with the end."""
    ended = db.session.execute(
        update(Job).where(Job.id == job_id, Job.claimed_by == token, Job.status == RUNNING)
        .values(status=status, finished_at=utcnow(), lease_until=None, secret=None, **values)
        .execution_options(synchronize_session=False))
    commit()
    return ended.rowcount == 1


def _end(job: Job, status: str, now: datetime, *, error: str = "", outcome: str = "") -> None:
    job.status, job.finished_at, job.lease_until, job.secret = status, now, None, None
    job.error, job.outcome = error[:2000], outcome


def record_progress(context: JobContext, done: int, total: int, result: dict[str, Any] | None = None) -> None:
    """Progress and result, written in the caller's transaction: committed with the effect they describe (a
    signature and the line saying it was made), so a recovered attempt reads both or neither."""
    values: dict[str, Any] = {"progress_done": done, "progress_total": total}
    if result is not None:
        context.result = result
        values["result"] = registry.dumps(result)
    db.session.execute(update(Job).where(Job.id == context.job_id).values(**values)
                       .execution_options(synchronize_session=False))


def renew(queue: JobQueue, tokens: list[str]) -> None:
    """The heartbeat: push the leases of this process's running jobs forward."""
    db.session.execute(update(Job).where(Job.claimed_by.in_(tokens), Job.status == RUNNING)
                       .values(lease_until=utcnow() + queue.lease).execution_options(synchronize_session=False))
    commit()
    db.session.remove()


def sweep(queue: JobQueue, now: datetime | None = None) -> int:
    """Hand over again what looks lost; returns how many jobs this sweeper handed over."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Job.id, Job.enqueued_at).where(or_(
            and_(Job.status == RUNNING, Job.lease_until < now),
            and_(Job.status == QUEUED, Job.enqueued_at < now - queue.lease)))
        .order_by(Job.id).limit(SWEEP_LIMIT)).all()
    commit()
    handed = 0
    for job_id, enqueued_at in rows:
        mine = db.session.execute(update(Job).where(Job.id == job_id, Job.enqueued_at == enqueued_at)
                                  .values(enqueued_at=now).execution_options(synchronize_session=False))
        commit()
        if mine.rowcount == 1:
            log.info("job %s looked lost: handed to the queue again", job_id)
            queue.enqueue(job_id)
            handed += 1
    return handed


def tick(queue: JobQueue, now: datetime | None = None) -> None:
    """Every minute in each consumer: the sweep, then this minute's periodic jobs, one per slot whoever's
    scheduler comes first (``Job.key`` is unique)."""
    now = now or utcnow()
    try:
        sweep(queue, now)
        slot = now.replace(second=0, microsecond=0)
        keys = []
        for item in registry.periodic_jobs():
            if crontab(minute=item.minute, hour=item.hour)(slot.replace(tzinfo=None)):
                key = f"{item.name}@{slot:%Y-%m-%dT%H:%M}"
                insert_ignore(Job, {"name": item.name, "key": key, "payload": "{}", "status": QUEUED,
                                    "created_at": now, "enqueued_at": now}, conflict_columns=["key"])
                keys.append(key)
        commit()
        if keys:
            ids = db.session.execute(select(Job.id).where(Job.key.in_(keys), Job.status == QUEUED)).scalars().all()
            commit()
            for job_id in ids:  # another scheduler may hand the same job over: the claim takes it once
                queue.enqueue(job_id)
    finally:
        db.session.remove()
