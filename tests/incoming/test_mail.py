"""Each step's people are told by e-mail as well as in the page (issue 10, item 3): a real SMTP server (aiosmtpd)
receives what the presentation, the direction and a reminder send, after their transactions commit; nothing is
sent for a step that rolls back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.incoming import service
from edoc.incoming.models import IncomingDocument
from edoc.tasks import service as tasks
from tests.support.components import free_port


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), str(message["Subject"]) + "\n" + message.get_content()))
        return "250 OK"


@pytest.fixture
def inbox(settings_env):
    from aiosmtpd.controller import Controller

    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings_env.update({"EDOC_SMTP_HOST": "127.0.0.1", "EDOC_SMTP_PORT": str(controller.port)})
    yield handler
    controller.stop()


def test_presenting_and_directing_are_e_mailed(inbox, app, demo, register_doc):
    doc_id = register_doc()
    with app.app_context():
        users = {u.username: u for u in db.session.execute(select(User)).scalars()}
        doc = db.session.get(IncomingDocument, doc_id)
        service.present(users["vanthu"], doc, users["chutich"].id)
        db.session.commit()
        assert [to for to, _ in inbox.messages] == [["chutich@ldldgialam.example.vn"]]
        assert "Văn bản đến chờ ý kiến chỉ đạo" in inbox.messages[0][1]
        # a direction refused (deadline before arrival) rolls back: nothing is sent
        with pytest.raises(Exception, match="trước ngày đến"):
            service.direct(users["chutich"], doc, "Giao", [tasks.Assignee("lead", user_id=users["chuyenvien"].id)],
                           deadline=doc.received_on - timedelta(days=1))
        db.session.rollback()
        assert len(inbox.messages) == 1
        service.direct(users["chutich"], db.session.get(IncomingDocument, doc_id), "Giao chuyên viên",
                       [tasks.Assignee("lead", user_id=users["chuyenvien"].id)],
                       deadline=vietnam_today() + timedelta(days=1))
        db.session.commit()
        assert inbox.messages[-1][0] == ["chuyenvien@ldldgialam.example.vn"]
        assert "Được giao chủ trì" in inbox.messages[-1][1] and f"/incoming/{doc_id}" in inbox.messages[-1][1]
