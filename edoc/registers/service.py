"""Configuring registers: the organisation's series of numbers (their rows: ``edoc.registers.entries``)."""

from __future__ import annotations

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db
from edoc.core.errors import ValidationFailed
from edoc.core.text import clean
from edoc.organisations.models import ABBREVIATION_RE, Organisation
from edoc.registers import policy
from edoc.registers.models import Register, RegisterKind

DEFAULT_REGISTERS = [
    (RegisterKind.OUTGOING, "Sổ đăng ký văn bản đi", "", ""),
    (RegisterKind.SECRET, "Sổ đăng ký văn bản mật đi", "", ""),
    (RegisterKind.COPIES, "Sổ đăng ký bản sao văn bản", "", ""),
    (RegisterKind.INCOMING, "Sổ đăng ký văn bản đến", "", ""),
]


def add_register(actor: User, org: Organisation, kind: str, name: str, *, issuer_abbreviation: str = "",
                 issuer_name: str = "") -> Register:
    """An admin adds a register to their organisation (the page's and the API's change of state)."""
    register = create_register(actor, org, kind, name, issuer_abbreviation=issuer_abbreviation,
                               issuer_name=issuer_name)
    commit()
    return register


def create_register(actor: User | None, org: Organisation, kind: str, name: str, *,
                    issuer_abbreviation: str = "", issuer_name: str = "") -> Register:
    """Write a new register in the caller's transaction (``add_register``, and the default registers an
    organisation is set up with)."""
    if actor is not None:
        policy.require_manager(actor, org)
    try:
        kind_enum = RegisterKind(kind)
    except ValueError:
        raise ValidationFailed("Loại sổ không hợp lệ.", field="kind") from None
    name = clean(name)
    if not name:
        raise ValidationFailed("Tên sổ không được để trống.", field="name")
    issuer_abbreviation = clean(issuer_abbreviation)
    if kind_enum is RegisterKind.ADVISORY:
        if not issuer_abbreviation:
            raise ValidationFailed("Sổ của Hội đồng/Ban/Tổ cần chữ viết tắt tên Hội đồng/Ban/Tổ.",
                                   field="issuer_abbreviation")
        _check_abbreviation(issuer_abbreviation)
        if not clean(issuer_name):
            raise ValidationFailed("Ghi tên đầy đủ của Hội đồng/Ban/Tổ (in ở phần tên cơ quan ban hành).",
                                   field="issuer_name")
    elif issuer_abbreviation:
        raise ValidationFailed("Chỉ sổ của Hội đồng/Ban/Tổ có chữ viết tắt riêng.", field="issuer_abbreviation")
    register = Register(organisation_id=org.id, kind=kind_enum.value, name=name,
                        issuer_abbreviation=issuer_abbreviation, issuer_name=clean(issuer_name).upper())
    db.session.add(register)
    record("register.create", register, actor=actor, changes={"kind": kind_enum.value, "name": name})
    return register


def update_register(actor: User, register: Register, *, name: str, active: bool, issuer_abbreviation: str = "",
                    issuer_name: str = "") -> Register:
    """Rename, (de)activate, or change an advisory body's abbreviation and name. The kind never changes: a
    register's numbers belong to its series. Documents already drafted keep the ký hiệu they print."""
    policy.require_manager(actor, register.organisation)
    name = clean(name)
    if not name:
        raise ValidationFailed("Tên sổ không được để trống.", field="name")
    abbreviation = clean(issuer_abbreviation)
    if register.kind_enum is RegisterKind.ADVISORY:
        if not abbreviation:
            raise ValidationFailed("Sổ của Hội đồng/Ban/Tổ cần chữ viết tắt tên Hội đồng/Ban/Tổ.",
                                   field="issuer_abbreviation")
        _check_abbreviation(abbreviation)
    elif abbreviation:
        raise ValidationFailed("Chỉ sổ của Hội đồng/Ban/Tổ có chữ viết tắt riêng.", field="issuer_abbreviation")
    before = {"name": register.name, "active": register.active, "issuer_abbreviation": register.issuer_abbreviation,
              "issuer_name": register.issuer_name}
    register.name, register.active = name, active
    register.issuer_abbreviation, register.issuer_name = abbreviation, clean(issuer_name).upper()
    after = {"name": register.name, "active": register.active, "issuer_abbreviation": register.issuer_abbreviation,
             "issuer_name": register.issuer_name}
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if changes:
        record("register.update", register, actor=actor, changes=changes)
    commit()
    return register


def _check_abbreviation(value: str) -> None:
    if not ABBREVIATION_RE.match(value):
        raise ValidationFailed("Chữ viết tắt chỉ gồm chữ in hoa và số, không dấu cách (ví dụ: HĐTĐKT).",
                               field="issuer_abbreviation")


def register_json(register: Register) -> dict[str, object]:
    return {"id": register.id, "name": register.name, "kind": register.kind, "kind_label": register.kind_label,
            "active": register.active, "issuer_abbreviation": register.issuer_abbreviation or None,
            "issuer_name": register.issuer_name or None, "issuer": register.issuer()}


KIND_FOR_TYPE = {"administrative": (RegisterKind.OUTGOING, RegisterKind.SECRET, RegisterKind.ADVISORY),
                 "cong_van": (RegisterKind.OUTGOING, RegisterKind.SECRET, RegisterKind.ADVISORY),
                 "copy": (RegisterKind.COPIES,)}
"""Which registers number each kind of document type (``edoc.registers.types.TypeKind``)."""


def ensure_default_registers(org: Organisation) -> list[Register]:
    existing = {r.kind for r in db.session.execute(select(Register).where(Register.organisation_id == org.id))
                .scalars()}
    made = []
    for kind, name, abbr, issuer in DEFAULT_REGISTERS:
        if kind.value not in existing:
            made.append(create_register(None, org, kind.value, name, issuer_abbreviation=abbr, issuer_name=issuer))
    return made


def registers_of(org_id: int, *, outgoing_only: bool = False) -> list[Register]:
    query = select(Register).where(Register.organisation_id == org_id).order_by(Register.id)
    rows = list(db.session.execute(query).scalars())
    if outgoing_only:
        rows = [r for r in rows if r.kind_enum not in {RegisterKind.INCOMING, RegisterKind.COPIES}]
    return rows
