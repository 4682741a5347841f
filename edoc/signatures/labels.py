"""What signing's names become on the pages: X.509 attribute labels ("Common Name: …", as asn1crypto writes a
certificate's name) and the PDF form fields the renderer leaves (``sig_signer``, ``doc_number`` …) in Vietnamese.
Stored reports keep the library's words (they are records); pages show them through ``in_vietnamese``."""

from __future__ import annotations

import re

NAME_LABELS = {
    "Common Name": "Tên",
    "Surname": "Họ",
    "Given Name": "Tên riêng",
    "Serial Number": "Số hiệu",
    "Country": "Quốc gia",
    "Locality": "Địa phương",
    "State/Province": "Tỉnh/Thành phố",
    "Street Address": "Địa chỉ",
    "Organization Identifier": "Mã số tổ chức",
    "Organizational Unit": "Đơn vị",
    "Organization": "Tổ chức",
    "Title": "Chức danh",
    "Postal Code": "Mã bưu chính",
    "Telephone Number": "Điện thoại",
    "Email Address": "Thư điện tử",
    "User ID": "Mã định danh",
    "Unique Identifier": "Mã định danh",
    "Domain Component": "Tên miền",
    "Name": "Tên",
    "Pseudonym": "Bí danh",
}
"""asn1crypto's ``NameType.human_friendly`` labels (those a certificate of a Vietnamese CA may carry)."""

FIELD_LABELS = {
    "sig_signer": "chữ ký của người ký",
    "sig_seal": "chữ ký số của cơ quan",
    "sig_attachment": "chữ ký số của cơ quan trên phụ lục",
    "sig_copy": "chữ ký số của cơ quan trên bản sao",
    "sig_paper": "chữ ký số của cơ quan trên bản số hóa",
    "doc_timestamp": "dấu thời gian tài liệu",
    "doc_number": "số văn bản",
    "doc_day": "ngày ban hành",
    "doc_month": "tháng ban hành",
    "doc_year": "năm ban hành",
}
"""The fields edoc's renderer and signer put in a PDF (``edoc.rendering.html``, ``signing.sign``)."""

_NAMES = re.compile(r"(?:(?<=^)|(?<=, ))(" + "|".join(re.escape(k) for k in sorted(NAME_LABELS, key=len, reverse=True))
                    + r"): ")
_FIELDS = re.compile(r"\b(" + "|".join(re.escape(k) for k in FIELD_LABELS) + r")\b")


def in_vietnamese(text: object) -> str:
    """``text`` with certificate name labels and edoc's field names in Vietnamese; anything else as it was."""
    value = "" if text is None else str(text)
    value = _NAMES.sub(lambda m: NAME_LABELS[m.group(1)] + ": ", value)
    return _FIELDS.sub(lambda m: FIELD_LABELS[m.group(1)], value)
