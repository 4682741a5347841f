"""The organisation's incoming mailbox: its settings (saved, tested), the sealed password, and asking for a poll.

The password is sealed with the server's secret key (``edoc.jobs.secrets.seal_value``), bound to the organisation,
and never shown back: a blank password field keeps the stored one. Testing connects with the typed values before
anything is saved, with no database transaction open (a server that takes 30 s to answer holds no lock)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from edoc import jobs
from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, end_read_transaction, utcnow
from edoc.core.errors import NotAllowed, ValidationFailed
from edoc.core.text import clean
from edoc.incoming import policy
from edoc.incoming.imap import MailboxError, MailboxSettings, check
from edoc.incoming.mail_intake import POLL_JOB
from edoc.incoming.mail_models import IncomingMail, IncomingMailbox, Security
from edoc.incoming.mail_secret import password_of, seal_password

__all__ = ["POLL_JOB", "MailboxForm", "mailbox_of", "recent_mail", "request_poll", "save", "test_connection",
           "validated"]
_HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,255}$")
_FOLDER = re.compile(r"^[\x20-\x7e]{1,255}$")


@dataclass
class MailboxForm:
    """What the clerk typed on the settings page (strings, as posted)."""

    host: str = ""
    port: str = ""
    security: str = Security.SSL.value
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    enabled: bool = True


def mailbox_of(organisation_id: int) -> IncomingMailbox | None:
    return db.session.execute(select(IncomingMailbox).where(IncomingMailbox.organisation_id == organisation_id)
                              ).scalar_one_or_none()


def validated(actor: User, form: MailboxForm) -> MailboxSettings:
    """The typed settings checked; a blank password is the stored one (required when none is stored)."""
    policy.require(policy.can_manage_mailbox(actor), "Chỉ văn thư hoặc quản trị viên cài đặt hộp thư nhận văn bản.")
    host = clean(form.host)
    if not host:
        raise ValidationFailed("Nhập máy chủ thư đến (IMAP), ví dụ imap.gialam.gov.vn.", field="host")
    if not _HOST.match(host):
        raise ValidationFailed("Tên máy chủ thư không hợp lệ (chỉ chữ không dấu, số, dấu chấm và gạch ngang).",
                               field="host")
    security = clean(form.security)
    if security not in {s.value for s in Security}:
        raise ValidationFailed("Chọn kiểu bảo mật của kết nối.", field="security")
    text = clean(form.port)
    if not text:
        port = 993 if security == Security.SSL else 143
    elif not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValidationFailed("Cổng là một số từ 1 đến 65535 (thường là 993 cho SSL/TLS, 143 cho STARTTLS).",
                               field="port")
    else:
        port = int(text)
    username = clean(form.username)
    if not username or len(username) > 255:
        raise ValidationFailed("Nhập tên đăng nhập hộp thư (thường là địa chỉ e-mail).", field="username")
    folder = clean(form.folder) or "INBOX"
    if not _FOLDER.match(folder):
        raise ValidationFailed("Tên thư mục chỉ gồm chữ không dấu, số và ký hiệu thông thường (ví dụ INBOX hoặc "
                               "INBOX/VanBanDen).", field="folder")
    password = form.password
    if not password:
        box = mailbox_of(actor.organisation_id)
        stored = password_of(box) if box is not None else None
        if stored is None:
            raise ValidationFailed("Nhập mật khẩu hộp thư.", field="password")
        password = stored
    if len(password) > 1000:
        raise ValidationFailed("Mật khẩu quá dài.", field="password")
    return MailboxSettings(host, port, security, username, password, folder)


def test_connection(actor: User, form: MailboxForm) -> tuple[MailboxSettings, int]:
    """Connect, log in and open the folder with the typed settings; a failure is a ValidationFailed saying why in
    Vietnamese. Call with no transaction open."""
    settings = validated(actor, form)
    end_read_transaction()  # nothing held while the server answers
    try:
        return settings, check(settings)
    except MailboxError as exc:
        raise ValidationFailed(exc.message, field="password" if exc.kind == "auth" else "host") from None


def save(actor: User, form: MailboxForm) -> IncomingMailbox:
    """Store the settings, the password sealed; audited without it; committed."""
    settings = validated(actor, form)
    box = mailbox_of(actor.organisation_id)
    if box is None:
        box = IncomingMailbox(organisation_id=actor.organisation_id)
        db.session.add(box)
    before = {"host": box.host, "port": box.port, "security": box.security, "username": box.username,
              "folder": box.folder, "enabled": box.enabled}
    box.host, box.port, box.security = settings.host, settings.port, settings.security
    box.username, box.folder, box.enabled = settings.username, settings.folder, bool(form.enabled)
    if form.password:
        box.password_sealed = seal_password(actor.organisation_id, form.password)
    box.updated_at, box.updated_by_id = utcnow(), actor.id
    box.last_error = ""
    db.session.flush()
    after = {"host": box.host, "port": box.port, "security": box.security, "username": box.username,
             "folder": box.folder, "enabled": box.enabled}
    record("incoming.mailbox", box, actor=actor, organisation_id=actor.organisation_id, changes={
        "before": before, "after": after, "password_changed": bool(form.password)})
    commit()
    return box


def request_poll(actor: User) -> jobs.Job:
    """The clerk's "Nhận thư ngay": a poll of this organisation's mailbox, handed to the queue as this commits."""
    policy.require(policy.can_manage_mailbox(actor), "Chỉ văn thư hoặc quản trị viên nhận thư của hộp thư.")
    box = mailbox_of(actor.organisation_id)
    if box is None:
        raise ValidationFailed("Chưa cài đặt hộp thư nhận văn bản.")
    if not box.enabled:
        raise NotAllowed("Hộp thư đang tắt: bật “Tự động nhận thư” rồi lưu.")
    job = jobs.enqueue_after_commit(POLL_JOB, {"mailbox_id": box.id}, requested_by=actor.id)
    commit()
    return job


def recent_mail(actor: User, limit: int = 30) -> list[IncomingMail]:
    policy.require(policy.can_manage_mailbox(actor), "Chỉ văn thư hoặc quản trị viên xem thư đã nhận.")
    return list(db.session.execute(select(IncomingMail).where(IncomingMail.organisation_id == actor.organisation_id)
                                   .order_by(IncomingMail.id.desc()).limit(limit)).scalars())
