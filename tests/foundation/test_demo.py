from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from edoc.accounts.models import Role, User
from edoc.core.db import db
from edoc.demo import load_demo
from edoc.organisations.models import Organisation

ROOT = Path(__file__).resolve().parents[2]


def test_demo_organisation_matches_the_sample(app, demo):
    with app.app_context():
        org = db.session.execute(select(Organisation)).scalar_one()
        assert org.name == "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM"
        assert org.parent_name == "LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI"
        assert (org.abbreviation, org.place_name) == ("LĐLĐ", "Gia Lâm")
        roles = set().union(*(u.roles for u in db.session.execute(select(User)).scalars()))
        assert roles == set(Role)


def test_demo_is_safe_to_run_twice(app, demo):
    with app.app_context():
        load_demo()
        assert db.session.execute(select(func.count()).select_from(Organisation)).scalar_one() == 1
        assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == len(demo)


def test_demo_command_prints_url_and_logins(app, settings_env):
    env = {**os.environ, **settings_env}
    result = subprocess.run([sys.executable, "-m", "edoc", "demo"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "http://127.0.0.1:5000/" in result.stdout
    for username in ("quantri", "vanthu", "chutich", "chuyenvien", "thuky", "daibieu"):
        assert username in result.stdout
    assert "GiaLam@2023" in result.stdout
