"""SQLAlchemy 2.0 typed declarative base shared by every model, with naming conventions Alembic can rely on."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


def insert_ignore(model: type[Base], values: dict[str, Any], *, conflict_columns: list[str]) -> None:
    """Insert one row in the session's transaction unless a row with the same ``conflict_columns`` exists or is
    being inserted by a concurrent transaction: then nothing happens, and no error (``ON CONFLICT DO NOTHING``).
    A twin not yet committed makes this wait for its transaction (PostgreSQL; on SQLite the write lock already
    orders writers), then do nothing if it committed.

    The one seam between the two databases for "make this row if missing": a plain insert made the second of two
    concurrent writers fail on PostgreSQL, and reading first cannot see (or lock) a row not yet committed.
    """
    dialect = db.session.get_bind(mapper=model).dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"insert_ignore: no insert-or-ignore for the {dialect} dialect")
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns))


T = TypeVar("T")
M = TypeVar("M", bound=Base)


def locked(row: M) -> M:
    """``row`` read again under ``SELECT … FOR UPDATE``: locked for the rest of the transaction, with what a
    concurrent writer committed before the lock was granted (``populate_existing``), so a second of two
    concurrent changes sees the first one's result instead of acting on what it read before."""
    model = type(row)
    return db.session.execute(
        select(model).where(model.id == row.id).with_for_update()  # type: ignore[attr-defined]
        .execution_options(populate_existing=True)
    ).scalar_one()


IN_LIST_CHUNK = 500
"""Values per ``IN (...)`` list: each is a bind parameter, and drivers cap them (SQLite at 999 before 3.32,
PostgreSQL's protocol at 65 535), so a list built from data (a register's year) is asked in chunks."""


def chunked(values: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size`` (``IN_LIST_CHUNK``), for queries with an ``IN`` list each."""
    size = size or IN_LIST_CHUNK
    chunk: list[T] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


SQLITE_BUSY_TIMEOUT_MS = 10_000


def configure_engine_events(engine: object, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    """Per-dialect connection settings, applied once per engine.

    SQLite (the embedded default) gets WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for every
    transaction: with deferred transactions two writers that both read first fail with "database is locked"
    instead of waiting, which would turn a busy register into errors. PostgreSQL needs nothing here; its
    writers serialise on row locks (``SELECT ... FOR UPDATE``).

    The busy timeout bounds how long a request queues for the write lock: past it the request gets a 503 "hệ
    thống đang bận" (``edoc.core.http``) with Retry-After, instead of hanging until the front proxy or gunicorn
    gives up with a bare error. 10 s by default (``EDOC_SQLITE_BUSY_TIMEOUT_MS``): several slow transactions
    in a row can wait, a stuck one cannot hold every visitor for long.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    assert isinstance(engine, Engine)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: object) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


_BUSY_MESSAGES = ("database is locked", "database table is locked")
_BUSY_SQLSTATES = {"55P03", "40P01"}  # PostgreSQL lock_not_available (lock_timeout), deadlock_detected


def is_busy(exc: BaseException) -> bool:
    """A transaction that could not get its locks in time: worth retrying, not a fault in the request.

    SQLite says so only in the message of an OperationalError (which it also uses for SQL mistakes such as "no
    such table": those stay 500s); PostgreSQL by SQLSTATE.
    """
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return isinstance(orig, sqlite3.OperationalError) and str(orig).strip().lower() in _BUSY_MESSAGES
