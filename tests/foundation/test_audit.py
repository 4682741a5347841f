"""The audit chain: every change appends an entry; any edit, deletion or reordering is found."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, text

from edoc.audit.models import AuditEntry
from edoc.audit.service import verify_chain
from edoc.core.db import db
from tests.support.web import login, post_form

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


def test_tampering_is_reported_at_the_first_altered_entry(app, demo):
    with app.app_context():
        seqs = db.session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq)).scalars().all()
        assert len(seqs) > 5
        target = seqs[3]
        db.session.execute(text("UPDATE audit_entry SET changes = '{}' WHERE seq = :s"), {"s": target})
        db.session.commit()
        problem = verify_chain()
        assert problem is not None and problem.seq == target and "altered" in problem.reason


def test_deleted_entry_is_reported(app, demo):
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
        db.session.commit()
        problem = verify_chain()
        assert problem is not None and problem.seq == 3 and "missing" in problem.reason


def test_audit_verify_command(app, demo, settings_env):
    env = {**os.environ, **settings_env}
    ok = subprocess.run([sys.executable, "-m", "edoc", "audit", "verify"], env=env, cwd=ROOT,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "nguyên vẹn" in ok.stdout
    with app.app_context():
        db.session.execute(text("UPDATE audit_entry SET actor_name = 'Kẻ giả mạo' WHERE seq = 4"))
        db.session.commit()
    bad = subprocess.run([sys.executable, "-m", "edoc", "audit", "verify"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "mục #4" in bad.stderr
