"""Batch signing on the job queue: one worker process against two, in the same run. Figures only.

A batch of N approved documents (default 100) is signed through the page's own path (``start_batch``: parts of
``BATCH_PART`` documents as jobs) by ``edoc worker`` processes with one thread each: first by one worker (the
documents one at a time), then a second batch of N by two workers sharing the jobs. The workers are started and
idle before each batch is asked for, so their start-up is not counted; the time runs from the commit that asks
for the batch to the last document's signature. The ratio of the two rates is the figure (2 cores: ≥ 1.7x wanted).

    .venv/bin/python bench/jobs.py [--batch 100] [--database-url postgresql://...] [--queue-url redis://...]

Without URLs: a SQLite database and a SQLite queue file in a temporary instance folder (the embedded default).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from edoc import jobs  # noqa: E402
from edoc.accounts.models import User  # noqa: E402
from edoc.app import create_app  # noqa: E402
from edoc.config import Settings  # noqa: E402
from edoc.core.db import db  # noqa: E402
from edoc.demo import load_demo  # noqa: E402
from edoc.documents import (  # noqa: E402
    batch_signing,
    drafting,
    review,
    sources,
)
from edoc.documents.models import OutgoingDocument  # noqa: E402
from edoc.files import sniff  # noqa: E402
from edoc.files.service import read_verified, store_bytes  # noqa: E402
from edoc.organisations.models import Unit  # noqa: E402
from edoc.signatures.devca import DEMO_PIN  # noqa: E402


def _approved(app, demo: dict[str, int], count: int) -> list[int]:
    """``count`` approved documents: one rendered, the others a stored copy of its PDF (rendering is not measured)."""
    with app.app_context():
        drafter, signer = db.session.get(User, demo["chuyenvien"]), db.session.get(User, demo["chutich"])
        unit_id = db.session.execute(select(Unit.id).where(Unit.abbreviation == "TG")).scalar_one()

        def data(i: int) -> drafting.DraftData:
            return drafting.DraftData(
                type_code="KH", summary=f"Kế hoạch số {i + 1} thực hiện Chỉ thị 15-CT/TU năm 2023",
                body="I. MỤC ĐÍCH, YÊU CẦU\n\n1. Mục đích\n\nTiếp tục thực hiện có hiệu quả Chỉ thị số 15-CT/TU.",
                signer_id=signer.id, signer_authority="TM.", signer_authority_line="BAN THƯỜNG VỤ",
                recipients=[drafting.RecipientData("unit", "act", unit_id=unit_id)])

        first = drafting.create_draft(drafter, data(0))
        sources.render_version(first)
        db.session.commit()
        pdf = read_verified(first.current_version.pdf_file)
        docs = [first]
        for i in range(1, count):
            row = store_bytes(pdf, "ke-hoach.pdf", uploader=drafter, purpose="document-source", media_type=sniff.PDF)
            docs.append(drafting.create_draft(drafter, data(i), source="pdf", source_file=row, pdf_file=row))
        db.session.commit()
        for doc in docs:
            review.submit(drafter, doc)
            review.approve(signer, doc)
        db.session.commit()
        return [d.id for d in docs]


def _workers(env: dict[str, str], count: int, folder: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    for _ in range(count):
        log = folder / f"worker-{len(list(folder.glob('worker-*.log')))}.log"
        procs.append(subprocess.Popen([sys.executable, "-m", "edoc", "worker", "--threads", "1"],
                                      env={**os.environ, **env}, cwd=ROOT, stdout=log.open("wb"),
                                      stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 120
        while "edoc worker:" not in log.read_text(errors="replace"):
            if procs[-1].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"edoc worker did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    time.sleep(2)  # past the print: the consumer's threads and first tick are up
    return procs


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _signed(app, ids: list[int]) -> int:
    with app.app_context():
        try:
            return int(db.session.execute(select(func.count()).select_from(OutgoingDocument).where(
                OutgoingDocument.id.in_(ids), OutgoingDocument.signed_file_id.is_not(None))).scalar_one())
        finally:
            db.session.remove()


def _timed_batch(app, env: dict[str, str], demo: dict[str, int], ids: list[int], workers: int,
                 folder: Path) -> float:
    procs = _workers(env, workers, folder)
    try:
        with app.app_context():
            start = time.perf_counter()
            batch_signing.start_batch(db.session.get(User, demo["chutich"]), ids, DEMO_PIN)
            db.session.commit()
            db.session.remove()
        while _signed(app, ids) < len(ids):
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker died: see " + str(folder))
            time.sleep(0.05)
        return time.perf_counter() - start
    finally:
        _stop(procs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--queue-url", default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edoc-bench-jobs-"))
    env = {"EDOC_SECRET_KEY": "b" * 32, "EDOC_INSTANCE_PATH": str(work), "EDOC_SIGNING_REVOCATION": "off",
           "EDOC_QUEUE_NAME": f"edoc-bench-{uuid.uuid4().hex[:8]}"}
    if args.database_url:
        env["EDOC_DATABASE_URL"] = args.database_url
    if args.queue_url:
        env["EDOC_QUEUE_URL"] = args.queue_url
    app = create_app(Settings.from_env(env), check_services=False)
    with app.app_context():
        upgrade()
        demo = {u.username: u.id for u in load_demo().users}
        db.session.remove()
    ids = _approved(app, demo, 2 * args.batch)
    one = _timed_batch(app, env, demo, ids[:args.batch], 1, work)
    two = _timed_batch(app, env, demo, ids[args.batch:], 2, work)
    database = make_url(app.config["EDOC"].database_url).get_backend_name()
    queue = app.config["EDOC"].queue_url.split(":")[0]
    print(f"batch of {args.batch} signatures as jobs of {batch_signing.BATCH_PART}, {os.cpu_count()} cores, database "
          f"{database}, queue {queue}")
    print(f"{'1 worker process (one at a time)':40}{one:>8.2f} s   {args.batch / one:6.1f} signatures/s")
    print(f"{'2 worker processes':40}{two:>8.2f} s   {args.batch / two:6.1f} signatures/s")
    print(f"{'2 workers / 1 worker':40}{one / two:>8.2f}x")
    with app.app_context():
        assert jobs.open_count(app) == 0


if __name__ == "__main__":
    main()
