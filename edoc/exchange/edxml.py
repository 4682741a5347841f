"""edXML (QCVN 102:2016/BTTTT, amended 2022): the messages agencies exchange over the trục liên thông.

Pure functions, no database: ``build_document`` / ``build_status`` write a message, ``parse`` reads one safely and
``validate`` checks its structure against ``STRUCTURE`` (the elements, their order of appearance does not matter
here, and how many of each the standard allows), written from the standard's summary and public implementations.

A document message::

    edXML (default namespace http://www.mic.gov.vn/TBT/QCVN_102_2016)
      edXMLEnvelope
        edXMLHeader
          MessageHeader: From, To+, Code, PromulgationInfo, DocumentType, Subject, Content?, SignerInfo, DueDate?,
                         ToPlaces, OtherInfo, ResponseFor*, SteeringType?, DocumentId
          TraceHeaderList: TraceHeader+ (OrganId, Timestamp), Bussiness (BussinessDocType 0 new, 1 recall,
                           2 update, 3 replace; BussinessDocReason; ReplacementInfoList for a replacement)
          ds:Signature? (XMLDSig of the whole message, enveloped: ``sign`` adds it, ``parse`` verifies it)
        edXMLBody
          edXMLManifest: Reference+ (xlink:href="cid:…", Description, AttachmentName, ContentType, ContentId,
                         and edoc's Digest: the SHA-256 of the attachment, checked on arrival when present)
      AttachmentEncoded: Attachment+ (ContentType, ContentId, Description, ContentTransferEncoded (base64),
                         AttachmentName)

A status message (Status: ResponseFor, From, StatusCode 01-06, Description, Timestamp, StaffInfo) travels in the
same envelope, in place of MessageHeader.

Parsing is defused: no DTD at all (so no entity expansion, no external entity), a size limit before parsing, and
base64 decoded only for attachments the manifest names.

The XML signature (``signing.xmlsig``): the organisation's credential signs the whole message (``Reference
URI=""``, enveloped, exclusive C14N, SHA-256, RSA-SHA256 or ECDSA-SHA256, the certificate in KeyInfo), the
``ds:Signature`` element (namespace http://www.w3.org/2000/09/xmldsig#) placed in ``edXMLHeader`` after
``TraceHeaderList``; one wrapped in an ``edXML:Signature`` element there is read too. ``parse`` verifies a signature
on the bytes the defused parser accepted (a non-resolving lxml parser, DTD refused) and reads the message from
what the signature covers, never from the tree around it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.etree import ElementTree as ET  # building only; parsing goes through defusedxml

from asn1crypto import x509 as asn1_x509
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from lxml import etree

from signing import xmlsig
from signing.errors import SigningError
from signing.keys import SignerKey

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XLINK = "http://www.w3.org/1999/xlink"
E = f"{{{NS}}}"
ET.register_namespace("edXML", NS)
ET.register_namespace("xlink", XLINK)

BUSINESS_NEW, BUSINESS_RECALL, BUSINESS_UPDATE, BUSINESS_REPLACE = 0, 1, 2, 3
BUSINESS_LABELS = {0: "Văn bản mới", 1: "Thu hồi", 2: "Cập nhật", 3: "Thay thế"}
STATUS_LABELS = {"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Đã vào sổ", "04": "Đã phân công",
                 "05": "Đang xử lý", "06": "Hoàn thành"}
DIGEST_ALGORITHM = "http://www.w3.org/2001/04/xmlenc#sha256"


DS_SIGNATURE = f"{{{xmlsig.DS}}}Signature"


class EdxmlError(ValueError):
    """A message that cannot be read or does not follow the standard; the text says why, in Vietnamese."""


@dataclass
class EnvelopeSignature:
    """A message's XML signature that verified (intact, made with the key of ``certificate``); whether that
    certificate is trusted is for the receiving organisation to say (``signing.xmlsig.check_trust``)."""

    certificate: asn1_x509.Certificate
    others: list[asn1_x509.Certificate]
    """The other certificates KeyInfo carried (its chain), for building the path."""
    signer: str
    organisation: str
    serial: str


@dataclass
class Organ:
    organ_id: str
    name: str = ""
    in_charge: str = ""
    address: str = ""
    email: str = ""


@dataclass
class Attachment:
    name: str
    content_type: str
    data: bytes
    description: str = ""
    content_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class DocumentMessage:
    sender: Organ
    recipients: list[Organ]
    code_number: str
    """Số: "445"."""
    code_notation: str
    """Ký hiệu: "KH-LĐLĐ"."""
    place: str
    promulgation_date: date
    type_code: str
    type_name: str
    subject: str
    signer_name: str
    signer_position: str = ""
    signer_competence: str = ""
    """Thẩm quyền: "TM. BAN THƯỜNG VỤ"."""
    content: str = ""
    due_date: date | None = None
    to_places: list[str] = field(default_factory=list)
    priority: int = 0
    """0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ."""
    sphere: str = ""
    typer_notation: str = ""
    promulgation_amount: int = 1
    page_amount: int = 0
    steering_type: int = 0
    business: int = BUSINESS_NEW
    business_reason: str = ""
    replaces: list[str] = field(default_factory=list)
    """DocumentIds a replacement (business 3) replaces."""
    trace: list[tuple[str, str]] = field(default_factory=list)
    """(OrganId, Timestamp) of each hop."""
    attachments: list[Attachment] = field(default_factory=list)
    document_id: str = ""
    signature: EnvelopeSignature | None = None
    """Set by ``parse`` when the message was signed and the signature verified."""

    def __post_init__(self) -> None:
        if not self.document_id:
            self.document_id = document_id(self.sender.organ_id, self.promulgation_date, self.code_number,
                                           self.code_notation)


@dataclass
class StatusMessage:
    responds_to_organ: str
    """The OrganId of the document's sender (who is told)."""
    document_id: str
    code: str
    """Số/ký hiệu of the document: "445/KH-LĐLĐ"."""
    promulgation_date: date | None
    sender: Organ
    status_code: str
    description: str = ""
    timestamp: str = ""
    staff: str = ""
    department: str = ""
    signature: EnvelopeSignature | None = None
    """Set by ``parse`` when the message was signed and the signature verified."""


PRIORITY_OF_URGENCY = {"": 0, "Khẩn": 1, "Thượng khẩn": 2, "Hỏa tốc": 3}
URGENCY_OF_PRIORITY = {v: k for k, v in PRIORITY_OF_URGENCY.items()}


def document_id(organ_id: str, day: date, number: str, notation: str) -> str:
    """The message's DocumentId: ``{OrganId},{YYYY/MM/DD},{số}/{ký hiệu}``, the same for every business message
    (recall, update, replace) about one document."""
    return f"{organ_id},{day:%Y/%m/%d},{number}/{notation}"


# --- building ------------------------------------------------------------------------------------------------

def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, E + tag, attrs)
    if text is not None:
        child.text = unicodedata.normalize("NFC", text)
    return child


def _organ(parent: ET.Element, tag: str, organ: Organ) -> None:
    node = _el(parent, tag)
    _el(node, "OrganId", organ.organ_id)
    _el(node, "OrganizationInCharge", organ.in_charge or organ.name)
    _el(node, "OrganName", organ.name)
    _el(node, "OrganAdd", organ.address)
    _el(node, "Email", organ.email)


def _ymd(day: date | None) -> str:
    return f"{day:%Y/%m/%d}" if day else ""


def _envelope() -> tuple[ET.Element, ET.Element, ET.Element]:
    root = ET.Element(E + "edXML")
    envelope = _el(root, "edXMLEnvelope")
    header = _el(envelope, "edXMLHeader")
    return root, envelope, header


def _serialise(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def build_document(msg: DocumentMessage, *, now: datetime) -> bytes:
    root, envelope, header = _envelope()
    mh = _el(header, "MessageHeader")
    _organ(mh, "From", msg.sender)
    for organ in msg.recipients:
        _organ(mh, "To", organ)
    code = _el(mh, "Code")
    _el(code, "CodeNumber", msg.code_number)
    _el(code, "CodeNotation", msg.code_notation)
    prom = _el(mh, "PromulgationInfo")
    _el(prom, "Place", msg.place)
    _el(prom, "PromulgationDate", _ymd(msg.promulgation_date))
    dtype = _el(mh, "DocumentType")
    _el(dtype, "Type", msg.type_code)
    _el(dtype, "TypeName", msg.type_name)
    _el(mh, "Subject", msg.subject)
    _el(mh, "Content", msg.content or msg.subject)
    signer = _el(mh, "SignerInfo")
    _el(signer, "Competence", msg.signer_competence)
    _el(signer, "Position", msg.signer_position)
    _el(signer, "FullName", msg.signer_name)
    if msg.due_date:
        _el(mh, "DueDate", _ymd(msg.due_date))
    places = _el(mh, "ToPlaces")
    for place in msg.to_places or [o.name for o in msg.recipients]:
        _el(places, "Place", place)
    other = _el(mh, "OtherInfo")
    _el(other, "Priority", str(msg.priority))
    _el(other, "SphereOfPromulgation", msg.sphere)
    _el(other, "TyperNotation", msg.typer_notation)
    _el(other, "PromulgationAmount", str(msg.promulgation_amount))
    _el(other, "PageAmount", str(msg.page_amount))
    _el(mh, "SteeringType", str(msg.steering_type))
    _el(mh, "DocumentId", msg.document_id)

    traces = _el(header, "TraceHeaderList")
    for organ_id, stamp in [*msg.trace, (msg.sender.organ_id, f"{now:%Y/%m/%d %H:%M:%S}")]:
        hop = _el(traces, "TraceHeader")
        _el(hop, "OrganId", organ_id)
        _el(hop, "Timestamp", stamp)
    business = _el(traces, "Bussiness")
    _el(business, "BussinessDocType", str(msg.business))
    _el(business, "BussinessDocReason", msg.business_reason or BUSINESS_LABELS[msg.business])
    if msg.replaces:
        replacements = _el(business, "ReplacementInfoList")
        for old in msg.replaces:
            info = _el(replacements, "ReplacementInfo")
            _el(info, "DocumentId", old)

    body = _el(envelope, "edXMLBody")
    manifest = _el(body, "edXMLManifest", version="1.0")
    encoded = ET.SubElement(root, E + "AttachmentEncoded")
    for att in msg.attachments:
        ref = ET.SubElement(manifest, E + "Reference", {f"{{{XLINK}}}href": f"cid:{att.content_id}",
                                                        f"{{{XLINK}}}type": "simple"})
        _el(ref, "Description", att.description)
        _el(ref, "AttachmentName", att.name)
        _el(ref, "ContentType", att.content_type)
        _el(ref, "ContentId", att.content_id)
        _el(ref, "Digest", base64.b64encode(hashlib.sha256(att.data).digest()).decode(), Algorithm=DIGEST_ALGORITHM)
        item = _el(encoded, "Attachment")
        _el(item, "ContentType", att.content_type)
        _el(item, "ContentId", att.content_id)
        _el(item, "Description", att.description)
        _el(item, "ContentTransferEncoded", base64.b64encode(att.data).decode())
        _el(item, "AttachmentName", att.name)
    return _serialise(root)


def build_status(msg: StatusMessage) -> bytes:
    root, _envelope_el, header = _envelope()
    status = _el(header, "Status")
    rf = _el(status, "ResponseFor")
    _el(rf, "OrganId", msg.responds_to_organ)
    _el(rf, "Code", msg.code)
    _el(rf, "PromulgationDate", _ymd(msg.promulgation_date))
    _el(rf, "DocumentId", msg.document_id)
    _organ(status, "From", msg.sender)
    _el(status, "StatusCode", msg.status_code)
    _el(status, "Description", msg.description or STATUS_LABELS.get(msg.status_code, ""))
    _el(status, "Timestamp", msg.timestamp)
    staff = _el(status, "StaffInfo")
    _el(staff, "Department", msg.department)
    _el(staff, "Staff", msg.staff)
    return _serialise(root)


def sign(data: bytes, key: SignerKey) -> bytes:
    """The message ``data`` (as ``build_document`` or ``build_status`` made it) signed with ``key``: the
    ``ds:Signature`` goes last in ``edXMLHeader`` and covers the whole message, attachments included.
    ``SigningError`` when the key cannot sign (certificate outside its validity period, an unusable key)."""
    root = xmlsig.parse(data)
    header = root.find(f"{E}edXMLEnvelope/{E}edXMLHeader")
    if header is None:
        raise SigningError("gói tin không có edXMLHeader để đặt chữ ký")
    xmlsig.placeholder(header)
    return xmlsig.sign_enveloped(root, key)


# --- structure ---------------------------------------------------------------------------------------------

# element → {child: (min, max)}; max None = unbounded. Children not listed are refused (a typo or an element of
# another schema); elements not listed here have text only.
_ORGAN = {"OrganId": (1, 1), "OrganizationInCharge": (0, 1), "OrganName": (0, 1), "OrganAdd": (0, 1),
          "Email": (0, 1), "Telephone": (0, 1), "Fax": (0, 1), "Website": (0, 1)}
STRUCTURE: dict[str, dict[str, tuple[int, int | None]]] = {
    "edXML": {"edXMLEnvelope": (1, 1), "AttachmentEncoded": (0, 1)},
    "edXMLEnvelope": {"edXMLHeader": (1, 1), "edXMLBody": (0, 1)},
    "edXMLHeader": {"MessageHeader": (0, 1), "Status": (0, 1), "TraceHeaderList": (0, 1), "Signature": (0, 1),
                    "DigitalSignature": (0, 1)},
    "MessageHeader": {"From": (1, 1), "To": (1, None), "Code": (1, 1), "PromulgationInfo": (1, 1),
                      "DocumentType": (1, 1), "Subject": (1, 1), "Content": (0, 1), "SignerInfo": (1, 1),
                      "DueDate": (0, 1), "ToPlaces": (0, 1), "OtherInfo": (0, 1), "ResponseFor": (0, None),
                      "SteeringType": (0, 1), "DocumentId": (1, 1)},
    "From": _ORGAN, "To": _ORGAN,
    "Code": {"CodeNumber": (1, 1), "CodeNotation": (1, 1)},
    "PromulgationInfo": {"Place": (0, 1), "PromulgationDate": (1, 1)},
    "DocumentType": {"Type": (1, 1), "TypeName": (0, 1), "TypeDetail": (0, 1)},
    "SignerInfo": {"Competence": (0, 1), "Position": (0, 1), "FullName": (1, 1)},
    "ToPlaces": {"Place": (0, None)},
    "OtherInfo": {"Priority": (0, 1), "SphereOfPromulgation": (0, 1), "TyperNotation": (0, 1),
                  "PromulgationAmount": (0, 1), "PageAmount": (0, 1), "Appendixes": (0, 1)},
    "Appendixes": {"Appendix": (0, None)},
    "TraceHeaderList": {"TraceHeader": (1, None), "Bussiness": (0, 1)},
    "TraceHeader": {"OrganId": (1, 1), "Timestamp": (1, 1)},
    "Bussiness": {"BussinessDocType": (1, 1), "BussinessDocReason": (0, 1), "BussinessDocumentInfo": (0, 1),
                  "ReplacementInfoList": (0, 1), "StaffInfo": (0, 1), "Paper": (0, 1)},
    "ReplacementInfoList": {"ReplacementInfo": (1, None)},
    "ReplacementInfo": {"DocumentId": (1, 1), "OrganIdList": (0, 1)},
    "edXMLBody": {"edXMLManifest": (1, 1)},
    "edXMLManifest": {"Reference": (0, None)},
    "Reference": {"Description": (0, 1), "AttachmentName": (1, 1), "ContentType": (1, 1), "ContentId": (1, 1),
                  "Digest": (0, 1)},
    "AttachmentEncoded": {"Attachment": (0, None)},
    "Attachment": {"ContentType": (1, 1), "ContentId": (1, 1), "Description": (0, 1),
                   "ContentTransferEncoded": (1, 1), "AttachmentName": (1, 1)},
    "Status": {"ResponseFor": (1, 1), "From": (1, 1), "StatusCode": (1, 1), "Description": (0, 1),
               "Timestamp": (1, 1), "StaffInfo": (0, 1)},
    "ResponseFor": {"OrganId": (1, 1), "Code": (0, 1), "PromulgationDate": (0, 1), "DocumentId": (1, 1)},
    "StaffInfo": {"Department": (0, 1), "Staff": (0, 1), "Mobile": (0, 1), "Email": (0, 1)},
}
_TEXT_HERE = {"ResponseFor/Code", "ResponseFor/PromulgationDate", }
"""(parent/element) where a name that is structured elsewhere holds text (Status/ResponseFor/Code is "445/KH")."""
_OPEN = {"Signature", "DigitalSignature", "BussinessDocumentInfo", "OrganIdList"}
"""Elements whose content is another schema's (XML signature) or left open by the standard."""
_SIGNATURE_PARENTS = {"edXMLHeader"}
"""Where a ``ds:Signature`` may stand as a child (else inside an ``edXML:Signature`` of the header)."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def validate(root: ET.Element) -> list[str]:
    """The structural faults of a message (empty when it is well-formed edXML), each a Vietnamese sentence."""
    faults: list[str] = []
    if root.tag != E + "edXML":
        return [f"Phần tử gốc phải là edXML trong không gian tên {NS}, không phải {root.tag}."]

    def walk(node: ET.Element, path: str, parent: str) -> None:
        name = _local(node.tag)
        if name in _OPEN:
            return
        rules = None if f"{parent}/{name}" in _TEXT_HERE else STRUCTURE.get(name)
        children = list(node)
        if rules is None:
            if children:
                faults.append(f"{path}: phần tử {name} không được có phần tử con.")
            return
        counts: dict[str, int] = {}
        for child in children:
            if child.tag == DS_SIGNATURE and name in _SIGNATURE_PARENTS:
                continue  # the XML signature: another schema's, verified by parse
            if not child.tag.startswith(E):
                faults.append(f"{path}: phần tử {child.tag} không thuộc không gian tên edXML.")
                continue
            child_name = _local(child.tag)
            if child_name not in rules:
                faults.append(f"{path}: phần tử {child_name} không có trong cấu trúc của {name}.")
                continue
            counts[child_name] = counts.get(child_name, 0) + 1
            walk(child, f"{path}/{child_name}", name)
        for child_name, (low, high) in rules.items():
            seen = counts.get(child_name, 0)
            if seen < low:
                faults.append(f"{path}: thiếu {child_name}.")
            if high is not None and seen > high:
                faults.append(f"{path}: {child_name} chỉ được có {high} lần.")

    walk(root, "edXML", "")
    header = root.find(f"{E}edXMLEnvelope/{E}edXMLHeader")
    if header is not None and (header.find(E + "MessageHeader") is None) == (header.find(E + "Status") is None):
        faults.append("edXMLHeader phải có đúng một trong MessageHeader (văn bản) hoặc Status (trạng thái).")
    return faults


# --- parsing -----------------------------------------------------------------------------------------------

def _text(node: ET.Element | None, path: str) -> str:
    found = node.find(_qualified(path)) if node is not None else None
    return unicodedata.normalize("NFC", (found.text or "").strip()) if found is not None else ""


def _qualified(path: str) -> str:
    return "/".join(E + part for part in path.split("/"))


def parse_date(raw: str, label: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    for fmt in ("%Y/%m/%d", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw[:10], fmt).date()
        except ValueError:
            continue
    raise EdxmlError(f"{label} không đúng dạng ngày (YYYY/MM/DD): “{raw[:40]}”.")


def _organ_of(node: ET.Element | None) -> Organ:
    return Organ(organ_id=_text(node, "OrganId"), name=_text(node, "OrganName"),
                 in_charge=_text(node, "OrganizationInCharge"), address=_text(node, "OrganAdd"),
                 email=_text(node, "Email"))


def _int(raw: str, label: str, default: int = 0) -> int:
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise EdxmlError(f"{label} phải là số: “{raw[:20]}”.")
    return int(raw)


def parse(data: bytes, *, max_bytes: int) -> DocumentMessage | StatusMessage:
    """A message from its bytes, or EdxmlError saying what is wrong with it. No DTD is accepted (entity
    expansion, external entities), nothing larger than ``max_bytes`` is parsed, the structure is validated, and
    every attachment must be named in the manifest and match its digest when one is given."""
    if len(data) > max_bytes:
        raise EdxmlError(f"Gói tin quá lớn ({len(data) // (1024 * 1024)} MB, tối đa {max_bytes // (1024 * 1024)} MB).")
    try:
        root = safe_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise EdxmlError("Gói tin có khai báo DTD hoặc thực thể (entity): không được chấp nhận.") from None
    except ET.ParseError as exc:
        raise EdxmlError(f"Gói tin không phải XML hợp lệ ({exc}).") from None
    faults = validate(root)
    if faults:
        raise EdxmlError("Gói tin không đúng cấu trúc edXML: " + " ".join(faults[:5]))
    signature = None
    if next(root.iter(DS_SIGNATURE), None) is not None:
        root, signature = _verified(data, root)
    header = root.find(_qualified("edXMLEnvelope/edXMLHeader"))
    assert header is not None
    status = header.find(E + "Status")
    if status is not None:
        return StatusMessage(
            responds_to_organ=_text(status, "ResponseFor/OrganId"), document_id=_text(status, "ResponseFor/DocumentId"),
            code=_text(status, "ResponseFor/Code"),
            promulgation_date=parse_date(_text(status, "ResponseFor/PromulgationDate"), "PromulgationDate"),
            sender=_organ_of(status.find(E + "From")), status_code=_text(status, "StatusCode"),
            description=_text(status, "Description"), timestamp=_text(status, "Timestamp"),
            staff=_text(status, "StaffInfo/Staff"), department=_text(status, "StaffInfo/Department"),
            signature=signature)
    mh = header.find(E + "MessageHeader")
    assert mh is not None
    promulgated = parse_date(_text(mh, "PromulgationInfo/PromulgationDate"), "PromulgationDate")
    if promulgated is None:
        raise EdxmlError("Thiếu ngày ban hành (PromulgationDate).")
    traces = header.find(E + "TraceHeaderList")
    business = _int(_text(traces, "Bussiness/BussinessDocType"), "BussinessDocType") if traces is not None else 0
    if business not in BUSINESS_LABELS:
        raise EdxmlError(f"Mã nghiệp vụ (BussinessDocType) {business} không hợp lệ: 0, 1, 2 hoặc 3.")
    msg = DocumentMessage(
        sender=_organ_of(mh.find(E + "From")), recipients=[_organ_of(n) for n in mh.findall(E + "To")],
        code_number=_text(mh, "Code/CodeNumber"), code_notation=_text(mh, "Code/CodeNotation"),
        place=_text(mh, "PromulgationInfo/Place"), promulgation_date=promulgated,
        type_code=_text(mh, "DocumentType/Type"), type_name=_text(mh, "DocumentType/TypeName"),
        subject=_text(mh, "Subject"), content=_text(mh, "Content"), signer_name=_text(mh, "SignerInfo/FullName"),
        signer_position=_text(mh, "SignerInfo/Position"), signer_competence=_text(mh, "SignerInfo/Competence"),
        due_date=parse_date(_text(mh, "DueDate"), "DueDate"),
        to_places=[unicodedata.normalize("NFC", (p.text or "").strip())
                   for p in mh.findall(_qualified("ToPlaces/Place"))],
        priority=_int(_text(mh, "OtherInfo/Priority"), "Priority"),
        sphere=_text(mh, "OtherInfo/SphereOfPromulgation"), typer_notation=_text(mh, "OtherInfo/TyperNotation"),
        promulgation_amount=_int(_text(mh, "OtherInfo/PromulgationAmount"), "PromulgationAmount", 1),
        page_amount=_int(_text(mh, "OtherInfo/PageAmount"), "PageAmount"),
        steering_type=_int(_text(mh, "SteeringType"), "SteeringType"), business=business,
        business_reason=_text(traces, "Bussiness/BussinessDocReason") if traces is not None else "",
        replaces=[_text(n, "DocumentId") for n in header.findall(
            _qualified("TraceHeaderList/Bussiness/ReplacementInfoList/ReplacementInfo"))],
        trace=[(_text(n, "OrganId"), _text(n, "Timestamp")) for n in header.findall(
            _qualified("TraceHeaderList/TraceHeader"))],
        document_id=_text(mh, "DocumentId"), signature=signature,
    )
    if not msg.sender.organ_id or not msg.subject:
        raise EdxmlError("Thiếu mã định danh nơi gửi (From/OrganId) hoặc trích yếu (Subject).")
    msg.attachments = _attachments(root)
    return msg


def _verified(data: bytes, root: ET.Element) -> tuple[ET.Element, EnvelopeSignature]:
    """The message's one XML signature verified, and the message as signed (read from what the signature covers,
    so that nothing outside it is read), or EdxmlError saying why it is refused: several signatures, one out of
    place, a signature that does not cover the whole message, or one that does not verify (changed since)."""
    found = list(root.iter(DS_SIGNATURE))
    if len(found) > 1:
        raise EdxmlError(f"Gói tin có {len(found)} chữ ký số (Signature); chỉ được có một: gói tin không được nhận.")
    header = root.find(_qualified("edXMLEnvelope/edXMLHeader"))
    places = [] if header is None else [*header.findall(DS_SIGNATURE),
                                        *header.findall(f"{E}Signature/{DS_SIGNATURE}")]
    if not places:
        raise EdxmlError("Chữ ký số (Signature) của gói tin phải nằm trong edXMLHeader: gói tin không được nhận.")
    try:
        # the same bytes the defused parser accepted (no DTD, so nothing to resolve), by a non-resolving parser:
        # signxml needs lxml's tree, whose namespace prefixes canonicalisation depends on
        verified = xmlsig.verify_enveloped(xmlsig.parse(data))
    except SigningError as exc:
        raise EdxmlError(f"Chữ ký số của gói tin không hợp lệ: {exc}. Gói tin không được nhận.") from None
    try:
        signed = safe_fromstring(etree.tostring(verified.signed, encoding="utf-8"), forbid_dtd=True,
                                 forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ET.ParseError):  # canonical XML from signxml: not expected
        raise EdxmlError("Phần được ký của gói tin không đọc được.") from None
    faults = validate(signed)
    if faults:
        raise EdxmlError("Phần được ký của gói tin không đúng cấu trúc edXML: " + " ".join(faults[:5]))
    return signed, EnvelopeSignature(certificate=verified.certificate, others=verified.others,
                                     signer=verified.signer, organisation=verified.organisation,
                                     serial=verified.serial)


def _attachments(root: ET.Element) -> list[Attachment]:
    manifest = {(_text(ref, "ContentId").removeprefix("cid:")): ref
                for ref in root.findall(_qualified("edXMLEnvelope/edXMLBody/edXMLManifest/Reference"))}
    out: list[Attachment] = []
    for item in root.findall(_qualified("AttachmentEncoded/Attachment")):
        content_id = _text(item, "ContentId").removeprefix("cid:")
        name = _text(item, "AttachmentName")
        ref = manifest.pop(content_id, None)
        if ref is None:
            raise EdxmlError(f"Tệp đính kèm “{name}” không có trong danh mục (Manifest) của gói tin.")
        encoded = item.find(E + "ContentTransferEncoded")
        try:
            data = base64.b64decode("".join((encoded.text or "").split()) if encoded is not None else "",
                                    validate=True)
        except (binascii.Error, ValueError):
            raise EdxmlError(f"Tệp đính kèm “{name}” không phải base64 hợp lệ.") from None
        digest = ref.find(E + "Digest")
        if digest is not None and (digest.text or "").strip():
            expected = (digest.text or "").strip()
            if base64.b64encode(hashlib.sha256(data).digest()).decode() != expected:
                raise EdxmlError(f"Tệp đính kèm “{name}” không khớp mã băm SHA-256 trong danh mục: tệp đã bị thay "
                                 f"đổi hoặc hỏng trên đường truyền.")
        out.append(Attachment(name=name, content_type=_text(item, "ContentType"), data=data,
                              description=_text(item, "Description"), content_id=content_id))
    if manifest:
        raise EdxmlError("Danh mục (Manifest) nêu tệp đính kèm không có trong gói tin: "
                         + ", ".join(_text(r, "AttachmentName") for r in manifest.values()) + ".")
    return out
