"""The exchange's shared fixtures: the drop box two installations share, installation A's issued demo plan, and
installation B (the other agency, on its own SQLite and store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db
from edoc.demo import DEMO_ORGAN_ID, load_demo_documents
from edoc.documents.models import OutgoingDocument
from edoc.organisations.models import Organisation

PARTY = "000.00.01.H26"
"""Huyện ủy Gia Lâm: a recipient of the demo plan that is not on installation A (LĐLĐ Hà Nội is, since the
demo adds it, and receives the plan on the system)."""


@pytest.fixture
def dropbox(settings_env, tmp_path) -> Path:
    """The shared drop box; asked for before ``app`` so A is built with it."""
    folder = tmp_path / "dropbox"
    settings_env["EDOC_EXCHANGE_DIR"] = str(folder)
    return folder


@pytest.fixture
def plan(dropbox, app, demo) -> int:
    """The demo's issued plan (signed, numbered, sealed), addressed to LĐLĐ thành phố Hà Nội (an OrganId)."""
    with app.app_context():
        org = db.session.execute(select(Organisation).where(Organisation.organ_id == DEMO_ORGAN_ID)).scalar_one()
        load_demo_documents(org)
        db.session.commit()
        return db.session.execute(select(OutgoingDocument.id).where(OutgoingDocument.status == "issued")).scalar_one()


@pytest.fixture
def other(sqlite_template, dropbox, tmp_path):
    """Installation B: Huyện ủy Gia Lâm on its own database and store, sharing the drop box."""
    from edoc.admin.organisations import OrganisationData, create_organisation

    base = tmp_path / "other"
    base.mkdir()
    shutil.copy(sqlite_template, base / "edoc.sqlite3")
    app = create_app(Settings.from_env({
        "EDOC_SECRET_KEY": "other-secret-key-" + "y" * 16, "EDOC_INSTANCE_PATH": str(base / "instance"),
        "EDOC_STORAGE_DIR": str(base / "files"), "EDOC_DATABASE_URL": f"sqlite:///{base / 'edoc.sqlite3'}",
        "EDOC_EXCHANGE_DIR": str(dropbox)}))
    with app.app_context():
        from edoc.registers.service import ensure_default_registers

        org = create_organisation(OrganisationData(name="HUYỆN ỦY GIA LÂM", parent_name="THÀNH ỦY HÀ NỘI",
                                                   abbreviation="HU", place_name="Gia Lâm", organ_id=PARTY))
        db.session.flush()
        ensure_default_registers(org)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


