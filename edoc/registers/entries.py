"""The rows of the Sổ đăng ký văn bản đi (Appendix IV) as the registers' pages, API and exports show them.

The documents a row describes belong to ``edoc.documents``, which sits above registers (registers number its
documents): registers never imports it. Documents installs the reader of its rows when the app is built
(``edoc.documents.register_rows.install``), and every caller here asks ``outgoing_entries``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from edoc.accounts.models import User
from edoc.registers.models import Register


@dataclass(frozen=True)
class OutgoingEntry:
    """One row of the Sổ đăng ký văn bản đi, Appendix IV: its ten columns."""

    reference: str          # (1) Số, ký hiệu văn bản
    issued_on: date         # (2) Ngày tháng văn bản
    type_and_summary: str   # (3) Tên loại và trích yếu nội dung
    signer: str             # (4) Người ký
    recipients: str         # (5) Nơi nhận văn bản
    archive: str            # (6) Đơn vị, người nhận bản lưu
    copies: int             # (7) Số lượng bản
    sent_on: date | None    # (8) Ngày chuyển
    receipt: str            # (9) Ký nhận
    note: str               # (10) Ghi chú
    document_id: int
    number: int
    masked: bool = False
    """The viewer may not open the document: only columns 1, 2, 4, 6, 7 and 8 and the type name are shown."""


COLUMNS = ["Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản", "Người ký",
           "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận", "Ghi chú"]


class EntriesReader(Protocol):
    def __call__(self, register: Register, year: int, *, viewer: User, query: str,
                 month: int | None) -> list[OutgoingEntry]: ...


_reader: list[EntriesReader] = []


def install_reader(reader: EntriesReader) -> None:
    """Name the one function that reads a register's rows (documents', at app start; again is harmless)."""
    _reader[:] = [reader]


def outgoing_entries(register: Register, year: int, *, viewer: User, query: str = "",
                     month: int | None = None) -> list[OutgoingEntry]:
    """The register's rows for a year as ``viewer`` may read them, filtered by month and by an accent-insensitive
    search (đ as d). There is no reading without a viewer: every caller (page, API, export) names the person the
    rows are shown to; rows of documents they may not open are masked, not left out, so the numbers run on."""
    if not _reader:
        raise RuntimeError("no reader of outgoing register rows: edoc.app.create_app installs documents' one")
    return _reader[0](register, year, viewer=viewer, query=query, month=month)
