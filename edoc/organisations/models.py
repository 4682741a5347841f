"""Organisation (cơ quan, tổ chức) and Unit (đơn vị): who issues documents and in whose name."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.db import UTCDateTime, db, utcnow

# Abbreviations go into ký hiệu (445/KH-LĐLĐ): capital letters (Vietnamese included) and digits only.
ABBREVIATION_RE = re.compile(r"^[A-ZĐÀ-Ỹ0-9]{1,32}$")


class Organisation(db.Model):
    """A body that issues documents: its names as printed in the header, and its abbreviation for ký hiệu."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    """Full name as printed: "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM" (tên cơ quan, tổ chức ban hành)."""
    parent_name: Mapped[str] = mapped_column(String(255), default="")
    """Name of the directly superior body (tên cơ quan chủ quản), printed above the name; may be empty."""
    abbreviation: Mapped[str] = mapped_column(String(32))
    """Chữ viết tắt used in ký hiệu, e.g. "LĐLĐ" in 445/KH-LĐLĐ."""
    place_name: Mapped[str] = mapped_column(String(128))
    """Địa danh of the date line, e.g. "Gia Lâm"."""
    organ_id: Mapped[str] = mapped_column(String(64), default="")
    """edXML OrganId (mã định danh) used in electronic exchange (QCVN 102)."""
    email: Mapped[str] = mapped_column(String(255), default="")
    seal_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", use_alter=True))
    """The red seal image (transparent PNG) used in the organisation's digital-signature appearance."""
    seal_mm: Mapped[float] = mapped_column(default=36.0, server_default="36")
    """The seal's real diameter in millimetres."""
    cong_van_with_unit: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    """Ký hiệu of a công văn: the issuing body's abbreviation plus the drafting unit's (05/BNV-VP), as Appendix I,
    II.3.b prescribes; False gives the organisation's alone (153/LĐLĐ), as some bodies number them."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    units: Mapped[list[Unit]] = relationship(back_populates="organisation", order_by="Unit.name")

    def __repr__(self) -> str:
        return f"<Organisation {self.abbreviation}>"


class Unit(db.Model):
    """A unit inside an organisation (phòng, ban, văn phòng); its abbreviation appears in ký hiệu and "Lưu: VT, VP"."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("organisation_id", "abbreviation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    abbreviation: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation] = relationship(back_populates="units")

    def __repr__(self) -> str:
        return f"<Unit {self.abbreviation}>"
