"""Fixtures shared by the whole suite.

Every app test runs twice: on SQLite (the embedded default) and on PostgreSQL (production). Each backend is
migrated once per session with Alembic (so the migrations themselves are under test); each test then starts
from empty tables.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from edoc import jobs
from edoc.app import create_app
from edoc.config import Settings
from tests.support.components import postgres_url

# The PostgreSQL half is marked, so that `-m postgres` selects it (and `-m "not postgres"` leaves it out).
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# ci_skips: under CI=true any skipped test fails the run; servers: stops the throwaway PostgreSQL and Redis servers
# tests/support/components.py may start; pytester: to test those plugins themselves.
pytest_plugins = ["tests.support.ci_skips", "tests.support.servers", "pytester"]


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2's cheapest profile for the suite's own users: the real one costs 0.2 s a hash, and the suite
    creates and signs in users hundreds of times. The production profile is checked in test_auth."""
    from argon2 import profiles

    from edoc.accounts import passwords

    passwords.use_profile(profiles.CHEAPEST)
    yield
    passwords.use_profile(passwords.PROFILE)


def _migrate(settings: Settings) -> None:
    from flask_migrate import upgrade

    app = create_app(settings, check_services=False)
    with app.app_context():
        upgrade()
        from edoc.core.db import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    base = tmp_path_factory.mktemp("sqlite-template")
    path = base / "template.sqlite3"
    _migrate(Settings.from_env({"EDOC_SECRET_KEY": "x" * 32, "EDOC_DATABASE_URL": f"sqlite:///{path}",
                                "EDOC_INSTANCE_PATH": str(base)}))
    return path


@pytest.fixture(scope="session")
def postgres_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh PostgreSQL database for this session, migrated to head, dropped at the end. The server is the
    configured one or a throwaway (tests/support/components.py); with neither, the PostgreSQL tests skip."""
    base = postgres_url()
    name = f"edoc_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{base}/{name}"
    instance = tmp_path_factory.mktemp("pg-instance")
    _migrate(Settings.from_env({"EDOC_SECRET_KEY": "x" * 32, "EDOC_DATABASE_URL": url,
                                "EDOC_INSTANCE_PATH": str(instance)}))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(app: Flask) -> None:
    from edoc.core.db import db

    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings_env(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """Environment for a test app; tests may add to it before asking for ``app``."""
    env = {
        "EDOC_SECRET_KEY": "test-secret-key-" + "x" * 16,
        "EDOC_INSTANCE_PATH": str(tmp_path / "instance"),
        "EDOC_STORAGE_DIR": str(tmp_path / "files"),
        "EDOC_MAX_UPLOAD_MB": "5",
    }
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "edoc.sqlite3"
        shutil.copy(template, path)
        env["EDOC_DATABASE_URL"] = f"sqlite:///{path}"
    else:
        env["EDOC_DATABASE_URL"] = request.getfixturevalue("postgres_database")
    return env


@pytest.fixture
def app(settings_env: dict[str, str], backend: str) -> Iterator[Flask]:
    application = create_app(Settings.from_env(settings_env))
    application.config.update(TESTING=True)
    # Jobs run as the transaction asking for them commits (Huey's immediate mode), so tests read their effects
    # at once; tests/jobs/ runs real consumers (threads, `edoc worker` processes) on SQLite and Redis.
    jobs.queue_of(application).run_immediately()
    if backend == "postgres":
        _truncate_all(application)
    yield application
    from edoc.core.db import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo(app: Flask) -> dict[str, int]:
    """The demo organisation; returns username → user id."""
    from edoc.demo import load_demo

    with app.app_context():
        result = load_demo()
        return {u.username: u.id for u in result.users}


DEMO_PASSWORD = "GiaLam@2023"


@pytest.fixture
def demo_free_app_factory() -> Iterator[object]:
    """Build extra apps from an environment dict (for configuration tests); disposed afterwards."""
    made: list[Flask] = []

    def factory(env: dict[str, str]) -> Flask:
        application = create_app(Settings.from_env(env))
        made.append(application)
        return application

    yield factory
    from edoc.core.db import db

    for application in made:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real S3 server (SeaweedFS) for the session; tests use their own buckets."""
    from tests.support.seaweed import start_seaweed

    server = start_seaweed(tmp_path_factory.mktemp("seaweed"))
    yield server
    server.stop()
