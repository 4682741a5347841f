"""From an outgoing document to what the renderer prints (``edoc.rendering.DocumentSpec``).

Nơi nhận is generated from the recipients as data: for the types that carry a Kính gửi block (công văn,
tờ trình, báo cáo, công điện) the recipients who act are addressed there and summed up as "- Như trên;";
for the others every recipient is listed. The last line is "- Lưu: VT, <drafting unit>."
"""

from __future__ import annotations

from edoc.core.clock import vietnam_today
from edoc.documents.models import OutgoingDocument, RecipientKind, RecipientPurpose
from edoc.registers.numbering import last_number
from edoc.registers.types import get_type
from edoc.rendering import DocumentSpec, SignerBlock

KINH_GUI_TYPES = {"CV", "TTr", "BC", "CĐ"}


def _lines(labels: list[str]) -> list[str]:
    return [f"- {label};" for label in labels]


def archive_line(doc: OutgoingDocument) -> str:
    """Who keeps the archived copies, as the last Nơi nhận line and register column 6 print it: the văn thư
    (VT) always, then the recipients marked archive (a unit by its abbreviation, a person by name), by default
    the drafting unit: "VT, TG"."""
    kept = [r.unit.abbreviation if r.kind == RecipientKind.UNIT and r.unit is not None else r.label
            for r in doc.recipients if r.purpose == RecipientPurpose.ARCHIVE]
    if not kept and doc.drafting_unit is not None:
        kept = [doc.drafting_unit.abbreviation]
    return ", ".join(["VT", *dict.fromkeys(kept)])


def spec_for(doc: OutgoingDocument) -> DocumentSpec:
    doc_type = get_type(doc.type_code)
    assert doc_type is not None
    act = [r.label for r in doc.recipients if r.purpose == RecipientPurpose.ACT]
    info = [r.label for r in doc.recipients if r.purpose == RecipientPurpose.INFO]
    extra_kinh_gui = [line.strip() for line in doc.kinh_gui.splitlines() if line.strip()]
    kinh_gui: list[str] = []
    if doc.type_code in KINH_GUI_TYPES:
        kinh_gui = act + extra_kinh_gui
        recipients = (["- Như trên;"] if kinh_gui else []) + _lines(info)
    else:
        recipients = _lines(act + info)
    recipients.append(f"- Lưu: {archive_line(doc)}.")
    register = doc.register
    issuing_body = register.issuer_name if register is not None and register.issuer_name else doc.organisation.name
    signer = doc.signer
    return DocumentSpec(
        issuing_body=issuing_body,
        parent_body=doc.organisation.parent_name if issuing_body == doc.organisation.name
        else doc.organisation.name,
        notation=doc.notation, place=doc.organisation.place_name, summary=doc.summary,
        number=doc.number, date=doc.issued_on, type_name=doc_type.title, kinh_gui=kinh_gui, body=doc.body,
        recipients=recipients, secrecy=doc.secrecy, urgency=doc.urgency,
        signer=SignerBlock(title=doc.signer_title, full_name=signer.full_name if signer else "",
                           authority=doc.signer_authority, authority_line=doc.signer_authority_line),
        number_digits=_number_digits(doc),
    )


def _number_digits(doc: OutgoingDocument) -> int:
    """Room for the number: three digits, or as many as the register's count this year plus a hundred needs
    (a draft may wait while others are issued; issue refuses a number that would not fit)."""
    if doc.register is None:
        return 3
    year = vietnam_today().year
    return max(3, len(str(last_number(doc.register, year) + 100)))
