"""The admin's changes to the base calendar: a weekday given off (nghỉ bù) or a weekend day worked (làm bù)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import UTCDateTime, db, utcnow


class SwapKind(enum.StrEnum):
    OFF = "off"
    """Nghỉ bù: a day that would be worked is a day off."""
    WORK = "work"
    """Làm bù: a Saturday or Sunday that is worked."""


SWAP_LABELS = {SwapKind.OFF: "Nghỉ bù (ngày nghỉ)", SwapKind.WORK: "Làm bù (ngày làm việc)"}


class CalendarSwap(db.Model):
    """One day whose working status the government's yearly notice changes, entered by the organisation's admin.
    Per organisation: admins are, and a body may follow its own (e.g. a Party committee's) notice."""

    __tablename__ = "calendar_swap"
    __table_args__ = (UniqueConstraint("organisation_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def kind_label(self) -> str:
        return SWAP_LABELS[SwapKind(self.kind)]
