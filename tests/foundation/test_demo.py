from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import Role, User
from edoc.core.db import db
from edoc.demo import load_demo
from edoc.organisations.models import Organisation
from tests.support.components import free_port

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


def _snapshot(app, store_root: Path) -> tuple[dict[str, int], int]:
    """Rows in every table the database has (not only the models this test knows of) and stored objects."""
    from sqlalchemy import inspect, table

    with app.app_context(), db.engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        rows = {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}
    objects = sum(1 for p in store_root.rglob("*") if p.is_file() and not p.name.startswith("."))
    return rows, objects


class _SlowMailServer:
    """An SMTP server that takes a while to accept each message, as a real one over a slow link may."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(self.delay)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def slow_mail_server():
    from aiosmtpd.controller import Controller

    handler = _SlowMailServer(delay=2.0)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def test_demo_command_prints_url_and_logins_and_a_second_run_changes_nothing(app, settings_env, slow_mail_server):
    """With SMTP configured, the issued plan's e-mail to its external recipient is sent before the command
    ends, though the mail server takes its time: the sending thread would die with the process."""
    controller, mail = slow_mail_server
    env = {**os.environ, **settings_env, "EDOC_SMTP_HOST": controller.hostname, "EDOC_SMTP_PORT": str(controller.port)}

    def demo() -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "edoc", "demo"], env=env, cwd=ROOT, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result

    first = demo()
    assert "http://127.0.0.1:5000/" in first.stdout and "vừa tạo" in first.stdout
    for username in ("quantri", "vanthu", "chutich", "chuyenvien", "thuky", "daibieu"):
        assert username in first.stdout
    assert "GiaLam@2023" in first.stdout
    assert "Đã ban hành: 01/KH-LĐLĐ" in first.stdout
    store_root = Path(settings_env["EDOC_STORAGE_DIR"])
    rows, objects = _snapshot(app, store_root)
    # Gia Lâm and its parent, LĐLĐ thành phố Hà Nội, on the same installation
    assert rows["organisation"] == 2 and rows["user_account"] == 12 and rows["audit_entry"] > 0 and objects > 0
    assert "vanthu.hn" in first.stdout and "LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI" in first.stdout
    _the_demo_documents_are_at_each_step(app)
    # the parent receives the plan on the installation (no e-mail); the district Party committee by e-mail
    assert mail.recipients == ["vanthu@huyenuygialam.example.vn"]
    with app.app_context():
        from edoc.documents.models import OutgoingDocument, Recipient
        from edoc.incoming.models import IncomingDocument

        externals = {r.label: r for r in db.session.execute(select(Recipient).join(OutgoingDocument).where(
            OutgoingDocument.type_code == "KH", Recipient.kind == "external")).scalars()}
        assert {label: r.dispatch_status for label, r in externals.items()} == {
            "LĐLĐ thành phố Hà Nội": "delivered", "Huyện ủy Gia Lâm": "sent"}
        [arrived] = db.session.execute(select(IncomingDocument)).scalars()
        assert (arrived.status, arrived.original_reference, arrived.channel) == ("received", "01/KH-LĐLĐ", "internal")
        assert arrived.organisation.organ_id == "000.00.00.H26.LDLD" and arrived.signature_verdict == "valid"
        assert arrived.sender_name == "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM" and arrived.file_id is not None
    second = demo()
    assert "đã có" in second.stdout and "Văn bản mẫu" not in second.stdout
    assert _snapshot(app, store_root) == (rows, objects)


def _the_demo_documents_are_at_each_step(app) -> None:
    """What each demo user finds: the issued plan signed twice (leader, then organisation) and valid, and one
    document waiting at each other step."""
    from edoc.documents.boxes import to_do
    from edoc.documents.models import OutgoingDocument
    from edoc.signatures.models import ValidationRecord

    with app.app_context():
        docs = {d.type_code: d for d in db.session.execute(select(OutgoingDocument)).scalars()}
        assert {code: d.status for code, d in docs.items()} == {
            "KH": "issued", "TB": "approved", "CV": "submitted", "BC": "returned",
            "GM": "issued"}  # the demo meeting's Giấy mời (meetings.meeting.demo)
        from meetings.agenda.models import AgendaItem
        from meetings.meeting.models import Invitation, Meeting

        [meeting] = db.session.execute(select(Meeting)).scalars()
        assert meeting.status == "announced" and meeting.title.startswith("Hội nghị Ban Thường vụ")
        assert db.session.execute(select(Invitation.document_id)).scalar_one() == docs["GM"].id
        assert len(list(db.session.execute(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id)))) == 4
        plan = docs["KH"]
        assert plan.reference == "01/KH-LĐLĐ" and plan.signed_file_id and plan.issued_file_id
        [report] = db.session.execute(select(ValidationRecord).where(ValidationRecord.document_id == plan.id)
                                      ).scalars()
        assert report.all_valid and report.context == "issued"
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        waiting = {name: {t.key: t.count for t in to_do(users[name]) if t.count}
                   for name in ("chutich", "phochutich", "vanthu", "chuyenvien", "daibieu")}
        # the demo meeting's Giấy mời reached its invitees: phochutich, chuyenvien and daibieu (inbox + 1)
        assert waiting == {"chutich": {"sign": 1}, "phochutich": {"to_sign": 1, "inbox": 2},
                           # the notice is approved but not yet signed: not the clerk's to issue (only what can really
                           # be issued counts); its Văn phòng keeps the plan's file copy (Lưu: VT, VP)
                           "vanthu": {"inbox": 1},
                           "chuyenvien": {"mine": 1, "inbox": 1}, "daibieu": {"inbox": 2}}
