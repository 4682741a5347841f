"""The demo organisation, modelled on 445/KH-LĐLĐ: Liên đoàn Lao động huyện Gia Lâm. Idempotent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from edoc.accounts import passwords
from edoc.accounts.models import Role, User
from edoc.admin.organisations import OrganisationData, create_organisation, save_unit
from edoc.audit.service import record
from edoc.contacts.service import contacts_of, create_contact
from edoc.core.db import commit, db
from edoc.documents import actions, drafting, review, sources
from edoc.documents.models import OutgoingDocument
from edoc.documents.signing import sign_one
from edoc.files.service import store_bytes
from edoc.organisations.models import Organisation, Unit
from edoc.registers.models import RegisterKind
from edoc.registers.service import create_register, ensure_default_registers, registers_of
from edoc.rendering.samples import sample_text
from edoc.signatures.credentials import active_credential, save_credential
from edoc.signatures.devca import DEMO_PIN, load_or_create_ca, seal_png, signature_png
from edoc.signatures.trust import add_trusted_root

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
    commit()
    return DemoResult(org, users, created)


PARENT_ORGAN_ID = "000.00.00.H26.LDLD"
"""The parent body's mã định danh: the Gia Lâm directory's entry for it carries the same, so what Gia Lâm issues to it
arrives in its incoming queue on this installation (``edoc.incoming.delivery``)."""
PARENT_UNITS = [("Văn phòng", "VP"), ("Ban Chính sách - Pháp luật", "CSPL")]
PARENT_USERS = [
    ("quantri.hn", "Vũ Đức Anh", "Chuyên viên công nghệ thông tin", "VP", {Role.ADMIN}),
    ("vanthu.hn", "Bùi Thị Hồng", "Văn thư", "VP", {Role.CLERK}),
    ("chutich.hn", "Phạm Văn Đông", "CHỦ TỊCH", None, {Role.LEADER}),
    ("truongban.hn", "Ngô Thanh Tùng", "Trưởng ban Chính sách - Pháp luật", "CSPL", {Role.LEADER}),
    ("chuyenvien.hn", "Đặng Thu Trang", "Chuyên viên", "CSPL", {Role.SPECIALIST}),
]


def load_demo_parent(password: str = DEMO_PASSWORD) -> DemoResult:
    """The parent body, Liên đoàn Lao động thành phố Hà Nội, on the same installation with its clerk, chair, a head
    of unit and a specialist: the plan Gia Lâm issues to it reaches its incoming queue. It trusts the development
    CA, so the plan's signatures validate there too. Idempotent."""
    from cryptography.hazmat.primitives import serialization

    org = db.session.execute(select(Organisation).where(Organisation.organ_id == PARENT_ORGAN_ID)
                             ).scalar_one_or_none()
    created = org is None
    if org is None:
        org = create_organisation(OrganisationData(
            name="LIÊN ĐOÀN LAO ĐỘNG THÀNH PHỐ HÀ NỘI", parent_name="TỔNG LIÊN ĐOÀN LAO ĐỘNG VIỆT NAM",
            abbreviation="LĐLĐ", place_name="Hà Nội", organ_id=PARENT_ORGAN_ID, email="vanthu@ldldhanoi.example.vn"))
        db.session.flush()
        ensure_default_registers(org)
        add_trusted_root(None, org, load_or_create_ca().certificate.public_bytes(serialization.Encoding.DER),
                         "edoc DEVELOPMENT CA (không có giá trị pháp lý)")
    units: dict[str, Unit] = {u.abbreviation: u for u in org.units}
    for name, abbreviation in PARENT_UNITS:
        if abbreviation not in units:
            units[abbreviation] = save_unit(None, org, name, abbreviation)
    db.session.flush()
    users: list[User] = []
    for username, full_name, title, unit_abbr, roles in PARENT_USERS:
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            user = User(organisation_id=org.id, username=username, full_name=full_name, title=title,
                        unit_id=units[unit_abbr].id if unit_abbr else None,
                        email=f"{username.replace('.hn', '')}@ldldhanoi.example.vn",
                        password_hash=passwords.hash_password(password))
            user.roles = roles
            db.session.add(user)
            record("user.create", user, changes={"username": username, "roles": sorted(roles), "source": "demo"})
        users.append(user)
    commit()
    return DemoResult(org, users, created)


CONTACTS = [
    ("Liên đoàn Lao động thành phố Hà Nội", "LĐLĐ thành phố Hà Nội", "000.00.00.H26.LDLD",
     "vanthu@ldldhanoi.example.vn"),
    ("Huyện ủy Gia Lâm", "Huyện ủy Gia Lâm", "000.00.01.H26", "vanthu@huyenuygialam.example.vn"),
    ("Ủy ban nhân dân huyện Gia Lâm", "UBND huyện Gia Lâm", "000.00.02.H26", "vanthu@gialam.example.vn"),
    ("Công đoàn cơ sở Công ty Vận tải Gia Lâm", "CĐCS Công ty Vận tải Gia Lâm", "", "congdoan@vantaigl.example.vn"),
]


def _demo_registers_and_contacts(org: Organisation) -> None:
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

    ca = load_or_create_ca()
    add_trusted_root(None, org, ca.certificate.public_bytes(serialization.Encoding.DER),
                     "edoc DEVELOPMENT CA (không có giá trị pháp lý)")
    admin = next(u for u in users if u.has_role(Role.ADMIN))
    for user in users:
        if not (user.has_role(Role.LEADER) or user.has_role(Role.SECRETARY)):  # the secretary signs minutes (THƯ KÝ)
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


DemoStep = Callable[[Organisation], list[str]]
_extras: list[DemoStep] = []


def register_extra(step: DemoStep) -> None:
    """A package built on edoc (meetings) adds its own demo data, run by ``edoc demo`` after the documents, in the
    order registered; each step is idempotent and returns one line per thing made, for the command to print."""
    if step not in _extras:
        _extras.append(step)


def load_demo_extras(org: Organisation) -> list[str]:
    made: list[str] = []
    for step in _extras:
        made.extend(step(org))
    return made


def load_demo_documents(org: Organisation) -> list[str]:
    """Outgoing documents at each step of their way, so that every demo user finds something waiting when they
    sign in: a plan modelled on 445/KH-LĐLĐ (numbered 01 in the demo's register) issued (signed by the chair,
    numbered and sealed by the clerk, delivered), a notice approved and waiting for the chair's digital
    signature, a công văn waiting for the deputy chair's approval, a report returned to its drafter. Only for an
    organisation with no document yet, so a second run adds nothing. Returns one line per document made, for
    ``edoc demo`` to print. With SMTP configured, the plan's e-mail to its external recipient is a queued job
    (``edoc.documents.dispatch``): a caller about to exit runs it first (``jobs.drain``)."""
    if db.session.execute(select(OutgoingDocument.id).where(OutgoingDocument.organisation_id == org.id)).first():
        return []
    people = {u.username: u for u in db.session.execute(select(User).where(User.organisation_id == org.id))
              .scalars()}
    units = {u.abbreviation: u.id for u in org.units}
    hanoi = next(c.id for c in contacts_of(org.id) if c.short_name == "LĐLĐ thành phố Hà Nội")
    party = next(c.id for c in contacts_of(org.id) if c.short_name == "Huyện ủy Gia Lâm")
    chair, clerk = people["chutich"], people["vanthu"]
    Recipient = drafting.RecipientData
    made: list[str] = []

    def draft(drafter: str, data: drafting.DraftData) -> OutgoingDocument:
        doc = drafting.create_draft(people[drafter], data)
        sources.render_version(doc)
        commit()
        return doc

    plan = draft("thuky", drafting.DraftData(
        type_code="KH", drafting_unit_id=units["VP"], signer_id=chair.id, signer_authority="TM.",
        signer_authority_line="BAN THƯỜNG VỤ",
        summary=("Thực hiện Chỉ thị 15 - CT/TU ngày 16/12/2016 của Ban Thường vụ Thành ủy về \"Tăng cường sự lãnh "
                 "đạo của các cấp ủy đảng đối với công tác tiếp công dân và giải quyết khiếu nại, tố cáo trên địa "
                 "bàn thành phố Hà Nội\""),
        body=sample_text("445-KH-LDLD.txt"),
        recipients=[Recipient("user", "info", user_id=people["phochutich"].id, label="Thường trực LĐLĐ huyện"),
                    Recipient("unit", "info", unit_id=units["UBKT"], label="UV BCH, UBKT LĐLĐ huyện"),
                    Recipient("user", "act", user_id=people["daibieu"].id, label="CĐCS trực thuộc LĐLĐ huyện"),
                    Recipient("external", "info", contact_id=hanoi),
                    Recipient("external", "info", contact_id=party),
                    Recipient("unit", "archive", unit_id=units["VP"])]))
    review.submit(people["thuky"], plan)
    review.approve(chair, plan)
    commit()
    sign_one(chair, plan, DEMO_PIN)
    commit()
    actions.issue_document(clerk, plan)
    made.append(f"Đã ban hành: {plan.reference} (ký số, số và đóng dấu điện tử) — {plan.summary[:60]}…")

    notice = draft("chuyenvien", drafting.DraftData(
        type_code="TB", drafting_unit_id=units["TG"], signer_id=chair.id, signer_authority="TM.",
        signer_authority_line="BAN THƯỜNG VỤ", summary="Lịch công tác tháng 12 năm 2026 của Thường trực LĐLĐ huyện",
        body=("Thường trực Liên đoàn Lao động huyện thông báo lịch công tác tháng 12 năm 2026 như sau:\n"
              "- Thứ Hai hằng tuần: giao ban Thường trực.\n"
              "- Ngày 15/12: kiểm tra công tác chăm lo Tết cho đoàn viên, người lao động tại các CĐCS.\n"
              "- Ngày 26/12: Hội nghị tổng kết hoạt động công đoàn năm 2026.\n"
              "Đề nghị các ban, đơn vị chủ động sắp xếp công việc để thực hiện./."),
        recipients=[Recipient("unit", "act", unit_id=units[abbr]) for abbr in ("VP", "TC", "TG", "CSPL")]))
    review.submit(people["chuyenvien"], notice)
    review.approve(chair, notice)
    commit()
    made.append(f"Chờ lãnh đạo ký số, rồi văn thư ban hành: Thông báo {notice.summary}")

    letter = draft("chuyenvien", drafting.DraftData(
        type_code="CV", drafting_unit_id=units["TG"], signer_id=people["phochutich"].id, signer_authority="KT.",
        signer_authority_line="CHỦ TỊCH", signer_title="PHÓ CHỦ TỊCH",
        summary="tổ chức chương trình “Tết Sum vầy” năm 2027",
        kinh_gui="Các công đoàn cơ sở trực thuộc",
        body=("Thực hiện Kế hoạch của Liên đoàn Lao động thành phố Hà Nội về chăm lo Tết cho đoàn viên, người lao "
              "động, Liên đoàn Lao động huyện đề nghị các công đoàn cơ sở:\n"
              "1. Rà soát, lập danh sách đoàn viên, người lao động có hoàn cảnh khó khăn gửi về LĐLĐ huyện "
              "(qua Ban Tuyên giáo) trước ngày 20/12/2026.\n"
              "2. Phối hợp với người sử dụng lao động tổ chức chương trình tại đơn vị.\n"
              "Trân trọng./."),
        recipients=[Recipient("user", "act", user_id=people["daibieu"].id,
                              label="Các công đoàn cơ sở trực thuộc")]))
    review.submit(people["chuyenvien"], letter)
    commit()
    made.append(f"Chờ Phó Chủ tịch duyệt: Công văn V/v {letter.summary}")

    report = draft("chuyenvien", drafting.DraftData(
        type_code="BC", drafting_unit_id=units["TG"], signer_id=chair.id, signer_authority="TM.",
        signer_authority_line="BAN THƯỜNG VỤ", summary="Kết quả hoạt động công đoàn năm 2026",
        body="I. KẾT QUẢ ĐẠT ĐƯỢC\n1. Công tác tuyên truyền\nĐã tổ chức 12 hội nghị tuyên truyền pháp luật.",
        recipients=[Recipient("external", "act", contact_id=hanoi)]))
    review.submit(people["chuyenvien"], report)
    review.return_draft(chair, report, "Bổ sung số liệu quý IV và phần phương hướng năm 2027.")
    commit()
    made.append(f"Trả lại người soạn: Báo cáo {report.summary}")
    return made
