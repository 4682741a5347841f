"""The demo organisation, modelled on 445/KH-LĐLĐ: Liên đoàn Lao động huyện Gia Lâm. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from edoc.accounts import passwords
from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.core.db import db
from edoc.organisations.models import Organisation, Unit
from edoc.organisations.service import OrganisationData, create_organisation, save_unit

DEMO_PASSWORD = "GiaLam@2023"
DEMO_ORGAN_ID = "000.00.00.H26"

UNITS = [
    ("Văn phòng", "VP"),
    ("Ban Tổ chức", "TC"),
    ("Ban Tuyên giáo", "TG"),
    ("Ban Chính sách - Pháp luật", "CSPL"),
    ("Ủy ban Kiểm tra", "UBKT"),
]

# (username, full name, title, unit abbreviation, roles)
USERS = [
    ("quantri", "Lê Minh Quân", "Chuyên viên công nghệ thông tin", "VP", {Role.ADMIN}),
    ("vanthu", "Nguyễn Thị Thu Hà", "Văn thư", "VP", {Role.CLERK}),
    ("chutich", "Nguyễn Văn Hùng", "CHỦ TỊCH", None, {Role.LEADER}),
    ("phochutich", "Trần Thị Lan", "PHÓ CHỦ TỊCH", None, {Role.LEADER}),
    ("chuyenvien", "Phạm Quốc Bảo", "Chuyên viên", "TG", {Role.SPECIALIST}),
    ("thuky", "Đỗ Thị Mai", "Chánh Văn phòng", "VP", {Role.SECRETARY, Role.SPECIALIST}),
    ("daibieu", "Hoàng Văn Nam", "Chủ tịch CĐCS Công ty Vận tải Gia Lâm", None, {Role.DELEGATE}),
]


@dataclass
class DemoResult:
    organisation: Organisation
    users: list[User]
    created: bool


def load_demo(password: str = DEMO_PASSWORD) -> DemoResult:
    org = db.session.execute(select(Organisation).where(Organisation.organ_id == DEMO_ORGAN_ID)).scalar_one_or_none()
    created = org is None
    if org is None:
        org = create_organisation(OrganisationData(
            name="LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM",
            parent_name="LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI",
            abbreviation="LĐLĐ",
            place_name="Gia Lâm",
            organ_id=DEMO_ORGAN_ID,
            email="vanthu@ldldgialam.example.vn",
        ))
        db.session.flush()
    units: dict[str, Unit] = {u.abbreviation: u for u in org.units}
    for name, abbreviation in UNITS:
        if abbreviation not in units:
            units[abbreviation] = save_unit(None, org, name, abbreviation)
    db.session.flush()
    users: list[User] = []
    for username, full_name, title, unit_abbr, roles in USERS:
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            user = User(organisation_id=org.id, username=username, full_name=full_name, title=title,
                        unit_id=units[unit_abbr].id if unit_abbr else None,
                        email=f"{username}@ldldgialam.example.vn",
                        password_hash=passwords.hash_password(password))
            user.roles = roles
            db.session.add(user)
            record("user.create", user, changes={"username": username, "roles": sorted(roles), "source": "demo"})
        users.append(user)
    db.session.flush()
    _demo_registers_and_contacts(org)
    _demo_signatures(org, users)
    db.session.commit()
    return DemoResult(org, users, created)


CONTACTS = [
    ("Liên đoàn Lao động thành phố Hà Nội", "LĐLĐ thành phố Hà Nội", "000.00.00.H26.LDLD",
     "vanthu@ldldhanoi.example.vn"),
    ("Huyện ủy Gia Lâm", "Huyện ủy Gia Lâm", "000.00.01.H26", "vanthu@huyenuygialam.example.vn"),
    ("Ủy ban nhân dân huyện Gia Lâm", "UBND huyện Gia Lâm", "000.00.02.H26", "vanthu@gialam.example.vn"),
    ("Công đoàn cơ sở Công ty Vận tải Gia Lâm", "CĐCS Công ty Vận tải Gia Lâm", "", "congdoan@vantaigl.example.vn"),
]


def _demo_registers_and_contacts(org: Organisation) -> None:
    from edoc.documents.contacts import contacts_of, create_contact
    from edoc.registers.models import RegisterKind
    from edoc.registers.service import create_register, ensure_default_registers, registers_of

    ensure_default_registers(org)
    if not any(r.kind == RegisterKind.ADVISORY.value for r in registers_of(org.id)):
        create_register(None, org, RegisterKind.ADVISORY.value, "Sổ văn bản Hội đồng Thi đua - Khen thưởng",
                        issuer_abbreviation="HĐTĐKT", issuer_name="HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG")
    known = {c.name for c in contacts_of(org.id)}
    for name, short, organ_id, email in CONTACTS:
        if name not in known:
            create_contact(None, org.id, name, short_name=short, organ_id=organ_id, email=email)


def _demo_signatures(org: Organisation, users: list[User]) -> None:
    """Development certificates (NOT legal) for the leaders and the organisation, signature and seal images,
    and the development CA in the trust store. The leaders' signing PIN is printed by ``edoc demo``."""
    from cryptography.hazmat.primitives import serialization

    from edoc.files.service import store_bytes
    from edoc.signatures.credentials import active_credential, save_credential
    from edoc.signatures.devca import DEMO_PIN, load_or_create_ca, seal_png, signature_png
    from edoc.signatures.trust import add_trusted_root

    ca = load_or_create_ca()
    add_trusted_root(None, org, ca.certificate.public_bytes(serialization.Encoding.DER),
                     "edoc DEVELOPMENT CA (không có giá trị pháp lý)")
    admin = next(u for u in users if u.has_role(Role.ADMIN))
    for user in users:
        if not user.has_role(Role.LEADER):
            continue
        if user.signature_file_id is None:
            user.signature_file_id = store_bytes(signature_png(user.full_name), "chu-ky.png", uploader=user,
                                                 purpose="signature-image", media_type="image/png").id
        if active_credential(org.id, user.id) is None:
            save_credential(None, org, ca.issue(user.full_name, organisation=org.name, email=user.email),
                            user=user, pin=DEMO_PIN, source="devca")
    if org.seal_file_id is None:
        org.seal_file_id = store_bytes(seal_png(org.name), "con-dau.png", uploader=admin, purpose="seal-image",
                                       media_type="image/png").id
    if active_credential(org.id, None) is None:
        save_credential(admin, org, ca.issue(org.name, email=org.email), user=None, pin=None, source="devca")
