"""Load benchmark: a mixed workload of N concurrent users against the production server (``scripts/serve``:
gunicorn with the gevent worker) and the development server (``edoc run``), each on a fresh PostgreSQL database
(``--sqlite`` adds the same on SQLite). Prints requests per second, median and p95 latency, and the count of 5xx
answers and of requests with no answer at all (reset, refused, timed out), per server and crowd size, in one run.

Each virtual user loops, for ``--seconds``, through: its inbox, a leader's signature of an approved document and
the clerk's issue of it (number, fields, the organisation's seal, the kept validation report), ``/api/v1/me``, a
validation of a signed PDF (stored with its report), the home page (signed in with a cookie), the clerk's
to-issue box, one document, and every fourth round a new draft rendered to PDF (~1.4 s of CPU). Users start
together. The client runs in this process (one thread per user) and shares the machine's cores with the server:
figures are for comparing the two servers side by side, not capacity planning.

Figures only; the exit status is 1 if any request answered 5xx or got no answer, so CI can run it on a small
budget (``--users 20 --seconds 5``).

    .venv/bin/python bench/load.py [--users 20 100] [--seconds 15] [--sqlite] [--workers 1 2]
                                   [--postgres postgresql+psycopg://postgres@127.0.0.1:5432]
                                   [--redis redis://127.0.0.1:6379/0]

The production server runs ``--workers`` gevent worker processes (one run per count; several share events
through Redis, WebSocket only, as ``scripts/serve`` does with EDOC_REDIS_URL).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from edoc.app import create_app
from edoc.config import Settings
from tests.support.crowd import Actions, Outcome, Prepared, login, prepare, serve, timed


@contextmanager
def database(kind: str, postgres: str, workdir: Path) -> Iterator[dict[str, str]]:
    """A migrated, empty database and the environment naming it; PostgreSQL's is dropped at the end."""
    env = {"EDOC_SECRET_KEY": "load-secret-key-" + "l" * 16, "EDOC_INSTANCE_PATH": str(workdir / "instance"),
           "EDOC_STORAGE_DIR": str(workdir / "files")}
    name = f"edoc_load_{uuid.uuid4().hex[:10]}"
    admin = None
    if kind == "sqlite":
        env["EDOC_DATABASE_URL"] = f"sqlite:///{workdir / 'edoc.sqlite3'}"
    else:
        admin = create_engine(f"{postgres}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        env["EDOC_DATABASE_URL"] = f"{postgres}/{name}"
    try:
        app = create_app(Settings.from_env(env), check_schema=False)
        with app.app_context():
            upgrade()
            from edoc.core.db import db

            db.engine.dispose()
        yield env
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def crowd(base: str, prepared: Prepared, users: int, seconds: float) -> list[Outcome]:
    act = Actions(base, prepared, timeout=60)
    # signed in once per person (argon2 costs ~0.2 s a sign-in), the cookie shared by that person's users
    cookies = {}
    for name in ("daibieu", "thuky", "chuyenvien"):
        with requests.Session() as session:
            login(base, session, name)
            cookies[name] = session.cookies.get_dict()
    outcomes: list[Outcome] = []
    keep = threading.Lock()
    barrier = threading.Barrier(users)

    def user(number: int) -> None:
        leader = ("chutich", "phochutich")[number % 2]
        reader = ("daibieu", "thuky", "chuyenvien")[number % 3]
        mine: list[Outcome] = []
        with requests.Session() as session:
            session.cookies.update(cookies[reader])
            barrier.wait()
            end = time.monotonic() + seconds
            rounds = 0
            last_doc: int | None = None
            while time.monotonic() < end:
                steps = [act.list_documents(reader)]
                try:
                    doc = act._take(leader)
                except IndexError:
                    doc = None  # none left to sign: the round goes on without
                if doc is not None:
                    steps += [act.sign(leader, doc), act.issue(doc)]
                    last_doc = doc
                steps += [act.me(reader), act.validate(reader), ("page", lambda s: s.get(f"{base}/", timeout=60)),
                          act.list_documents("vanthu", "to_issue")]
                if last_doc is not None:
                    steps.append(("get", lambda s, d=last_doc: s.get(f"{base}/api/v1/documents/{d}",
                                                                     headers=prepared.headers("vanthu"), timeout=60)))
                if rounds % 4 == number % 4:
                    steps.append(act.draft())
                for name, call in steps:
                    if time.monotonic() >= end:
                        break
                    mine.append(timed(name, call, session))
                rounds += 1
        with keep:
            outcomes.extend(mine)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] if ordered else float("nan")


def run(server_kind: str, db_kind: str, users: int, seconds: float, postgres: str, *, workers: int = 1,
        redis: str = "") -> bool:
    with tempfile.TemporaryDirectory() as tmp, database(db_kind, postgres, Path(tmp)) as env:
        # approved documents for the rounds users get through (a round without one goes on without signing)
        per_leader = max(20, min(users * 2, int(users * seconds / 4)))
        prepared = prepare(create_app(Settings.from_env(env)), per_leader=per_leader)
        served = dict(env)
        if server_kind == "production":
            # several workers share events through Redis; the job queue stays a file of its own (no consumer
            # runs under gunicorn, as before), so nothing is left in Redis
            served["EDOC_WORKERS"] = str(workers)
            if workers > 1:
                served.update(EDOC_REDIS_URL=redis, EDOC_SOCKETIO_CHANNEL=f"edoc-load-{uuid.uuid4().hex[:8]}",
                              EDOC_QUEUE_URL=f"sqlite:///{Path(tmp) / 'queue.sqlite3'}")
        with serve(served, Path(tmp) / "server.log", kind=server_kind) as server:
            started = time.perf_counter()
            outcomes = crowd(server.base, prepared, users, seconds)
            elapsed = time.perf_counter() - started
            timeouts = server.worker_timeouts() if server_kind == "production" else 0
            log = server.log()
    latencies = [o.seconds for o in outcomes if o.status is not None]
    errors = sum(1 for o in outcomes if o.status is not None and o.status >= 500)
    lost = sum(1 for o in outcomes if o.status is None)
    by_name: dict[str, list[float]] = {}
    for o in outcomes:
        by_name.setdefault(o.name, []).append(o.seconds)
    label = f"{f'gunicorn+gevent ×{workers}' if server_kind == 'production' else 'edoc run (dev)'} / {db_kind}"
    print(f"{label:<28} {users:>5} {len(outcomes):>8} {len(outcomes) / elapsed:>8.1f} "
          f"{statistics.median(latencies) * 1000 if latencies else float('nan'):>8.0f} "
          f"{p95(latencies) * 1000:>8.0f} {errors:>5} {lost:>6} {timeouts:>8}", flush=True)
    detail = ", ".join(f"{name} {len(v)}× p95 {p95(v) * 1000:.0f} ms" for name, v in sorted(by_name.items()))
    print(f"{'':<28} {detail}", flush=True)
    if errors or lost:
        for o in [o for o in outcomes if o.status is None or o.status >= 500][:3]:
            print(f"{'':<28} {o.name}: {o.status} {o.error[:200].strip()}", flush=True)
        # the server's own word on them: the last line of each of its first tracebacks
        causes = [next((line for line in block.splitlines()[1:] if line and not line.startswith(" ")), "?")
                  for block in log.split("Traceback (most recent call last):")[1:]]
        for cause, count in sorted({c: causes.count(c) for c in causes}.items(), key=lambda kv: -kv[1])[:3]:
            print(f"{'':<28} {count}× {cause[:200]}", flush=True)
    return not errors and not lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--sqlite", action="store_true", help="also run on SQLite")
    parser.add_argument("--servers", nargs="+", choices=["production", "dev"], default=["production", "dev"])
    parser.add_argument("--postgres", default=os.environ.get("EDOC_TEST_POSTGRES",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432"))
    parser.add_argument("--workers", type=int, nargs="+", default=[min(os.cpu_count() or 1, 4)],
                        help="worker processes of the production server, one run each (default: scripts/serve's "
                             "with Redis: one per core, at most 4)")
    parser.add_argument("--redis", default=os.environ.get("EDOC_TEST_REDIS", "redis://127.0.0.1:6379/0"),
                        help="Redis for several workers' events")
    args = parser.parse_args()
    from argon2 import profiles

    from edoc.accounts import passwords

    passwords.use_profile(profiles.CHEAPEST)  # the demo's users are made here; sign-ins are not what is measured
    print(f"mixed workload, {args.seconds:g} s per run; latencies in ms")
    print(f"{'server / database':<28} {'users':>5} {'requests':>8} {'req/s':>8} {'p50':>8} {'p95':>8} {'5xx':>5} "
          f"{'no ans':>6} {'timeouts':>8}")
    ok = True
    databases = ["postgres", *(["sqlite"] if args.sqlite else [])]
    for users in args.users:
        for db_kind in databases:
            for server_kind in args.servers:
                for workers in (args.workers if server_kind == "production" else [1]):
                    ok &= run(server_kind, db_kind, users, args.seconds, args.postgres, workers=workers,
                              redis=args.redis)
                    print(f"{'':<28} load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
