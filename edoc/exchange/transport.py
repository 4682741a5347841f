"""How messages travel: a folder (drop box) by default, an HTTP endpoint when configured.

Folder: ``<EDOC_EXCHANGE_DIR>/<OrganId>/`` is the inbox of the organisation with that OrganId, whoever serves it:
sending writes ``<recipient OrganId>/<name>.edxml`` (through a temporary name, renamed when complete, so a reader
never sees half a file); receiving reads the own organisations' folders and moves each file to ``processed/`` or
``rejected/`` (with ``<name>.reason.txt``). Two installations that share the folder (a network share, the
trục's local agent) exchange through it.

HTTP: ``POST <EDOC_EXCHANGE_HTTP_URL>`` with the message as the body (``application/xml``) and the recipient's
OrganId in ``X-Edxml-To``; a bearer token if configured. Anything but 2xx is a failure kept on the message.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class TransportError(RuntimeError):
    pass


_SAFE_ORGAN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def safe_organ_id(organ_id: str) -> str:
    """An OrganId used as a folder name: letters, digits and . _ - only (no path can be steered by it)."""
    if not _SAFE_ORGAN.match(organ_id) or organ_id in {".", ".."}:
        raise TransportError(f"mã định danh không hợp lệ làm tên thư mục: {organ_id!r}")
    return organ_id


class Transport(Protocol):
    def send(self, organ_id: str, data: bytes) -> str:
        """Deliver ``data`` to ``organ_id``; returns where it went (for the log)."""
        ...


@dataclass
class Inbound:
    path: Path
    size: int

    def read(self) -> bytes:
        return self.path.read_bytes()


@dataclass
class FolderTransport:
    root: Path

    def send(self, organ_id: str, data: bytes) -> str:
        folder = self.root / safe_organ_id(organ_id)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.edxml"
        tmp = folder / f".{name}.part"
        tmp.write_bytes(data)
        os.replace(tmp, folder / name)
        return str(folder / name)

    def pending(self, organ_id: str) -> Iterator[Inbound]:
        folder = self.root / safe_organ_id(organ_id)
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.edxml")):
            if path.is_file():
                yield Inbound(path, path.stat().st_size)

    def done(self, item: Inbound, *, rejected: str | None = None) -> None:
        target = item.path.parent / ("rejected" if rejected else "processed")
        target.mkdir(exist_ok=True)
        os.replace(item.path, target / item.path.name)
        if rejected:
            (target / f"{item.path.name}.reason.txt").write_text(rejected, encoding="utf-8")


@dataclass
class HttpTransport:
    url: str
    token: str | None = None
    timeout: float = 30.0

    def send(self, organ_id: str, data: bytes) -> str:
        headers = {"Content-Type": "application/xml; charset=utf-8", "X-Edxml-To": organ_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(1024)
        except urllib.error.HTTPError as exc:
            raise TransportError(f"{self.url} trả lời {exc.code}: {exc.read(200)!r}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise TransportError(f"không gửi được tới {self.url}: {exc}") from None
        return self.url
