"""A thin IMAP client for the incoming mailbox (imaplib from the standard library): connect with the organisation's
settings, say in Vietnamese what went wrong, and the few commands the poll needs.

Messages are read with ``BODY.PEEK[]`` (reading does not mark them seen); a message is marked only after the
transaction that recorded it commits, with ``\\Seen`` and the keyword ``$EdocTaken``, so the next search skips it.
A server that does not keep keywords still works: the recorded UID is what keeps a message from being taken twice."""

from __future__ import annotations

import imaplib
import re
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

from edoc.incoming.mail_models import Security

TAKEN = "$EdocTaken"
TIMEOUT = 30.0


class MailboxError(Exception):
    """The mailbox cannot be used as set: the message is for the clerk (Vietnamese) and the log."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        """``connect``, ``tls``, ``auth``, ``folder`` or ``protocol``."""


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str = "INBOX"


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class Mailbox:
    """One session on the mailbox's folder (a context manager: logged out on leaving)."""

    def __init__(self, settings: MailboxSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.imap: imaplib.IMAP4 | None = None
        self.uidvalidity = 0
        self.count = 0

    def __enter__(self) -> Mailbox:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def open(self) -> None:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == Security.SSL:
                self.imap = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=self.ssl_context, timeout=TIMEOUT)
            else:
                self.imap = imaplib.IMAP4(s.host, s.port, timeout=TIMEOUT)
                if s.security == Security.STARTTLS:
                    if "STARTTLS" not in self.imap.capabilities:
                        raise MailboxError(f"Máy chủ {where} không hỗ trợ STARTTLS: chọn SSL/TLS hoặc kiểm tra cổng.",
                                           "tls")
                    self.imap.starttls(ssl_context=self.ssl_context)
        except MailboxError:
            self.close()
            raise
        except socket.gaierror:
            raise MailboxError(f"Không tìm thấy máy chủ thư “{s.host}”: kiểm tra tên máy chủ.", "connect") from None
        except ssl.SSLError as exc:
            self.close()
            raise MailboxError(f"Không thiết lập được kết nối mã hóa với {where} ({exc.reason or exc}): kiểm tra "
                               "kiểu bảo mật và cổng.", "tls") from None
        except ConnectionRefusedError:
            raise MailboxError(f"Máy chủ {where} từ chối kết nối: kiểm tra cổng.", "connect") from None
        except TimeoutError:
            raise MailboxError(f"Máy chủ {where} không trả lời sau {TIMEOUT:.0f} giây.", "connect") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            self.close()
            raise MailboxError(f"Không kết nối được tới {where}: {exc}.", "connect") from None
        assert self.imap is not None
        try:
            self.imap.login(s.username, s.password)
        except imaplib.IMAP4.error as exc:
            self.close()
            detail = re.sub(r"^b?['\"]|['\"]$", "", str(exc)).strip()
            raise MailboxError(f"Máy chủ thư từ chối đăng nhập của “{s.username}”: sai tên đăng nhập hoặc mật "
                               f"khẩu ({detail}).", "auth") from None
        except OSError as exc:
            self.close()
            raise MailboxError(f"Mất kết nối với {where} khi đăng nhập: {exc}.", "connect") from None
        try:
            kind, data = self.imap.select(_quoted(s.folder))
        except (imaplib.IMAP4.error, OSError) as exc:
            self.close()
            raise MailboxError(f"Không mở được thư mục “{s.folder}”: {exc}.", "folder") from None
        if kind != "OK":
            self.close()
            raise MailboxError(f"Không có thư mục “{s.folder}” trong hộp thư ({_text(data)}).", "folder")
        self.count = int(_text(data).strip() or 0)
        _, values = self.imap.response("UIDVALIDITY")
        try:
            self.uidvalidity = int(_text(values).split()[0])
        except (IndexError, ValueError):
            self.close()
            raise MailboxError("Máy chủ thư không cho biết UIDVALIDITY của thư mục.", "protocol") from None

    def close(self) -> None:
        imap, self.imap = self.imap, None
        if imap is None:
            return
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            try:
                imap.shutdown()
            except OSError:
                pass

    def _uid(self, *args: str) -> list[object]:
        assert self.imap is not None
        kind, data = self.imap.uid(*args)
        if kind != "OK":
            raise MailboxError(f"Máy chủ thư trả lời lỗi cho lệnh {args[0]}: {_text(data)}", "protocol")
        return list(data)

    def new_uids(self) -> list[int]:
        """UIDs of the messages not yet marked taken (oldest first)."""
        data = self._uid("SEARCH", "UNDELETED", "UNKEYWORD", TAKEN)
        return sorted(int(n) for n in _text(data).split())

    def info(self, uid: int) -> tuple[int, datetime | None]:
        """The message's size in bytes and when it reached the mailbox (its INTERNALDATE, UTC)."""
        data = self._uid("FETCH", str(uid), "(RFC822.SIZE INTERNALDATE)")
        text = _text([d[0] if isinstance(d, tuple) else d for d in data])
        size = re.search(r"RFC822\.SIZE (\d+)", text)
        arrived = None
        stamp = re.search(r'INTERNALDATE "[^"]+"', text)
        if stamp:
            parsed = imaplib.Internaldate2tuple(stamp.group(0).encode())
            if parsed is not None:
                arrived = datetime.fromtimestamp(time.mktime(parsed), tz=UTC)
        return (int(size.group(1)) if size else 0), arrived

    def fetch(self, uid: int, *, header_only: bool = False) -> bytes:
        """The whole message as received (or its header only), without marking it seen."""
        part = "BODY.PEEK[HEADER]" if header_only else "BODY.PEEK[]"
        for item in self._uid("FETCH", str(uid), f"({part})"):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        raise MailboxError(f"Máy chủ thư không trả về thư UID {uid}.", "protocol")

    def mark_taken(self, uid: int) -> None:
        self._uid("STORE", str(uid), "+FLAGS.SILENT", rf"(\Seen {TAKEN})")


def check(settings: MailboxSettings) -> int:
    """Log in and open the folder once (the settings page's test): how many messages it holds."""
    with Mailbox(settings) as box:
        return box.count
