"""A vote of 1,000 delegates casting within 10 seconds, on the production server (``scripts/serve``: gunicorn
with the gevent WebSocket worker) and PostgreSQL: figures only, loopback only.

1. The database is prepared in this process: one meeting in progress, N delegates with a vote, all checked in,
   each with a bearer token; an open vote (open, or ``--kind secret``).
2. N Socket.IO connections (separate client processes, bench/meeting_live.py's clients) sign in as the
   delegates and join the meeting's room with ``meeting.join``, as the room page does.
3. The casts: each delegate's page casts over its own room socket (``meeting.vote.cast``, answered through the
   Socket.IO acknowledgement, as the room page does; ``--door api``: ``POST /api/v1/meetings/<id>/votes/<id>/cast``
   with a bearer token from ``--casters`` processes), each at a random moment of the ``--window`` (10 s); a busy
   answer is sent again after 1-3 s with the same key, as the page does; ``--resend`` of them send the same ballot
   again with the same idempotency key right after the answer, as a page does after a reconnect. Printed:
   acknowledgement p50/p95/p99, answers by status.
4. The chair closes the vote: printed, the time from the close request to the result (``vote.closed``) on every
   page (p50/p95 over the pages, and the slowest page; goal ≤ 2 s).
5. Checked from the database (the register's idempotency keys) and the published result: 0 lost (every
   acknowledged ballot counted), 0 counted twice, the counts per option those of the ballots counted.

``--workers N``: scripts/serve with N gevent workers, Socket.IO events through Redis. ``--profile``: no server;
in one process, SQL statements, wall and CPU time per socket cast, API cast and chair's ``agenda.open``.

    .venv/bin/python bench/meeting_votes.py [--delegates 1000] [--window 10] [--kind open|named|secret]
                                            [--resend 0.05] [--door socket|api] [--workers 1]
                                            [--postgres URL | --sqlite] [--profile [--show-sql]]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import requests  # noqa: E402
from meeting_live import ClientSpec, client_process, gunicorn, pct, print_cores, server_env  # noqa: E402

PASSWORD = "BauCu@2026"


# --- preparing the database (this process) ---------------------------------------------------------------------

@dataclass
class Prepared:
    meeting_id: int
    vote_id: int
    tokens: list[str]
    usernames: list[str]
    chair_token: str
    options: list[str]
    cookies: list[str]
    chair_cookie: str = ""
    items: tuple[int, ...] = ()


def prepare(env: dict[str, str], delegates: int, kind: str) -> Prepared:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from edoc.accounts import passwords
    from edoc.accounts.models import ApiToken, Role, User, UserSession
    from edoc.accounts.service import TOKEN_PREFIX, _token_hash, create_api_token
    from edoc.accounts.sessions import SESSION_LIFETIME
    from edoc.admin.organisations import OrganisationData, create_organisation
    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.db import commit, db, utcnow
    from meetings.agenda.models import AgendaItem
    from meetings.attendance.checkin import CheckIn
    from meetings.attendance.models import Participant
    from meetings.meeting.models import Meeting
    from meetings.votes import service

    app = create_app(Settings.from_env(env), check_services=False)
    with app.app_context():
        upgrade()
        if db.engine.dialect.name == "postgresql":  # a fresh start for every run
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        org = create_organisation(OrganisationData(name="CÔNG ĐOÀN NGÀNH GIÁO DỤC", parent_name="LIÊN ĐOÀN LAO ĐỘNG",
                                                   abbreviation="CĐGD", place_name="Hà Nội"))
        db.session.flush()
        hashed = passwords.hash_password(PASSWORD)

        def user(name: str, full: str, role: Role) -> User:
            u = User(organisation_id=org.id, username=name, full_name=full, password_hash=hashed)
            u.roles = {role}
            db.session.add(u)
            return u

        chair = user("chutoa", "Chủ tọa Đại hội", Role.LEADER)
        secretary = user("thuky.dh", "Thư ký Đại hội", Role.SECRETARY)
        people = [user(f"db{i:04d}", f"Đại biểu {i:04d}", Role.DELEGATE) for i in range(delegates)]
        db.session.flush()
        now = utcnow()
        meeting = Meeting(organisation_id=org.id, title="Đại hội Công đoàn ngành (bench)", status="in_progress",
                          starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=5), chair_id=chair.id,
                          secretary_id=secretary.id, created_by_id=secretary.id, announced_at=now,
                          quorum_rule="two_thirds_members", allow_remote_vote=True)
        db.session.add(meeting)
        db.session.flush()
        db.session.add(Participant(meeting_id=meeting.id, user_id=chair.id, role="chair", votes=False,
                                   answer="attend"))
        db.session.add(Participant(meeting_id=meeting.id, user_id=secretary.id, role="secretary", votes=False,
                                   answer="attend"))
        parts = [Participant(meeting_id=meeting.id, user_id=u.id, role="member", votes=True, answer="attend")
                 for u in people]
        db.session.add_all(parts)
        db.session.flush()
        db.session.add_all([CheckIn(meeting_id=meeting.id, participant_id=p.id, status="in_room", reason="",
                                    method="qr", by_user_id=p.user_id, at=now) for p in parts])
        items = [AgendaItem(meeting_id=meeting.id, position=i, title=f"Nội dung {i}: báo cáo và thảo luận")
                 for i in (1, 2)]
        db.session.add_all(items)
        # bearer tokens made here in one go (create_api_token audits and commits each: minutes for 1,000)
        tokens = []
        for u in people:
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            db.session.add(ApiToken(user_id=u.id, name="bench", prefix=token[:12], token_hash=_token_hash(token)))
            tokens.append(token)
        # a sign-in row and its session cookie per delegate, for the sockets (1,000 sign-ins through the login page
        # would rehash 1,000 passwords with the production argon2 profile: minutes, and not what this measures)
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        cookies = []
        for u in people:
            key = secrets.token_urlsafe(32)
            db.session.add(UserSession(user_id=u.id, key_hash=hashlib.sha256(key.encode()).hexdigest(),
                                       remember=False, created_at=now, expires_at=now + SESSION_LIFETIME))
            signed = serializer.dumps({"_user_id": f"{u.id}:{u.session_version}:{key}", "_fresh": True})
            cookies.append(f"edoc_session={signed}")
        db.session.commit()
        chair_token = create_api_token(chair, "bench")[1]
        vote = service.create_vote(chair, meeting, title="Thông qua Nghị quyết Đại hội", kind=kind,
                                   option_set="tan_thanh")
        service.open_vote(chair, vote, meeting)
        options = [o.key for o in vote.options]
        key = secrets.token_urlsafe(32)
        db.session.add(UserSession(user_id=chair.id, key_hash=hashlib.sha256(key.encode()).hexdigest(),
                                   remember=False, created_at=now, expires_at=now + SESSION_LIFETIME))
        chair_cookie = "edoc_session=" + serializer.dumps(
            {"_user_id": f"{chair.id}:{chair.session_version}:{key}", "_fresh": True})
        prepared = Prepared(meeting.id, vote.id, tokens, [u.username for u in people], chair_token, options,
                            cookies, chair_cookie, tuple(i.id for i in items))
        commit()
        db.engine.dispose()
    return prepared


# --- the casters (separate processes) --------------------------------------------------------------------------

@dataclass
class CastSpec:
    base: str
    url: str
    ballots: list[tuple[str, str, str, bool]]  # token, option, idempotency key, resend after the answer
    window: float
    start_at: float  # time.time() at which the window opens (one clock for every process)


def cast_process(spec: CastSpec, conn: Connection) -> None:
    results = asyncio.run(_casts(spec))
    conn.send(results)


async def _casts(spec: CastSpec) -> list[dict[str, Any]]:
    import aiohttp

    results: list[dict[str, Any]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def post(token: str, option: str, key: str) -> tuple[int | None, float, dict[str, Any]]:
            t0 = time.monotonic()
            try:
                async with http.post(spec.url, json={"choice": [option], "idempotency_key": key},
                                     headers={"Authorization": f"Bearer {token}"},
                                     timeout=aiohttp.ClientTimeout(total=60)) as answer:
                    body = await answer.json(content_type=None)
                    return answer.status, time.monotonic() - t0, body if isinstance(body, dict) else {}
            except Exception as exc:  # no answer: counted as such
                return None, time.monotonic() - t0, {"error": f"{type(exc).__name__}: {exc}"}

        async def one(token: str, option: str, key: str, resend: bool) -> None:
            await asyncio.sleep(max(0.0, spec.start_at + random.uniform(0, spec.window) - time.time()))
            status, seconds, body = await post(token, option, key)
            results.append({"token": token, "option": option, "key": key, "status": status, "seconds": seconds,
                            "replayed": body.get("replayed"), "resend": False})
            if resend:
                status, seconds, body = await post(token, option, key)
                results.append({"token": token, "option": option, "key": key, "status": status,
                                "seconds": seconds, "replayed": body.get("replayed"), "resend": True})

        await asyncio.gather(*(one(*b) for b in spec.ballots))
    return results


# --- the run ---------------------------------------------------------------------------------------------------

def run(args: argparse.Namespace, workdir: Path) -> bool:
    with _database(args, workdir) as database:
        return _run(args, workdir, database)


def _run(args: argparse.Namespace, workdir: Path, database: str) -> bool:
    env = {"EDOC_SECRET_KEY": "bench-secret-key-" + "x" * 20, "EDOC_INSTANCE_PATH": str(workdir / "instance"),
           "EDOC_DATABASE_URL": database, "EDOC_STORAGE_DIR": str(workdir / "files")}
    t = time.monotonic()
    prepared = prepare(env, args.delegates, args.kind)
    print(f"prepared {args.delegates} delegates, tokens and check-ins in {time.monotonic() - t:.0f} s", flush=True)
    context = multiprocessing.get_context("spawn")
    print(f"server: {args.workers} worker process(es){', Socket.IO events through Redis' if args.workers > 1 else ''}",
          flush=True)
    with gunicorn(["sh", str(ROOT / "scripts" / "serve")], {**env, **server_env(args.workers)},
                  workdir / "server.log") as base:
        cookies = prepared.cookies
        join = ("meeting.join", {"meeting_id": prepared.meeting_id})
        chunks = [cookies[i:i + args.per_process] for i in range(0, len(cookies), args.per_process)]
        listeners = []
        for chunk in chunks:
            ours, theirs = context.Pipe()
            p = context.Process(target=client_process, args=(ClientSpec(base, chunk, join), theirs), daemon=True)
            p.start()
            listeners.append((p, ours))
        connected = 0
        for _p, pipe in listeners:
            if not pipe.poll(600):
                raise RuntimeError("a client process did not connect within 10 minutes")
            _ready, count, failures, _failed = pipe.recv()
            connected += count
            for failure in failures:
                print(f"  connection failed: {failure}", flush=True)
        print(f"{connected}/{len(cookies)} pages in the meeting's room", flush=True)

        start_at = time.time() + 3.0
        if args.door == "socket":
            results = _cast_over_sockets(args, prepared, listeners, chunks, start_at)
        else:
            results = _cast_over_api(args, prepared, base, context, start_at)
        first = [r for r in results if not r["resend"]]
        resends = [r for r in results if r["resend"]]
        statuses: dict[str, int] = {}
        for r in results:
            key = f"{'resend ' if r['resend'] else ''}{r['status']}"
            statuses[key] = statuses.get(key, 0) + 1
        acks = [r["seconds"] for r in first if r["status"] == 201]
        print(f"casts: {len(first)} ballots in a {args.window:g} s window (+{len(resends)} resends); answers "
              + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())), flush=True)
        print(f"acknowledgement ms: p50 {pct(acks, 50):.0f}  p95 {pct(acks, 95):.0f}  p99 {pct(acks, 99):.0f}"
              f"  max {pct(acks, 100):.0f}", flush=True)

        time.sleep(1.0)  # the last turnout goes out
        chair = requests.Session()
        t0 = time.monotonic()
        closed = chair.post(f"{base}/api/v1/meetings/{prepared.meeting_id}/votes/{prepared.vote_id}/close",
                            headers={"Authorization": f"Bearer {prepared.chair_token}"}, timeout=120)
        answered = time.monotonic() - t0
        closed.raise_for_status()
        vote = closed.json()
        close_seq = _close_seq(env, prepared.meeting_id)
        for _p, pipe in listeners:
            pipe.send(("collect", {close_seq} if close_seq else set(), 30.0))
        pages: list[dict[int, float]] = []
        for p, pipe in listeners:
            if pipe.poll(120):
                _a, arrivals, _sample = pipe.recv()
                pages.extend(arrivals)
            p.join(30)
        reached = [seen[close_seq] - t0 for seen in pages if close_seq in seen]
        print(f"close: answered in {answered * 1000:.0f} ms; the result reached {len(reached)}/{len(pages)} pages: "
              f"p50 {pct(reached, 50):.0f} ms  p95 {pct(reached, 95):.0f} ms  every page {pct(reached, 100):.0f} ms"
              " (goal ≤ 2000)", flush=True)

        # a delegate's ballot is acknowledged when either of its sends was answered 201 (a resend after a first
        # send that got no answer or a 503 is then the one that counted) or 200 (a resend of a counted ballot)
        # by idempotency key: a ballot is acknowledged when any send of it was answered 201 (counted now) or 200
        # (a resend of a counted ballot); the register keeps each counted ballot's key
        option_of = {r["key"]: r["option"] for r in results}
        acked = {r["key"] for r in results if r["status"] in (201, 200)}
        replayed_ok = all(r["replayed"] for r in resends if r["status"] == 200) and not any(
            r["status"] == 201 for r in resends if any(f["token"] == r["token"] and f["status"] == 201 for f in first))
        counted = vote["result"]["valid"]
        rows = _register_keys(env, prepared.vote_id)
        registered = set(rows)
        lost = len(acked - registered)
        double = len(rows) - len(registered)  # a key twice (a second row for a seat the UNIQUE pair refuses)
        unanswered = len(registered - acked)
        by_option = {ln["key"]: ln["votes"] for ln in vote["result"]["lines"]}
        expected: dict[str, int] = {}
        for key in rows:
            expected[option_of.get(key, "?")] = expected.get(option_of.get(key, "?"), 0) + 1
        print(f"counted {counted}, register {len(rows)}, ballots acknowledged {len(acked)}: lost {lost}, counted "
              f"twice {double}; counted but the answer never reached the page (dropped connection: the page "
              f"resends and is answered as a resend) {unanswered}; per option {by_option} (sent {expected}); "
              f"resends answered as resends: {replayed_ok}", flush=True)
        errors = [r for r in results if not isinstance(r["status"], int) or r["status"] >= 500]
        if errors:
            log = (workdir / "server.log").read_text(errors="replace")
            shown = [block for block in log.split("Traceback")[1:]][:2]
            print(f"{len(errors)} casts without an answer or with a 5xx; the server's first errors:", flush=True)
            for block in shown:
                print("Traceback" + block[:3000], flush=True)
        return (lost == 0 and double == 0 and counted == len(rows) and replayed_ok and not errors
                and by_option == {k: expected.get(k, 0) for k in by_option})


def profile(args: argparse.Namespace, workdir: Path) -> bool:
    """In one process, no server: what one cast (over the room's socket, and over the API) and one chair's action
    (``meeting.agenda.open``) cost: SQL statements sent and wall time each, through Flask-SocketIO's test client
    (the handlers, the session's user, the policy, the service and its commit; no network)."""
    with _database(args, workdir) as database:
        return _profile(args, workdir, database)


def _profile(args: argparse.Namespace, workdir: Path, database: str) -> bool:
    import threading

    from sqlalchemy import event

    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.db import db

    env = {"EDOC_SECRET_KEY": "bench-secret-key-" + "x" * 20, "EDOC_INSTANCE_PATH": str(workdir / "instance"),
           "EDOC_DATABASE_URL": database, "EDOC_STORAGE_DIR": str(workdir / "files")}
    prepared = prepare(env, args.delegates, args.kind)
    app = create_app(Settings.from_env(env), check_services=False)
    server = app.extensions["socketio"]
    counted = {"n": 0}
    statements: list[str] = []
    me = threading.get_ident()

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == me:  # the turnout's background sender is not the cast's cost
            counted["n"] += 1
            statements.append(" ".join(statement.split())[:160])

    def socket_of(cookie: str) -> Any:
        http = app.test_client()
        name, value = cookie.split("=", 1)
        http.set_cookie(name, value)
        client = server.test_client(app, flask_test_client=http)
        assert client.emit("meeting.join", {"meeting_id": prepared.meeting_id}, callback=True)["ok"]
        return client

    cpu: dict[str, list[float]] = {}

    def measured(fn: Any, name: str) -> tuple[int, float, Any]:
        counted["n"] = 0
        statements.clear()
        t0, c0 = time.perf_counter(), time.thread_time()
        answer = fn()
        cpu.setdefault(name, []).append(time.thread_time() - c0)  # this thread's CPU: less noisy than the wall
        return counted["n"], time.perf_counter() - t0, answer

    half = args.delegates // 2
    sockets = [socket_of(c) for c in prepared.cookies[:half]]
    rows: dict[str, list[tuple[int, float]]] = {"socket cast": [], "API cast (bearer token)": [],
                                                "chair agenda.open": []}
    ok = True
    for i, client in enumerate(sockets):
        queries, seconds, answer = measured(lambda c=client, i=i: c.emit("meeting.vote.cast", {
            "meeting_id": prepared.meeting_id, "vote_id": prepared.vote_id, "choice": [prepared.options[i % 3]],
            "idempotency_key": uuid.uuid4().hex}, callback=True), "socket cast")
        ok = ok and bool(answer.get("ok"))
        rows["socket cast"].append((queries, seconds))
    shown = {"socket cast": list(statements)}
    http = app.test_client()
    url = f"/api/v1/meetings/{prepared.meeting_id}/votes/{prepared.vote_id}/cast"
    for i, token in enumerate(prepared.tokens[half:]):
        queries, seconds, answer = measured(lambda t=token, i=i: http.post(
            url, json={"choice": [prepared.options[i % 3]], "idempotency_key": uuid.uuid4().hex},
            headers={"Authorization": f"Bearer {t}"}), "API cast (bearer token)")
        ok = ok and answer.status_code == 201
        rows["API cast (bearer token)"].append((queries, seconds))
    shown["API cast (bearer token)"] = list(statements)
    chair = socket_of(prepared.chair_cookie)
    for i in range(args.actions):
        queries, seconds, answer = measured(lambda i=i: chair.emit("meeting.agenda.open", {
            "meeting_id": prepared.meeting_id, "item_id": prepared.items[i % 2]}, callback=True), "chair agenda.open")
        ok = ok and bool(answer.get("ok"))
        rows["chair agenda.open"].append((queries, seconds))
    shown["chair agenda.open"] = list(statements)
    print(f"in-process, {'SQLite' if args.sqlite else 'PostgreSQL'}, {args.kind} vote, one at a time:", flush=True)
    for name, values in rows.items():
        queries = sorted(q for q, _s in values)
        times = [s for _q, s in values]
        print(f"  {name:<26} {len(values):>5} × : SQL statements per call {queries[0]}-{queries[-1]}"
              f" (median {queries[len(queries) // 2]}); wall ms p50 {pct(times, 50):.1f}  p95 {pct(times, 95):.1f};"
              f" CPU ms p50 {pct(cpu[name], 50):.1f}",
              flush=True)
        if args.show_sql:
            for statement in shown[name]:
                print(f"      {statement}", flush=True)
    with app.app_context():
        db.engine.dispose()
    return ok


@contextmanager
def _database(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    """The run's own database (PostgreSQL's dropped at the end: the server is shared)."""
    if args.sqlite:
        yield f"sqlite:///{workdir / 'edoc.sqlite3'}"
        return
    from sqlalchemy import create_engine, text

    name = f"edoc_bench_votes_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{args.postgres}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{args.postgres}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cast_over_api(args: argparse.Namespace, prepared: Prepared, base: str, context: Any,
                   start_at: float) -> list[dict[str, Any]]:
    """Each delegate casts through the API (bearer token) from ``--casters`` processes."""
    url = f"{base}/api/v1/meetings/{prepared.meeting_id}/votes/{prepared.vote_id}/cast"
    ballots = [(token, random.choice(prepared.options), uuid.uuid4().hex, random.random() < args.resend)
               for token in prepared.tokens]
    per = max(1, len(ballots) // args.casters)
    casters = []
    for i in range(0, len(ballots), per):
        ours, theirs = context.Pipe()
        p = context.Process(target=cast_process, args=(CastSpec(base, url, ballots[i:i + per], args.window,
                                                                  start_at), theirs), daemon=True)
        p.start()
        casters.append((p, ours))
    results: list[dict[str, Any]] = []
    for p, pipe in casters:
        if not pipe.poll(args.window + 300):
            raise RuntimeError("a caster did not finish")
        results.extend(pipe.recv())
        p.join(10)
    return results


def _cast_over_sockets(args: argparse.Namespace, prepared: Prepared, listeners: list[tuple[Any, Connection]],
                       chunks: list[list[str]], start_at: float) -> list[dict[str, Any]]:
    """Each delegate's page casts over its own room socket (``meeting.vote.cast``), as the room page does; the
    answers in the API runs' shape (201 counted, 200 a resend answered as such, the refusal's text otherwise)."""
    for (_p, pipe), chunk in zip(listeners, chunks, strict=True):
        ballots = {}
        for i in range(len(chunk)):
            payload = {"meeting_id": prepared.meeting_id, "vote_id": prepared.vote_id,
                       "choice": [random.choice(prepared.options)], "idempotency_key": uuid.uuid4().hex}
            ballots[i] = (payload, random.random() < args.resend)
        pipe.send(("cast", "meeting.vote.cast", ballots, start_at, args.window))
    results: list[dict[str, Any]] = []
    for n, (_p, pipe) in enumerate(listeners):
        if not pipe.poll(args.window + 600):
            raise RuntimeError("a client process did not finish casting")
        _cast, answers = pipe.recv()
        for a in answers:
            status: int | str | None
            if a["ok"]:
                status = 200 if a["replayed"] else 201
            elif a["none"]:
                status = None
            else:
                status = f"refused ({a['error'][:60]})"
            results.append({"token": f"{n}:{a['i']}", "option": a["payload"]["choice"][0],
                            "key": a["payload"]["idempotency_key"], "status": status,
                            "seconds": a["seconds"], "replayed": a["replayed"], "resend": a["resend"],
                            "tries": a["tries"]})
    tried = [r["tries"] for r in results if not r["resend"]]
    print(f"socket casts: {sum(t > 1 for t in tried)} sent more than once after a busy answer "
          f"(most {max(tried, default=0)} sends)", flush=True)
    return results


def _scalar(env: dict[str, str], sql: str, **params: Any) -> Any:
    from sqlalchemy import create_engine, text

    engine = create_engine(env["EDOC_DATABASE_URL"])
    with engine.connect() as conn:
        value = conn.execute(text(sql), params).scalar()
    engine.dispose()
    return value


def _close_seq(env: dict[str, str], meeting_id: int) -> int | None:
    """The sequence number of the ``vote.closed`` event in the meeting's log (the number the pages hear)."""
    seq = _scalar(env, "SELECT max(seq) FROM meeting_event WHERE meeting_id = :m AND type = 'vote.closed'",
                  m=meeting_id)
    return int(seq) if seq is not None else None


def _register_keys(env: dict[str, str], vote_id: int) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(env["EDOC_DATABASE_URL"])
    with engine.connect() as conn:
        keys = [str(k) for k in conn.execute(text("SELECT idempotency_key FROM vote_voter WHERE vote_id = :v"),
                                              {"v": vote_id}).scalars()]
    engine.dispose()
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delegates", type=int, default=1000)
    parser.add_argument("--window", type=float, default=10.0, help="seconds over which the casts are spread")
    parser.add_argument("--kind", choices=("open", "named", "secret"), default="secret")
    parser.add_argument("--resend", type=float, default=0.05, help="share of ballots sent twice with the same key")
    parser.add_argument("--door", choices=("socket", "api"), default="socket",
                        help="socket: each page casts over its room socket; api: POST with a bearer token")
    parser.add_argument("--casters", type=int, default=4, help="--door api: casting processes")
    parser.add_argument("--per-process", type=int, default=250, help="socket connections per client process")
    parser.add_argument("--profile", action="store_true",
                        help="in one process, no server: SQL statements and time per cast and per chair's action")
    parser.add_argument("--actions", type=int, default=20, help="--profile: the chair's actions")
    parser.add_argument("--show-sql", action="store_true", help="--profile: the statements of the last call of each")
    parser.add_argument("--workers", type=int, default=1,
                        help="server worker processes (more than one: Socket.IO events through Redis)")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--postgres", default=os.environ.get("EDOC_TEST_POSTGRES",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432"))
    args = parser.parse_args(argv)
    print_cores()
    with tempfile.TemporaryDirectory() as tmp:
        ok = profile(args, Path(tmp)) if args.profile else run(args, Path(tmp))
    print("OK" if ok else "FAILED: see above", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
