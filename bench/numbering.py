"""Numbering benchmark: N concurrent clerks issuing M documents each, on SQLite and PostgreSQL.

Prints issues per second and checks the numbers are exactly 01..N*M (no duplicate, no gap), twice: the numbering
call alone (``issuing.issue``: lock, number, register, deliver, commit), then the clerk's whole issue
(``actions.issue_document``: number, fill the number and date into the leader-signed PDF, the organisation's
signature, store the issued file, keep its validation report, commit). Then the time to render one document to
PDF (Appendix I layout). Figures only, no assertions on time; but wrong numbers (a duplicate, a gap, a document
left unnumbered) or an error in any run make the exit status 1, so a script or CI step running it notices.

    .venv/bin/python bench/numbering.py [--clerks 8] [--per-clerk 25] [--full-per-clerk 4]
                                        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import io
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
from edoc.documents import actions, drafting, issuing, review
from edoc.documents.models import OutgoingDocument


def _app(url: str, workdir: Path):
    from flask_migrate import upgrade

    app = create_app(Settings.from_env({"EDOC_SECRET_KEY": "b" * 32, "EDOC_DATABASE_URL": url,
                                        "EDOC_INSTANCE_PATH": str(workdir)}), check_schema=False)  # migrated below
    with app.app_context():
        upgrade()
        load_demo()
    return app


def _approved_documents(app, count: int, *, on_paper: bool = True) -> tuple[list[int], int]:
    """Approved documents; ``on_paper``: signed on paper, the clerk having uploaded the scan (one scan, shared:
    issue reads it, never changes it), as nothing is issued that nobody signed."""
    with app.app_context():
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        drafter, signer = users["chuyenvien"], users["chutich"]
        ids = []
        for i in range(count):
            doc = drafting.create_draft(drafter, drafting.DraftData(
                type_code="KH", summary=f"Kế hoạch thử số {i}", signer_id=signer.id,
                signer_authority="TM.", signer_authority_line="BAN THƯỜNG VỤ"))
            review.submit(drafter, doc)
            review.approve(signer, doc)
            ids.append(doc.id)
        db.session.commit()
        if on_paper and ids:
            from PIL import Image

            from edoc.documents import paper
            from edoc.files import sniff

            image = io.BytesIO()
            Image.new("RGB", (620, 877), "white").save(image, "PNG")
            scan = paper.record_scan(users["vanthu"], db.session.get(OutgoingDocument, ids[0]), "ban-goc.png",
                                     paper.scan_as_pdf(image.getvalue(), sniff.PNG, "ban-goc.png"))
            for doc_id in ids[1:]:
                db.session.get(OutgoingDocument, doc_id).paper_scan_file_id = scan.id
            db.session.commit()
        return ids, users["vanthu"].id


def _signed_documents(app, count: int) -> tuple[list[int], int]:
    """Approved documents as the leader leaves them: rendered and digitally signed. One is rendered and signed for
    real; the others share its files (issue reads them, never changes them), so setting up stays quick."""
    from edoc.documents import sources
    from edoc.documents.signing import sign_one
    from edoc.signatures.devca import DEMO_PIN

    ids, clerk_id = _approved_documents(app, count, on_paper=False)
    with app.app_context():
        first = db.session.get(OutgoingDocument, ids[0])
        sources.render_version(first)
        db.session.commit()
        sign_one(first.signer, first, DEMO_PIN)
        db.session.commit()
        pdf_id, signed_id, signed_at = first.current_version.pdf_file_id, first.signed_file_id, first.signed_at
        for doc_id in ids[1:]:
            doc = db.session.get(OutgoingDocument, doc_id)
            doc.current_version.pdf_file_id, doc.signed_file_id, doc.signed_at = pdf_id, signed_id, signed_at
        db.session.commit()
    return ids, clerk_id


def run(label: str, url: str, clerks: int, per_clerk: int, *, full: bool = False) -> bool:
    """One run; True if every document got its number, exactly 01..N, without an error."""
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(url, Path(tmp))
        prepare = _signed_documents if full else _approved_documents
        ids, clerk_id = prepare(app, clerks * per_clerk)
        batches = [ids[i::clerks] for i in range(clerks)]
        errors: list[BaseException] = []
        latencies: list[float] = []
        barrier = threading.Barrier(clerks)

        def work(batch: list[int]) -> None:
            try:
                barrier.wait()
                for doc_id in batch:
                    started = time.perf_counter()
                    with app.app_context():
                        clerk, doc = db.session.get(User, clerk_id), db.session.get(OutgoingDocument, doc_id)
                        if full:
                            actions.issue_document(clerk, doc)
                        else:
                            issuing.issue(clerk, doc)
                            db.session.commit()
                    latencies.append(time.perf_counter() - started)
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
            numbers = list(db.session.execute(select(OutgoingDocument.number)).scalars())
            db.engine.dispose()
        total = clerks * per_clerk
        issued = sorted(n for n in numbers if n is not None)
        ok = issued == list(range(1, total + 1)) and not errors
        what = "full issue" if full else "numbering"
        median = statistics.median(latencies) * 1000 if latencies else float("nan")
        print(f"{label:<11} {what:<10} {clerks:>6} {per_clerk:>9} {total:>6} {elapsed:>8.2f} s "
              f"{total / elapsed:>9.1f}/s {median:>8.0f} ms   {_verdict(issued, total, len(numbers))}"
              f"{'' if not errors else f'  {len(errors)} errors: {errors[:2]}'}")
        return ok


def _verdict(issued: list[int], total: int, documents: int) -> str:
    """What is wrong with the numbers, in words: duplicates, gaps, documents left without a number."""
    if issued == list(range(1, total + 1)):
        return f"01..{total:02d}, no duplicate, no gap"
    duplicates = sorted({n for n in issued if issued.count(n) > 1})
    gaps = sorted(set(range(1, max(issued, default=0) + 1)) - set(issued))
    unnumbered = documents - len(issued)
    return (f"WRONG: {len(issued)} numbered of {total}, duplicates {duplicates[:10]}, gaps {gaps[:10]}, "
            f"{unnumbered} unnumbered")


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
    parser.add_argument("--full-per-clerk", type=int, default=4, help="documents per clerk for the full issue")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--render-runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'database':<11} {'what':<10} {'clerks':>6} {'per clerk':>9} {'issues':>6} {'time':>10} {'rate':>11} "
          f"{'median':>11}   check")
    results: list[bool] = []
    for full, per_clerk in ((False, args.per_clerk), (True, args.full_per_clerk)):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.clerks, per_clerk, full=full))
        name = f"edoc_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(f"{args.postgres}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # a benchmark reports what it could not run
            print(f"PostgreSQL  skipped: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        else:
            try:
                results.append(run("PostgreSQL", f"{args.postgres}/{name}", args.clerks, per_clerk, full=full))
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    render_time(args.render_runs)
    if not all(results):
        print("\nFAILED: wrong numbers or errors above", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
