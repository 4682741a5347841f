"""edoc's own commands, registered on every app by the app factory: ``edoc run`` serves HTTP and Socket.IO in one
process (the embedded default); ``edoc worker`` runs background jobs; ``edoc demo`` loads the demo organisation;
``edoc audit verify`` checks the chain; ``edoc storage sweep`` deletes orphans; ``edoc ca`` runs the development CA.
(``edoc db upgrade`` applies migrations: Flask-Migrate's.)
"""

from __future__ import annotations

import logging
import os
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from edoc import jobs
from edoc.accounts.models import User
from edoc.audit.service import verify_chain
from edoc.core.db import commit, db
from edoc.core.errors import DomainError
from edoc.demo import DEMO_PASSWORD, load_demo, load_demo_documents, load_demo_extras, load_demo_parent
from edoc.files.service import sweep_orphans
from edoc.signatures.credentials import save_credential
from edoc.signatures.devca import DEMO_PIN, ca_folder, load_or_create_ca


def register_commands(app: Flask) -> None:
    app.cli.add_command(run_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(storage_group)
    app.cli.add_command(ca_group)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
def run_command(host: str, port: int, debug: bool) -> None:
    """Serve the web app and its realtime channel in one process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    server = app.extensions["socketio"]
    # The embedded default is one process: it also runs the background jobs (e-mail, batch signing, sweeps),
    # with a few threads, whatever the queue's storage. Production web processes (scripts/serve) do not.
    queue = jobs.queue_of(app)
    queue.start_consumer()
    click.echo(f"edoc đang chạy tại http://{host}:{port}  (Ctrl+C để dừng)")
    # Flask ignores app.run() inside its own CLI unless told this is deliberate: here it is the whole point.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    try:
        server.run(app, host=host, port=port, debug=debug, use_reloader=False, allow_unsafe_werkzeug=True,
                   log_output=debug)
    finally:
        queue.stop_consumer(timeout=10)


@click.command("worker")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Jobs run at once in this process (default EDOC_QUEUE_THREADS). Signing is CPU work: for "
                   "several cores run several workers.")
def worker_command(threads: int | None) -> None:
    """Run background jobs from the queue until stopped; several workers, on several machines, share them."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    queue = jobs.queue_of(app)
    settings = app.config["EDOC"]
    logging.getLogger("huey").setLevel(logging.INFO)
    click.echo(f"edoc worker: {threads or settings.queue_threads} luồng, hàng đợi {settings.queue_name!r} "
               f"({settings.queue_setting})")
    queue.run_worker(threads)


DEMO_DISPATCH_WAIT = 120
"""Seconds ``edoc demo`` waits for its e-mail: the SMTP client's own timeout is 20 s a step."""


@click.command("demo")
@click.option("--password", default=None, help="Password for the demo users (default: printed one).")
@click.option("--documents/--no-documents", default=True, show_default=True,
              help="Also sample outgoing documents at each step (only where the organisation has none).")
def demo_command(password: str | None, documents: bool) -> None:
    """Create (or complete) the demo organisation; safe to run twice."""
    result = load_demo(password or DEMO_PASSWORD)
    parent = load_demo_parent(password or DEMO_PASSWORD)  # before the documents: the plan is issued to it
    made = load_demo_documents(result.organisation) if documents else []
    # what packages built on edoc add (a meeting with its Giấy mời): after the documents, which it sits beside
    made += load_demo_extras(result.organisation) if documents else []
    settings = current_app.config["EDOC"]
    click.echo(f"Tổ chức demo: {result.organisation.name} ({'đã có' if not result.created else 'vừa tạo'})")
    click.echo(f"Địa chỉ: {settings.public_url}/")
    click.echo("Tài khoản demo (mật khẩu chung: " + (password or DEMO_PASSWORD) + "):")
    for user in result.users:
        roles = ", ".join(r.label for r in sorted(user.roles))
        click.echo(f"  {user.username:<13} {user.full_name:<26} {roles}")
    click.echo(f"Cơ quan cấp trên trên cùng hệ thống: {parent.organisation.name} (nhận văn bản đến từ Gia Lâm):")
    for user in parent.users:
        roles = ", ".join(r.label for r in sorted(user.roles))
        click.echo(f"  {user.username:<13} {user.full_name:<26} {roles}")
    click.echo(f"Mã PIN ký số của lãnh đạo (chứng thư số thử nghiệm, KHÔNG có giá trị pháp lý): {DEMO_PIN}")
    if made:
        click.echo("Văn bản mẫu:")
        for line in made:
            click.echo(f"  {line}")
    # The issued plan's e-mail is a queued job: run here before the command ends (within the SMTP timeouts), so
    # `edoc demo` leaves nothing waiting for a worker. The transaction the printing opened ends first: on SQLite
    # it holds the lock the job records its outcome under.
    db.session.close()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs.drain(app, timeout=DEMO_DISPATCH_WAIT)


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """Audit log (nhật ký)."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the hash chain; report the first tampered entry (exit code 1)."""
    problem = verify_chain()
    if problem is None:
        click.echo("Nhật ký nguyên vẹn: chuỗi băm hợp lệ.")
        return
    click.echo(f"NHẬT KÝ BỊ SỬA: mục #{problem.seq} (id {problem.entry_id}): {problem.reason}", err=True)
    sys.exit(1)


@click.group("storage", cls=AppGroup)
def storage_group() -> None:
    """Object storage maintenance."""


@storage_group.command("sweep")
@click.option("--dry-run", is_flag=True)
@click.option("--older-than-minutes", type=click.IntRange(min=0), default=60, show_default=True,
              help="Spare objects written more recently: their upload may still be committing.")
def storage_sweep(dry_run: bool, older_than_minutes: int) -> None:
    """Delete stored objects no row points at (left by a crash between upload and commit)."""
    from datetime import timedelta

    orphans = sweep_orphans(dry_run=dry_run, grace=timedelta(minutes=older_than_minutes))
    click.echo(f"{len(orphans)} orphan object(s){' found' if dry_run else ' deleted'}.")


@click.group("ca", cls=AppGroup)
def ca_group() -> None:
    """The development CA (NOT a legal CA): certificates for demos and tests."""


@ca_group.command("init")
def ca_init() -> None:
    load_or_create_ca()
    click.echo(f"CA phát triển (KHÔNG có giá trị pháp lý): {ca_folder() / 'ca.pem'}")


@ca_group.command("issue")
@click.argument("username")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="the user's signing PIN")
def ca_issue(username: str, pin: str) -> None:
    """Issue a development certificate to USERNAME, kept encrypted with PIN."""
    from sqlalchemy import select

    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        click.echo(f"Không có người dùng {username}", err=True)
        sys.exit(1)
    try:
        save_credential(None, user.organisation, load_or_create_ca().issue(user.full_name,
                        organisation=user.organisation.name, email=user.email), user=user, pin=pin, source="devca")
    except DomainError as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    commit()
    click.echo(f"Đã cấp chứng thư số thử nghiệm cho {user.full_name}.")
