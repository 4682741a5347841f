"""Incoming documents benchmark, figures only (no assertion on time; wrong numbers make the exit status 1):

1. registrations per second with N concurrent clerks on SQLite and PostgreSQL (a one-page PDF each: store, text
   layer, số đến under the counter's lock, commit), and the check that the numbers are exactly 01..N (no duplicate,
   no gap);
2. OCR seconds per page: edoc's OCR (``edoc.incoming.ocr.ocr_text``) against bare ``ocrmypdf`` on the same scan in
   the same run;
3. the overdue board with 100,000 incoming documents (and their lead tasks): p95 of the board page's queries
   (``board.board`` from the kept counts, ``board.board_direct`` counting the documents as the baseline, the overdue
   list behind a figure, a person's due/overdue box) on both databases, with the load average.

    .venv/bin/python bench/incoming.py [--clerks 8] [--per-clerk 25] [--documents 100000] [--ocr-pages 2]
                                       [--postgres postgresql+psycopg://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text

from edoc.accounts.models import User
from edoc.app import create_app
from edoc.config import Settings
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.demo import load_demo
from edoc.incoming import board, service
from edoc.incoming.intake import Part
from edoc.incoming.models import IncomingDocument
from edoc.organisations.models import Unit
from edoc.tasks.models import Task

LINES = ["LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI", "Số: 89/KH-LĐLĐ", "KẾ HOẠCH",
         "Tổ chức Tháng Công nhân năm 2027", "Đề nghị các LĐLĐ quận, huyện báo cáo kết quả trong thời hạn 10 ngày "
         "làm việc kể từ ngày nhận văn bản này. Nội dung chi tiết theo phụ lục đính kèm."]


def _pdf() -> bytes:
    from html import escape

    from weasyprint import HTML

    body = "".join(f"<p>{escape(line)}</p>" for line in LINES)
    return HTML(string=f'<html><body style="font: 13pt Liberation Serif">{body}</body></html>').write_pdf()


def _app(url: str, workdir: Path):
    from flask_migrate import upgrade

    app = create_app(Settings.from_env({"EDOC_SECRET_KEY": "b" * 32, "EDOC_DATABASE_URL": url,
                                        "EDOC_INSTANCE_PATH": str(workdir)}), check_schema=False)
    with app.app_context():
        upgrade()
        load_demo()
    return app


@contextmanager
def databases(postgres: str) -> Iterator[tuple[str, str]]:
    """(label, URL) of a fresh SQLite file and a fresh PostgreSQL database (skipped, said, if unreachable)."""
    with tempfile.TemporaryDirectory() as tmp:
        found = [("SQLite", f"sqlite:///{tmp}/bench.sqlite3")]
        name = f"edoc_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(f"{postgres}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            found.append(("PostgreSQL", f"{postgres}/{name}"))
        except Exception as exc:  # a benchmark reports what it could not run
            print(f"PostgreSQL skipped: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        try:
            yield found  # type: ignore[misc]
        finally:
            if len(found) > 1:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def registrations(label: str, url: str, clerks: int, per_clerk: int, pdf: bytes) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(url, Path(tmp))
        with app.app_context():
            clerk_id = db.session.execute(select(User.id).where(User.username == "vanthu")).scalar_one()
        errors: list[BaseException] = []
        latencies: list[float] = []
        barrier = threading.Barrier(clerks)

        def work(k: int) -> None:
            try:
                barrier.wait()
                for i in range(per_clerk):
                    started = time.perf_counter()
                    with app.app_context():
                        clerk = db.session.get(User, clerk_id)
                        data = service.IncomingData(summary=f"Công văn thử {k}-{i}", sender_name="Sở Nội vụ",
                                                    original_reference=f"{k * 1000 + i}/SNV-VP")
                        arrival = service.check_files(clerk.organisation_id, [Part("cv.pdf", pdf)])
                        service.register_arrival(clerk, data, arrival)
                        db.session.commit()
                    latencies.append(time.perf_counter() - started)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(clerks)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        with app.app_context():
            numbers = sorted(n for n in db.session.execute(select(IncomingDocument.number)).scalars() if n)
            db.engine.dispose()
        total = clerks * per_clerk
        duplicates = len(numbers) - len(set(numbers))
        gaps = len(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
        ok = numbers == list(range(1, total + 1)) and not errors
        print(f"{label:<11} {clerks:>6} {total:>6} {elapsed:>8.2f} s {total / elapsed:>8.1f}/s "
              f"{statistics.median(latencies) * 1000 if latencies else float('nan'):>8.0f} ms   "
              f"{duplicates} duplicates, {gaps} gaps{'' if ok else '  WRONG'}"
              f"{'' if not errors else f'  {len(errors)} errors: {errors[:2]}'}")
        return ok


def ocr(pages: int, pdf: bytes) -> None:
    from edoc.incoming import ocr as edoc_ocr
    from edoc.incoming.intake import images_to_pdf

    missing = edoc_ocr.available()
    if missing:
        print(f"\nOCR skipped: needs {missing}")
        return
    import ocrmypdf

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "text.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(source), str(Path(tmp) / "page")],
                       check=True)
        page = (Path(tmp) / "page.png").read_bytes()
        scan = images_to_pdf([Part(f"p{i}.png", page) for i in range(pages)])  # a scan: images, no text layer
        scan_path = Path(tmp) / "scan.pdf"
        scan_path.write_bytes(scan)

        def bare() -> None:
            ocrmypdf.ocr(scan_path, Path(tmp) / "bare.pdf", language="vie", sidecar=Path(tmp) / "bare.txt",
                         progress_bar=False, jobs=1)

        def ours() -> None:
            edoc_ocr.ocr_text(scan)

        for fn in (bare, ours):  # warm-up: Tesseract's model, Python imports
            fn()
        rows = []
        for label, fn in (("bare ocrmypdf", bare), ("edoc ocr_text", ours)):
            times = []
            for _ in range(3):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            rows.append((label, statistics.median(times) / pages))
        print(f"\nOCR of a {pages}-page 300 dpi scan (Vietnamese, 1 Tesseract job), median of 3:")
        for label, per_page in rows:
            print(f"  {label:<15} {per_page:>6.2f} s/page")
        print(f"  edoc / bare: {rows[1][1] / rows[0][1]:.2f}x")


def _fill(app, count: int) -> None:
    """``count`` registered documents over the year, each directed with a lead task: a third done (on time or
    late), the rest in progress, some overdue. Inserted in bulk (the service path would take hours)."""
    today = vietnam_today()
    with app.app_context():
        clerk = db.session.execute(select(User).where(User.username == "vanthu")).scalar_one()
        chair = db.session.execute(select(User).where(User.username == "chutich")).scalar_one()
        units = [u.id for u in db.session.execute(select(Unit).where(Unit.organisation_id == clerk.organisation_id))
                 .scalars()]
        register = service.incoming_register(clerk.organisation_id)
        org_id, year = clerk.organisation_id, today.year
        start = date(year, 1, 1)
        span = max((today - start).days, 1)
        now = datetime.now(UTC)
        batch = 5000
        for first in range(0, count, batch):
            docs, tasks = [], []
            for n in range(first + 1, min(first + batch, count) + 1):
                received = start + timedelta(days=n * span // count)
                deadline = received + timedelta(days=14)
                state = n % 3
                finished = (deadline + timedelta(days=(n % 5) - 2)) if state == 0 else None
                docs.append({
                    "id": n, "organisation_id": org_id, "status": "done" if state == 0 else "in_progress",
                    "channel": "paper", "register_id": register.id, "year": year, "number": n,
                    "received_at": now, "received_on": received, "registered_by_id": clerk.id,
                    "sender_name": "Sở Nội vụ", "original_reference": f"{n}/SNV", "summary": f"Văn bản thử {n}",
                    "presented_to_id": chair.id, "directed_by_id": chair.id, "deadline": deadline,
                    "finished_on": finished, "created_at": now, "sender_email": "", "type_code": "", "signer_name": "",
                    "secrecy": "", "urgency": "", "attachments_note": "", "duplicate_key": "", "text": "",
                    "text_source": "", "ocr_status": "", "signature_verdict": "", "presented_late": False,
                    "direction": "Giao", "term_text": "", "result": "", "return_reason": "",
                    "lead_unit_id": units[n % len(units)]})
                tasks.append({
                    "organisation_id": org_id, "subject_kind": "incoming", "subject_id": n, "role": "lead",
                    "unit_id": units[n % len(units)], "instructions": "", "deadline": deadline,
                    "assigned_by_id": chair.id, "assigned_at": now, "status": "done" if state == 0 else "open",
                    "progress": 100 if state == 0 else 0, "result": "", "done_on": finished})
            db.session.execute(insert(IncomingDocument), docs)
            db.session.execute(insert(Task), tasks)
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('incoming_document', 'id'), :n)"),
                               {"n": count})
            db.session.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
        db.session.commit()
        # The fill went around the ORM, so the board's kept counts did not follow it: recount them, as
        # ``edoc incoming rebuild-board`` does after a bulk load.
        started = time.perf_counter()
        rows = service.rebuild_board()
        print(f"  rebuild-board: {rows:,} count rows in {time.perf_counter() - started:.1f} s")


def _p95(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def overdue_board(label: str, url: str, count: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(url, Path(tmp))
        started = time.perf_counter()
        _fill(app, count)
        filled = time.perf_counter() - started
        with app.app_context():
            chair = db.session.execute(select(User).where(User.username == "chutich")).scalar_one()
            clerk = db.session.execute(select(User).where(User.username == "vanthu")).scalar_one()
            year = vietnam_today().year
            figures = board.board(chair, year)
            for viewer in (chair, clerk):
                same = board.board(viewer, year) == board.board_direct(viewer, year)
                print(f"  kept counts equal the direct count for {viewer.username}: {same}")
                if not same:
                    raise SystemExit("FAILED: the board's kept counts differ from the direct count")
            checks = [
                ("board (chair)", lambda: board.board(chair, year)),
                ("board (clerk)", lambda: board.board(clerk, year)),
                ("direct (chair)", lambda: board.board_direct(chair, year)),
                ("direct (clerk)", lambda: board.board_direct(clerk, year)),
                ("overdue list", lambda: board.documents_for(chair, year, "overdue", limit=100)),
                ("due/overdue box", lambda: service.list_documents(chair, "due", limit=100)),
            ]
            print(f"\n{label}: {count:,} documents ({figures.totals['overdue']:,} overdue) inserted in {filled:.1f} s; "
                  f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            for name, fn in checks:
                median, p95 = _p95(fn, runs)
                print(f"  {name:<17} median {median:>7.1f} ms   p95 {p95:>7.1f} ms   (target p95 ≤ 50 ms)")
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clerks", type=int, default=8)
    parser.add_argument("--per-clerk", type=int, default=25)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--board-runs", type=int, default=20)
    parser.add_argument("--ocr-pages", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--skip", nargs="*", default=[], choices=["register", "ocr", "board"])
    args = parser.parse_args()
    pdf = _pdf()
    ok = True
    if "register" not in args.skip:
        print(f"{'database':<11} {'clerks':>6} {'count':>6} {'time':>10} {'rate':>10} {'median':>11}   check")
        with databases(args.postgres) as found:
            for label, url in found:
                ok = registrations(label, url, args.clerks, args.per_clerk, pdf) and ok
    if "ocr" not in args.skip:
        ocr(args.ocr_pages, pdf)
    if "board" not in args.skip:
        with databases(args.postgres) as found:
            for label, url in found:
                overdue_board(label, url, args.documents, args.board_runs)
    if not ok:
        print("\nFAILED: wrong numbers or errors above", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
