"""Validation reports: for every signature in a PDF, who signed, when (claimed and timestamped), whether the
signed bytes are intact, whether the certificate chains to a trusted root and is not revoked, what changed in
the file after signing, what the signature covers, and a guess at its PAdES level.

Revocation data embedded in the document (its DSS, from B-LT signing) is used offline; fetching OCSP/CRL from
the network happens only with ``fetch=True``. A signature with a trusted timestamp is judged at the
timestamp's time (long-term validation), and the report says which moment each judgement used.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult, SuspiciousModification
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.status import DocumentTimestampStatus, PdfSignatureStatus, SignatureStatus
from pyhanko_certvalidator import ValidationContext

from signing import aio
from signing.appearance import iso_vietnam
from signing.errors import CorruptPdf, EncryptedPdf
from signing.forms import fields_changed_after
from signing.placement import signature_fields
from signing.trust import validation_context

MODIFICATION_TEXT = {
    "NONE": "không có thay đổi nào sau khi ký",
    "LTA_UPDATES": "sau khi ký chỉ bổ sung dữ liệu kiểm tra dài hạn (dấu thời gian, thông tin thu hồi)",
    "FORM_FILLING": "sau khi ký chỉ điền biểu mẫu hoặc thêm chữ ký",  # with the fields named: _form_filling_text
    "ANNOTATIONS": "sau khi ký có thêm ghi chú (annotation)",
    "OTHER": "nội dung đã bị thay đổi sau khi ký",
}
COVERAGE_TEXT = {
    "ENTIRE_FILE": "toàn bộ tệp",
    "ENTIRE_REVISION": "toàn bộ phiên bản của tệp tại thời điểm ký",
    "CONTIGUOUS_BLOCK_FROM_START": "chỉ một phần đầu của tệp",
    "UNCLEAR": "không xác định được phạm vi",
}
_TRUST_TEXT = {
    "NO_CERTIFICATE_CHAIN_FOUND": "chứng thư số không thuộc chứng thư gốc tin cậy nào",
    "REVOKED": "chứng thư số đã bị thu hồi",
    "REVOKED_NO_POE": "chứng thư số đã bị thu hồi",
    "REVOKED_CA_NO_POE": "chứng thư của tổ chức cấp đã bị thu hồi",
    "EXPIRED": "chứng thư số đã hết hạn",
    "OUT_OF_BOUNDS_NO_POE": "chứng thư số hết hạn hoặc chưa có hiệu lực tại thời điểm kiểm tra",
    "OUT_OF_BOUNDS_NOT_REVOKED": "chứng thư số hết hạn hoặc chưa có hiệu lực tại thời điểm kiểm tra",
    "NOT_YET_VALID": "chứng thư số chưa có hiệu lực",
    "TRY_LATER": "thiếu thông tin thu hồi của chứng thư số; hãy kiểm tra lại sau",
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": "thông tin thu hồi của chứng thư số đã cũ",
    "CHAIN_CONSTRAINTS_FAILURE": "chuỗi chứng thư vi phạm ràng buộc",
    "CRYPTO_CONSTRAINTS_FAILURE": "thuật toán mật mã không còn được chấp nhận",
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "thuật toán mật mã không còn được chấp nhận",
    "SIG_CONSTRAINTS_FAILURE": "chứng thư số không được phép dùng để ký (mục đích sử dụng khóa)",
}
VERDICT_TEXT = {
    "valid": "chữ ký số hợp lệ",
    "untrusted": "chữ ký nguyên vẹn nhưng chứng thư số chưa được tin cậy",
    "modified": "chữ ký nguyên vẹn nhưng tệp đã bị thay đổi sau khi ký",
    "broken": "chữ ký KHÔNG hợp lệ: nội dung đã bị sửa hoặc chữ ký hỏng",
    "error": "không kiểm tra được chữ ký",
}
_ACCEPTED_CHANGES = {"NONE", "LTA_UPDATES", "FORM_FILLING"}
PADDING_TEXT = ("vùng dành cho chữ ký có dữ liệu lạ sau giá trị chữ ký (phần này không được ký; người tạo tệp để "
                "trống)")
TRAILING_TEXT = ("sau khi ký, cuối tệp bị nối thêm {n} byte không thuộc phiên bản nào của tệp, không chữ ký nào bao "
                 "phủ")


@dataclass
class SignatureReport:
    field: str
    kind: str
    """``signature``, or ``document_timestamp`` (PAdES B-LTA)."""
    signer: str
    """Subject common name: the person's full name or the organisation's name; the TSA for a timestamp."""
    organisation: str
    serial: str
    issuer: str
    chain: list[str]
    """Subjects from the signer's certificate up to the root."""
    signing_time: str | None
    """Claimed by the signer (CMS signingTime), ISO 8601 in Vietnam time."""
    timestamp: str | None
    """From the timestamp authority's token, if any."""
    timestamp_valid: bool | None
    """The token is intact, correctly signed and its TSA is trusted; None without a token."""
    intact: bool
    valid: bool
    """Intact and the cryptographic signature checks out."""
    trusted: bool
    trust_problem: str
    revoked: bool
    modification_level: str
    modification_text: str
    coverage: str
    coverage_text: str
    pades_level: str
    verdict: str
    verdict_text: str
    summary: str = ""
    error: str = ""
    judged_at: str | None = None
    """The moment trust, validity period and revocation were judged at (ISO 8601, Vietnam time)."""
    judged_by: str = "now"
    """Why that moment: ``now``; ``signature_timestamp`` (the trusted timestamp in the signature, so a
    certificate that expired or was revoked after it does not undo the signature); ``document_timestamp``
    (a later trusted document timestamp, B-LTA); ``requested`` (the caller's ``moment``)."""
    judged_text: str = ""
    changed_fields: list[str] = field(default_factory=list)
    """Form fields (signature fields included) filled or changed after signing, by pyHanko's difference
    analysis: e.g. the number and date fields and the organisation's signature of an issued document."""
    padding_clean: bool = True
    """The space reserved for the signature (/Contents) holds nothing after the signature value but zero
    padding. That space is not signed (it cannot sign itself), so bytes written there change nothing that
    was signed, but they change the file: the report says so (poppler's pdfsig: "Not total document
    signed"), pyHanko does not."""

    @property
    def ok(self) -> bool:
        return self.verdict == "valid"


@dataclass
class ValidationReport:
    signatures: list[SignatureReport] = field(default_factory=list)
    timestamps: list[SignatureReport] = field(default_factory=list)
    """Document timestamps (B-LTA), reported apart from the people's and organisations' signatures."""
    trailing_bytes: int = 0
    """Bytes after the end of the file's last revision (its final ``%%EOF``), other than line ends: no
    signature covers them and no revision explains them, so every signature is reported as followed by a
    change (pyHanko calls it "extended with no modifications", pdfsig "Not total document signed")."""

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in [*self.signatures, *self.timestamps])

    @property
    def verdict(self) -> str:
        if not self.signatures:
            return "unsigned"
        return "valid" if self.all_valid else "invalid"

    def to_dict(self) -> dict[str, object]:
        return {"all_valid": self.all_valid, "verdict": self.verdict, "trailing_bytes": self.trailing_bytes,
                "signatures": [asdict(s) for s in self.signatures],
                "timestamps": [asdict(s) for s in self.timestamps]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def _when(moment: datetime | None) -> str | None:
    return iso_vietnam(moment) if moment is not None else None


def _name(cert: asn1_x509.Certificate | None, attribute: str) -> str:
    return str(cert.subject.native.get(attribute, "")) if cert is not None else ""


def _chain(status: SignatureStatus, embedded: EmbeddedPdfSignature) -> list[str]:
    """Leaf to root: the validated path when there is one, else what the file itself carries, by issuer name."""
    if status.validation_path is not None:
        certs = list(status.validation_path.iter_certs(include_root=True))
        return [c.subject.human_friendly for c in reversed(certs)]
    cert = status.signing_cert
    pool = list(embedded.other_embedded_certs)
    names: list[str] = []
    while cert is not None and len(names) < 10:
        names.append(cert.subject.human_friendly)
        if cert.self_issued:
            break
        cert = next((c for c in pool if c.subject == cert.issuer and c != cert), None)
    return names


def _trust_problem(status: SignatureStatus) -> str:
    if status.trusted:
        return ""
    indication = status.trust_problem_indic
    name = indication.name if indication is not None else ""
    return _TRUST_TEXT.get(name, "chứng thư số không được tin cậy" + (f" ({name})" if name else ""))


def _changed_after(reader: PdfFileReader, ref: generic.PdfObject | None, revision: int) -> bool:
    if not isinstance(ref, generic.IndirectObject):
        return False
    try:
        return bool(reader.xrefs.get_last_change(ref.reference) > revision)
    except (KeyError, ValueError, AttributeError):
        return False


def _has_revocation_data_after(reader: PdfFileReader, revision: int) -> bool:
    """The DSS holds OCSP responses or CRLs added after ``revision``."""
    root = reader.root
    if "/DSS" not in root:
        return False
    dss = root["/DSS"]
    if not (dss.get("/OCSPs") or dss.get("/CRLs")):
        return False
    refs = [root.raw_get("/DSS"), *(dss.raw_get(k) for k in ("/OCSPs", "/CRLs", "/VRI") if k in dss)]
    return any(_changed_after(reader, ref, revision) for ref in refs)


def _has_signers_revocation_data(cert: asn1_x509.Certificate | None, ocsps: list[bytes], crls: list[bytes]) -> bool:
    """The DSS holds an OCSP answer about this certificate, or a CRL of its issuer: what B-LT is about (the
    TSA's data alone, as a document timestamp brings, does not make a signature B-LT)."""
    if cert is None:
        return False
    serial = int(cert.serial_number)
    if any(serial in (_ocsp_serials(der) or ()) for der in ocsps):
        return True
    for der in crls:
        try:
            if asn1_crl.CertificateList.load(der).issuer == cert.issuer:
                return True
        except (ValueError, TypeError, KeyError):
            continue
    return False


def _pades_level(reader: PdfFileReader, embedded: EmbeddedPdfSignature, status: PdfSignatureStatus,
                 timestamps_after: bool, dss: tuple[list[asn1_x509.Certificate], list[bytes], list[bytes]]) -> str:
    if str(embedded.sig_object.get("/SubFilter", "")) != "/ETSI.CAdES.detached":
        return "không phải PAdES"
    level = "B-T" if status.timestamp_validity is not None else "B-B"
    if (level == "B-T" and _has_revocation_data_after(reader, embedded.signed_revision)
            and _has_signers_revocation_data(status.signing_cert, dss[1], dss[2])):
        level = "B-LT"
        if timestamps_after:
            level = "B-LTA"
    return level


def _modification(status: PdfSignatureStatus | SignatureStatus, forms: _Forms | None = None,
                  revision: int = 0) -> tuple[str, str, list[str]]:
    """The modification level, its text and the form fields changed after ``revision`` (the signed one):
    those of pyHanko's difference analysis that were really written since, signature fields included. The
    text names them: "the number and date" is what our own documents fill in, but a PDF from elsewhere may
    have had any field filled."""
    level = getattr(status, "modification_level", None)
    diff = getattr(status, "diff_result", None)
    name = level.name if level is not None else "OTHER"
    text = MODIFICATION_TEXT.get(name, name)
    # plain strings: pyHanko's names are str subclasses that hold on to the reader, which asdict() would deep-copy
    # whole (a third of a second per report)
    changed = sorted(str(f) for f in diff.changed_form_fields) if isinstance(diff, DiffResult) else []
    if forms is not None:
        changed = [f for f in changed if f in forms.changed_after(revision)]
    signature_names = forms.signatures if forms is not None else frozenset()
    if isinstance(diff, SuspiciousModification):
        text = f"{MODIFICATION_TEXT['OTHER']}: {diff}"
    elif name == "FORM_FILLING":
        text = _form_filling_text(changed, signature_names)
    elif changed:
        text = f"{text} (các ô đã thay đổi: {', '.join(changed)})"
    return name, text, changed


def _form_filling_text(changed: list[str], signature_names: frozenset[str]) -> str:
    filled = [f for f in changed if f not in signature_names]
    signed = [f for f in changed if f in signature_names]
    parts = ([f"điền biểu mẫu (ô {', '.join(filled)})"] if filled else []) + (
        [f"thêm chữ ký ({', '.join(signed)})"] if signed else [])
    return "sau khi ký chỉ " + (" và ".join(parts) if parts else "điền biểu mẫu hoặc thêm chữ ký")


def _verdict(intact: bool, valid: bool, trusted: bool, level: str, docmdp_ok: bool | None,
             unsigned_change: bool = False) -> str:
    if not intact or not valid:
        return "broken"
    if level not in _ACCEPTED_CHANGES or docmdp_ok is False or unsigned_change:
        return "modified"
    return "valid" if trusted else "untrusted"


def _padding_clean(embedded: EmbeddedPdfSignature) -> bool:
    """Nothing but zeros after the CMS value in /Contents (DER says where it ends)."""
    content = bytes(embedded.pkcs7_content)
    try:
        _class, _method, _tag, header, body, trailer = asn1_parser.parse(content)
    except (ValueError, TypeError):
        return False
    return not content[len(header) + len(body) + len(trailer):].strip(b"\x00")


def _trailing_bytes(reader: PdfFileReader, data: bytes) -> int:
    """Bytes after the ``%%EOF`` that ends the file's last revision, line ends and NULs aside. The last revision
    is the one whose cross-reference data lies furthest into the file (a linearized file has a revision at
    its start, so the order of revisions would not do)."""
    try:
        xrefs = reader.xrefs
        end = max(xrefs.get_xref_container_info(r).end_location for r in range(xrefs.total_revisions))
    except Exception:  # pyHanko read the file; if it cannot say where its revisions end, claim nothing
        return 0
    eof = data.find(b"%%EOF", end)
    if eof < 0:
        return 0
    tail = data[eof + len(b"%%EOF"):]
    tail = tail[2:] if tail.startswith(b"\r\n") else tail[1:] if tail[:1] in (b"\r", b"\n") else tail
    return len(tail) if tail.strip(b" \t\r\n\x00\x0c") else 0


def _unsigned_changes(level: str, text: str, padding_clean: bool, trailing: int) -> tuple[bool, str]:
    """Whether the file was changed where no signature and no revision accounts for it, and the text saying
    what changed after signing, with those changes named (instead of "nothing changed" when pyHanko saw no
    revision after the signature)."""
    notes = [*([] if padding_clean else [PADDING_TEXT]),
             *([TRAILING_TEXT.format(n=trailing)] if trailing else [])]
    if not notes:
        return False, text
    return True, "; ".join(notes if level == "NONE" else [text, *notes])


JUDGED_TEXT = {
    "now": "kiểm tra tại thời điểm hiện tại",
    "signature_timestamp": "kiểm tra tại thời điểm của dấu thời gian trong chữ ký (kiểm tra dài hạn)",
    "document_timestamp": "kiểm tra tại thời điểm của dấu thời gian tài liệu đóng sau đó (kiểm tra dài hạn)",
    "requested": "kiểm tra tại thời điểm được yêu cầu",
}


def _error_report(embedded: EmbeddedPdfSignature, kind: str, exc: BaseException) -> SignatureReport:
    try:
        name = str(embedded.field_name)
    except Exception:  # the report must come back even for a mangled field
        name = "?"
    return SignatureReport(
        field=name, kind=kind, signer="", organisation="", serial="", issuer="", chain=[], signing_time=None,
        timestamp=None, timestamp_valid=None, intact=False, valid=False, trusted=False,
        trust_problem="", revoked=False, modification_level="OTHER", modification_text="", coverage="UNCLEAR",
        coverage_text=COVERAGE_TEXT["UNCLEAR"], pades_level="", verdict="error", verdict_text=VERDICT_TEXT["error"],
        error=f"{type(exc).__name__}: {exc}"[:500], judged_at=None, judged_by="now", judged_text="")


@dataclass(frozen=True)
class _Judgement:
    moment: datetime | None
    """None: now."""
    basis: str
    at: datetime

    @property
    def report_fields(self) -> dict[str, str | None]:
        return {"judged_at": _when(self.at), "judged_by": self.basis, "judged_text": JUDGED_TEXT[self.basis]}


def _now(moment: datetime | None) -> _Judgement:
    if moment is not None:
        return _Judgement(moment, "requested", moment)
    return _Judgement(None, "now", datetime.now(UTC))


def _report(reader: PdfFileReader, embedded: EmbeddedPdfSignature, status: PdfSignatureStatus,
            judgement: _Judgement, timestamp_revisions: list[int],
            dss: tuple[list[asn1_x509.Certificate], list[bytes], list[bytes]], forms: _Forms,
            trailing: int) -> SignatureReport:
    cert = status.signing_cert
    level, level_text, changed = _modification(status, forms, embedded.signed_revision)
    padding = _padding_clean(embedded)
    unsigned, level_text = _unsigned_changes(level, level_text, padding, trailing)
    coverage = status.coverage.name if status.coverage is not None else "UNCLEAR"
    token = status.timestamp_validity
    verdict = _verdict(status.intact, status.valid, status.trusted, level, status.docmdp_ok, unsigned)
    return SignatureReport(
        field=str(embedded.field_name), kind="signature", signer=_name(cert, "common_name"),
        organisation=_name(cert, "organization_name"), serial=str(cert.serial_number) if cert else "",
        issuer=cert.issuer.human_friendly if cert else "", chain=_chain(status, embedded),
        signing_time=_when(status.signer_reported_dt),
        timestamp=_when(token.timestamp) if token is not None else None,
        timestamp_valid=_token_ok(token) if token is not None else None,
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        trust_problem=_trust_problem(status), revoked=status.revocation_details is not None,
        modification_level=level, modification_text=level_text, coverage=coverage,
        coverage_text=COVERAGE_TEXT.get(coverage, coverage),
        pades_level=_pades_level(reader, embedded, status,
                                 any(r > embedded.signed_revision for r in timestamp_revisions), dss),
        verdict=verdict, verdict_text=VERDICT_TEXT[verdict], summary=status.summary(), changed_fields=changed,
        padding_clean=padding, **judgement.report_fields)  # type: ignore[arg-type]


def _timestamp_report(embedded: EmbeddedPdfSignature, status: DocumentTimestampStatus,
                      judgement: _Judgement, forms: _Forms, trailing: int) -> SignatureReport:
    cert = status.signing_cert
    level, level_text, changed = _modification(status, forms, embedded.signed_revision)
    padding = _padding_clean(embedded)
    unsigned, level_text = _unsigned_changes(level, level_text, padding, trailing)
    coverage = status.coverage.name if status.coverage is not None else "UNCLEAR"
    verdict = _verdict(status.intact, status.valid, status.trusted, level, None, unsigned)
    return SignatureReport(
        field=str(embedded.field_name), kind="document_timestamp", signer=_name(cert, "common_name"),
        organisation=_name(cert, "organization_name"), serial=str(cert.serial_number) if cert else "",
        issuer=cert.issuer.human_friendly if cert else "", chain=_chain(status, embedded), signing_time=None,
        timestamp=_when(status.timestamp), timestamp_valid=_token_ok(status),
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        trust_problem=_trust_problem(status), revoked=status.revocation_details is not None,
        modification_level=level, modification_text=level_text, coverage=coverage,
        coverage_text=COVERAGE_TEXT.get(coverage, coverage), pades_level="B-LTA", verdict=verdict,
        verdict_text=VERDICT_TEXT[verdict], summary=status.summary(), changed_fields=changed,
        padding_clean=padding, **judgement.report_fields)  # type: ignore[arg-type]


def _token_ok(status: SignatureStatus | None) -> bool:
    return status is not None and bool(status.intact and status.valid and status.trusted)


def _signature_token(embedded: EmbeddedPdfSignature) -> cms.SignedData | None:
    """The signature timestamp token (PAdES B-T) in the signature's unsigned attributes, not validated."""
    try:
        attrs = embedded.signer_info["unsigned_attrs"]
        for attr in attrs or []:
            if attr["type"].native == "signature_time_stamp_token":
                token: cms.SignedData = attr["values"][0]["content"]
                return token
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return None
    return None


def _token_time(token: cms.SignedData) -> datetime | None:
    """genTime of a token: only a hint of when to judge, which the validation that follows confirms or not."""
    try:
        moment: datetime = token["encap_content_info"]["content"].parsed["gen_time"].native
        return moment
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def _token_signers(token: cms.SignedData) -> set[int]:
    """Serial numbers of the certificates that signed a token (the TSA's)."""
    certs = [c.chosen for c in token["certificates"] or [] if c.name == "certificate"]
    serials: set[int] = set()
    for info in token["signer_infos"]:
        sid = info["sid"]
        if sid.name == "issuer_and_serial_number":
            serials.add(int(sid.chosen["serial_number"].native))
        else:
            serials |= {int(c.serial_number) for c in certs if c.key_identifier == sid.chosen.native}
    return serials


def _ocsp_serials(der: bytes) -> set[int] | None:
    """Serial numbers an OCSP response answers for; None if it cannot be read."""
    try:
        response = asn1_ocsp.OCSPResponse.load(der)
        data = response.basic_ocsp_response["tbs_response_data"]
        return {int(single["cert_id"]["serial_number"].native) for single in data["responses"]}
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def _dss_material(reader: PdfFileReader) -> tuple[list[asn1_x509.Certificate], list[bytes], list[bytes]]:
    """Certificates, OCSP responses and CRLs (DER) of the document's DSS, from B-LT signing; none without one."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return [], [], []
    try:
        certs = list(dss.load_certs())
        ocsps = [ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE) for ref in dss.ocsps]
        crls = [ref.get_object().read_data(DecodePurpose.CRL) for ref in dss.crls]
    except Exception:  # an unreadable DSS is as good as none: what it should have proven stays unproven
        return [], [], []
    return certs, ocsps, crls


class _Forms:
    """The document's form fields, read once per validation: which are signature fields (to tell "a signature
    was added" from "a field was filled") and which were written after a given revision."""

    def __init__(self, reader: PdfFileReader) -> None:
        self.reader = reader
        try:
            self.signatures = frozenset(signature_fields(reader))
        except Exception:  # a mangled form only loses the distinction, not the report
            self.signatures = frozenset()
        self._changed: dict[int, set[str]] = {}

    def changed_after(self, revision: int) -> set[str]:
        if revision not in self._changed:
            try:
                self._changed[revision] = fields_changed_after(self.reader, revision)
            except Exception:  # as above: the list goes, the report stays
                self._changed[revision] = set()
        return self._changed[revision]


@dataclass(frozen=True)
class _Settings:
    trust_roots: list[asn1_x509.Certificate]
    revocation: str
    fetch: bool
    dss: tuple[list[asn1_x509.Certificate], list[bytes], list[bytes]]

    def context(self, judgement: _Judgement, for_serials: set[int] | None = None,
                known: Sequence[asn1_x509.Certificate] = ()) -> ValidationContext:
        """A fresh context per validation (contexts cache results, and a result at one moment says nothing
        about another), fed with the DSS. In the past, an answer fetched today about then is accepted
        (``retroactive_revinfo``): "revoked since last month" proves the certificate good a year ago.

        ``for_serials``: only the DSS's OCSP answers about these end-entity certificates (and about CAs) are
        given. pyHanko's validator takes an answer about a sibling certificate (same CA, other serial number)
        for a failed check rather than for no data, so the TSA's answer in the DSS would otherwise fail a
        signer whose own answer is not there, even where missing data is allowed ("soft")."""
        certs, ocsps, crls = self.dss
        if for_serials is not None:
            cas = {int(c.serial_number) for c in [*certs, *known, *self.trust_roots] if c.ca}
            wanted = for_serials | cas
            ocsps = [der for der in ocsps if (serials := _ocsp_serials(der)) is None or serials & wanted]
        # an answer issued after the moment judged at is accepted for it: a responder's "good" (or "revoked
        # since after then") issued today still speaks about yesterday
        past = judgement.basis != "now"
        return validation_context(self.trust_roots, revocation=self.revocation, fetch=self.fetch,
                                  moment=judgement.moment, other_certs=certs, ocsps=ocsps, crls=crls,
                                  retroactive_revinfo=past)


async def _signature_status(embedded: EmbeddedPdfSignature, settings: _Settings,
                            judgement: _Judgement) -> PdfSignatureStatus:
    known = list(embedded.other_embedded_certs)
    signer = settings.context(judgement, {int(embedded.signer_cert.serial_number)}, known)
    token = _signature_token(embedded)
    tsa = None
    if token is not None:
        token_certs = [c.chosen for c in token["certificates"] or [] if c.name == "certificate"]
        tsa = settings.context(judgement, _token_signers(token), [*known, *token_certs])
    try:
        return await async_validate_pdf_signature(embedded, signer, ts_validation_context=tsa)
    finally:
        await signer.aclose()
        if tsa is not None:
            await tsa.aclose()


async def _timestamp_status(embedded: EmbeddedPdfSignature, settings: _Settings,
                            judgement: _Judgement) -> DocumentTimestampStatus:
    context = settings.context(judgement, {int(embedded.signer_cert.serial_number)},
                               list(embedded.other_embedded_certs))
    try:
        return await async_validate_pdf_timestamp(embedded, context)
    finally:
        await context.aclose()


def _covering(later: list[tuple[int, datetime]], revision: int) -> datetime | None:
    """Time of the earliest trusted document timestamp added after ``revision``."""
    times = [moment for rev, moment in later if rev > revision]
    return min(times) if times else None


async def _judge_signature(embedded: EmbeddedPdfSignature, settings: _Settings, moment: datetime | None,
                           later: list[tuple[int, datetime]]) -> tuple[PdfSignatureStatus, _Judgement]:
    """Validate a signature at the earliest moment a trusted timestamp vouches for; at now (or the caller's
    moment) when there is none, or when the timestamp itself does not hold up."""
    if moment is not None:
        judgement = _now(moment)
        return await _signature_status(embedded, settings, judgement), judgement
    token = _signature_token(embedded)
    token_time = _token_time(token) if token is not None else None
    if token_time is not None:
        judgement = _Judgement(token_time, "signature_timestamp", token_time)
        status = await _signature_status(embedded, settings, judgement)
        if _token_ok(status.timestamp_validity):
            return status, judgement
    covered = _covering(later, embedded.signed_revision)
    judgement = _Judgement(covered, "document_timestamp", covered) if covered else _now(None)
    return await _signature_status(embedded, settings, judgement), judgement


async def async_validate_pdf(pdf: bytes | bytearray | memoryview | BinaryIO, *,
                             trust_roots: list[asn1_x509.Certificate], revocation: str | None = None,
                             fetch: bool | None = None, moment: datetime | None = None,
                             allow_fetching: bool = False, revocation_mode: str = "soft-fail") -> ValidationReport:
    """``validate_pdf`` for a caller that runs its own event loop."""
    data = bytes(pdf) if isinstance(pdf, bytes | bytearray | memoryview) else pdf.read()
    if b"%PDF-" not in data[:1024]:
        raise CorruptPdf("tệp không phải PDF")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise EncryptedPdf("tệp PDF được mã hóa (có mật khẩu); không kiểm tra được chữ ký")
        embedded_all = list(reader.embedded_signatures)
    except EncryptedPdf:
        raise
    except Exception as exc:  # hostile input must end in our error, whatever pyHanko raised
        raise CorruptPdf(f"tệp PDF bị hỏng hoặc không đầy đủ ({type(exc).__name__})") from None
    settings = _Settings(list(trust_roots), revocation if revocation is not None else revocation_mode,
                         allow_fetching if fetch is None else fetch, _dss_material(reader))
    timestamp_revisions = [e.signed_revision for e in embedded_all if e.sig_object_type == "/DocTimeStamp"]
    forms = _Forms(reader)
    trailing = _trailing_bytes(reader, data)
    # latest first: each signature or document timestamp is judged at the time of a trusted document
    # timestamp that came after it, which must therefore be judged before it
    later: list[tuple[int, datetime]] = []
    signatures: list[SignatureReport] = []
    timestamps: list[SignatureReport] = []
    for embedded in reversed(embedded_all):
        is_timestamp = embedded.sig_object_type == "/DocTimeStamp"
        try:
            if is_timestamp:
                covered = None if moment is not None else _covering(later, embedded.signed_revision)
                judgement = _Judgement(covered, "document_timestamp", covered) if covered else _now(moment)
                status = await _timestamp_status(embedded, settings, judgement)
                if _token_ok(status):
                    later.append((embedded.signed_revision, status.timestamp))
                timestamps.append(_timestamp_report(embedded, status, judgement, forms, trailing))
            else:
                signature_status, judgement = await _judge_signature(embedded, settings, moment, later)
                signatures.append(_report(reader, embedded, signature_status, judgement, timestamp_revisions,
                                          settings.dss, forms, trailing))
        except Exception as exc:  # one bad signature must not hide the report on the others
            (timestamps if is_timestamp else signatures).append(
                _error_report(embedded, "document_timestamp" if is_timestamp else "signature", exc))
    return ValidationReport(signatures=signatures[::-1], timestamps=timestamps[::-1], trailing_bytes=trailing)


def validate_pdf(pdf: bytes | bytearray | memoryview | BinaryIO, *, trust_roots: list[asn1_x509.Certificate],
                 revocation: str | None = None, fetch: bool | None = None, moment: datetime | None = None,
                 allow_fetching: bool = False, revocation_mode: str = "soft-fail") -> ValidationReport:
    """Validate every signature and document timestamp in ``pdf`` against ``trust_roots``.

    ``revocation``: ``off``, ``soft`` or ``hard`` as in ``signing.trust`` (``revocation_mode``, pyHanko's
    ``soft-fail``/``hard-fail``/``require``, is the older spelling; default soft). ``fetch``: OCSP/CRL may be
    fetched over the network (``allow_fetching`` is the older spelling; default no: only what the file
    carries in its DSS is used). A timestamped signature is judged at its trusted timestamp's time, so a
    certificate that expired or was revoked later does not undo it (long-term validation); ``moment``
    forces one moment for everything. An unreadable file raises ``CorruptPdf`` (or ``EncryptedPdf``); a
    signature that cannot be evaluated gets verdict ``error``."""
    return aio.run(lambda: async_validate_pdf(pdf, trust_roots=trust_roots, revocation=revocation, fetch=fetch,
                                              moment=moment, allow_fetching=allow_fetching,
                                              revocation_mode=revocation_mode))
