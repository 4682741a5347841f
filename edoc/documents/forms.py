"""The draft form. Recipients are chosen as tokens "unit:ID", "user:ID", "external:ID" per purpose."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from edoc.accounts.models import User
from edoc.core.errors import ValidationFailed
from edoc.core.forms import options, parse_id, parse_optional_id
from edoc.documents.drafting import DraftData, RecipientData
from edoc.documents.models import Authority, OutgoingDocument, Secrecy, Urgency
from edoc.registers.types import DOCUMENT_TYPES, TypeKind


def type_choices() -> list[SelectChoice]:
    return options((t.code, t.name) for t in DOCUMENT_TYPES.values() if t.kind is not TypeKind.COPY)


class DraftForm(FlaskForm):
    type_code = SelectField("Loại văn bản", choices=type_choices, validate_choice=False)
    summary = TextAreaField("Trích yếu nội dung", validators=[Length(max=1000)])
    body = TextAreaField("Nội dung", validators=[Length(max=200_000)])
    secrecy = SelectField("Độ mật", choices=options((s.value, s.value or "Không") for s in Secrecy),
                          validate_choice=False)
    urgency = SelectField("Độ khẩn", choices=options((u.value, u.value or "Thường") for u in Urgency),
                          validate_choice=False)
    drafting_unit_id = SelectField("Đơn vị soạn thảo", validate_choice=False)
    register_id = SelectField("Sổ đăng ký (cơ quan ban hành, ký hiệu)", validate_choice=False)
    signer_id = SelectField("Người ký", validate_choice=False)
    signer_authority = SelectField("Thẩm quyền ký",
                                   choices=options((a.value, a.value or "Ký trực tiếp") for a in Authority),
                                   validate_choice=False)
    signer_authority_line = StringField("Ký thay mặt / ký thay cho", validators=[Length(max=255)])
    signer_title = StringField("Chức vụ người ký (in trên văn bản)", validators=[Length(max=255)])
    kinh_gui = TextAreaField("Kính gửi (thêm, mỗi dòng một nơi)", validators=[Length(max=5000)])
    recipients_act = SelectMultipleField("Nơi nhận để thực hiện (Kính gửi)", validate_choice=False)
    recipients_info = SelectMultipleField("Nơi nhận để biết, để báo cáo, để giám sát", validate_choice=False)
    recipients_archive = SelectMultipleField("Lưu (ngoài văn thư)", validate_choice=False)
    readers = SelectMultipleField("Người xem và góp ý dự thảo", validate_choice=False)
    copies = IntegerField("Số lượng bản", default=1, validators=[Optional(), NumberRange(1, 1000)])
    source = FileField("Hoặc tải lên tệp dự thảo (DOCX hoặc PDF)")
    note = StringField("Ghi chú phiên bản", validators=[Length(max=500)])
    base_version = HiddenField()
    """The version the form was opened on: saving over a later one is refused (``drafting.DraftChanged``)."""

    def set_choices(self, units: list, leaders: list[User], users: list[User], contacts: list,
                    registers: list | None = None) -> None:
        self.drafting_unit_id.choices = options([("", "—"), *((str(u.id), u.name) for u in units)])
        self.register_id.choices = options([("", "Sổ văn bản đi (văn bản mật: sổ văn bản mật)"), *(
            (str(r.id), f"{r.name} — {r.issuer_name or r.organisation.name}, ký hiệu …-{r.issuer()}")
            for r in registers or [])])
        self.signer_id.choices = options([("", "— Chọn người ký —"),
                                          *((str(u.id), f"{u.full_name} ({u.title})") for u in leaders)])
        recipients = options([(f"unit:{u.id}", f"Đơn vị: {u.name}") for u in units]
                             + [(f"external:{c.id}", f"Bên ngoài: {c.short_name or c.name}") for c in contacts]
                             + [(f"user:{u.id}", f"Cá nhân: {u.full_name}") for u in users])
        self.recipients_act.choices = recipients
        self.recipients_info.choices = recipients
        self.recipients_archive.choices = [o for o in recipients if not o.value.startswith("external:")]
        self.readers.choices = options((str(u.id), f"{u.full_name} — {u.title}") for u in users)

    def fill_from(self, doc: OutgoingDocument) -> None:
        self.type_code.data, self.summary.data, self.body.data = doc.type_code, doc.summary, doc.body
        self.secrecy.data, self.urgency.data = doc.secrecy, doc.urgency
        self.drafting_unit_id.data = str(doc.drafting_unit_id or "")
        self.register_id.data = str(doc.register_id or "")
        self.signer_id.data = str(doc.signer_id or "")
        self.signer_authority.data = doc.signer_authority
        self.signer_authority_line.data, self.signer_title.data = doc.signer_authority_line, doc.signer_title
        self.kinh_gui.data, self.copies.data = doc.kinh_gui, doc.copies
        tokens = {r.purpose: [] for r in doc.recipients}
        for r in doc.recipients:
            ident = {"unit": r.unit_id, "user": r.user_id, "external": r.contact_id}[r.kind]
            tokens.setdefault(r.purpose, []).append(f"{r.kind}:{ident}")
        self.recipients_act.data = tokens.get("act", [])
        self.recipients_info.data = tokens.get("info", [])
        self.recipients_archive.data = tokens.get("archive", [])
        self.readers.data = [str(r.user_id) for r in doc.readers]
        self.base_version.data = str(len(doc.versions))

    def to_data(self) -> DraftData:
        recipients = [*_recipients(self.recipients_act.data, "act"), *_recipients(self.recipients_info.data, "info"),
                      *_recipients(self.recipients_archive.data, "archive")]
        return DraftData(
            type_code=self.type_code.data or "", summary=self.summary.data or "", body=self.body.data or "",
            secrecy=self.secrecy.data or "", urgency=self.urgency.data or "",
            drafting_unit_id=parse_optional_id(self.drafting_unit_id.data, field="drafting_unit_id"),
            register_id=parse_optional_id(self.register_id.data, field="register_id"),
            signer_id=parse_optional_id(self.signer_id.data, field="signer_id"),
            signer_authority=self.signer_authority.data or "",
            signer_authority_line=self.signer_authority_line.data or "",
            signer_title=self.signer_title.data or "", kinh_gui=self.kinh_gui.data or "",
            copies=self.copies.data or 1, recipients=recipients,
            reader_ids=[parse_id(r, field="readers") for r in self.readers.data or []],
            note=self.note.data or "",
        )


def _recipients(tokens: list[str] | None, purpose: str) -> list[RecipientData]:
    result = []
    for token in tokens or []:
        kind, _, ident = str(token).partition(":")
        if kind not in {"unit", "user", "external"}:
            raise ValidationFailed("Nơi nhận không hợp lệ.", field="recipients")
        value = parse_id(ident, field="recipients")
        result.append(RecipientData(kind=kind, purpose=purpose, unit_id=value if kind == "unit" else None,
                                    user_id=value if kind == "user" else None,
                                    contact_id=value if kind == "external" else None))
    return result
