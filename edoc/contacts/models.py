"""The directory of outside organisations (danh bạ): the senders of incoming documents and the recipients of
outgoing ones."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import db


class Contact(db.Model):
    """An external organisation in an organisation's directory (danh bạ nơi nhận)."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str] = mapped_column(String(255), default="")
    """As printed in Nơi nhận, e.g. "UBND thành phố Hà Nội"."""
    organ_id: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
