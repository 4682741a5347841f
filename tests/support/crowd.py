"""A crowd against a running server: the production server (``scripts/serve``: gunicorn + gevent) or the
development one (``edoc run``), on SQLite or PostgreSQL. Shared by tests/realtime/test_crowd.py and bench/load.py.

The database is prepared in this process (the demo organisation, bearer tokens, approved documents waiting for
their signer); the requests go over HTTP from threads of this process, as many users at once would send them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from flask import Flask
from sqlalchemy import select

from tests.support.components import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "scripts" / "serve"
PIN = "123456"
PASSWORD = "GiaLam@2023"
LEADERS = ("chutich", "phochutich")
USERS = ("chutich", "phochutich", "vanthu", "chuyenvien", "thuky", "daibieu", "quantri")


@dataclass
class Prepared:
    """What the crowd needs from the database: a token per user, approved documents per leader (rendered once,
    sharing one PDF: issue and signing read it, never change it), and a signed PDF to validate."""

    tokens: dict[str, str]
    approved: dict[str, list[int]]
    signed_pdf: bytes
    user_ids: dict[str, int]
    unit_id: int

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def prepare(app: Flask, *, per_leader: int) -> Prepared:
    """Load the demo into ``app``'s database and make ``per_leader`` approved documents for each leader."""
    from edoc.accounts.models import User
    from edoc.accounts.service import create_api_token
    from edoc.core.db import db
    from edoc.demo import load_demo
    from edoc.documents import drafting, review, sources
    from edoc.documents.models import OutgoingDocument
    from edoc.documents.signing import sign_one
    from edoc.files.service import read_verified
    from edoc.organisations.models import Unit

    with app.app_context():
        load_demo()
        people = {u.username: u for u in db.session.execute(select(User)).scalars()}
        tokens = {name: create_api_token(people[name], "đám đông")[1] for name in USERS}
        ids = {name: user.id for name, user in people.items()}
        unit_id = db.session.execute(select(Unit.id).where(Unit.abbreviation == "TG")).scalar_one()
        drafter = people["chuyenvien"]
        approved: dict[str, list[int]] = {name: [] for name in LEADERS}
        pdf_id = None
        for i in range(per_leader + 1):
            for leader in LEADERS:
                signer = people[leader]
                doc = drafting.create_draft(drafter, drafting.DraftData(
                    type_code="TB", summary=f"Thông báo thử tải số {i} của {leader}",
                    body="Nội dung thông báo.", signer_id=signer.id, signer_authority="TM.",
                    signer_authority_line="BAN THƯỜNG VỤ",
                    recipients=[drafting.RecipientData("unit", "act", unit_id=unit_id)]))
                if pdf_id is None:
                    sources.render_version(doc)
                    pdf_id = doc.current_version.pdf_file_id
                else:
                    doc.current_version.pdf_file_id = pdf_id
                db.session.flush()
                review.submit(drafter, doc)
                review.approve(signer, doc)
                approved[leader].append(doc.id)
        db.session.commit()
        # the first of the chair's, signed here: the PDF every validation sends
        first = db.session.get(OutgoingDocument, approved["chutich"].pop(0))
        sign_one(first.signer, first, PIN)
        db.session.commit()
        signed_pdf = read_verified(first.signed_file)
        approved["phochutich"].pop(0)
        db.session.remove()
        db.engine.dispose()
    return Prepared(tokens, approved, signed_pdf, ids, unit_id)


# --- servers --------------------------------------------------------------------------------------------------

@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log_path: Path
    kind: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_timeouts(self) -> int:
        return self.log().count("WORKER TIMEOUT")


def _env(env: dict[str, str], port: int) -> dict[str, str]:
    # gunicorn from this interpreter's environment, as the image has it on PATH
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, **env, "PATH": path, "EDOC_BIND": f"127.0.0.1:{port}"}


@contextmanager
def serve(env: dict[str, str], log_path: Path, *, kind: str = "production") -> Iterator[Server]:
    """``scripts/serve`` (kind "production": gunicorn, gevent worker) or ``edoc run`` (kind "dev") on a free
    loopback port, until healthy; stopped at the end."""
    port = free_port()
    with log_path.open("wb") as log:
        if kind == "production":
            command = ["sh", str(SERVE)]
        else:
            command = [sys.executable, "-m", "edoc", "run", "--port", str(port)]
        process = subprocess.Popen(command, env=_env(env, port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        server = Server(f"http://127.0.0.1:{port}", process, log_path, kind)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{kind} server did not start: {server.log()[-3000:]}")
                time.sleep(0.1)
            yield server
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


# --- requests -------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    name: str
    status: int | None  # None: no answer (connection reset, refused, timed out)
    seconds: float
    error: str = ""
    body: dict[str, object] = field(default_factory=dict)


Call = Callable[[requests.Session], requests.Response]


def timed(name: str, call: Call, session: requests.Session) -> Outcome:
    started = time.perf_counter()
    try:
        response = call(session)
    except requests.RequestException as exc:
        return Outcome(name, None, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - started
    body: dict[str, object] = {}
    if response.headers.get("Content-Type", "").startswith("application/json"):
        try:
            parsed = response.json()
            body = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            pass
    return Outcome(name, response.status_code, seconds, "" if response.status_code < 300 else response.text[:300],
                   body)


def at_once(base: str, calls: list[tuple[str, Call]], *, timeout: float = 120) -> list[Outcome]:
    """Every call on its own thread and connection, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def one(named: tuple[str, Call]) -> Outcome:
        with requests.Session() as session:
            barrier.wait(timeout=timeout)
            return timed(named[0], named[1], session)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls, timeout=timeout))


def login(base: str, session: requests.Session, username: str) -> None:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', session.get(f"{base}/login", timeout=30).text)
    assert token is not None
    answer = session.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                                  "csrf_token": token.group(1)}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:300]


class Actions:
    """The requests of the mixed workload, each a function of a ``requests.Session``."""

    def __init__(self, base: str, prepared: Prepared, timeout: float = 120) -> None:
        self.base, self.prepared, self.timeout = base, prepared, timeout
        self._lock = threading.Lock()
        self._drafts = 0

    def _take(self, leader: str) -> int:
        with self._lock:
            return self.prepared.approved[leader].pop()

    def sign(self, leader: str, doc_id: int | None = None) -> tuple[str, Call]:
        doc = doc_id if doc_id is not None else self._take(leader)
        return "sign", lambda s: s.post(f"{self.base}/api/v1/documents/{doc}/sign", json={"pin": PIN},
                                        headers=self.prepared.headers(leader), timeout=self.timeout)

    def issue(self, doc_id: int) -> tuple[str, Call]:
        return "issue", lambda s: s.post(f"{self.base}/api/v1/documents/{doc_id}/issue", json={},
                                         headers=self.prepared.headers("vanthu"), timeout=self.timeout)

    def validate(self, username: str) -> tuple[str, Call]:
        return "validate", lambda s: s.post(
            f"{self.base}/api/v1/signatures/validate", headers=self.prepared.headers(username),
            files={"file": ("kiem-tra.pdf", self.prepared.signed_pdf, "application/pdf")}, timeout=self.timeout)

    def draft(self) -> tuple[str, Call]:
        with self._lock:
            self._drafts += 1
            number = self._drafts
        return "draft", lambda s: s.post(f"{self.base}/api/v1/documents", headers=self.prepared.headers("chuyenvien"),
                                         timeout=self.timeout, json={
            "type": "TB", "summary": f"Thông báo thử tải lần {number}", "body": "Nội dung thông báo.",
            "signer_id": self.prepared.user_ids["chutich"], "signer_authority": "TM.",
            "signer_authority_line": "BAN THƯỜNG VỤ",
            "recipients": [{"kind": "unit", "purpose": "act", "unit_id": self.prepared.unit_id}]})

    def list_documents(self, username: str, box: str = "inbox") -> tuple[str, Call]:
        return "list", lambda s: s.get(f"{self.base}/api/v1/documents", params={"box": box},
                                       headers=self.prepared.headers(username), timeout=self.timeout)

    def me(self, username: str) -> tuple[str, Call]:
        return "me", lambda s: s.get(f"{self.base}/api/v1/me", headers=self.prepared.headers(username),
                                     timeout=self.timeout)

    def page(self, username: str, path: str = "/") -> tuple[str, Call]:
        def call(s: requests.Session) -> requests.Response:
            if "edoc_session" not in s.cookies:
                login(self.base, s, username)
            return s.get(f"{self.base}{path}", timeout=self.timeout)
        return "page", call


def failures(outcomes: list[Outcome]) -> list[Outcome]:
    """Server errors and requests without an answer."""
    return [o for o in outcomes if o.status is None or o.status >= 500]


class SlowBody:
    """A request whose body is sent one byte a second on a raw socket, as a slow (or hostile) client sends it."""

    def __init__(self, base: str, path: str, headers: dict[str, str], body: bytes, *, pause: float = 1.0) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                     + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
        self.body, self.pause = body, pause
        self.sent = 0
        self.done = threading.Event()
        self.last_byte = threading.Event()
        """Set it to let the last byte go: until then the body stays incomplete (at most 120 s), so what others get
        done meanwhile does not depend on how fast a loaded machine answers them."""
        self.answer = b""

    def run(self) -> None:
        with socket.create_connection(self.address, timeout=120) as sock:
            sock.sendall(self.head)
            for i, byte in enumerate(self.body):
                time.sleep(self.pause)
                if i == len(self.body) - 1:
                    self.last_byte.wait(120)
                sock.sendall(bytes([byte]))
                self.sent += 1
            self.done.set()
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            self.answer = b"".join(chunks)

    def status(self) -> int:
        return int(self.answer.split(b" ", 2)[1]) if self.answer.startswith(b"HTTP/") else 0
