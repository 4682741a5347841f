"""What the document pages and the API show: the recipients' labels and status, and the JSON shapes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import policy
from edoc.documents.models import Delivery, OutgoingDocument, RecipientKind, RecipientPurpose, Status
from edoc.documents.recall import replaced_by
from edoc.organisations.models import Unit
from edoc.registers.models import Register
from edoc.registers.types import get_type

PURPOSE_LABELS = {RecipientPurpose.ACT.value: "Thực hiện (Kính gửi)",
                  RecipientPurpose.INFO.value: "Để biết, báo cáo, giám sát",
                  RecipientPurpose.ARCHIVE.value: "Lưu"}
DISPATCH_LABELS = {"pending": "Chờ gửi", "sending": "Đang gửi", "sent": "Đã gửi e-mail", "failed": "Gửi lỗi",
                   "manual": "Gửi thủ công", "delivered": "Đã chuyển trên hệ thống",
                   "cancelled": "Không gửi (đã thu hồi)"}


@dataclass
class PersonStatus:
    user_id: int
    name: str
    delivered_at: datetime
    read_at: datetime | None


@dataclass
class RecipientStatus:
    """One Nơi nhận line and, for those who may see it (``policy.can_see_delivery``), how far it got."""

    id: int
    label: str
    kind: str
    purpose: str
    purpose_label: str
    dispatch_status: str | None = None
    dispatch_label: str = ""
    dispatch_note: str = ""
    dispatched_at: datetime | None = None
    people: list[PersonStatus] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return len(self.people)

    @property
    def read(self) -> int:
        return sum(1 for p in self.people if p.read_at is not None)

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "label": self.label, "kind": self.kind, "purpose": self.purpose,
                "dispatch_status": self.dispatch_status, "dispatch_note": self.dispatch_note or None,
                "dispatched_at": self.dispatched_at.isoformat() if self.dispatched_at else None,
                "delivered": self.delivered, "read": self.read,
                "deliveries": [{"user_id": p.user_id, "name": p.name, "delivered_at": p.delivered_at.isoformat(),
                                "read_at": p.read_at.isoformat() if p.read_at else None} for p in self.people]}


def recipient_statuses(user: User, doc: OutgoingDocument) -> tuple[list[RecipientStatus], bool]:
    """The Nơi nhận lines, with delivery and read status when ``user`` may see them; (rows, status shown)."""
    shown = policy.can_see_delivery(user, doc)
    deliveries: dict[int, list[Delivery]] = {}
    if shown:
        for d in db.session.execute(select(Delivery).where(Delivery.document_id == doc.id)
                                    .order_by(Delivery.id)).scalars():
            deliveries.setdefault(d.recipient_id, []).append(d)
    rows = []
    for r in doc.recipients:
        row = RecipientStatus(r.id, r.label, r.kind, r.purpose, PURPOSE_LABELS.get(r.purpose, r.purpose))
        if shown:
            if r.kind == RecipientKind.EXTERNAL:
                row.dispatch_status = r.dispatch_status or None
                row.dispatch_label = DISPATCH_LABELS.get(r.dispatch_status, "—")
                row.dispatch_note, row.dispatched_at = r.dispatch_note, r.dispatched_at
            row.people = [PersonStatus(d.user_id, d.user.full_name, d.delivered_at, d.read_at)
                          for d in deliveries.get(r.id, [])]
        rows.append(row)
    return rows, shown


def document_json(doc: OutgoingDocument, *, replacements: Mapping[int, OutgoingDocument] | None = None
                  ) -> dict[str, Any]:
    """``replacements``: what replaced which, asked once for a whole list (``recall.replacements_of``);
    otherwise asked here for this document alone."""
    return {
        "id": doc.id, "status": doc.status, "type": doc.type_code, "summary": doc.summary,
        "reference": doc.reference if doc.number is not None else None, "number": doc.number,
        "notation": doc.notation, "issued_on": doc.issued_on.isoformat() if doc.issued_on else None,
        "register_id": doc.register_id, "secrecy": doc.secrecy or None, "urgency": doc.urgency or None,
        "drafter_id": doc.drafter_id, "signer_id": doc.signer_id, "versions": len(doc.versions),
        "pdf_file_id": doc.issued_file_id or (doc.current_version.pdf_file_id if doc.current_version else None),
        "replaces_id": doc.replaces_id, "copy_of_id": doc.copy_of_id, "drafting_unit_id": doc.drafting_unit_id,
        "recall_reason": doc.recall_reason or None, "replaced_by": _replaced_by(doc, replacements),
        # how the signer signed it: "digital", "paper" (ký trên giấy: issued from the scan of its paper original)
        # or None while nobody has
        "signature": "digital" if doc.signed_file_id else ("paper" if doc.paper_scan_file_id else None),
        "signed_on_paper": doc.signed_on_paper, "paper_scan_file_id": doc.paper_scan_file_id,
    }


def _replaced_by(doc: OutgoingDocument, replacements: Mapping[int, OutgoingDocument] | None
                 ) -> dict[str, Any] | None:
    """The số, ký hiệu that replaced it (its recipients were told that number), and its id."""
    if doc.status != Status.REPLACED.value:
        return None
    by = replacements.get(doc.id) if replacements is not None else replaced_by(doc)
    return {"id": by.id, "reference": by.reference} if by is not None else None


# --- two versions of a draft side by side (a save refused because another was saved meanwhile) -------------

DRAFT_LABELS = {
    "type_code": "Loại văn bản", "summary": "Trích yếu", "body": "Nội dung", "secrecy": "Độ mật",
    "urgency": "Độ khẩn", "drafting_unit_id": "Đơn vị soạn thảo", "register_id": "Sổ đăng ký",
    "signer_id": "Người ký", "signer_authority": "Thẩm quyền ký", "signer_authority_line": "Ký thay mặt / ký thay cho",
    "signer_title": "Chức vụ người ký", "kinh_gui": "Kính gửi (thêm)", "copies": "Số lượng bản",
    "recipients": "Nơi nhận", "reader_ids": "Người xem và góp ý",
}
"""The draft's fields as the form names them, in the form's order."""


@dataclass(frozen=True)
class DraftDifference:
    label: str
    theirs: str
    yours: str


def _shown(key: str, value: Any) -> str:
    """A draft field's value as a person reads it: names for ids, the type's name, recipients' labels."""
    if value in (None, "", []):
        return "—"
    if key == "type_code":
        doc_type = get_type(str(value))
        return doc_type.name if doc_type else str(value)
    if key in {"signer_id", "drafting_unit_id", "register_id"}:
        row = db.session.get({"signer_id": User, "drafting_unit_id": Unit, "register_id": Register}[key], int(value))
        return getattr(row, "full_name", None) or getattr(row, "name", "") if row is not None else "—"
    if key == "reader_ids":
        users = [db.session.get(User, int(i)) for i in value]
        return ", ".join(u.full_name for u in users if u is not None)
    if key == "recipients":
        lines = []
        for r in value:
            r = r if isinstance(r, Mapping) else vars(r)
            label = r.get("label") or ""
            if not label:
                target = {"unit": r.get("unit_id"), "user": r.get("user_id"), "external": r.get("contact_id")}
                label = f"{r.get('kind')} #{target.get(str(r.get('kind')))}"
                if r.get("kind") == "unit" and r.get("unit_id"):
                    unit = db.session.get(Unit, int(r["unit_id"]))
                    label = unit.name if unit else label
                elif r.get("kind") == "user" and r.get("user_id"):
                    user = db.session.get(User, int(r["user_id"]))
                    label = user.full_name if user else label
            lines.append(f"{label} ({PURPOSE_LABELS.get(str(r.get('purpose')), r.get('purpose'))})")
        return "\n".join(lines)
    return str(value)


def draft_differences(theirs: Mapping[str, Any], yours: Mapping[str, Any]) -> list[DraftDifference]:
    """The fields where the saved version (``theirs``, a version's snapshot) and the one being typed (``yours``)
    differ, each as both read them."""
    rows = []
    for key, label in DRAFT_LABELS.items():
        a, b = _shown(key, theirs.get(key)), _shown(key, yours.get(key))
        if " ".join(a.split()).casefold() != " ".join(b.split()).casefold():
            rows.append(DraftDifference(label, a, b))
    return rows
