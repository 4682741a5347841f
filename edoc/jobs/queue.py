"""The queue library's side of edoc.jobs: one Huey instance per app, consumers, the heartbeat.

Huey carries only job ids; everything else is in the job table (``edoc.jobs.models``). Storage:

- ``sqlite:///…`` (the embedded default, a file in the instance folder): ``edoc run`` consumes it itself with a
  few threads, so one command and one process still run everything;
- ``redis://…`` (production): ``edoc worker`` processes consume it, as many as wanted on as many machines; web
  processes (gunicorn with gevent) only enqueue.

Tests switch an app to Huey's immediate mode (``run_immediately``): a job then runs when the transaction that
asked for it commits, in a fresh app context (its own database session), before ``commit()`` returns.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import redis
from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer
from sqlalchemy.engine import make_url

from edoc.config import Settings
from edoc.core.errors import ConfigError
from edoc.jobs import runner

log = logging.getLogger(__name__)
EXTENSION = "edoc_jobs"


class _InProcessConsumer(Consumer):
    """Huey's consumer without its signal handlers: in ``edoc run`` the web server owns the process's signals."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    """An app's queue: the Huey instance, the one Huey task that runs a job by id, the scheduler's tick, and
    the claims this process holds (renewed by the heartbeat while it lives)."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.lease = timedelta(seconds=settings.job_lease_seconds)
        self.huey = build_huey(settings)
        self.running: set[str] = set()
        self.running_lock = threading.Lock()
        self.consumer: Consumer | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._task: TaskWrapper = self.huey.task(name="edoc_job")(self._run)
        # Every minute, in every consumer: recover lost jobs and make the periodic ones (one per slot, Job.key).
        self.huey.periodic_task(crontab(), name="edoc_tick")(self._tick)

    # --- what Huey runs ---------------------------------------------------------------------------------------

    def _run(self, job_id: int) -> None:
        with self.app.app_context():
            runner.execute(self, job_id)

    def _tick(self) -> None:
        with self.app.app_context():
            runner.tick(self)

    def enqueue(self, job_id: int) -> bool:
        """Hand a job to the queue. A failure is logged, not raised: the job's row is committed, and the sweep
        hands it over again once the queue answers."""
        try:
            self.huey.enqueue(self._task.s(job_id))
        except Exception as exc:  # Redis down, the SQLite file locked: the row brings the job back
            if self.huey.immediate:
                raise
            log.warning("job %s not handed to the queue (%s: %s); the sweep will", job_id, type(exc).__name__, exc)
            return False
        return True

    # --- consumers ------------------------------------------------------------------------------------------------

    def start_consumer(self, threads: int | None = None) -> None:
        """Consume in this process with threads (``edoc run``: the embedded default's one process)."""
        if self.consumer is not None or self.huey.immediate:
            return
        self.consumer = _InProcessConsumer(self.huey, **self._consumer_options(threads))
        self._start_heartbeat()
        self.consumer.start()

    def stop_consumer(self, timeout: float = 30) -> None:
        consumer, self.consumer = self.consumer, None
        self._stop.set()
        if consumer is not None:
            consumer.shutdown_timeout = timeout
            consumer.stop(graceful=True)
        if self._heartbeat is not None:
            self._heartbeat.join(timeout)
            self._heartbeat = None
        self._stop = threading.Event()

    def run_worker(self, threads: int | None = None) -> None:
        """Consume until stopped (``edoc worker``): SIGTERM waits up to 30 s for the jobs running, SIGINT
        stops at once; either way an unfinished job is taken up again by another worker (its lease runs out)."""
        self.consumer = Consumer(self.huey, graceful_signal="TERM", shutdown_timeout=30,
                                 **self._consumer_options(threads))
        self._start_heartbeat()
        try:
            self.consumer.run()
        finally:
            self._stop.set()

    def _consumer_options(self, threads: int | None) -> dict[str, object]:
        # Poll SQLite every 0.05 s after work, backing off to 1 s when idle (Huey's default ceiling of 10 s
        # would leave an e-mail waiting that long); Redis blocks on the list instead of polling.
        return {"workers": threads or self.settings.queue_threads, "worker_type": "thread", "periodic": True,
                "initial_delay": 0.05, "backoff": 1.3, "max_delay": 1.0, "check_worker_health": True}

    def _start_heartbeat(self) -> None:
        self._heartbeat = threading.Thread(target=self._beat, name="edoc-jobs-heartbeat", daemon=True)
        self._heartbeat.start()

    def _beat(self) -> None:
        """Renew the leases of the jobs this process runs, three times per lease: a job whose process died is
        found by its lease running out, not by asking the process."""
        interval = self.lease.total_seconds() / 3
        while not self._stop.wait(interval):
            with self.running_lock:
                tokens = sorted(self.running)
            if not tokens:
                continue
            try:
                with self.app.app_context():
                    runner.renew(self, tokens)
            except Exception:  # the database away for a moment: the next beat tries again, within the lease
                log.exception("renewing job leases failed")

    # --- this process's claims ------------------------------------------------------------------------------------

    def claim_token(self) -> str:
        return f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:12]}"

    def holding(self, token: str) -> None:
        with self.running_lock:
            self.running.add(token)

    def released(self, token: str) -> None:
        with self.running_lock:
            self.running.discard(token)

    def run_immediately(self) -> None:
        """Tests: run each job when the transaction that asked for it commits (Huey's immediate mode)."""
        self.huey.immediate = True

    def check(self) -> None:
        """Reach the queue's storage once (start-up): a clear message naming the setting if it does not answer."""
        if self.huey.immediate:
            return
        try:
            self.huey.storage.enqueued_items(limit=1)
        except Exception as exc:
            raise ConfigError(f"{self.settings.queue_setting}: cannot reach the job queue at "
                              f"{_shown(self.settings.queue_url)}: {_first_line(exc)}") from None


def build_huey(settings: Settings) -> Huey:
    """The Huey instance for the configured storage; a storage that cannot even be opened is a ConfigError."""
    url = settings.queue_url
    try:
        if url.startswith("sqlite:///"):
            path = make_url(url).database or ""
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise ConfigError(f"{settings.queue_setting}: cannot open the job queue's SQLite file {path}: "
                                  f"the folder {folder} does not exist")
            return SqliteHuey(settings.queue_name, filename=path, results=False, utc=True, timeout=10)
        # Redis connects at first use; the start-up check reaches it
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=3, health_check_interval=30)
        return RedisHuey(settings.queue_name, connection_pool=pool, results=False, utc=True, blocking=True,
                         read_timeout=1)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"{settings.queue_setting}: cannot open the job queue at {_shown(url)}: "
                          f"{_first_line(exc)}") from None


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True) if url.startswith("sqlite") else \
            _hide_redis_password(url)
    except Exception:
        return url


def _hide_redis_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def init_app(app: Flask, settings: Settings) -> JobQueue:
    queue = JobQueue(app, settings)
    app.extensions[EXTENSION] = queue
    logging.getLogger("huey").setLevel(logging.WARNING)  # a line per task executed; `edoc worker` raises it
    return queue


def queue_of(app: Flask) -> JobQueue:
    queue = app.extensions.get(EXTENSION)
    if not isinstance(queue, JobQueue):
        raise RuntimeError("edoc.jobs: this app has no job queue (built outside edoc.app.create_app?)")
    return queue


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
