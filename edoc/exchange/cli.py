"""``edoc exchange poll``: take what arrived in the drop box and send what waits."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from edoc.exchange.service import deliver, pending_out, poll_folder

exchange_group = AppGroup("exchange", help="Trục liên thông (edXML) / document exchange.")


@exchange_group.command("poll")
def poll_command() -> None:
    """Read the drop box of this installation's organisations, then send pending messages."""
    result = poll_folder()
    deliver(pending_out())
    click.echo(f"Đã nhận {result.taken}, trùng {result.repeated}, từ chối {result.rejected}.")
