"""edXML messages (issue 11, items 4, 5, 7): built to the standard's structure, read back, and every bad message
refused with a reason before anything is kept."""

from __future__ import annotations

import base64
from datetime import date, datetime

import pytest

from edoc.exchange import edxml
from edoc.exchange.edxml import Attachment, DocumentMessage, EdxmlError, Organ, StatusMessage

MB = 1024 * 1024


def _message(**overrides) -> DocumentMessage:
    values = dict(
        sender=Organ("000.00.00.G22", "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM"),
        recipients=[Organ("000.00.00.H26.LDLD", "Liên đoàn Lao động thành phố Hà Nội")],
        code_number="445", code_notation="KH-LĐLĐ", place="Gia Lâm", promulgation_date=date(2023, 4, 10),
        type_code="KH", type_name="Kế hoạch", subject="Thực hiện Chỉ thị 15-CT/TU năm 2023",
        signer_name="Nguyễn Văn Hùng", signer_position="CHỦ TỊCH", signer_competence="TM. BAN THƯỜNG VỤ",
        due_date=date(2023, 5, 10), to_places=["LĐLĐ thành phố Hà Nội"], priority=1,
        attachments=[Attachment("445-KH.pdf", "application/pdf", b"%PDF-1.7 signed bytes", "Văn bản"),
                     Attachment("phu-luc.pdf", "application/pdf", b"%PDF-1.7 annex", "Phụ lục")])
    values.update(overrides)
    return DocumentMessage(**values)


def test_a_document_message_has_the_standards_structure_and_reads_back():
    data = edxml.build_document(_message(), now=datetime(2023, 4, 10, 9, 30))
    from defusedxml.ElementTree import fromstring

    root = fromstring(data)
    assert edxml.validate(root) == []
    ns = {"e": edxml.NS}
    header = root.find("e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader", ns)
    for element in ("From", "To", "Code", "PromulgationInfo", "DocumentType", "Subject", "SignerInfo", "DueDate",
                    "ToPlaces", "OtherInfo", "DocumentId"):
        assert header.find(f"e:{element}", ns) is not None, element
    assert root.find("e:edXMLEnvelope/e:edXMLHeader/e:TraceHeaderList/e:TraceHeader/e:Timestamp", ns).text \
        == "2023/04/10 09:30:00"
    parsed = edxml.parse(data, max_bytes=MB)
    assert isinstance(parsed, DocumentMessage)
    assert parsed.document_id == "000.00.00.G22,2023/04/10,445/KH-LĐLĐ"
    assert (parsed.code_number, parsed.code_notation, parsed.subject) == ("445", "KH-LĐLĐ", _message().subject)
    assert (parsed.signer_competence, parsed.signer_position, parsed.due_date) == (
        "TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", date(2023, 5, 10))
    assert [a.data for a in parsed.attachments] == [b"%PDF-1.7 signed bytes", b"%PDF-1.7 annex"]
    assert parsed.business == 0 and parsed.priority == 1


@pytest.mark.parametrize("business", [1, 2, 3])
def test_recall_update_and_replace_carry_their_business_code(business):
    msg = _message(business=business, replaces=["000.00.00.G22,2023/04/01,400/KH-LĐLĐ"] if business == 3 else [])
    parsed = edxml.parse(edxml.build_document(msg, now=datetime(2023, 4, 10)), max_bytes=MB)
    assert parsed.business == business
    assert parsed.replaces == (["000.00.00.G22,2023/04/01,400/KH-LĐLĐ"] if business == 3 else [])


def test_a_status_message_reads_back():
    status = StatusMessage("000.00.00.G22", "000.00.00.G22,2023/04/10,445/KH-LĐLĐ", "445/KH-LĐLĐ",
                           date(2023, 4, 10), Organ("000.00.00.H26.LDLD", "LĐLĐ Hà Nội"), "03",
                           timestamp="2023/04/11 08:00:00", staff="Trần Văn Thư", department="Văn phòng")
    parsed = edxml.parse(edxml.build_status(status), max_bytes=MB)
    assert isinstance(parsed, StatusMessage)
    assert (parsed.status_code, parsed.description, parsed.document_id, parsed.staff) == (
        "03", "Đã vào sổ", status.document_id, "Trần Văn Thư")


GOOD = edxml.build_document(_message(), now=datetime(2023, 4, 10))
BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><edXML xmlns="' + edxml.NS.encode() + b'">&lol3;</edXML>')
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<edXML xmlns="' + edxml.NS.encode() + b'">&x;</edXML>')


@pytest.mark.parametrize("data, reason", [
    (b"<edXML><unclosed>", "không phải XML hợp lệ"),
    (b"", "không phải XML hợp lệ"),
    (BOMB, "DTD"),
    (EXTERNAL, "DTD"),
    (GOOD.replace(base64.b64encode(b"%PDF-1.7 annex"), base64.b64encode(b"%PDF-1.7 forged")), "mã băm SHA-256"),
    (GOOD.replace(b"<edXML:Subject>", b"<edXML:Bogus/><edXML:Subject>"), "Bogus không có trong cấu trúc"),
    (GOOD.replace(b"edXML:CodeNumber", b"edXML:CodeNumbr"), "thiếu CodeNumber"),
    (GOOD.replace(edxml.NS.encode(), b"urn:other"), "Phần tử gốc"),
    (GOOD.replace(b"<edXML:BussinessDocType>0<", b"<edXML:BussinessDocType>7<"), "BussinessDocType"),
    (GOOD.replace(b"2023/04/10</edXML:PromulgationDate>", b"10 April</edXML:PromulgationDate>"), "dạng ngày"),
    (GOOD + b" " * MB, "quá lớn"),
])
def test_bad_messages_are_refused_with_a_reason(data, reason):
    with pytest.raises(EdxmlError) as refused:
        edxml.parse(data, max_bytes=MB)
    assert reason in str(refused.value)


def test_an_attachment_missing_from_the_manifest_is_refused():
    start = GOOD.index(b"<edXML:Reference")
    end = GOOD.index(b"</edXML:Reference>") + len(b"</edXML:Reference>")
    with pytest.raises(EdxmlError, match="không có trong danh mục"):
        edxml.parse(GOOD[:start] + GOOD[end:], max_bytes=MB)
