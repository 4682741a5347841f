"""signing.forms: fields added to a fresh PDF, then the number and date filled in after the signer has signed.

The order in the office is sign first, number later, so the filling must leave the signature intact and valid,
with pyHanko's difference analysis classing the update as form filling; a change to the page is the contrast
that shows the check has teeth.
"""

from __future__ import annotations

import io
import re
import subprocess
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from edoc.rendering import render_pdf
from edoc.rendering.samples import sample_445_kh
from signing.forms import (
    ALIGN_CENTRE,
    ALIGN_LEFT,
    ALIGN_RIGHT,
    FieldBox,
    FormError,
    SigFieldSpec,
    TextFieldSpec,
    add_fields,
    add_signature_field,
    add_text_field,
    field_boxes,
    fill_text_fields,
)
from tests.support.components import require_tool

NUMBER_AND_DATE = {"doc_number": "445", "doc_day": "10", "doc_month": "4", "doc_year": "2023"}


@pytest.fixture(scope="module")
def signer_and_root() -> tuple[signers.SimpleSigner, asn1_x509.Certificate]:
    """A quick self-signed certificate, its own trust root."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Đức Thế"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Liên đoàn Lao động huyện Gia Lâm")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    asn1_key = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return signers.SimpleSigner(signing_cert=asn1_cert, signing_key=asn1_key, cert_registry=None), asn1_cert


@pytest.fixture(scope="module")
def draft() -> bytes:
    """The approved draft of 445/KH-LĐLĐ: number and date left as fields, the signer's field empty."""
    return render_pdf(sample_445_kh(issued=False)).pdf


def _sign(pdf: bytes, signer: signers.SimpleSigner, *, certify: bool = False) -> bytes:
    meta = signers.PdfSignatureMetadata(
        field_name="sig_signer", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES, certify=certify,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out)
    return out.getvalue()


def _status(pdf: bytes, root: asn1_x509.Certificate) -> PdfSignatureStatus:
    [embedded] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return validate_pdf_signature(embedded, ValidationContext(trust_roots=[root]))


def _pdftotext(pdf: bytes, tmp_path: Path, *args: str) -> str:
    require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_filling_after_signing_keeps_the_signature_valid_as_form_filling(draft, signer_and_root, tmp_path):
    signer, root = signer_and_root
    signed = _sign(draft, signer)
    assert _status(signed, root).modification_level == ModificationLevel.NONE
    filled = fill_text_fields(signed, NUMBER_AND_DATE)
    assert filled.startswith(signed)  # an incremental update: the signed bytes are untouched
    status = _status(filled, root)
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_REVISION"
    assert status.modification_level is not None
    assert status.modification_level <= ModificationLevel.FORM_FILLING
    assert status.modification_level == ModificationLevel.FORM_FILLING
    text = _pdftotext(filled, tmp_path)
    assert re.search(r"Số:\s*445\s*/KH-LĐLĐ", text)
    assert "Gia Lâm, ngày 10 tháng 4 năm 2023" in text
    # while the draft as signed shows neither
    before = _pdftotext(signed, tmp_path)
    assert re.search(r"Số:\s*/KH-LĐLĐ", before) and re.search(r"Gia Lâm, ngày\s+tháng\s+năm\s", before)


def test_certified_for_form_filling_the_docmdp_check_passes(draft, signer_and_root):
    signer, root = signer_and_root
    filled = fill_text_fields(_sign(draft, signer, certify=True), NUMBER_AND_DATE)
    status = _status(filled, root)
    assert status.intact and status.valid and status.docmdp_ok
    assert status.modification_level == ModificationLevel.FORM_FILLING


def test_filling_in_two_steps_is_still_form_filling(draft, signer_and_root, tmp_path):
    signer, root = signer_and_root
    signed = _sign(draft, signer)
    once = fill_text_fields(signed, {"doc_number": "445"})
    twice = fill_text_fields(once, {"doc_day": "10", "doc_month": "4", "doc_year": "2023"})
    status = _status(twice, root)
    assert status.valid and status.modification_level == ModificationLevel.FORM_FILLING
    assert "Gia Lâm, ngày 10 tháng 4 năm 2023" in _pdftotext(twice, tmp_path)


def test_changing_the_page_after_signing_is_caught(draft, signer_and_root):
    """The contrast: the same kind of incremental update, but writing on the page itself."""
    signer, root = signer_and_root
    signed = _sign(draft, signer)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref = writer.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    extra = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 100 100 Td (999) Tj ET"))
    contents = page["/Contents"]
    page[pdf_name("/Contents")] = generic.ArrayObject(
        [*(contents if isinstance(contents, generic.ArrayObject) else [page.raw_get("/Contents")]), extra])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    status = _status(out.getvalue(), root)
    assert status.intact  # the signed revision itself is untouched...
    assert status.modification_level == ModificationLevel.OTHER  # ...but what came after is not form filling


def _blank_pdf(pages: int = 2) -> bytes:
    from weasyprint import HTML

    html = "".join(f'<p style="break-after: page">Trang {i + 1}</p>' for i in range(pages))
    return HTML(string=f"<html><body>{html}</body></html>").write_pdf()


def test_fields_are_added_where_asked_and_read_back():
    boxes = {"a": (100.0, 700.0, 160.0, 716.0), "b": (300.0, 500.0, 340.0, 516.0)}
    blank = _blank_pdf()
    pdf = add_fields(blank, [TextFieldSpec("a", 0, boxes["a"], "Times-Roman", 13, ALIGN_RIGHT),
                                    TextFieldSpec("b", 1, boxes["b"], "Times-Italic", 14, ALIGN_CENTRE)],
                     [SigFieldSpec("sig", 1, (200.0, 100.0, 360.0, 180.0))])
    found = field_boxes(pdf)
    assert found == {"a": FieldBox(0, boxes["a"]), "b": FieldBox(1, boxes["b"]),
                     "sig": FieldBox(1, (200.0, 100.0, 360.0, 180.0))}
    page, (x1, y1, x2, y2) = found["b"]  # also a plain tuple
    assert page == 1 and x2 - x1 == 40
    reader = PdfFileReader(io.BytesIO(pdf))
    assert reader.xrefs.total_revisions == 2 and pdf.startswith(blank)  # the rendered file untouched
    form = reader.root["/AcroForm"]
    widgets = {str(f.get_object()["/T"]): f.get_object() for f in form["/Fields"]}
    assert str(widgets["a"]["/DA"]) == "/TiRo 13 Tf 0 g" and widgets["a"]["/Q"] == 2
    assert str(widgets["b"]["/DA"]) == "/TiIt 14 Tf 0 g" and widgets["b"]["/Q"] == 1
    assert widgets["sig"]["/FT"] == "/Sig"
    assert {str(k) for k in form["/DR"]["/Font"]} == {"/TiRo", "/TiIt"}


def test_single_field_helpers():
    pdf = add_text_field(_blank_pdf(1), "so", 0, (100, 100, 140, 116), font="Times-Bold", size=12,
                         align=ALIGN_LEFT)
    pdf = add_signature_field(pdf, "ky", 0, (100, 200, 260, 280))
    assert set(field_boxes(pdf)) == {"so", "ky"}


def _appearance_text(pdf: bytes, name: str) -> bytes:
    reader = PdfFileReader(io.BytesIO(pdf))
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if str(field["/T"]) == name:
            stream = field["/AP"]["/N"]
            return stream.data if hasattr(stream, "data") else zlib.decompress(stream.encoded_data)
    raise AssertionError(name)


def test_values_are_drawn_as_the_field_says(tmp_path):
    # 40 pt wide boxes, 13 pt Times: "445" is 19.5 pt wide
    pdf = add_fields(_blank_pdf(1), [TextFieldSpec("r", 0, (100, 700, 140, 716), "Times-Roman", 13, ALIGN_RIGHT),
                                     TextFieldSpec("c", 0, (200, 700, 240, 716), "Times-Italic", 13, ALIGN_CENTRE),
                                     TextFieldSpec("l", 0, (300, 700, 340, 716), "Times-Roman", 13, ALIGN_LEFT)],
                     [])
    filled = fill_text_fields(pdf, {"r": "445", "c": "445", "l": "445"})
    assert b"/TiRo 13 Tf 0 g 19.500 " in _appearance_text(filled, "r")  # 40 - 1 (padding) - 19.5
    assert b"/TiIt 13 Tf 0 g 10.250 " in _appearance_text(filled, "c")  # (40 - 19.5) / 2
    assert b"/TiRo 13 Tf 0 g 1.000 " in _appearance_text(filled, "l")
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>445</word>',
                       _pdftotext(filled, tmp_path, "-bbox"))
    assert len(words) == 3
    (rx1, rx2), (cx1, cx2), (lx1, _lx2) = ((float(a), float(b)) for a, b in words)
    assert abs(rx2 - 139) < 0.5 and abs((cx1 + cx2) / 2 - 220) < 0.5 and abs(lx1 - 301) < 0.5
    reader = PdfFileReader(io.BytesIO(filled))
    values = {str(f.get_object()["/T"]): str(f.get_object()["/V"]) for f in reader.root["/AcroForm"]["/Fields"]}
    assert values == {"r": "445", "c": "445", "l": "445"}


def test_refusals(draft, signer_and_root):
    with pytest.raises(FormError, match="no field named"):
        fill_text_fields(draft, {"no_such_field": "1"})
    with pytest.raises(FormError, match="not a text field"):
        fill_text_fields(draft, {"sig_signer": "1"})
    with pytest.raises(FormError, match="only digits"):
        fill_text_fields(draft, {"doc_number": "ấ"})
    with pytest.raises(FormError, match="no form fields"):
        fill_text_fields(_blank_pdf(1), {"doc_number": "1"})
    with pytest.raises(FormError, match="not a readable PDF"):
        fill_text_fields(b"%PDF-1.7 truncated", {"doc_number": "1"})
    with pytest.raises(FormError, match="already used"):
        add_text_field(draft, "doc_number", 0, (10, 10, 50, 30))
    with pytest.raises(FormError, match="already signed"):
        add_text_field(_sign(draft, signer_and_root[0]), "x", 0, (10, 10, 50, 30))
    with pytest.raises(FormError, match="unsupported field font"):
        add_text_field(_blank_pdf(1), "x", 0, (10, 10, 50, 30), font="Arial")
    assert fill_text_fields(draft, {}) == draft
    assert field_boxes(b"not a pdf") == {}


def test_the_report_names_the_fields_filled_after_signing(plain_pdf, leader, tmp_path, capsys):
    """A PDF from elsewhere with fields of its own: the report (text and JSON, ours and the command line's)
    lists what pyHanko's difference analysis found filled, not "the number and date" of our documents."""
    import json

    from signing.cli import main
    from signing.sign import sign_pdf
    from signing.validate import validate_pdf

    form = add_fields(plain_pdf, [TextFieldSpec("ho_ten", 0, (60.0, 700.0, 300.0, 720.0)),
                                  TextFieldSpec("ghi_chu", 0, (60.0, 660.0, 300.0, 680.0))], [])
    signed = sign_pdf(form, leader, field="sig_mot", placement=_box(330.0))
    filled = fill_text_fields(signed, {"ho_ten": "12/2026"})
    [report] = validate_pdf(filled, trust_roots=[leader.chain[-1]]).signatures
    assert report.ok and report.modification_level == "FORM_FILLING"
    assert report.changed_fields == ["ho_ten"]
    # pyHanko's own list names the untouched ghi_chu too (every field it had to clear): the report keeps
    # only the fields written since the signature
    [embedded] = PdfFileReader(io.BytesIO(filled)).embedded_signatures
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[leader.chain[-1]]))
    assert status.diff_result.changed_form_fields == {"ho_ten", "ghi_chu"}
    assert report.modification_text == "sau khi ký chỉ điền biểu mẫu (ô ho_ten)"
    assert "số, ngày" not in report.modification_text
    # a second signature after it: named as a signature, not as a filled field
    second = sign_pdf(filled, leader, field="sig_hai", placement=_box(430.0))
    first, last = validate_pdf(second, trust_roots=[leader.chain[-1]]).signatures
    assert first.changed_fields == ["ho_ten", "sig_hai"] and last.changed_fields == []
    # plain strings, not pyHanko's name objects, which hold on to the whole reader: the report's to_dict()
    # (asdict, a deep copy) once copied the parsed file for every report, 0.3 s each
    assert {type(name) for name in first.changed_fields} == {str}
    assert first.modification_text == "sau khi ký chỉ điền biểu mẫu (ô ho_ten) và thêm chữ ký (sig_hai)"
    assert last.modification_text == "không có thay đổi nào sau khi ký"
    # the JSON of the command line carries the list
    path, root = tmp_path / "second.pdf", tmp_path / "root.pem"
    path.write_bytes(second)
    root.write_bytes(leader.chain[-1].dump())
    capsys.readouterr()
    assert main(["validate", str(path), "--trust", str(root), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [s["changed_fields"] for s in printed["signatures"]] == [["ho_ten", "sig_hai"], []]


def _box(x: float):
    from signing.placement import Placement

    return Placement(0, (x, 100.0, x + 90.0, 140.0))
