"""Validation reports per signature: who, when, intact, trusted, what changed after, what it covers."""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing.errors import CorruptPdf

_LEVEL_TEXT = {"NONE": "không có thay đổi", "LTA_UPDATES": "chỉ bổ sung dữ liệu kiểm tra dài hạn",
               "FORM_FILLING": "chỉ điền biểu mẫu, thêm chữ ký", "ANNOTATIONS": "thêm ghi chú",
               "OTHER": "có thay đổi nội dung sau khi ký"}


@dataclass
class SignatureReport:
    field: str
    signer: str
    organisation: str
    serial: str
    chain: list[str]
    signing_time: str | None
    timestamp: str | None
    intact: bool
    valid: bool
    trusted: bool
    trust_problem: str
    modification_level: str
    modification_text: str
    coverage: str
    summary: str


@dataclass
class ValidationReport:
    signatures: list[SignatureReport] = field(default_factory=list)

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(s.valid and s.trusted for s in self.signatures)

    def to_dict(self) -> dict[str, object]:
        return {"all_valid": self.all_valid, "signatures": [asdict(s) for s in self.signatures]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def validate_pdf(pdf: bytes, *, trust_roots: list[asn1_x509.Certificate]) -> ValidationReport:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise CorruptPdf(f"tệp PDF bị hỏng ({type(exc).__name__})") from None
    report = ValidationReport()
    for embedded in signatures:
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
        status = validate_pdf_signature(embedded, context)
        cert = status.signing_cert
        subject = cert.subject.native if cert is not None else {}
        level = status.modification_level.name if status.modification_level is not None else "OTHER"
        trust_problem = "" if status.trusted else "chứng thư số không thuộc danh sách tin cậy"
        report.signatures.append(SignatureReport(
            field=embedded.field_name, signer=str(subject.get("common_name", "")),
            organisation=str(subject.get("organization_name", "")),
            serial=str(cert.serial_number) if cert is not None else "",
            chain=[str(c.subject.human_friendly) for c in (status.validation_path or [])] if status.trusted else [],
            signing_time=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
            timestamp=(status.timestamp_validity.timestamp.isoformat()
                       if status.timestamp_validity is not None else None),
            intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
            trust_problem=trust_problem, modification_level=level,
            modification_text=_LEVEL_TEXT.get(level, level),
            coverage=status.coverage.name if status.coverage is not None else "",
            summary=status.summary()))
    return report
