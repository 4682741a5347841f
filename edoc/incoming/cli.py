"""``edoc incoming rebuild-board``: recount the leaders' board from the documents."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from edoc.incoming import service

incoming_group = AppGroup("incoming", help="Văn bản đến / incoming documents.")


@incoming_group.command("rebuild-board")
@click.option("--organisation", "organisation_id", type=int, default=None, help="Only this organisation's id.")
def rebuild_board_command(organisation_id: int | None) -> None:
    """Recount the board's kept counts (after a bulk load or a restore; the upgrade that made them counted them)."""
    started = time.perf_counter()
    kept = service.rebuild_board(organisation_id)
    click.echo(f"Đã đếm lại bảng theo dõi: {kept} dòng trong {time.perf_counter() - started:.1f} s.")
