"""Changes to the directory of outside organisations (danh bạ): the organisations documents are sent to, and
(incoming documents) received from."""

from __future__ import annotations

import re

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.contacts.models import Contact
from edoc.contacts.policy import can_manage
from edoc.core.db import commit, db, get_in
from edoc.core.errors import NotAllowed, ValidationFailed
from edoc.core.text import clean


def _require_manager(actor: User | None, organisation_id: int) -> None:
    if actor is not None and (not can_manage(actor) or actor.organisation_id != organisation_id):
        raise NotAllowed("Danh bạ nơi nhận do văn thư hoặc quản trị viên quản lý.")


def _checked(name: str, short_name: str, organ_id: str, email: str) -> tuple[str, str, str, str]:
    name, short_name, organ_id, email = clean(name), clean(short_name), clean(organ_id), clean(email)
    if not name:
        raise ValidationFailed("Tên cơ quan nhận không được để trống.", field="name")
    if len(name) > 255 or len(short_name) > 255:
        raise ValidationFailed("Tên quá dài (tối đa 255 ký tự).", field="name")
    if email and (len(email) > 255 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email)):
        raise ValidationFailed("Địa chỉ e-mail không hợp lệ.", field="email")
    if organ_id and not re.match(r"^[A-Za-z0-9.\-]{1,64}$", organ_id):
        raise ValidationFailed("Mã định danh (OrganId) chỉ gồm chữ, số, dấu chấm và gạch ngang.", field="organ_id")
    return name, short_name, organ_id, email


def add_contact(actor: User, organisation_id: int, name: str, *, short_name: str = "", organ_id: str = "",
                email: str = "") -> Contact:
    """A clerk or admin adds an organisation to the directory (the page's and the API's change of state)."""
    contact = create_contact(actor, organisation_id, name, short_name=short_name, organ_id=organ_id, email=email)
    commit()
    return contact


def create_contact(actor: User | None, organisation_id: int, name: str, *, short_name: str = "",
                   organ_id: str = "", email: str = "") -> Contact:
    """Write a new directory entry in the caller's transaction (``add_contact``; an incoming document naming a
    new sender; the demo)."""
    _require_manager(actor, organisation_id)
    name, short_name, organ_id, email = _checked(name, short_name, organ_id, email)
    contact = Contact(organisation_id=organisation_id, name=name, short_name=short_name, organ_id=organ_id,
                      email=email)
    db.session.add(contact)
    record("contact.create", contact, actor=actor, changes={"name": name, "organ_id": organ_id})
    return contact


def update_contact(actor: User, contact: Contact, *, name: str, short_name: str, organ_id: str, email: str,
                   active: bool) -> Contact:
    """Drafts already made keep the label they print; a contact no longer used is deactivated, never deleted
    (issued documents point at it)."""
    _require_manager(actor, contact.organisation_id)
    name, short_name, organ_id, email = _checked(name, short_name, organ_id, email)
    before = {"name": contact.name, "short_name": contact.short_name, "organ_id": contact.organ_id,
              "email": contact.email, "active": contact.active}
    contact.name, contact.short_name, contact.organ_id, contact.email = name, short_name, organ_id, email
    contact.active = active
    after = {"name": name, "short_name": short_name, "organ_id": organ_id, "email": email, "active": active}
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if changes:
        record("contact.update", contact, actor=actor, changes=changes)
    commit()
    return contact


def get_contact_in(organisation_id: int, contact_id: int) -> Contact:
    """Another organisation's directory entry is unknown here, like one that does not exist."""
    return get_in(Contact, contact_id, organisation_id, "Không tìm thấy nơi nhận trong danh bạ.")


def contacts_of(organisation_id: int, *, include_inactive: bool = False) -> list[Contact]:
    query = select(Contact).where(Contact.organisation_id == organisation_id)
    if not include_inactive:
        query = query.where(Contact.active.is_(True))
    return list(db.session.execute(query.order_by(Contact.name)).scalars())
