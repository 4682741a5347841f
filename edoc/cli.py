"""The ``edoc`` command: Flask's CLI group with the app factory. The commands themselves (run, worker, demo,
audit, storage, ca) are in ``edoc.commands``, which the app factory registers on every app.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, routes_command, shell_command

from edoc.app import create_app
from edoc.core.errors import ConfigError

_CHECK_SCHEMA = "edoc_check_schema"


def _factory() -> Flask:
    info = click.get_current_context().find_object(ScriptInfo)
    check_schema = info.data.get(_CHECK_SCHEMA, True) if info is not None else True
    try:
        return create_app(check_schema=check_schema)
    except ConfigError as exc:
        click.echo(f"edoc: cấu hình sai / bad setting: {exc}", err=True)
        sys.exit(2)


class EdocGroup(FlaskGroup):
    """Flask's group, except that ``edoc db ...`` builds the app without requiring a migrated database: those
    are the commands that migrate it. Every other command (run, demo, ...) refuses a database behind the code."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "db":
            ctx.ensure_object(ScriptInfo).data[_CHECK_SCHEMA] = False
        return super().get_command(ctx, name)


@click.group(cls=EdocGroup, create_app=_factory, add_default_commands=False, add_version_option=False)
def cli() -> None:
    """edoc: văn bản điện tử và phòng họp không giấy."""


cli.add_command(shell_command)
cli.add_command(routes_command)


def main() -> None:
    cli.main(prog_name="edoc")
