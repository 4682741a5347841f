"""Search benchmark: N outgoing documents of realistic Vietnamese text, on SQLite (FTS5) and PostgreSQL (tsvector).

The text is generated from the sample documents' vocabulary (bench/data/sample-documents: three real plans and
notices of trade unions and a labour department): a word-bigram chain trained on them writes each trích yếu and
body, so word frequencies, diacritics and phrases look like the real thing; số/ký hiệu are drawn like a register's
(numbers 1-999 per year, 2016-2026, notations such as KH-LĐLĐ). 3 % of the documents are secret (only their
drafter reads them), so the access filter has work to do.

For each database it prints:
- full reindex: ``edoc.search.service.reindex`` over all N documents (the same code as ``edoc search reindex``),
- index one document: rebuilding one document's entry and committing (median of 50),
- search p50/p95 over ~200 queries as users type them (1-3 words, without diacritics half the time, numbers
  such as ``445/KH`` and ``445``), as the page runs it: the first page of 20, ranked, access-checked in SQL, with
  the count (capped at 1000), searching as the clerk,
- the window alone (the ids, số/ký hiệu and trích yếu of the newest 1001 readable matches, what is ranked), and on
  SQLite the window's statement before migration 0026 (``bm25``, FTS5's own prefix search) for the same queries,
- the baseline in the same run: a bare ``LIKE '%...%'`` over trích yếu and body (with the words as typed, so it
  cannot even fold diacritics), first 20 and count,
- the machine's load average (figures are only comparable within a run).

Figures only, no assertions on time. It takes a while: ~10-20 minutes for 100,000 documents on 2 busy cores.

    .venv/bin/python bench/search.py [--documents 100000] [--queries 200] [--only sqlite|postgres]
                                     [--postgres postgresql+psycopg://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, insert, literal_column, or_, select, text

from edoc.accounts.models import User
from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db
from edoc.demo import load_demo
from edoc.documents.models import NamedReader, OutgoingDocument
from edoc.search import backends
from edoc.search.index import write_entries
from edoc.search.models import SearchEntry
from edoc.search.service import Filters, _filtered, reindex, search
from edoc.search.text import fold, parse_query

SAMPLES = Path(__file__).resolve().parent / "data" / "sample-documents"
TYPES = [("KH", "Kế hoạch"), ("TB", "Thông báo"), ("BC", "Báo cáo"), ("QĐ", "Quyết định"), ("CV", "Công văn"),
         ("HD", "Hướng dẫn"), ("TTr", "Tờ trình"), ("CTr", "Chương trình")]
ISSUERS = ["LĐLĐ", "CĐ", "UBND", "BTV", "VP", "TG", "ĐTN", "LĐTBXH", "HĐTĐKT"]
_TOKEN = re.compile(r"[^\W_]+|[.,;:]", re.UNICODE)


class Generator:
    """Text from a word-bigram chain trained on the sample documents."""

    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.next: dict[str, list[str]] = defaultdict(list)
        self.starts: list[str] = []
        for path in sorted(SAMPLES.glob("*.txt")):
            words = _TOKEN.findall(unicodedata.normalize("NFC", path.read_text(encoding="utf-8")))
            for a, b in zip(words, words[1:], strict=False):
                self.next[a].append(b)
                if a == "." and b[0].isupper():
                    self.starts.append(b)
        self.words = [w for w in self.next if w[0].isalpha() and len(w) > 1]

    def sentence(self, low: int = 8, high: int = 30) -> str:
        word = self.rng.choice(self.starts)
        out = [word]
        for _ in range(self.rng.randint(low, high)):
            followers = self.next.get(word) or [self.rng.choice(self.words)]
            word = self.rng.choice(followers)
            if word == ".":
                break
            out.append(word)
        return re.sub(r" ([.,;:])", r"\1", " ".join(out)).rstrip(",;:") + "."

    def summary(self, type_name: str) -> str:
        return f"{type_name} {self.sentence(6, 18).rstrip('.').lower()}"

    def body(self) -> str:
        return "\n\n".join(" ".join(self.sentence() for _ in range(self.rng.randint(1, 4)))
                           for _ in range(self.rng.randint(3, 9)))


def _app(url: str, workdir: Path):
    from flask_migrate import upgrade

    app = create_app(Settings.from_env({"EDOC_SECRET_KEY": "b" * 32, "EDOC_DATABASE_URL": url,
                                        "EDOC_INSTANCE_PATH": str(workdir)}), check_schema=False)  # migrated below
    with app.app_context():
        upgrade()
        if db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0:  # a kept one has it
            load_demo()
            db.session.commit()
    return app


def _fill(app, gen: Generator, count: int) -> None:
    """``count`` issued outgoing documents written straight into the table (the documents' own flow would take
    a second each to render and seal; what search reads is the rows)."""
    with app.app_context():
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        org_id = users["vanthu"].organisation_id
        drafters = [users[n].id for n in ("chuyenvien", "thuky", "vanthu")]
        signers = [users["chutich"].id, users["phochutich"].id]
        rng = gen.rng
        now = datetime.now(UTC)
        batch: list[dict] = []
        secret_ids: list[tuple[int, int]] = []
        next_id = 1
        for i in range(count):
            code, name = rng.choice(TYPES)
            year = rng.randint(2016, 2026)
            secret = rng.random() < 0.03
            drafter = rng.choice(drafters)
            batch.append({
                "id": next_id, "organisation_id": org_id, "status": "issued", "type_code": code,
                "summary": gen.summary(name), "body": gen.body(), "secrecy": "Mật" if secret else "",
                "urgency": rng.choice(["", "", "", "", "Khẩn", "Thượng khẩn", "Hỏa tốc"]),
                "drafter_id": drafter, "signer_id": rng.choice(signers), "year": year,
                "number": rng.randint(1, 999), "notation": f"{code}-{rng.choice(ISSUERS)}",
                "issued_on": date(year, rng.randint(1, 12), rng.randint(1, 28)), "created_at": now, "updated_at": now,
            })
            if secret:
                secret_ids.append((next_id, drafter))
            next_id += 1
            if len(batch) == 2000 or i == count - 1:
                db.session.execute(insert(OutgoingDocument), batch)
                batch = []
        if secret_ids:
            db.session.execute(insert(NamedReader), [{"document_id": d, "user_id": u, "can_review": True}
                                                     for d, u in secret_ids])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT setval('outgoing_document_id_seq', (SELECT max(id) FROM "
                                    "outgoing_document))"))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))


def _queries(count: int) -> list[str]:
    """As users type them: 1-3 consecutive words of a stored trích yếu or body, without diacritics half the
    time; numbers such as 445/KH and 445; a few words that are nowhere."""
    rng = random.Random(7)
    rows = db.session.execute(select(OutgoingDocument.summary, OutgoingDocument.body, OutgoingDocument.number,
                                     OutgoingDocument.notation).order_by(func.random()).limit(count)).all()
    out = []
    for i, (summary, body, number, notation) in enumerate(rows):
        if i % 10 == 0:
            out.append(f"{number}/{notation.split('-')[0]}")
            continue
        if i % 10 == 1:
            out.append(str(number))
            continue
        if i % 25 == 2:
            out.append("xyzabc khongcodau")
            continue
        words = re.findall(r"[^\W_]+", rng.choice([summary, body]))
        n = rng.choice([1, 2, 2, 3, 3])
        start = rng.randrange(max(1, len(words) - n))
        q = " ".join(words[start:start + n])
        out.append(fold(q) if rng.random() < 0.5 else q)
    return out


def _like(session, q: str, *, count: bool) -> int:
    pattern = f"%{q}%"
    where = or_(OutgoingDocument.summary.like(pattern), OutgoingDocument.body.like(pattern))
    if count:
        return session.execute(select(func.count()).select_from(OutgoingDocument).where(where)).scalar_one()
    return len(session.execute(select(OutgoingDocument.id).where(where).order_by(OutgoingDocument.id.desc())
                               .limit(20)).all())


def _previous_sqlite(session, clerk: User, q: str) -> int:
    """SQLite: the window as it was before migration 0026, in the same run: ``bm25`` over the newest 1001
    matches, the last word left to FTS5's prefix search. Only the statement (the new one is timed alone too)."""
    query = parse_query(q)
    if query.empty:
        return 0
    where = _filtered(clerk, Filters())
    fts = literal_column("search_fts")
    table_ = backends._FTS
    readable = select(SearchEntry.id).where(SearchEntry.id == table_.c.rowid, *where).exists()
    match = " ".join(f'"{" ".join(p.terms)}"' + ("*" if p.prefix else "") for p in query.phrases)
    stmt = (select(table_.c.rowid, func.bm25(fts, 10.0, 4.0, 1.0)).where(fts.op("MATCH")(match), readable)
            .order_by(table_.c.rowid.desc()).limit(1001))
    return len(session.execute(stmt).all())


def _window(session, clerk: User, q: str) -> int:
    """The new window's statement(s) alone: the ids of the newest 1001 readable matches."""
    query = parse_query(q)
    if query.empty:
        return 0
    return len(backends.matching(session, query, _filtered(clerk, Filters()), limit=1001))


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _percentiles(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples) * 1000:7.1f} ms   p95 {_p95(samples) * 1000:7.1f} ms"


def _built(app) -> int:
    """How many entries a kept database already holds (0: build it)."""
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(SearchEntry)).scalar_one()


def bench(name: str, url: str, workdir: Path, documents: int, queries: int) -> None:
    print(f"\n== {name}: {documents} documents", flush=True)
    app = _app(url, workdir)
    existing = _built(app)
    if existing >= documents:
        print(f"kept database reused: {existing} entries (generation and full reindex not measured again)")
    else:
        gen = Generator()
        started = time.perf_counter()
        _fill(app, gen, documents)
        print(f"generated and stored in {time.perf_counter() - started:.0f} s", flush=True)
    with app.app_context():
        if existing < documents:
            started = time.perf_counter()
            done = reindex(["outgoing"], batch=500)
            elapsed = time.perf_counter() - started
            entries = db.session.execute(select(func.count()).select_from(SearchEntry)).scalar_one()
            print(f"full reindex: {done} documents in {elapsed:.1f} s ({elapsed / max(done, 1) * 1000:.2f} ms "
                  f"each; {entries} entries)", flush=True)
        if db.engine.dialect.name == "postgresql":
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE search_entry"))
                conn.execute(text("VACUUM ANALYZE search_access"))
        one = []
        ids = db.session.execute(select(OutgoingDocument.id).order_by(func.random()).limit(50)).scalars().all()
        for doc_id in ids:
            t = time.perf_counter()
            write_entries(db.session, [("outgoing", doc_id)])
            db.session.commit()
            one.append(time.perf_counter() - t)
        print(f"index one document (build its entry, write, commit): median {statistics.median(one) * 1000:.1f} ms",
              flush=True)
        clerk = db.session.execute(select(User).where(User.username == "vanthu")).scalar_one()
        sqlite = db.engine.dialect.name == "sqlite"
        qs = _queries(queries)
        for q in qs[:10]:  # warm the caches, as a running server's are
            search(clerk, q)
            _like(db.session, q, count=False)
            if sqlite:
                _previous_sqlite(db.session, clerk, q)
        timings: dict[str, list[float]] = defaultdict(list)
        hits = []
        for q in qs:
            t = time.perf_counter()
            found = search(clerk, q)
            timings["search"].append(time.perf_counter() - t)
            hits.append(found.total + found.more_than)
            t = time.perf_counter()
            _window(db.session, clerk, q)
            timings["window"].append(time.perf_counter() - t)
            if sqlite:
                t = time.perf_counter()
                _previous_sqlite(db.session, clerk, q)
                timings["previous"].append(time.perf_counter() - t)
            t = time.perf_counter()
            _like(db.session, q, count=False)
            timings["like20"].append(time.perf_counter() - t)
            t = time.perf_counter()
            _like(db.session, q, count=True)
            timings["likecount"].append(time.perf_counter() - t)
            db.session.rollback()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{len(qs)} queries (e.g. {', '.join(repr(q) for q in qs[2:7])}); load average {load}")
        print(f"  search (the page: first 20, ranked, access in SQL, count ≤ 1000, passages highlighted): "
              f"{_percentiles(timings['search'])}   median matches {statistics.median(hits):.0f}, "
              f"no match {sum(1 for h in hits if h == 0)}")
        print(f"  its window alone (ids of the newest 1001 readable matches): {_percentiles(timings['window'])}")
        if sqlite:
            ratio = _p95(timings["previous"]) / max(_p95(timings["window"]), 1e-9)
            print(f"  the window before 0026 (bm25, FTS5 prefix search):     {_percentiles(timings['previous'])}   "
                  f"p95 {ratio:.1f}x the new window's")
        print(f"  LIKE '%...%' first 20 (baseline):                      {_percentiles(timings['like20'])}")
        print(f"  LIKE '%...%' count (baseline):                         {_percentiles(timings['likecount'])}",
              flush=True)
        print(f"  load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", metavar="NAME", help="keep the databases (SQLite in /tmp/NAME, PostgreSQL database "
                        "NAME) and reuse them when run again: the searches measured without building 100,000 "
                        "documents each time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "postgres":
            workdir = Path(tempfile.gettempdir()) / args.keep if args.keep else Path(tmp) / "sqlite"
            workdir.mkdir(parents=True, exist_ok=True)
            bench("SQLite (FTS5)", f"sqlite:///{workdir}/bench.sqlite3", workdir, args.documents, args.queries)
        if args.only != "sqlite":
            name = args.keep or f"edoc_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(f"{args.postgres}/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                bench("PostgreSQL (tsvector + unaccent, GIN)", f"{args.postgres}/{name}", Path(tmp) / "pg",
                      args.documents, args.queries)
            finally:
                if not args.keep:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
