"""Changes to an organisation and its units, each validated, authorised and audited.

Here beside the admin's pages rather than in ``edoc.organisations``: the organisation's models sit below
accounts (a person belongs to one), while changing them needs accounts (who may: its admins)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.accounts.policy import require_admin_of
from edoc.audit.service import diff, record
from edoc.core.db import commit, db, get_in
from edoc.core.errors import Conflict, ValidationFailed
from edoc.core.text import clean
from edoc.organisations.models import ABBREVIATION_RE, Organisation, Unit


@dataclass
class OrganisationData:
    name: str
    parent_name: str
    abbreviation: str
    place_name: str
    organ_id: str = ""
    email: str = ""


def _snapshot(org: Organisation) -> dict[str, object]:
    return {"name": org.name, "parent_name": org.parent_name, "abbreviation": org.abbreviation,
            "place_name": org.place_name, "organ_id": org.organ_id, "email": org.email}


def _validate_abbreviation(value: str, field: str) -> str:
    value = clean(value)
    if not ABBREVIATION_RE.match(value):
        raise ValidationFailed("Chữ viết tắt chỉ gồm chữ in hoa và số, không dấu cách (ví dụ: LĐLĐ, VP).",
                               field=field)
    return value


def validate_organisation(data: OrganisationData) -> OrganisationData:
    data.name = clean(data.name)
    data.parent_name = clean(data.parent_name)
    data.place_name = clean(data.place_name)
    data.organ_id = clean(data.organ_id)
    data.email = clean(data.email)
    if not data.name:
        raise ValidationFailed("Tên cơ quan không được để trống.", field="name")
    if not data.place_name:
        raise ValidationFailed("Địa danh (dùng ở dòng ngày tháng) không được để trống.", field="place_name")
    data.abbreviation = _validate_abbreviation(data.abbreviation, "abbreviation")
    if data.organ_id and not re.match(r"^[A-Za-z0-9.\-]{1,64}$", data.organ_id):
        raise ValidationFailed("Mã định danh (OrganId) chỉ gồm chữ, số, dấu chấm và gạch ngang.", field="organ_id")
    return data


def create_organisation(data: OrganisationData) -> Organisation:
    """Used by the command line (installation and demo), which has no acting user."""
    data = validate_organisation(data)
    org = Organisation(**vars(data))
    db.session.add(org)
    record("organisation.create", org, changes=_snapshot(org))
    return org


def update_organisation(actor: User, org: Organisation, data: OrganisationData) -> Organisation:
    require_admin_of(actor, org)
    data = validate_organisation(data)
    before = _snapshot(org)
    for key, value in vars(data).items():
        setattr(org, key, value)
    changes = diff(before, _snapshot(org))
    if changes:
        record("organisation.update", org, actor=actor, changes=changes, organisation_id=org.id)
        commit()
    return org


def save_unit(actor: User | None, org: Organisation, name: str, abbreviation: str, *,
              unit: Unit | None = None, active: bool = True) -> Unit:
    if actor is not None:
        require_admin_of(actor, org)
    name = clean(name)
    if not name:
        raise ValidationFailed("Tên đơn vị không được để trống.", field="name")
    abbreviation = _validate_abbreviation(abbreviation, "abbreviation")
    clash = db.session.execute(
        select(Unit.id).where(Unit.organisation_id == org.id, Unit.abbreviation == abbreviation)
    ).scalar_one_or_none()
    if clash is not None and (unit is None or clash != unit.id):
        raise Conflict(f"Chữ viết tắt “{abbreviation}” đã dùng cho đơn vị khác.", field="abbreviation")
    if unit is None:
        unit = Unit(organisation_id=org.id, name=name, abbreviation=abbreviation, active=active)
        db.session.add(unit)
        record("unit.create", unit, actor=actor, changes={"name": name, "abbreviation": abbreviation})
    else:
        before = {"name": unit.name, "abbreviation": unit.abbreviation, "active": unit.active}
        unit.name, unit.abbreviation, unit.active = name, abbreviation, active
        changes = diff(before, {"name": name, "abbreviation": abbreviation, "active": active})
        if changes:
            record("unit.update", unit, actor=actor, changes=changes)
    if actor is not None:
        commit()
    return unit


def get_unit_in(org: Organisation, unit_id: int) -> Unit:
    return get_in(Unit, unit_id, org.id, "Không tìm thấy đơn vị.")


def set_numbering_options(actor: User, org: Organisation, *, cong_van_with_unit: bool) -> Organisation:
    """How the organisation writes a công văn's ký hiệu: with the drafting unit (05/BNV-VP, as Appendix I,
    II.3.b says), or its own abbreviation alone (153/LĐLĐ). Drafts made afterwards follow it; what is already
    drafted keeps the ký hiệu it prints."""
    require_admin_of(actor, org)
    if org.cong_van_with_unit != cong_van_with_unit:
        record("organisation.update", org, actor=actor, organisation_id=org.id,
               changes={"cong_van_with_unit": [org.cong_van_with_unit, cong_van_with_unit]})
        org.cong_van_with_unit = cong_van_with_unit
    commit()
    return org
