"""Notification e-mails are jobs of the queue (issue 8, item 4): asked in the transaction of the change they tell
about, sent by a job once it commits, to a real SMTP server (aiosmtpd). A rolled-back change queues and sends
nothing; a mail server that is down leaves the job to be tried again instead of losing the e-mail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from edoc import jobs
from edoc.core.db import db
from edoc.notifications import mail
from tests.support.components import free_port
from tests.support.smtp import Inbox, smtp_inbox


@pytest.fixture
def inbox(settings_env: dict[str, str]) -> Iterator[Inbox]:
    with smtp_inbox(settings_env, "vanthu@ldldgialam.example.vn") as handler:
        yield handler


def _mail_jobs() -> list[jobs.Job]:
    return list(db.session.execute(select(jobs.Job).where(jobs.Job.name == mail.JOB).order_by(jobs.Job.id)).scalars())


def test_sent_by_a_job_once_the_change_commits_and_never_for_a_rollback(inbox, app):
    with app.app_context():
        mail.mail_after_commit("chutich@ldldgialam.example.vn", "[edoc] Văn bản chờ ký", "Kế hoạch 445/KH-LĐLĐ")
        asked = _mail_jobs()
        assert len(asked) == 1 and not inbox.messages  # the intent is in the transaction; nothing sent yet
        db.session.commit()
        done = _mail_jobs()
        assert [(j.status, j.outcome) for j in done] == [(jobs.DONE, "đã gửi tới chutich@ldldgialam.example.vn")]
        (message,) = inbox.messages
        assert message["To"] == "chutich@ldldgialam.example.vn" and message["Subject"] == "[edoc] Văn bản chờ ký"
        assert message["Message-ID"] == f"<edoc.notice.{done[0].id}@ldldgialam.example.vn>"
        assert message.get_content().strip() == "Kế hoạch 445/KH-LĐLĐ"

        mail.mail_after_commit("daibieu@ldldgialam.example.vn", "[edoc] bị hủy", "không gửi")
        db.session.rollback()
        assert len(_mail_jobs()) == 1 and len(inbox.messages) == 1


@pytest.fixture
def server_down(settings_env: dict[str, str]) -> None:
    settings_env.update({"EDOC_SMTP_HOST": "127.0.0.1", "EDOC_SMTP_PORT": str(free_port())})  # nothing listens


def test_a_mail_server_that_is_down_leaves_the_job_to_try_again(server_down, app):
    with app.app_context():
        mail.mail_after_commit("chutich@ldldgialam.example.vn", "[edoc] thử", "nội dung")
        db.session.commit()
        (job,) = _mail_jobs()
        assert job.status != jobs.DONE and job.attempts == 1 and job.error  # kept to be tried again, not lost


def test_without_smtp_settings_nothing_is_queued(app):
    with app.app_context():
        mail.mail_after_commit("chutich@ldldgialam.example.vn", "[edoc] thử", "nội dung")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(jobs.Job).where(jobs.Job.name == mail.JOB)) == 0
