"""Alembic migrations are the schema: they match the models and go down and up again on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from edoc.core.db import db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        # the filters the app gives Alembic: the search index's database-specific parts are the migration's alone
        opts = {key: app.extensions["migrate"].configure_args[key]
                for key in ("compare_type", "include_object", "include_name")}
        context = MigrationContext.configure(conn, opts=opts)
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


def test_the_head_migration_makes_the_audit_head_row_and_its_triggers(app, backend):
    """From an empty database: the chain's head row exists before any write (made by 0006, not lazily by the
    first writers, who raced for it on PostgreSQL), and the triggers that keep the log append-only are there."""
    from sqlalchemy import text

    with app.app_context():
        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, seq, last_hash FROM audit_head")).all() == [(1, 0, "0" * 64)]
            if backend == "postgres":
                query = ("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                         "AND tgrelid IN ('audit_entry'::regclass, 'audit_head'::regclass)")
            else:
                query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit%'"
            assert len(conn.execute(text(query)).all()) == (2 if backend == "postgres" else 4)
        downgrade(revision="0005")
        with db.engine.connect() as conn:
            assert conn.execute(text(query)).all() == []
        upgrade()
