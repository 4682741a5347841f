"""The incoming mailbox's password: sealed with the server's secret key (``edoc.jobs.secrets.seal_value``), bound
to its organisation (a sealed password copied onto another organisation's row does not open), opened only to log
in to the mail server."""

from __future__ import annotations

from flask import current_app

from edoc.incoming.imap import MailboxError, MailboxSettings
from edoc.incoming.mail_models import IncomingMailbox
from edoc.jobs import secrets


def _bound(organisation_id: int) -> str:
    return f"incoming-mailbox:{organisation_id}"


def seal_password(organisation_id: int, password: str) -> bytes:
    return secrets.seal_value(current_app.config["SECRET_KEY"], _bound(organisation_id), password)


def password_of(box: IncomingMailbox) -> str | None:
    """The stored password, or None if there is none or it no longer opens (the server's secret key changed)."""
    if box.password_sealed is None:
        return None
    return secrets.unseal_value(current_app.config["SECRET_KEY"], _bound(box.organisation_id), box.password_sealed)


def settings_of(box: IncomingMailbox) -> MailboxSettings:
    password = password_of(box)
    if password is None:
        raise MailboxError("Mật khẩu hộp thư đã lưu không mở được (khóa bí mật của máy chủ đã đổi): nhập lại mật "
                           "khẩu ở trang cài đặt hộp thư.", "auth")
    return MailboxSettings(box.host, box.port, box.security, box.username, password, box.folder)
