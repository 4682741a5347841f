"""SQLAlchemy 2.0 typed declarative base shared by every model, with naming conventions Alembic can rely on."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Connection, DateTime, MetaData, TypeDecorator, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase

from edoc.core.errors import NotFound

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


T = TypeVar("T")
M = TypeVar("M", bound=Base)


def get_in(model: type[M], row_id: int, organisation_id: int | None, message: str) -> M:
    """The row ``row_id`` of ``model`` if it belongs to ``organisation_id``, else a 404 saying ``message``:
    another organisation's row is unknown here, exactly like one that does not exist (ids cannot be probed)."""
    row = db.session.get(model, row_id)
    if row is None or row.organisation_id != organisation_id:  # type: ignore[attr-defined]
        raise NotFound(message)
    return row


def commit() -> None:
    """End the session's transaction: the one place edoc commits (tests/foundation/test_architecture.py).

    Who calls it is the house rule of docs/architecture.md: the service function that changes the state, once
    its writes and its audit entry are in the session, so that what runs after the commit (realtime events,
    jobs handed to the queue, bytes deleted after commit) runs for it. Views, API routes and socket handlers
    never call it."""
    db.session.commit()


def end_read_transaction() -> None:
    """End the request's transaction before slow work (a conversion, a signature) when it has written nothing,
    so the request holds no snapshot or lock meanwhile; a session with pending writes is left alone."""
    session = db.session
    if not (session.new or session.dirty or session.deleted):
        session.commit()


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
_NATIVE_WAIT_MS = 20
"""SQLite's own busy wait, per try of ``BEGIN IMMEDIATE`` against another process: it sleeps in C, holding the OS
thread (under gevent, every request of the worker), so each try is kept short and the waits between tries are
Python sleeps, which gevent turns into greenlet switches."""

_turns: dict[str, threading.Lock] = {}
_turns_guard = threading.Lock()


def _writer_turn(database: str) -> threading.Lock:
    """The process's one lock for write transactions on the SQLite file ``database``, shared by every engine on
    it (each test app, the job queue's consumer). Made when the first engine on the file is configured, i.e. at
    app creation, which gunicorn's gevent worker does after gevent patched ``threading``: waiting for it is then a
    greenlet switch, not a blocked OS thread."""
    with _turns_guard:
        turn = _turns.get(database)
        if turn is None:
            turn = _turns[database] = threading.Lock()
        return turn


def _sqlite_busy(statement: str) -> OperationalError:
    # SQLite's own words, so ``is_busy`` and the 503 "hệ thống đang bận" treat it as SQLite's busy timeout
    return OperationalError(statement, None, sqlite3.OperationalError("database is locked"))


def configure_engine_events(engine: object, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    """Per-dialect connection settings, applied once per engine.

    SQLite (the embedded default) gets WAL, foreign keys, and ``BEGIN IMMEDIATE`` for every transaction: with
    deferred transactions two writers that both read first fail with "database is locked" instead of waiting,
    which would turn a busy register into errors. PostgreSQL's writers serialise on row locks (``SELECT ... FOR
    UPDATE``); it only gets JIT compilation turned off.

    Writers of one process take turns on a Python lock (``_writer_turn``) before ``BEGIN IMMEDIATE`` and hand it
    on after their COMMIT or ROLLBACK, so they never meet in SQLite's busy handler. That handler sleeps in C: under
    gunicorn's gevent worker, where every request shares one OS thread, a request waiting in it stopped the whole
    worker, including the request holding the lock, which could then not finish (its next step, a file write or
    a socket send, needs the hub): every request froze for the whole timeout, then failed (503s, resets, the
    worker killed by gunicorn for missing its heartbeat). The Python lock is gevent's under gevent: waiting for
    it lets the holder run. Against another process (a second worker, ``edoc`` on the command line) the wait is
    short native tries separated by Python sleeps (``_NATIVE_WAIT_MS``).

    The timeout bounds how long a request queues for its turn: past it the request gets a 503 "hệ thống đang
    bận" (``edoc.core.http``) with Retry-After, instead of hanging until the front proxy or gunicorn gives up
    with a bare error. 10 s by default (``EDOC_SQLITE_BUSY_TIMEOUT_MS``): several slow transactions in a row can
    wait, a stuck one cannot hold every visitor for long.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    assert isinstance(engine, Engine)
    if engine.dialect.name == "postgresql":
        @event.listens_for(engine, "connect")
        def _postgresql_connect(dbapi_connection: Any, _record: object) -> None:
            # PostgreSQL's JIT compiles any query the planner costs high, which an aggregate over an access clause
            # with EXISTS subplans always is: on the incoming board (100,000 documents) compiling took 500 ms of a
            # 710 ms query that runs in 180 ms without it. Our queries are short; JIT never pays for itself here.
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET jit = off")
            dbapi_connection.commit()
        return
    if engine.dialect.name != "sqlite":
        return
    database = engine.url.database or ""
    key = database if database in {"", ":memory:"} or database.startswith("file:") else os.path.abspath(database)
    turn = _writer_turn(key)
    timeout = sqlite_busy_timeout_ms / 1000

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        # the full timeout while opening (WAL recovery after a crash is worth waiting for), short tries after
        cursor.execute(f"PRAGMA busy_timeout={int(sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={min(_NATIVE_WAIT_MS, int(sqlite_busy_timeout_ms))}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Connection) -> None:
        deadline = time.monotonic() + timeout
        if not turn.acquire(timeout=timeout):
            raise _sqlite_busy("BEGIN IMMEDIATE")
        conn.info[_HOLDS_TURN] = turn
        try:
            _begin_immediate(conn.connection.dbapi_connection, deadline)
        except BaseException:
            _hand_on(conn.info)
            raise

    @event.listens_for(engine, "commit")
    def _sqlite_commit(conn: Connection) -> None:
        # Committed here, so the turn is handed on once the database has really committed; the dialect's own
        # commit that follows finds no transaction and does nothing. Should this COMMIT fail, the turn stays
        # until the rollback that follows, and the dialect's commit raises the error as SQLAlchemy's.
        try:
            conn.connection.dbapi_connection.commit()  # type: ignore[union-attr]
        except sqlite3.Error:
            return
        _hand_on(conn.info)

    @event.listens_for(engine, "rollback")
    def _sqlite_rollback(conn: Connection) -> None:
        try:
            conn.connection.dbapi_connection.rollback()  # type: ignore[union-attr]
        except Exception:  # a lost connection: the dialect's rollback that follows says so
            pass
        finally:
            _hand_on(conn.info)

    # A connection given back, closed or invalidated without a rollback through the Connection (the pool's own
    # reset, a connection lost): its turn must not stay taken.
    @event.listens_for(engine.pool, "reset")
    def _reset(dbapi_connection: Any, connection_record: Any, reset_state: object) -> None:
        if _HOLDS_TURN in connection_record.info:
            try:
                dbapi_connection.rollback()  # the pool's rollback comes after this event: the turn is handed on now
            except sqlite3.Error:
                pass
        _hand_on(connection_record.info)

    @event.listens_for(engine.pool, "close")
    def _close(dbapi_connection: Any, connection_record: Any) -> None:
        _hand_on(connection_record.info)

    @event.listens_for(engine.pool, "invalidate")
    def _invalidate(dbapi_connection: Any, connection_record: Any, exception: BaseException | None) -> None:
        _hand_on(connection_record.info)


_HOLDS_TURN = "edoc_sqlite_writer_turn"


def _hand_on(info: dict[Any, Any]) -> None:
    turn = info.pop(_HOLDS_TURN, None)
    if turn is not None:
        turn.release()


def _begin_immediate(dbapi_connection: Any, deadline: float) -> None:
    """``BEGIN IMMEDIATE`` in short native tries (``_NATIVE_WAIT_MS``), sleeping in Python between them, until
    ``deadline``; then the busy error. Only another process can make a try fail: this one's writers took turns."""
    pause = 0.002
    while True:
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if str(exc).strip().lower() not in _BUSY_MESSAGES or time.monotonic() >= deadline:
                raise OperationalError("BEGIN IMMEDIATE", None, exc) from None
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 0.05)


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
