"""Apps with a real queue and a real consumer: the queue's storage is a SQLite file or Redis, the consumer threads
in this process (as ``edoc run`` has) or ``edoc worker`` processes (tests/jobs/test_kill.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db
from edoc.jobs import queue_of
from tests.conftest import _truncate_all
from tests.support.components import redis_url

DEPLOYMENTS = ["embedded", pytest.param("production", marks=[pytest.mark.postgres, pytest.mark.redis])]


@pytest.fixture(params=DEPLOYMENTS)
def deployment(request: pytest.FixtureRequest) -> str:
    """The two configurations that matter: embedded (SQLite database, SQLite queue file) and production
    (PostgreSQL, Redis queue). The database does not change the queue's logic, so the other pairs are left out."""
    return str(request.param)


@pytest.fixture
def backend(deployment: str) -> str:
    return "sqlite" if deployment == "embedded" else "postgres"


@pytest.fixture
def queue_kind(deployment: str) -> str:
    return "sqlite-queue" if deployment == "embedded" else "redis-queue"


@pytest.fixture
def queue_env(settings_env: dict[str, str], queue_kind: str, tmp_path: Path) -> dict[str, str]:
    """The test database's settings with a queue of its own: a SQLite file, or a Redis queue with a fresh name."""
    env = {**settings_env, "EDOC_JOB_LEASE_SECONDS": "3", "EDOC_QUEUE_NAME": f"edoc-test-{uuid.uuid4().hex[:10]}"}
    if queue_kind == "redis-queue":
        env["EDOC_QUEUE_URL"] = redis_url()
    else:
        env["EDOC_QUEUE_URL"] = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    return env


@pytest.fixture
def queue_app(queue_env: dict[str, str], backend: str) -> Iterator[Flask]:
    """An app whose jobs go through the configured queue (not immediate); no consumer until a test starts one."""
    application = create_app(Settings.from_env(queue_env))
    application.config.update(TESTING=True)
    if backend == "postgres":
        _truncate_all(application)
    yield application
    queue = queue_of(application)
    queue.stop_consumer(timeout=10)
    if queue_env["EDOC_QUEUE_URL"].startswith("redis"):
        queue.huey.storage.flush_all()
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def consumer(queue_app: Flask) -> Callable[[], None]:
    """Start the in-process consumer (two threads) of ``queue_app``; stopped at the end of the test."""
    def start() -> None:
        queue_of(queue_app).start_consumer(threads=2)
    return start
