"""Numbering benchmark: N concurrent clerks issuing M documents each, on SQLite and PostgreSQL.

Prints issues per second and checks the numbers are exactly 01..N*M (no duplicate, no gap); then the time to
render one document to PDF (Appendix I layout). Figures only, no assertions on time.

    .venv/bin/python bench/numbering.py [--clerks 8] [--per-clerk 25] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, select, text

from edoc.accounts.models import User
from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db
from edoc.demo import load_demo
from edoc.documents import service
from edoc.documents.models import OutgoingDocument


def _app(url: str, workdir: Path):
    from flask_migrate import upgrade

    app = create_app(Settings.from_env({"EDOC_SECRET_KEY": "b" * 32, "EDOC_DATABASE_URL": url,
                                        "EDOC_INSTANCE_PATH": str(workdir)}))
    with app.app_context():
        upgrade()
        load_demo()
    return app


def _approved_documents(app, count: int) -> tuple[list[int], int]:
    with app.app_context():
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        drafter, signer = users["chuyenvien"], users["chutich"]
        ids = []
        for i in range(count):
            doc = service.create_draft(drafter, service.DraftData(
                type_code="KH", summary=f"Kế hoạch thử số {i}", signer_id=signer.id,
                signer_authority="TM.", signer_authority_line="BAN THƯỜNG VỤ"))
            service.submit(drafter, doc)
            service.approve(signer, doc)
            ids.append(doc.id)
        db.session.commit()
        return ids, users["vanthu"].id


def run(label: str, url: str, clerks: int, per_clerk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(url, Path(tmp))
        ids, clerk_id = _approved_documents(app, clerks * per_clerk)
        batches = [ids[i::clerks] for i in range(clerks)]
        errors: list[BaseException] = []
        barrier = threading.Barrier(clerks)

        def work(batch: list[int]) -> None:
            try:
                barrier.wait()
                for doc_id in batch:
                    with app.app_context():
                        service.issue(db.session.get(User, clerk_id), db.session.get(OutgoingDocument, doc_id))
                        db.session.commit()
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(b,)) for b in batches]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        with app.app_context():
            numbers = sorted(db.session.execute(select(OutgoingDocument.number)).scalars())
            db.engine.dispose()
        total = clerks * per_clerk
        ok = numbers == list(range(1, total + 1))
        print(f"{label:<11} {clerks:>6} {per_clerk:>9} {total:>6} {elapsed:>8.2f} s {total / elapsed:>9.1f}/s   "
              f"{f'01..{total:02d}, no duplicate, no gap' if ok else 'WRONG: ' + str(numbers[:10])}"
              f"{'' if not errors else f'  errors: {errors[:2]}'}")


def render_time(runs: int) -> None:
    from edoc.rendering import render_pdf
    from edoc.rendering.samples import sample_445_kh

    spec = sample_445_kh()
    render_pdf(spec)  # warm-up: fonts and Pango caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render_pdf(spec)
        times.append(time.perf_counter() - start)
    print(f"\nrender 445/KH-LĐLĐ (4 pages) to PDF with fields: median {statistics.median(times) * 1000:.0f} ms "
          f"over {runs} runs (min {min(times) * 1000:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clerks", type=int, default=8)
    parser.add_argument("--per-clerk", type=int, default=25)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--render-runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'database':<11} {'clerks':>6} {'per clerk':>9} {'issues':>6} {'time':>10} {'rate':>11}   check")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.clerks, args.per_clerk)
    name = f"edoc_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{args.postgres}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a benchmark reports what it could not run
        print(f"PostgreSQL   skipped: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    else:
        try:
            run("PostgreSQL", f"{args.postgres}/{name}", args.clerks, args.per_clerk)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    render_time(args.render_runs)


if __name__ == "__main__":
    main()
