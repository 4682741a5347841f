"""The job queue itself, on a real consumer and a real storage (a SQLite file, Redis): a job's intent commits
with the change that asks for it, is handed over after the commit, runs once however often it is handed over,
comes back when its hand-over was lost or its worker died, is retried then given up when it fails, and periodic
jobs are made once per slot whoever's scheduler comes first."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from edoc import jobs
from edoc.core.db import db, utcnow
from edoc.jobs import runner
from edoc.jobs.models import Job

RAN: Counter[str] = Counter()
SEEN: dict[str, jobs.JobContext] = {}
LOCK = threading.Lock()


def _record(context: jobs.JobContext) -> jobs.Outcome:
    with LOCK:
        RAN[context.payload["tag"]] += 1
        SEEN[context.payload["tag"]] = context
    return jobs.Outcome(f"ghi nhận {context.payload['tag']}", result={"tag": context.payload["tag"]})


def _fail(context: jobs.JobContext) -> jobs.Outcome:
    with LOCK:
        RAN[context.payload["tag"]] += 1
    raise RuntimeError(f"hỏng lần {context.attempt}")


jobs.register("tests.record", _record)
jobs.register("tests.fail", _fail, max_attempts=2)


def _tick_seen(context: jobs.JobContext) -> jobs.Outcome:
    return jobs.Outcome("phút này")


jobs.periodic("tests.every_minute", _tick_seen, minute="*")


@pytest.fixture
def tag():
    """A tag of this test's own: the counters are the module's, the test runs once per database and queue."""
    suffix = uuid.uuid4().hex[:8]
    return lambda name: f"{name}-{suffix}"


def _job(app, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def _ask(app, tag: str, **options) -> int:
    with app.app_context():
        job = jobs.enqueue_after_commit("tests.record", {"tag": tag}, **options)
        db.session.commit()
        return job.id


def test_a_job_commits_with_its_change_runs_once_and_records_its_outcome(tag, queue_app, consumer):
    with queue_app.app_context():
        jobs.enqueue_after_commit("tests.record", {"tag": tag("rolled-back")})
        db.session.rollback()
        assert db.session.execute(select(Job)).first() is None  # no change, no job
    consumer()
    job_id = _ask(queue_app, tag("a"))
    assert jobs.wait(queue_app, 20, [job_id])
    job = _job(queue_app, job_id)
    assert (job.status, job.outcome, json.loads(job.result), job.attempts) == \
        ("done", f"ghi nhận {tag('a')}", {"tag": tag("a")}, 1)
    assert job.lease_until is None and job.finished_at is not None
    assert RAN[tag("a")] == 1 and RAN[tag("rolled-back")] == 0
    # the same job handed over three more times (a duplicate message, two sweepers): the claim takes it once
    queue = jobs.queue_of(queue_app)
    for _ in range(3):
        queue.enqueue(job_id)
    done = _ask(queue_app, tag("after"))  # runs after the duplicates on a FIFO queue
    assert jobs.wait(queue_app, 20, [done])
    assert RAN[tag("a")] == 1


def test_a_hand_over_lost_after_the_commit_is_made_good_by_the_sweep(tag, queue_app, consumer, monkeypatch):
    queue = jobs.queue_of(queue_app)
    monkeypatch.setattr(queue, "enqueue", lambda job_id: False)  # the process "died" between commit and enqueue
    job_id = _ask(queue_app, tag("lost"))
    monkeypatch.undo()
    consumer()
    with queue_app.app_context():
        assert runner.sweep(queue) == 0  # not yet: it may still be waiting in the queue
        # at least this one: other jobs of the shared database (periodic slots) may be due too; that it was this
        # job the sweep handed over is shown below, since nothing else enqueues it
        assert runner.sweep(queue, utcnow() + queue.lease + timedelta(seconds=1)) >= 1
    assert jobs.wait(queue_app, 20, [job_id])
    assert _job(queue_app, job_id).status == "done" and RAN[tag("lost")] == 1


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(tag, queue_app, consumer):
    queue = jobs.queue_of(queue_app)
    with queue_app.app_context():
        job = jobs.enqueue_after_commit("tests.record", {"tag": tag("orphan")})
        db.session.flush()
        # as a worker killed mid-job leaves it: running, claimed, one attempt spent, its lease not renewed
        job.status, job.claimed_by, job.attempts = "running", "other-host:4242:1:dead", 1
        job.lease_until = utcnow() + timedelta(seconds=1)
        db.session.info.pop("edoc_pending_jobs")  # and never handed over by this test
        db.session.commit()
        job_id = job.id
    consumer()
    queue.enqueue(job_id)  # a stray message while the lease holds: nothing runs
    with queue_app.app_context():
        assert runner.sweep(queue) == 0
    assert not jobs.wait(queue_app, 0.5, [job_id]) and RAN[tag("orphan")] == 0
    time.sleep(1)  # the lease runs out
    with queue_app.app_context():
        assert runner.sweep(queue) == 1
    assert jobs.wait(queue_app, 20, [job_id])
    job = _job(queue_app, job_id)
    assert job.status == "done" and job.attempts == 2
    assert SEEN[tag("orphan")].attempt == 2 and RAN[tag("orphan")] == 1


def test_a_failing_job_is_tried_again_then_given_up_with_its_error(tag, queue_app, consumer):
    queue = jobs.queue_of(queue_app)
    consumer()
    with queue_app.app_context():
        job_id = jobs.enqueue_after_commit("tests.fail", {"tag": tag("broken")}).id
        db.session.commit()
    assert jobs.queue_of(queue_app) is queue
    deadline = utcnow() + timedelta(seconds=20)
    while _job(queue_app, job_id).attempts < 1 or _job(queue_app, job_id).status == "running":
        assert utcnow() < deadline
    job = _job(queue_app, job_id)
    assert job.status == "queued" and "hỏng lần 1" in job.error  # waits a lease, then the sweep hands it over
    with queue_app.app_context():
        # (>= 1: the consumer's own periodic job of this minute may be handed over with it)
        assert runner.sweep(queue, utcnow() + queue.lease + timedelta(seconds=1)) >= 1
    assert jobs.wait(queue_app, 20, [job_id])
    job = _job(queue_app, job_id)
    assert job.status == "failed" and job.attempts == 2 and "hỏng lần 2" in job.error and RAN[tag("broken")] == 2
    assert job.outcome == "Không hoàn thành được việc này; đã ghi nhật ký."


def test_periodic_jobs_are_made_once_per_slot_by_any_number_of_schedulers(tag, queue_app, consumer):
    queue = jobs.queue_of(queue_app)
    consumer()
    at = utcnow().replace(second=5)
    with queue_app.app_context():
        runner.tick(queue, at)
        runner.tick(queue, at.replace(second=40))  # a second worker's scheduler, the same minute
    with queue_app.app_context():
        made = db.session.execute(select(Job).where(Job.name == "tests.every_minute")).scalars().all()
        assert [j.key for j in made] == [f"tests.every_minute@{at:%Y-%m-%dT%H:%M}"]
    assert jobs.wait(queue_app, 20, [made[0].id])
    assert _job(queue_app, made[0].id).status == "done"


def test_a_secret_is_sealed_in_the_row_given_to_the_handler_and_erased_at_the_end(tag, queue_app, consumer):
    with queue_app.app_context():
        job = jobs.enqueue_after_commit("tests.record", {"tag": tag("secret")}, secret="123456")
        db.session.commit()
        job_id = job.id
        sealed = db.session.get(Job, job_id).secret
    assert sealed is not None and b"123456" not in sealed
    consumer()
    assert jobs.wait(queue_app, 20, [job_id])
    assert SEEN[tag("secret")].secret == "123456" and _job(queue_app, job_id).secret is None


def test_an_unknown_job_name_is_refused_when_asked(tag, queue_app):
    with queue_app.app_context(), pytest.raises(ValueError, match="no job handler named 'tests.nothing'"):
        jobs.enqueue_after_commit("tests.nothing", {})
