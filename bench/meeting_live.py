"""Meeting room fan-out: the time from the chair's action to every delegate's page having it, on the production
server (``scripts/serve``: gunicorn with the gevent WebSocket worker), next to a bare Flask-SocketIO broadcast of
the same payload on the same worker (bench/socketio_bare.py), in the same run. Figures only, loopback only.

For each crowd size (default 500, 1,000 and 2,000 delegates), N Socket.IO connections are opened to edoc from
separate client processes (``--per-process`` connections each, asyncio clients on the WebSocket transport), every
one signed in as its own delegate of one meeting and joined to the meeting's room through the same
``meeting.join`` the room page sends (the meeting's policy says yes first); then as many to the bare server, which
joins every connection to its room at connect. Both crowds stay connected; then, ``--actions`` times, the chair
opens the next agenda item (``meeting.agenda.open`` over the chair's own room socket, as the room page does; its
answer comes after the commit) and, ``--interval`` seconds later, the bare server is told over HTTP
(``POST /emit``) to broadcast the payload the chair's action sent, and so on, ``--interval`` seconds apart: the
two alternate, so each meets the machine as the other found it (other processes' load comes and goes within a
run; ``--apart``: edoc's crowd and actions first, then the baseline's, as the runs before 3 December 2026, 20:00
did). Each client notes when each event reached it (``time.monotonic()``, one clock for every process on the
machine). The triggers differ (a socket event with an answer; an HTTP request): both take about a millisecond to
reach their server's handler on loopback (measured: 1.0 and 1.3 ms at the median).

Printed per crowd: connections made, events lost, p50/p95/p99 of action-to-page over every (action, page) pair,
p50/p95 of action-to-every-page (the slowest page of each action) and of action-to-first-page (what came before
the broadcast: edoc's chair transaction), and the ratio of the p95s (goal: edoc ≤ 1.3× bare). With 20 actions
the p95 over action × page is set by the slowest action or two. The clients share the machine's cores with the
servers: the figures compare the two servers, they do not plan capacity.

    .venv/bin/python bench/meeting_live.py [--delegates 500 1000 2000] [--actions 20] [--interval 0.5]
                                           [--sqlite | --postgres postgresql+psycopg://postgres@127.0.0.1:5432]
                                           [--bare-only] [--workers 1] [--apart]

``--workers N``: edoc's scripts/serve and the bare baseline each with N gevent workers, their Socket.IO events
through Redis (a channel of the run's own): the same fan-out path for both.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

EVENT = "meeting.event"
WORKER = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"


# --- the clients (separate processes) --------------------------------------------------------------------------

@dataclass
class ClientSpec:
    """What one client process needs: the server, one Cookie header per connection (empty: none), and the
    socket event (with its data) each connection sends to join the meeting's room, or None (the bare server joins
    every connection at connect)."""

    base: str
    cookies: list[str]
    join: tuple[str, dict[str, Any]] | None


def client_process(spec: ClientSpec, conn: Connection) -> None:
    """Open the connections, join, say ready; on "collect" wait for the listed sequence numbers (or the deadline)
    and send back, per connection, when each arrived."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver stops us; a Ctrl-C goes to it
    asyncio.run(_clients(spec, conn))


async def _clients(spec: ClientSpec, conn: Connection) -> None:
    import socketio  # the client library, only in the client processes

    arrivals: list[dict[int, float]] = [{} for _ in spec.cookies]
    sample: list[Any] = []
    clients: list[Any] = []
    failures: list[str] = []
    gate = asyncio.Semaphore(20)  # connections opened at once per process: a burst of 2,000 handshakes helps nobody

    async def one(i: int, cookie: str) -> None:
        client = socketio.AsyncClient(reconnection=False)
        seen = arrivals[i]

        def on_event(payload: dict[str, Any]) -> None:
            seen.setdefault(int(payload.get("seq", -1)), time.monotonic())
            if not sample:
                sample.append(payload)

        client.on(EVENT, on_event)
        async with gate:
            try:
                await asyncio.wait_for(client.connect(spec.base, headers={"Cookie": cookie} if cookie else {},
                                                      transports=["websocket"], wait_timeout=60), 120)
                if spec.join is not None:
                    answer = await client.call(spec.join[0], spec.join[1], timeout=60)
                    if not (isinstance(answer, dict) and answer.get("ok")):
                        raise RuntimeError(f"join refused: {answer}")
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}"[:200])
                return
        clients.append((i, client))

    await asyncio.gather(*(one(i, c) for i, c in enumerate(spec.cookies)))
    loop = asyncio.get_running_loop()
    conn.send(("ready", len(clients), failures[:3], len(failures)))
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "cast":  # bench/meeting_votes.py: each connection casts its ballot over its socket
            conn.send(("cast", await _cast_all(clients, *args)))
            continue
        if command == "collect":
            expected, deadline_s = args
            deadline = time.monotonic() + deadline_s
            while time.monotonic() < deadline and not all(expected <= arrivals[i].keys() for i, _c in clients):
                await asyncio.sleep(0.05)
        break
    conn.send(("arrivals", [arrivals[i] for i, _c in clients], sample[:1]))  # the connected ones only
    await asyncio.gather(*(c.disconnect() for _i, c in clients), return_exceptions=True)


async def _cast_all(clients: list[tuple[int, Any]], event: str, ballots: dict[int, tuple[dict[str, Any], bool]],
                    start_at: float, window: float) -> list[dict[str, Any]]:
    """Connection ``i`` sends ``ballots[i]`` (the payload, and whether to send it again with the same key after
    the answer, as a page does after a reconnect) as ``event`` at a random moment of the window, as the room page
    does: a "busy" answer (``retry``) is sent again after 1-3 s with the same key; the acknowledgement time is
    from the first send to the answer that settled it."""
    import random

    results: list[dict[str, Any]] = []

    async def send(client: Any, payload: dict[str, Any]) -> tuple[dict[str, Any], int]:
        tries = 0
        while True:
            tries += 1
            try:
                answer = await client.call(event, payload, timeout=120)
            except Exception as exc:  # no answer: counted as such
                return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:200], "none": True}, tries
            if not (isinstance(answer, dict) and answer.get("retry")) or tries >= 20:
                return answer if isinstance(answer, dict) else {"ok": False, "error": repr(answer)}, tries
            await asyncio.sleep(1 + 2 * random.random())

    async def one(i: int, client: Any) -> None:
        if i not in ballots:
            return
        payload, resend = ballots[i]
        await asyncio.sleep(max(0.0, start_at + random.uniform(0, window) - time.time()))
        for again in (False, True) if resend else (False,):
            t0 = time.monotonic()
            answer, tries = await send(client, payload)
            results.append({"i": i, "payload": payload, "ok": bool(answer.get("ok")), "error": answer.get("error"),
                            "none": bool(answer.get("none")), "replayed": answer.get("replayed"),
                            "seconds": time.monotonic() - t0, "tries": tries, "resend": again})

    await asyncio.gather(*(one(i, c) for i, c in clients))
    return results


# --- the driver -------------------------------------------------------------------------------------------------

@dataclass
class Target:
    """One server under test: where it is, a Cookie header per delegate, how a connection joins, and ``trigger``,
    which performs the i-th action and returns (the sequence number its event carries, the monotonic time just
    before the action was asked for)."""

    name: str
    base: str
    cookies: list[str]
    join: tuple[str, dict[str, Any]] | None
    trigger: Callable[[int], tuple[int, float]]
    acks: list[float] = field(default_factory=list)
    """How long each action took to be acknowledged (edoc: the chair's transaction), when known."""
    payload_of: Callable[[int], dict[str, Any]] | None = None
    """edoc: the payload the i-th action's event carried (as the chair's own page received it)."""


@dataclass
class Figures:
    name: str
    delegates: int
    connected: int
    failures: list[str]
    per_page: list[float] = field(default_factory=list)
    every_page: list[float] = field(default_factory=list)
    first_page: list[float] = field(default_factory=list)
    """When the first page had each action: what came before the broadcast (edoc: the chair's transaction)."""
    lost: int = 0
    sample: dict[str, Any] | None = None
    acks: list[float] = field(default_factory=list)


def pct(values: list[float], p: float) -> float:
    """The nearest-rank percentile, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] * 1000


@dataclass
class Crowd:
    """One target's client processes, connected and joined."""

    target: Target
    pipes: list[Connection]
    processes: list[Any]
    connected: int
    failures: list[str]
    started: dict[int, float] = field(default_factory=dict)
    """The sequence number of each action asked of this target, and the monotonic time just before it was asked."""


def connect_crowd(target: Target, delegates: int, *, per_process: int) -> Crowd:
    """``delegates`` connections to ``target`` from client processes of ``per_process`` each, joined; returns
    once every process has said how many it connected."""
    context = multiprocessing.get_context("spawn")  # a clean interpreter: the driver holds an app and threads
    cookies = (target.cookies * math.ceil(delegates / max(1, len(target.cookies))))[:delegates]
    chunks = [cookies[i:i + per_process] for i in range(0, delegates, per_process)]
    crowd = Crowd(target, [], [], 0, [])
    for chunk in chunks:
        ours, theirs = context.Pipe()
        process = context.Process(target=client_process, args=(ClientSpec(target.base, chunk, target.join), theirs),
                                  daemon=True)
        process.start()
        crowd.pipes.append(ours)
        crowd.processes.append(process)
    for pipe in crowd.pipes:
        if not pipe.poll(600):
            raise RuntimeError("a client process did not report its connections within 10 minutes")
        _ready, count, first_failures, _failure_count = pipe.recv()
        crowd.connected += count
        crowd.failures.extend(first_failures)
    return crowd


def collect(crowd: Crowd, delegates: int) -> Figures:
    """Each page's arrival times of the crowd's actions, as figures."""
    for pipe in crowd.pipes:
        pipe.send(("collect", set(crowd.started), 30.0))
    figures = Figures(crowd.target.name, delegates, crowd.connected, crowd.failures[:3], acks=crowd.target.acks)
    pages: list[dict[int, float]] = []
    for pipe in crowd.pipes:
        if not pipe.poll(120):
            raise RuntimeError("a client process did not send its arrivals")
        _arrivals, arrivals, sample = pipe.recv()
        if sample and figures.sample is None:
            figures.sample = sample[0]
        pages.extend(arrivals)
    for seq, t0 in crowd.started.items():
        times = [seen[seq] - t0 for seen in pages if seq in seen]
        figures.per_page.extend(times)
        figures.lost += len(pages) - len(times)
        if times:
            figures.first_page.append(min(times))
        if len(times) == len(pages) and times:
            figures.every_page.append(max(times))  # when the last page had it
    return figures


def stop_crowd(crowd: Crowd) -> None:
    for process in crowd.processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()


def measure(targets: list[Target], delegates: int, *, actions: int, interval: float,
            per_process: int) -> list[Figures]:
    """Every target's crowd connected at once (one after the other), then ``actions`` rounds in which each
    target in turn is asked for one action, ``interval`` seconds apart: the targets' actions alternate, so that
    each meets the machine as the other found it (other processes' load comes and goes within a run)."""
    crowds: list[Crowd] = []
    try:
        for target in targets:
            crowds.append(connect_crowd(target, delegates, per_process=per_process))
        time.sleep(1.0)  # the last joins settle before the first action
        for i in range(actions):
            for crowd in crowds:
                seq, t0 = crowd.target.trigger(i)
                crowd.started[seq] = t0
                time.sleep(interval)
        return [collect(crowd, delegates) for crowd in crowds]
    finally:
        for crowd in crowds:
            stop_crowd(crowd)


# --- the servers ------------------------------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start: {log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


@contextmanager
def gunicorn(command: list[str], env: dict[str, str], log_path: Path) -> Iterator[str]:
    """A server process on a free loopback port (``EDOC_BIND`` for scripts/serve, ``--bind`` otherwise), until
    healthy; its base URL; stopped (its whole process group) at the end."""
    port = free_port()
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    full_env = {**os.environ, **env, "PATH": path, "EDOC_BIND": f"127.0.0.1:{port}"}
    command = [part.replace("{bind}", f"127.0.0.1:{port}") for part in command]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=full_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, process, log_path)
            yield base
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


REDIS = os.environ.get("EDOC_TEST_REDIS", "redis://127.0.0.1:6379/13")
"""Several worker processes talk through Redis: a database index of the benches' own on the shared server."""


def server_env(workers: int) -> dict[str, str]:
    """What scripts/serve (and the bare baseline) need for ``workers`` processes: one alone needs nothing; more
    share their Socket.IO events through Redis, on a channel of this run's own (the Redis server is shared), and a
    smaller database pool each (the shared PostgreSQL's connections)."""
    if workers <= 1:
        return {"EDOC_WORKERS": "1"}
    channel = f"bench-{os.getpid()}-{time.monotonic_ns()}"
    return {"EDOC_WORKERS": str(workers), "EDOC_REDIS_URL": REDIS, "EDOC_SOCKETIO_CHANNEL": channel,
            "BARE_REDIS_URL": REDIS, "BARE_CHANNEL": channel + "-bare", "EDOC_DB_POOL_SIZE": "20"}


def bare_command(workers: int = 1) -> list[str]:
    """The baseline on the worker scripts/serve uses, with the same gunicorn settings (and as many workers, which
    then broadcast through Redis as edoc's do)."""
    return [str(Path(sys.executable).parent / "gunicorn"), "--worker-class", WORKER, "--worker-connections", "5000",
            "--workers", str(workers), "--bind", "{bind}", "bench.socketio_bare:app"]


DEFAULT_PAYLOAD: dict[str, Any] = {"meeting_id": 1, "seq": 0, "type": "agenda.opened",
                                   "data": {"item_id": 1, "title": "Nội dung 1", "position": 1}}


@contextmanager
def bare_target(workdir: Path, payload: Callable[[int], dict[str, Any]], workers: int = 1) -> Iterator[Target]:
    """The baseline; ``payload(i)``: what its i-th broadcast carries (edoc's i-th event, or a payload like it)."""
    with gunicorn(bare_command(workers), server_env(workers), workdir / "bare.log") as base:
        http = requests.Session()

        def trigger(i: int) -> tuple[int, float]:
            body = {**payload(i), "seq": i + 1}
            t0 = time.monotonic()
            answer = http.post(f"{base}/emit", json=body, timeout=30)
            answer.raise_for_status()
            return i + 1, t0

        yield Target("bare Flask-SocketIO", base, [""], None, trigger)


# --- the report -------------------------------------------------------------------------------------------------

HEADER = (f"{'server':<24} {'pages':>6} {'conn':>6} {'lost':>5} {'p50':>7} {'p95':>7} {'p99':>7}"
          f" {'all p50':>8} {'all p95':>8} {'1st p50':>8} {'1st p95':>8}")


def line(f: Figures) -> str:
    return (f"{f.name:<24} {f.delegates:>6} {f.connected:>6} {f.lost:>5} {pct(f.per_page, 50):>7.0f}"
            f" {pct(f.per_page, 95):>7.0f} {pct(f.per_page, 99):>7.0f} {pct(f.every_page, 50):>8.0f}"
            f" {pct(f.every_page, 95):>8.0f} {pct(f.first_page, 50):>8.0f} {pct(f.first_page, 95):>8.0f}")


def print_cores() -> None:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {os.cpu_count()} cores ({usable} usable by this process), load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delegates", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--actions", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--per-process", type=int, default=250)
    parser.add_argument("--bare-only", action="store_true", help="only the bare Flask-SocketIO baseline")
    parser.add_argument("--workers", type=int, default=1,
                        help="server worker processes (edoc's and the baseline's; more than one: through Redis)")
    parser.add_argument("--apart", action="store_true",
                        help="edoc's crowd and actions, then the baseline's, one after the other (the runs before"
                             " 3 December 2026, 20:00), rather than both crowds at once and their actions alternated")
    parser.add_argument("--sqlite", action="store_true", help="edoc on SQLite rather than PostgreSQL")
    parser.add_argument("--postgres", default=os.environ.get("EDOC_TEST_POSTGRES",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432"))
    args = parser.parse_args(argv)
    print_cores()
    print(f"server: {args.workers} worker process(es){', Socket.IO events through Redis' if args.workers > 1 else ''}",
          flush=True)
    print("chair action → page, milliseconds (p50/p95/p99 over every action × page; 'all': the slowest page of "
          f"each action; '1st': the first page of each action); {args.actions} actions {args.interval} s apart"
          f"{', one target after the other' if args.apart else ', the targets alternating'}", flush=True)
    print(HEADER, flush=True)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for delegates in args.delegates:
            if args.apart:
                rows = _apart(args, workdir, delegates)
            else:
                with ExitStack() as stack:
                    targets = []
                    if not args.bare_only:
                        targets.append(stack.enter_context(edoc_target(
                            workdir, delegates, sqlite=args.sqlite, postgres=args.postgres, workers=args.workers)))
                    payload = targets[0].payload_of if targets else None
                    targets.append(stack.enter_context(bare_target(
                        workdir, payload or (lambda _i: DEFAULT_PAYLOAD), args.workers)))
                    rows = measure(targets, delegates, actions=args.actions, interval=args.interval,
                                   per_process=args.per_process)
            for row in rows:
                print(line(row), flush=True)
                if row.acks:
                    print(f"{'':<24} the chair's acknowledgement (its transaction): p50 {pct(row.acks, 50):.0f} ms,"
                          f" p95 {pct(row.acks, 95):.0f} ms", flush=True)
                for failure in row.failures:
                    print(f"{'':<24} connection failed: {failure}", flush=True)
                ok = ok and row.lost == 0 and row.connected == delegates
            if len(rows) == 2 and rows[1].per_page:
                print(f"{'':<24} edoc p95 / bare p95 = {pct(rows[0].per_page, 95) / pct(rows[1].per_page, 95):.2f}"
                      f" (goal ≤ 1.3); load average now {os.getloadavg()[0]:.1f}", flush=True)
    return 0 if ok else 1


def _apart(args: argparse.Namespace, workdir: Path, delegates: int) -> list[Figures]:
    """The runs before 3 December 2026, 20:00 (``--apart``): edoc's crowd and actions first, then its server
    stopped and the baseline's crowd and broadcasts, one after the other."""
    rows: list[Figures] = []
    payload = DEFAULT_PAYLOAD
    if not args.bare_only:
        with edoc_target(workdir, delegates, sqlite=args.sqlite, postgres=args.postgres,
                         workers=args.workers) as target:
            rows += measure([target], delegates, actions=args.actions, interval=args.interval,
                            per_process=args.per_process)
        payload = rows[0].sample or payload
    with bare_target(workdir, lambda _i: payload, args.workers) as target:
        rows += measure([target], delegates, actions=args.actions, interval=args.interval,
                        per_process=args.per_process)
    return rows


@contextmanager
def edoc_database(workdir: Path, *, sqlite: bool, postgres: str) -> Iterator[dict[str, str]]:
    """A migrated, empty database of its own and the environment naming it (PostgreSQL's dropped at the end):
    bench/load.py's. Imported here, not at the top: the client processes import this module and need no app."""
    from load import database

    with database("sqlite" if sqlite else "postgresql", postgres, workdir) as env:
        yield env


@dataclass
class Seated:
    meeting_id: int
    items: list[int]
    chair_cookie: str
    cookies: list[str]


def seat_delegates(env: dict[str, str], delegates: int) -> Seated:
    """An organisation, a chair, a secretary and ``delegates`` members of one meeting under way, each signed in
    (a sign-in row and its session cookie, made here: 2,000 argon2 sign-ins would take minutes)."""
    import hashlib
    import secrets
    from datetime import timedelta

    from edoc.accounts.models import Role, User, UserSession
    from edoc.accounts.passwords import hash_password
    from edoc.accounts.sessions import SESSION_LIFETIME
    from edoc.admin.organisations import OrganisationData, create_organisation
    from edoc.app import create_app
    from edoc.config import Settings
    from edoc.core.db import db, utcnow
    from meetings.agenda.models import AgendaItem
    from meetings.attendance.models import Participant
    from meetings.meeting.models import Meeting

    app = create_app(Settings.from_env(env))
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    with app.app_context():
        org = create_organisation(OrganisationData(name="HỘI ĐỒNG THỬ TẢI", parent_name="LIÊN ĐOÀN LAO ĐỘNG",
                                                   abbreviation="HĐTT", place_name="Hà Nội"))
        db.session.flush()
        password = hash_password("not-used-" + secrets.token_hex(8))
        people = [User(organisation_id=org.id, username=f"bench-{i}", full_name=f"Đại biểu {i}",
                       password_hash=password) for i in range(delegates + 2)]
        for i, user in enumerate(people):
            user.roles = {Role.LEADER if i == 0 else Role.SECRETARY if i == 1 else Role.DELEGATE}
        db.session.add_all(people)
        db.session.flush()
        now = utcnow()
        meeting = Meeting(organisation_id=org.id, title="Đại hội đại biểu (thử tải)",
                          starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=5),
                          chair_id=people[0].id, secretary_id=people[1].id, created_by_id=people[1].id,
                          status="in_progress", announced_at=now, quorum_rule="two_thirds_members")
        db.session.add(meeting)
        db.session.flush()
        roles = ["chair", "secretary"] + ["member"] * delegates
        db.session.add_all([Participant(meeting_id=meeting.id, user_id=u.id, role=r, votes=r != "secretary",
                                        answer="attend") for u, r in zip(people, roles, strict=True)])
        items = [AgendaItem(meeting_id=meeting.id, position=i, title=f"Nội dung {i}: báo cáo và thảo luận")
                 for i in (1, 2)]
        db.session.add_all(items)
        cookies = []
        for user in people:
            key = secrets.token_urlsafe(32)
            db.session.add(UserSession(user_id=user.id, key_hash=hashlib.sha256(key.encode()).hexdigest(),
                                       remember=False, created_at=now, expires_at=now + SESSION_LIFETIME))
            signed = serializer.dumps({"_user_id": f"{user.id}:{user.session_version}:{key}", "_fresh": True})
            cookies.append(f"edoc_session={signed}")
        db.session.commit()
        seated = Seated(meeting.id, [i.id for i in items], cookies[0], cookies[2:])
        db.session.remove()
        db.engine.dispose()
    return seated


@contextmanager
def edoc_target(workdir: Path, delegates: int, *, sqlite: bool, postgres: str,
                workers: int = 1) -> Iterator[Target]:
    """edoc on scripts/serve; the chair's page (a Socket.IO client in this process, joined like the others) opens
    the meeting's two agenda items in turn through ``meeting.agenda.open``, as the room page does."""
    import socketio

    with edoc_database(workdir, sqlite=sqlite, postgres=postgres) as env:
        seated = seat_delegates(env, delegates)
        serve = ["sh", str(ROOT / "scripts" / "serve")]
        with gunicorn(serve, {**env, **server_env(workers)}, workdir / f"edoc-{delegates}.log") as base:
            chair = socketio.Client(reconnection=False)
            chair.connect(base, headers={"Cookie": seated.chair_cookie}, transports=["websocket"], wait_timeout=30)
            joined = chair.call("meeting.join", {"meeting_id": seated.meeting_id}, timeout=30)
            if not joined.get("ok"):
                raise RuntimeError(f"the chair could not join: {joined}")
            base_seq = int(joined["seq"])
            acks: list[float] = []
            heard: dict[int, dict[str, Any]] = {}
            chair.on(EVENT, lambda payload: heard.setdefault(int(payload.get("seq", -1)), payload))

            def payload_of(i: int) -> dict[str, Any]:
                deadline = time.monotonic() + 30
                while base_seq + i + 1 not in heard and time.monotonic() < deadline:
                    time.sleep(0.01)
                return heard.get(base_seq + i + 1, DEFAULT_PAYLOAD)

            def trigger(i: int) -> tuple[int, float]:
                t0 = time.monotonic()
                answer = chair.call("meeting.agenda.open", {"meeting_id": seated.meeting_id,
                                                            "item_id": seated.items[i % 2]}, timeout=60)
                acks.append(time.monotonic() - t0)
                if not answer.get("ok"):
                    raise RuntimeError(f"the chair's action was refused: {answer}")
                return base_seq + i + 1, t0

            try:
                yield Target("edoc (meeting room)", base, seated.cookies,
                             ("meeting.join", {"meeting_id": seated.meeting_id}), trigger, acks, payload_of)
            finally:
                chair.disconnect()


if __name__ == "__main__":
    sys.exit(main())
