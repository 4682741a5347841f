"""The audit chain: every change appends an entry; any edit, deletion or reordering is found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

import edoc.core.db as core_db
from edoc.audit.models import AuditEntry, AuditHead
from edoc.audit.service import record, verify_chain
from edoc.core.db import db
from tests.support.web import csrf_token, login, post_form

ROOT = Path(__file__).resolve().parents[2]


def test_changes_are_recorded_with_actor_and_what_changed(app, client, demo):
    login(client, "quantri")
    response = post_form(client, f"/admin/users/{demo['chuyenvien']}", {
        "username": "chuyenvien", "full_name": "Phạm Quốc Bảo", "title": "Chuyên viên chính",
        "unit_id": "", "roles": ["specialist"], "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.update")).scalar_one()
        assert entry.actor_id == demo["quantri"] and entry.object_id == str(demo["chuyenvien"])
        assert '"title": ["Chuyên viên", "Chuyên viên chính"]' in entry.changes
        actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars().all()
        assert "auth.login" in actions
        assert verify_chain() is None


@contextmanager
def triggers_dropped() -> Iterator[None]:
    """What someone with rights over the schema can do: drop the audit tables' triggers (committed), so rows can be
    edited. The definitions are read from the database's own catalogue and put back afterwards: the PostgreSQL
    test database is shared by the tests of a session."""
    if db.engine.dialect.name == "postgresql":
        found = db.session.execute(text(
            "SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid IN ('audit_entry'::regclass, 'audit_head'::regclass)")).all()
        drops = [f'DROP TRIGGER "{name}" ON "{table}"' for name, table, _sql in found]
    else:
        found = db.session.execute(text(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('audit_entry', 'audit_head')")).all()
        drops = [f'DROP TRIGGER "{name}"' for name, _table, _sql in found]
    assert {table for _name, table, _sql in found} == {"audit_entry", "audit_head"}, found
    for statement in drops:
        db.session.execute(text(statement))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        for _name, _table, sql in found:
            db.session.execute(text(sql))
        db.session.commit()


def test_tampering_is_reported_at_the_first_altered_entry(app, demo):
    with app.app_context(), triggers_dropped():
        seqs = db.session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq)).scalars().all()
        assert len(seqs) > 5
        target = seqs[3]
        db.session.execute(text("UPDATE audit_entry SET changes = '{}' WHERE seq = :s"), {"s": target})
        db.session.commit()
        problem = verify_chain()
        assert problem is not None and problem.seq == target and "altered" in problem.reason


def test_deleted_entry_is_reported(app, demo):
    with app.app_context(), triggers_dropped():
        db.session.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
        db.session.commit()
        problem = verify_chain()
        assert problem is not None and problem.seq == 3 and "missing" in problem.reason


def test_entries_cut_from_the_end_are_reported(app, demo):
    with app.app_context(), triggers_dropped():
        last = db.session.execute(select(func.max(AuditEntry.seq))).scalar_one()
        db.session.execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": last})
        db.session.commit()
        problem = verify_chain()
        assert problem is not None and f"chain ends at seq {last - 1} but the head says {last}" in problem.reason
        # Moving the head's counter back as well still leaves the hash of the entry that was removed.
        db.session.execute(text("UPDATE audit_head SET seq = :s"), {"s": last - 1})
        db.session.commit()
        problem = verify_chain()
        assert problem is not None and problem.seq == last - 1 and "head's hash" in problem.reason
        db.session.execute(text("DELETE FROM audit_head"))
        db.session.commit()
        problem = verify_chain()
        assert problem is not None and "head row is missing" in problem.reason


def test_audit_verify_command(app, demo, settings_env):
    env = {**os.environ, **settings_env}
    ok = subprocess.run([sys.executable, "-m", "edoc", "audit", "verify"], env=env, cwd=ROOT,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "nguyên vẹn" in ok.stdout
    with app.app_context(), triggers_dropped():
        db.session.execute(text("UPDATE audit_entry SET actor_name = 'Kẻ giả mạo' WHERE seq = 4"))
        db.session.commit()
        bad = subprocess.run([sys.executable, "-m", "edoc", "audit", "verify"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "mục #4" in bad.stderr


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET changes = '{}' WHERE seq = 2",
    "UPDATE audit_entry SET seq = seq + 1000",
    "DELETE FROM audit_entry WHERE seq = 2",
    "DELETE FROM audit_entry",
    "DELETE FROM audit_head",
    "UPDATE audit_head SET seq = seq - 1",
    "UPDATE audit_head SET last_hash = 'f' || substr(last_hash, 2)",  # the same seq: not forward
    "UPDATE audit_head SET id = 2, seq = seq + 1",
], ids=["edit-entry", "renumber", "delete-entry", "delete-all", "delete-head", "head-back", "head-same", "head-id"])
def test_the_database_refuses_to_change_the_log(app, demo, statement):
    with app.app_context():
        before = db.session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq)).all()
        head = db.session.execute(text("SELECT id, seq, last_hash FROM audit_head")).all()
        assert len(before) > 5 and len(head) == 1
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
        assert db.session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq)).all() == before
        assert db.session.execute(text("SELECT id, seq, last_hash FROM audit_head")).all() == head
        assert verify_chain() is None


def test_the_orm_cannot_edit_an_entry_either(app, demo):
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).order_by(AuditEntry.seq).limit(1)).scalar_one()
        entry.actor_name = "Người khác"
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        assert verify_chain() is None


def test_appending_still_moves_the_head_forward(app, demo):
    with app.app_context():
        head = db.session.get(AuditHead, 1)
        seq = head.seq
        record("test.event", object_type="test", object_id=1)
        record("test.event", object_type="test", object_id=2)  # two in one transaction
        db.session.commit()
        head = db.session.get(AuditHead, 1)
        assert head.seq == seq + 2
        assert verify_chain() is None


def test_first_writers_of_an_empty_chain_do_not_collide(app, backend):
    """Two transactions append the first entries at once while the head row is missing (as after a TRUNCATE):
    the second waits for the first and continues its chain. Inserting a plain head row made the second fail on
    PostgreSQL (the first one's row, not yet committed, cannot be locked, only collided with).

    That the second writer waits is shown, not assumed from a thread still alive: it has started recording, one
    of its statements has been in the database for half a second without an answer, nothing of it is committed,
    and the database says what it waits for (SQLite: the write lock, at BEGIN IMMEDIATE; PostgreSQL: a lock the
    first transaction holds, ``pg_blocking_pids``)."""
    with app.app_context():
        with triggers_dropped():
            db.session.execute(text("DELETE FROM audit_head"))
            db.session.commit()
        assert db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 0
        errors: list[BaseException] = []
        recording = threading.Event()
        writer_thread: list[int] = []
        in_flight: list[tuple[str, float]] = []  # the second writer's statements sent and not answered yet

        def sent(conn, cursor, statement, *args) -> None:
            if threading.get_ident() in writer_thread:
                in_flight.append((statement, time.monotonic()))

        def answered(conn, cursor, statement, *args) -> None:
            if threading.get_ident() in writer_thread:
                in_flight.pop()

        def second_writer() -> None:
            writer_thread.append(threading.get_ident())
            with app.app_context():
                try:
                    recording.set()
                    record("test.second", object_type="test", object_id=2)
                    db.session.commit()
                except BaseException as exc:  # reported by the main thread
                    errors.append(exc)

        def waiting_statement() -> str | None:
            """The statement the second writer has waited on for half a second, if any."""
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if in_flight and time.monotonic() - in_flight[-1][1] > 0.5:
                    return in_flight[-1][0]
                time.sleep(0.05)
            return None

        record("test.first", object_type="test", object_id=1)  # makes the head row, holds it until the commit
        first_pid = (db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                     if backend == "postgres" else None)
        engine = db.engine
        event.listen(engine, "before_cursor_execute", sent)
        event.listen(engine, "after_cursor_execute", answered)
        writer = threading.Thread(target=second_writer)
        try:
            writer.start()
            assert recording.wait(timeout=15), "the second writer never started recording"
            if backend == "postgres":
                statement = waiting_statement()
                assert statement is not None and writer.is_alive(), "the second writer is not waiting in the database"
                assert _blocked_by(engine, first_pid), "no backend waits for the first writer's transaction"
            else:
                # SQLite writers of one process take turns (edoc.core.db's writer turn) before BEGIN IMMEDIATE, so
                # the second one waits for the first's turn without a statement in flight
                time.sleep(0.5)
                assert writer.is_alive(), "the second writer did not wait"
                assert in_flight == [], in_flight
                assert any(turn.locked() for turn in core_db._turns.values()), "no writer holds the turn"
            assert _committed_entries(engine) == 0  # neither transaction has committed: it waits, it did not pass
        finally:
            event.remove(engine, "before_cursor_execute", sent)
            event.remove(engine, "after_cursor_execute", answered)
        db.session.commit()
        writer.join(timeout=15)
        assert not writer.is_alive() and errors == []
        rows = db.session.execute(select(AuditEntry.seq, AuditEntry.action).order_by(AuditEntry.seq)).all()
        assert [tuple(r) for r in rows] == [(1, "test.first"), (2, "test.second")]
        assert db.session.get(AuditHead, 1).seq == 2
        assert verify_chain() is None


def _committed_entries(engine) -> int:
    """The audit entries another connection sees, read on a raw connection outside any SQLAlchemy transaction
    (on SQLite one would start with BEGIN IMMEDIATE and queue behind the writers)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT count(*) FROM audit_entry")
        return int(cursor.fetchone()[0])
    finally:
        raw.rollback()
        raw.close()


def _blocked_by(engine, pid: int) -> bool:
    """Whether some PostgreSQL backend waits for a lock held by the backend ``pid``."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                            {"pid": pid}).scalar_one() > 0


# --- what is recorded, change by change -----------------------------------------------------------------------

def _entries(app, action: str) -> list[dict[str, object]]:
    with app.app_context():
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.seq)).scalars()
        return [{"actor_id": e.actor_id, "actor_name": e.actor_name, "organisation_id": e.organisation_id,
                 "object_type": e.object_type, "object_id": e.object_id, "changes": json.loads(e.changes)}
                for e in rows]


def _org_id(app, demo) -> int:
    from edoc.accounts.models import User

    with app.app_context():
        return db.session.get(User, demo["quantri"]).organisation_id


def test_organisation_creation_and_changes_are_recorded(app, client, demo):
    from edoc.demo import DEMO_ORGAN_ID

    org_id = _org_id(app, demo)
    [created] = _entries(app, "organisation.create")  # by `edoc demo`: no acting user
    assert created["actor_id"] is None and created["organisation_id"] == org_id
    assert (created["object_type"], created["object_id"]) == ("organisation", str(org_id))
    assert created["changes"]["name"] == "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM"
    assert created["changes"]["abbreviation"] == "LĐLĐ" and created["changes"]["organ_id"] == DEMO_ORGAN_ID
    login(client, "quantri")
    response = post_form(client, "/admin/organisation", {
        "name": "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM", "parent_name": "LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI",
        "abbreviation": "LĐLĐ", "place_name": "Trâu Quỳ", "organ_id": DEMO_ORGAN_ID,
        "email": "vanthu@ldldgialam.example.vn"})
    assert response.status_code == 302
    [updated] = _entries(app, "organisation.update")
    assert updated == {"actor_id": demo["quantri"], "actor_name": "Lê Minh Quân", "organisation_id": org_id,
                       "object_type": "organisation", "object_id": str(org_id),
                       "changes": {"place_name": ["Gia Lâm", "Trâu Quỳ"]}}
    response = post_form(client, "/registers/manage", {"action": "options", "cong_van_with_unit": "0"})
    assert response.status_code == 302
    numbering = _entries(app, "organisation.update")[1]
    assert numbering["actor_id"] == demo["quantri"] and numbering["object_id"] == str(org_id)
    assert numbering["changes"] == {"cong_van_with_unit": [True, False]}
    with app.app_context():
        assert verify_chain() is None


def test_unit_creation_and_changes_are_recorded(app, client, demo):
    from edoc.organisations.models import Unit

    org_id = _org_id(app, demo)
    login(client, "quantri")
    assert post_form(client, "/admin/units", {"name": "Ban Pháp luật", "abbreviation": "PL"}).status_code == 302
    with app.app_context():
        unit_id = db.session.execute(select(Unit.id).where(Unit.abbreviation == "PL")).scalar_one()
    created = _entries(app, "unit.create")[-1]
    assert created == {"actor_id": demo["quantri"], "actor_name": "Lê Minh Quân", "organisation_id": org_id,
                       "object_type": "unit", "object_id": str(unit_id),
                       "changes": {"name": "Ban Pháp luật", "abbreviation": "PL"}}
    response = post_form(client, f"/admin/units/{unit_id}", {"name": "Ban Pháp luật - Chính sách",
                                                             "abbreviation": "PL"})  # "active" unticked
    assert response.status_code == 302
    [updated] = _entries(app, "unit.update")
    assert updated["actor_id"] == demo["quantri"] and updated["object_id"] == str(unit_id)
    assert updated["changes"] == {"active": [True, False], "name": ["Ban Pháp luật", "Ban Pháp luật - Chính sách"]}


def test_user_creation_is_recorded_without_the_password(app, client, demo):
    from edoc.accounts.models import User

    login(client, "quantri")
    response = post_form(client, "/admin/users/new", {
        "username": "nhanvienmoi", "full_name": "Đỗ Thị Mai", "title": "Chuyên viên", "email": "mai@example.vn",
        "unit_id": "", "roles": ["specialist", "delegate"], "active": "y", "password": "MatKhau@2026"})
    assert response.status_code == 302
    with app.app_context():
        user_id = db.session.execute(select(User.id).where(User.username == "nhanvienmoi")).scalar_one()
    created = _entries(app, "user.create")[-1]
    assert created["actor_id"] == demo["quantri"] and created["organisation_id"] == _org_id(app, demo)
    assert (created["object_type"], created["object_id"]) == ("user_account", str(user_id))
    assert created["changes"] == {"username": "nhanvienmoi", "full_name": "Đỗ Thị Mai", "title": "Chuyên viên",
                                  "email": "mai@example.vn", "unit_id": None, "roles": ["delegate", "specialist"],
                                  "active": True}


def test_uploads_are_recorded_with_name_hash_and_size(app, client, demo):
    import hashlib
    import io

    from edoc.files.models import StoredFile

    data = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n"
    login(client, "chuyenvien")
    token = csrf_token(client, "/files/")
    response = client.post("/files/", data={"csrf_token": token, "file": (io.BytesIO(data), "Tờ trình.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        file_id = db.session.execute(select(StoredFile.id).where(StoredFile.purpose == "upload")).scalar_one()
    [uploaded] = _entries(app, "file.upload")[-1:]
    assert uploaded == {"actor_id": demo["chuyenvien"], "actor_name": "Phạm Quốc Bảo",
                        "organisation_id": _org_id(app, demo), "object_type": "stored_file",
                        "object_id": str(file_id),
                        "changes": {"name": "Tờ trình.pdf", "sha256": hashlib.sha256(data).hexdigest(),
                                    "size": len(data), "media_type": "application/pdf"}}


def test_sign_in_and_sign_out_are_recorded(app, client, demo):
    login(client, "vanthu")
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    [signed_in] = _entries(app, "auth.login")
    [signed_out] = _entries(app, "auth.logout")
    for entry in (signed_in, signed_out):
        assert entry["actor_id"] == demo["vanthu"] and entry["organisation_id"] == _org_id(app, demo)
        assert (entry["object_type"], entry["object_id"]) == ("user_account", str(demo["vanthu"]))
