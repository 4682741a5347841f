"""`kill -9` of a worker in the middle of a job, then a restart: the work is done exactly once. Real `edoc worker`
processes, a real mail server (aiosmtpd, in this process) that holds the second message until the test lets go,
on both deployments (SQLite database and queue file; PostgreSQL and Redis). And a process killed between the
commit that asked for a job and its hand-over to the queue: the job is done all the same."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email import policy as email_policy
from pathlib import Path

import pytest
from sqlalchemy import select

from edoc import jobs
from edoc.accounts.models import User
from edoc.contacts.models import Contact
from edoc.core.db import db
from edoc.demo import load_demo
from edoc.documents import actions, drafting, review, sources
from edoc.documents.models import OutgoingDocument, Recipient
from edoc.organisations.models import Unit
from tests.documents.conftest import draft_data, signed_on_paper
from tests.support.components import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


class HoldingSink:
    """A mail server that accepts the first message, then holds the next one's answer until ``release``: the
    client waits for its 250. A message counts as delivered only when answered 250; one abandoned while held
    (its sender killed) is answered 451 and not kept, as a real server would."""

    def __init__(self) -> None:
        self.delivered: list[email.message.EmailMessage] = []
        self.holding = threading.Event()
        self.release = threading.Event()
        self.abandon = threading.Event()
        self.held_once = False

    async def handle_DATA(self, server, session, envelope):
        if not self.held_once and self.delivered:
            self.held_once = True
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            if self.abandon.is_set():
                return "451 sender gone"
        self.delivered.append(email.message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 OK"


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "edoc", "worker", "--threads", "1"], env={**os.environ, **env},
                            cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _issued_to_three_outsiders(app) -> int:
    """A document issued to three outside organisations with e-mail addresses; its dispatch job is queued."""
    with app.app_context():
        demo = {u.username: u.id for u in load_demo().users}
        org_id = db.session.get(User, demo["vanthu"]).organisation_id
        contacts = [Contact(organisation_id=org_id, name=f"Công đoàn ngành {n}", short_name=f"CĐN {n}",
                            email=f"cdn{n}@example.vn") for n in (1, 2, 3)]
        db.session.add_all(contacts)
        db.session.flush()
        drafter, signer = db.session.get(User, demo["chuyenvien"]), db.session.get(User, demo["chutich"])
        data = draft_data(demo, recipients=[drafting.RecipientData("external", "act", contact_id=c.id)
                                            for c in contacts])
        doc = drafting.create_draft(drafter, data)
        sources.render_version(doc)
        db.session.commit()
        review.submit(drafter, doc)
        review.approve(signer, doc)
        signed_on_paper(doc)  # nothing is issued that nobody signed
        db.session.commit()
        actions.issue_document(db.session.get(User, demo["vanthu"]), doc)
        return doc.id


def _recipients(app, doc_id: int) -> dict[str, tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(Recipient).where(Recipient.document_id == doc_id)
                                  .order_by(Recipient.id)).scalars().all()
        result = {r.contact.email: (r.dispatch_status, r.dispatch_note) for r in rows}
        db.session.remove()
        return result


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_worker_killed_while_sending_sends_each_email_once_after_a_restart(queue_app, queue_env, tmp_path):
    from aiosmtpd.controller import Controller

    sink = HoldingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {**queue_env, "EDOC_SMTP_HOST": "127.0.0.1", "EDOC_SMTP_PORT": str(controller.port)}
    log = tmp_path / "worker.log"
    try:
        doc_id = _issued_to_three_outsiders(queue_app)
        first = _worker(env, log)
        try:
            assert sink.holding.wait(60), log.read_text()[-3000:]
            state = _recipients(queue_app, doc_id)
            assert sorted(s for s, _ in state.values()) == ["pending", "sending", "sent"]
            first.send_signal(signal.SIGKILL)  # mid-job: the second message is on the wire, unanswered
            first.wait(10)
        finally:
            _stop(first)
        sink.abandon.set()
        sink.release.set()
        with queue_app.app_context():
            [job] = db.session.execute(select(jobs.Job).where(jobs.Job.name == "documents.dispatch")).scalars().all()
            assert (job.status, job.attempts) == ("running", 1)  # the dead worker's claim, until its lease ends
            db.session.remove()
        time.sleep(float(queue_env["EDOC_JOB_LEASE_SECONDS"]) + 0.5)
        second = _worker(env, log)  # its first tick sweeps: the job's lease has run out
        try:
            assert jobs.wait(queue_app, 60), log.read_text()[-3000:]
        finally:
            _stop(second)
    finally:
        controller.stop()
    sent_to = Counter(str(m["To"]) for m in sink.delivered)
    assert sent_to == Counter({"cdn1@example.vn": 1, "cdn2@example.vn": 1, "cdn3@example.vn": 1})
    assert len({m["Message-ID"] for m in sink.delivered}) == 3
    state = _recipients(queue_app, doc_id)
    assert {s for s, _ in state.values()} == {"sent"}
    interrupted = [note for _, note in state.values() if "gián đoạn" in note]
    assert len(interrupted) == 1  # the one on the wire when the worker died says it was sent again
    with queue_app.app_context():
        [job] = db.session.execute(select(jobs.Job).where(jobs.Job.name == "documents.dispatch")).scalars().all()
        assert (job.status, job.attempts, job.outcome) == ("done", 2, "Đã gửi 2, lỗi 0.")
        db.session.remove()


KILL_BEFORE_HAND_OVER = """
import os, signal, sys
from edoc.app import create_app
from edoc import jobs
from edoc.jobs.queue import JobQueue
from edoc.core.db import db
from edoc.accounts.models import User
from edoc.documents import actions
from edoc.documents.models import OutgoingDocument

def die(self, job_id):  # the process is killed after the commit, before the queue hears of the job
    os.kill(os.getpid(), signal.SIGKILL)

JobQueue.enqueue = die
app = create_app()
with app.app_context():
    clerk = db.session.execute(db.select(User).where(User.username == "vanthu")).scalar_one()
    actions.issue_document(clerk, db.session.get(OutgoingDocument, int(sys.argv[1])))
"""


def test_a_process_killed_between_commit_and_hand_over_loses_no_job(queue_app, queue_env, tmp_path):
    from aiosmtpd.controller import Controller

    sink = HoldingSink()
    sink.held_once = True  # hold nothing
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {**queue_env, "EDOC_SMTP_HOST": "127.0.0.1", "EDOC_SMTP_PORT": str(controller.port)}
    try:
        with queue_app.app_context():
            demo = {u.username: u.id for u in load_demo().users}
            org_id = db.session.get(User, demo["vanthu"]).organisation_id
            contact = Contact(organisation_id=org_id, name="Công đoàn ngành Y tế", email="cdyt@example.vn")
            db.session.add(contact)
            db.session.flush()
            drafter, signer = db.session.get(User, demo["chuyenvien"]), db.session.get(User, demo["chutich"])
            doc = drafting.create_draft(drafter, draft_data(demo, recipients=[
                drafting.RecipientData("external", "act", contact_id=contact.id)]))
            sources.render_version(doc)
            db.session.commit()
            review.submit(drafter, doc)
            review.approve(signer, doc)
            signed_on_paper(doc)  # nothing is issued that nobody signed
            db.session.commit()
            doc_id = doc.id
            db.session.remove()
        died = subprocess.run([sys.executable, "-c", KILL_BEFORE_HAND_OVER, str(doc_id)], env={**os.environ, **env},
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert died.returncode == -signal.SIGKILL, died.stderr[-2000:]
        with queue_app.app_context():
            doc = db.session.get(OutgoingDocument, doc_id)
            [job] = db.session.execute(select(jobs.Job).where(jobs.Job.name == "documents.dispatch")).scalars().all()
            assert doc.status == "issued" and job.status == "queued"  # committed, never handed over
            assert jobs.queue_of(queue_app).huey.pending_count() == 0
            db.session.remove()
        time.sleep(float(queue_env["EDOC_JOB_LEASE_SECONDS"]) + 0.5)
        log = tmp_path / "worker.log"
        worker = _worker(env, log)  # its first tick's sweep finds the job
        try:
            assert jobs.wait(queue_app, 60), log.read_text()[-3000:]
        finally:
            _stop(worker)
    finally:
        controller.stop()
    assert [str(m["To"]) for m in sink.delivered] == ["cdyt@example.vn"]


def approved_batch(app, count: int) -> tuple[dict[str, int], list[int]]:
    """``count`` approved documents for the chair to sign: one rendered, the others carrying a copy of its PDF
    (rendering costs a second each; signing is what is measured and killed here)."""
    from edoc.files import sniff
    from edoc.files.service import read_verified, store_bytes

    with app.app_context():
        demo = {u.username: u.id for u in load_demo().users}
        drafter, signer = db.session.get(User, demo["chuyenvien"]), db.session.get(User, demo["chutich"])
        unit_id = db.session.execute(select(Unit.id).where(Unit.abbreviation == "TG")).scalar_one()

        def data() -> drafting.DraftData:
            return draft_data(demo, recipients=[drafting.RecipientData("unit", "act", unit_id=unit_id)])

        first = drafting.create_draft(drafter, data())
        sources.render_version(first)
        db.session.commit()
        pdf = read_verified(first.current_version.pdf_file)
        docs = [first]
        for _ in range(count - 1):
            row = store_bytes(pdf, "ke-hoach.pdf", uploader=drafter, purpose="document-source", media_type=sniff.PDF)
            docs.append(drafting.create_draft(drafter, data(), source="pdf", source_file=row, pdf_file=row))
        db.session.commit()
        for doc in docs:
            review.submit(drafter, doc)
            review.approve(signer, doc)
        db.session.commit()
        ids = [d.id for d in docs]
        db.session.remove()
    return demo, ids


def _signed_count(app, ids: list[int]) -> int:
    with app.app_context():
        count = sum(1 for i in ids if db.session.get(OutgoingDocument, i).signed_file_id is not None)
        db.session.remove()
        return count


def test_a_worker_killed_mid_batch_signs_each_document_once_after_a_restart(queue_app, queue_env, tmp_path):
    from edoc.audit.models import AuditEntry
    from edoc.documents import batch_signing
    from edoc.files.models import StoredFile
    from edoc.signatures.devca import DEMO_PIN

    demo, ids = approved_batch(queue_app, 24)
    with queue_app.app_context():
        batch = batch_signing.start_batch(db.session.get(User, demo["chutich"]), ids, DEMO_PIN)
        db.session.commit()  # three parts of ten, eight and... queued: no consumer yet
        db.session.remove()
    log = tmp_path / "worker.log"
    first = _worker(queue_env, log)
    try:
        _wait_for(lambda: _signed_count(queue_app, ids) >= 3, 120, "the first signatures")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        _stop(first)
    before_restart = _signed_count(queue_app, ids)
    assert 3 <= before_restart < len(ids), before_restart  # killed in the middle of the batch
    with queue_app.app_context():
        statuses = [j.status for j in jobs.jobs_of_batch(batch)]
        assert "running" in statuses and len(statuses) == 3, statuses
        db.session.remove()
    time.sleep(float(queue_env["EDOC_JOB_LEASE_SECONDS"]) + 0.5)
    second = _worker(queue_env, log)
    try:
        assert jobs.wait(queue_app, 180), log.read_text()[-3000:]
    finally:
        _stop(second)
    with queue_app.app_context():
        leader = db.session.get(User, demo["chutich"])
        state = batch_signing.batch_state(leader, batch)
        assert (state.finished, state.signed, state.total) == (True, len(ids), len(ids)), state.to_json()
        for doc_id in ids:  # one signature each: one audit entry, one signed file
            signs = db.session.execute(select(AuditEntry).where(AuditEntry.action == "document.sign",
                                                                AuditEntry.object_id == str(doc_id))).all()
            files = db.session.execute(select(StoredFile).where(
                StoredFile.original_name == f"da-ky-{doc_id}.pdf")).all()
            assert (len(signs), len(files)) == (1, 1), doc_id
        parts = jobs.jobs_of_batch(batch)
        assert sorted(j.attempts for j in parts)[-1] == 2 and {j.status for j in parts} == {"done"}
        db.session.remove()
