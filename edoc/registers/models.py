"""Register (sổ đăng ký văn bản) and its per-year counter."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.db import db
from edoc.organisations.models import Organisation


class RegisterKind(enum.StrEnum):
    OUTGOING = "outgoing"
    """Sổ đăng ký văn bản đi (general)."""
    SECRET = "secret"
    """Văn bản mật: a separate series."""
    ADVISORY = "advisory"
    """Hội đồng, Ban, Tổ that use the organisation's seal: a series of their own, their own abbreviation."""
    COPIES = "copies"
    """Bản sao (SY, TrS, SL)."""
    INCOMING = "incoming"
    """Sổ đăng ký văn bản đến: số đến, paper and electronic alike."""


REGISTER_KIND_LABELS = {
    RegisterKind.OUTGOING: "Sổ văn bản đi",
    RegisterKind.SECRET: "Sổ văn bản mật",
    RegisterKind.ADVISORY: "Sổ của Hội đồng/Ban/Tổ",
    RegisterKind.COPIES: "Sổ bản sao",
    RegisterKind.INCOMING: "Sổ văn bản đến",
}


class Register(db.Model):
    __tablename__ = "register"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    issuer_abbreviation: Mapped[str] = mapped_column(String(32), default="")
    """For an advisory body: its abbreviation in ký hiệu (e.g. HĐTĐKT); empty means the organisation's."""
    issuer_name: Mapped[str] = mapped_column(String(255), default="")
    """For an advisory body: its name printed as the issuing body."""
    active: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation] = relationship()

    @property
    def kind_enum(self) -> RegisterKind:
        return RegisterKind(self.kind)

    @property
    def kind_label(self) -> str:
        return REGISTER_KIND_LABELS[self.kind_enum]

    def issuer(self) -> str:
        return self.issuer_abbreviation or self.organisation.abbreviation


class RegisterCounter(db.Model):
    """The last number issued in a register in a year. Locked while a number is taken."""

    __tablename__ = "register_counter"
    __table_args__ = (UniqueConstraint("register_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("register.id"), index=True)
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)
