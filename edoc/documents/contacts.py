"""The directory of external organisations (danh bạ nơi nhận) an organisation sends documents to."""

from __future__ import annotations

import re

from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.core.db import db
from edoc.core.errors import NotAllowed, ValidationFailed
from edoc.core.text import clean
from edoc.documents.models import Contact


def create_contact(actor: User | None, organisation_id: int, name: str, *, short_name: str = "",
                   organ_id: str = "", email: str = "") -> Contact:
    if actor is not None and not (actor.has_role(Role.CLERK) or actor.has_role(Role.ADMIN)):
        raise NotAllowed("Danh bạ nơi nhận do văn thư hoặc quản trị viên quản lý.")
    name, short_name, organ_id, email = clean(name), clean(short_name), clean(organ_id), clean(email)
    if not name:
        raise ValidationFailed("Tên cơ quan nhận không được để trống.", field="name")
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise ValidationFailed("Địa chỉ e-mail không hợp lệ.", field="email")
    contact = Contact(organisation_id=organisation_id, name=name, short_name=short_name, organ_id=organ_id,
                      email=email)
    db.session.add(contact)
    record("contact.create", contact, actor=actor, changes={"name": name, "organ_id": organ_id})
    return contact


def contacts_of(organisation_id: int) -> list[Contact]:
    return list(db.session.execute(
        select(Contact).where(Contact.organisation_id == organisation_id, Contact.active.is_(True))
        .order_by(Contact.name)).scalars())
