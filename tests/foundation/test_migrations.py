"""Alembic migrations are the schema: they match the models and go down and up again on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from edoc.core.db import db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
        assert differences == [], differences


def test_downgrade_to_base_and_upgrade_again(app, backend):
    with app.app_context():
        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = set(db.inspect(conn).get_table_names())
        assert tables <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            assert {"user_account", "audit_entry", "stored_file"} <= set(db.inspect(conn).get_table_names())
