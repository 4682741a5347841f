"""Verified by others: every kind of file the library makes is checked by poppler's pdfsig (NSS, with the
test roots trusted) and by pyHanko's own command line, and a changed byte is caught by all three of them
(ours included), wherever it is: in the first revision, in the last one, inside a signature's /Contents.

Two changes sign nothing differently, and the three disagree on them: a byte of the last signature's
/Contents padding, and bytes appended after the final %%EOF. pyHanko accepts both; pdfsig says the signature
no longer covers the whole file; our report calls the file changed after signing (verdict "modified").

pdfsig does not evaluate document timestamps (it lists them as "not yet verified"): those are checked by
our validator here, and by pyHanko's library in test_long_term.
"""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from signing.placement import Placement, box_above_name
from signing.sign import seal_pdf, sign_attachment, sign_pdf
from signing.timestamps import http_timestamper
from signing.tokens import open_token
from signing.trust import validation_context
from signing.validate import validate_pdf

BOX = Placement(0, (330.0, 120.0, 500.0, 190.0))


@pytest.fixture(scope="module")
def made(plain_pdf, leader, organisation_key, signature_png, seal_png, services, live_person, softhsm, token,
         ) -> dict[str, tuple[bytes, int]]:
    """Every kind of file, with the number of approval signatures (not document timestamps) in it."""
    lt = {"embed_validation_info": True,
          "validation_context": validation_context([services.ca.root], revocation="hard")}
    stamper = http_timestamper(services.tsa_url)
    signer = sign_pdf(plain_pdf, leader, image_png=signature_png,
                      placement=box_above_name(plain_pdf, "Nguyễn Văn Hùng"))
    with open_token(softhsm.module, pin=softhsm.pin, token_label=softhsm.label, key_label="tuan") as key:
        on_token = sign_pdf(plain_pdf, key, image_png=signature_png, placement=BOX, timestamper=stamper)
    return {
        "B-B signer and seal": (seal_pdf(signer, organisation_key, seal_png=seal_png), 2),
        "B-T": (sign_pdf(plain_pdf, live_person, placement=BOX, timestamper=stamper), 1),
        "B-LT": (sign_pdf(plain_pdf, live_person, placement=BOX, timestamper=stamper, **lt), 1),
        "B-LTA": (sign_pdf(plain_pdf, live_person, placement=BOX, timestamper=stamper, lta=True, **lt), 1),
        "attachment stamp": (sign_attachment(plain_pdf, organisation_key, number="445/KH-LĐLĐ"), 1),
        "PKCS#11 (SoftHSM2)": (on_token, 1),
    }


KINDS = ["B-B signer and seal", "B-T", "B-LT", "B-LTA", "attachment stamp", "PKCS#11 (SoftHSM2)"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_valid_for_us_pdfsig_and_pyhanko(made, kind, checkers, root, services):
    pdf, count = made[kind]
    report = validate_pdf(pdf, trust_roots=[root, services.ca.root], revocation="hard", fetch=True)
    assert report.all_valid and len(report.signatures) == count, report.to_json()
    assert len(report.timestamps) == (1 if kind == "B-LTA" else 0)

    out = checkers.pdfsig(pdf)
    assert out.count("Signature is Valid.") == count, out
    assert out.count("Certificate is Trusted.") == count, out

    result = checkers.pyhanko(pdf, "--trust-replace")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == count and all(":INTACT:TRUSTED" in line for line in lines), result.stdout


def _flip(data: bytes, position: int) -> bytes:
    """One byte changed; a hex digit stays a hex digit (else the file would not even parse)."""
    old = data[position]
    if chr(old) in "0123456789abcdefABCDEF":
        new = ord("1") if old != ord("1") else ord("2")
    else:
        new = old ^ 0x01
    return data[:position] + bytes([new]) + data[position + 1:]


def _signatures(pdf: bytes):
    return [s for s in PdfFileReader(io.BytesIO(pdf)).embedded_signatures if s.sig_object_type == "/Sig"]


def _in_first_revision(pdf: bytes) -> int:
    """A byte of the page content, far from any cross-reference data, before the first signature."""
    first = _signatures(pdf)[0]
    end_of_first_revision = int(first.byte_range[1])
    position = pdf.index(b"stream", 0, end_of_first_revision) + 20  # inside the first stream's data
    assert position < end_of_first_revision
    return position


def _in_last_revision(pdf: bytes) -> int:
    """A digit of the last signature's /M date, in the file's last revision: covered by that signature only,
    and the file still parses."""
    last = _signatures(pdf)[-1]
    after_contents, end = int(last.byte_range[2]), int(last.byte_range[2]) + int(last.byte_range[3])
    assert end == len(pdf)  # the signature's revision is the file's last one
    position = pdf.index(b"Z)", pdf.index(b"/M (D", after_contents)) - 1  # the last digit of the seconds
    assert chr(pdf[position]).isdigit() and position < end
    return position


def _in_signature_value(pdf: bytes) -> int:
    """A hex digit of the last signature's RSA/ECDSA value inside /Contents: the CMS still parses, the
    digest still matches, only the signature over it is wrong."""
    last = _signatures(pdf)[-1]
    value = bytes(last.signer_info["signature"].native)
    contents_start = int(last.byte_range[1]) + 1  # after "<"
    hex_value = value.hex().encode()
    position = pdf.lower().index(hex_value, contents_start)
    return position + len(hex_value) // 2


@pytest.mark.parametrize(("kind", "where"), [
    ("B-B signer and seal", "first revision"), ("B-B signer and seal", "last revision"),
    ("B-B signer and seal", "signature value"), ("B-LTA", "first revision"), ("B-LTA", "signature value"),
])
def test_a_changed_byte_is_caught_by_all_three(made, kind, where, checkers, root, services):
    pdf, count = made[kind]
    locate = {"first revision": _in_first_revision, "last revision": _in_last_revision,
              "signature value": _in_signature_value}[where]
    tampered = _flip(pdf, locate(pdf))
    report = validate_pdf(tampered, trust_roots=[root, services.ca.root])
    assert not report.all_valid
    broken = [s for s in report.signatures if s.verdict == "broken"]
    if where == "first revision":
        assert len(broken) == count  # every signature covers the first revision
    else:
        assert broken and broken[-1].field == report.signatures[-1].field  # the last one, at least

    out = checkers.pdfsig(tampered, name="tampered.pdf")
    verdicts = [line.split(": ", 1)[1] for line in out.splitlines() if "- Signature Validation:" in line]
    approvals = verdicts[:count]  # pdfsig lists document timestamps after, "not yet verified"
    expected = ["Digest Mismatch." if where != "signature value" else "Signature is Invalid."]
    assert [v for v, s in zip(approvals, report.signatures, strict=True) if s.verdict == "broken"] == (
        expected * len(broken)), out
    assert [v for v, s in zip(approvals, report.signatures, strict=True) if s.verdict != "broken"] == (
        ["Signature is Valid."] * (count - len(broken))), out

    result = checkers.pyhanko(tampered, "--trust-replace", name="tampered.pdf")
    assert result.returncode != 0 and "Validation failed" in result.stderr, result.stdout + result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    for signature in report.signatures:
        judged = lines[signature.field].split(":", 1)[1]
        assert judged.startswith("INVALID") == (signature.verdict == "broken"), result.stdout


def _in_contents_padding(pdf: bytes, which: int = -1) -> int:
    """A zero of the padding after the CMS value in a signature's /Contents (by default the file's last
    signature or document timestamp): the space a signature reserves for itself, outside what it signs."""
    from asn1crypto import parser

    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[which]
    _class, _method, _tag, header, body, trailer = parser.parse(bytes(signature.pkcs7_content))
    value_end = int(signature.byte_range[1]) + 1 + 2 * (len(header) + len(body) + len(trailer))  # after "<"
    closing = int(signature.byte_range[2]) - 1
    assert pdf[closing:closing + 1] == b">" and set(pdf[value_end:closing]) == {ord("0")}
    return (value_end + closing) // 2


def _blocks(pdfsig_output: str) -> list[str]:
    """pdfsig's paragraph per signature, in file order."""
    return pdfsig_output.split("Signature #")[1:]


@pytest.mark.parametrize("kind", ["B-B signer and seal", "B-LTA"])
def test_a_changed_byte_in_the_contents_padding(made, kind, checkers, root, services):
    """The padding of the last signature (or document timestamp) is signed by nothing: it is the hole the
    signature leaves for itself. pyHanko reports it intact and untouched; pdfsig reports the signature valid
    but no longer covering the whole file ("Not total document signed"). Our report: intact, but the file
    was changed after signing (verdict "modified", padding_clean false): it is not the file that was signed."""
    pdf, count = made[kind]
    tampered = _flip(pdf, _in_contents_padding(pdf))
    report = validate_pdf(tampered, trust_roots=[root, services.ca.root])
    *others, last = [*report.signatures, *report.timestamps]
    assert not report.all_valid and last.intact and last.valid and not last.padding_clean
    assert last.verdict == "modified" and "vùng dành cho chữ ký có dữ liệu lạ" in last.modification_text
    assert all(s.ok and s.padding_clean for s in others)

    before, out = checkers.pdfsig(pdf), checkers.pdfsig(tampered, name="tampered.pdf")
    assert out.count("Signature is Valid.") == count, out
    if kind == "B-B signer and seal":  # pdfsig lists a document timestamp without judging it
        assert "- Total document signed" in _blocks(before)[-1]
        assert "- Not total document signed" in _blocks(out)[-1], out

    # pyHanko's command line says exactly what it says of the untouched file (it lists approval signatures
    # only): intact, trusted, the last one "UNTOUCHED"
    result = checkers.pyhanko(tampered, "--trust-replace", name="tampered.pdf")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == checkers.pyhanko(pdf, "--trust-replace").stdout
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == count and all(":INTACT:TRUSTED" in line for line in lines), result.stdout
    assert kind != "B-B signer and seal" or lines[-1].endswith(":INTACT:TRUSTED,UNTOUCHED"), result.stdout


def test_the_padding_of_an_earlier_signature_is_covered_by_the_later_ones(made, root, services):
    """Only the last signature's padding is outside every signature: the signer's /Contents lies inside the
    revision the document timestamp (B-LTA) signs, so changing its padding breaks the timestamp."""
    pdf, _count = made["B-LTA"]
    tampered = _flip(pdf, _in_contents_padding(pdf, which=0))
    report = validate_pdf(tampered, trust_roots=[root, services.ca.root])
    [signature], [stamp] = report.signatures, report.timestamps
    assert signature.intact and not signature.padding_clean and signature.verdict == "modified"
    assert not stamp.intact and stamp.verdict == "broken"


@pytest.mark.parametrize("kind", ["B-B signer and seal", "B-LT"])
def test_bytes_appended_after_the_end_of_the_file(made, kind, checkers, root, services):
    """Bytes after the final %%EOF are no revision: no signature covers them and nothing explains them.
    pyHanko accepts the file ("EXTENDED_WITH_NONE", exit 0); pdfsig reports each signature valid, the last one
    "Not total document signed". Our report: every signature intact but followed by an unsigned change
    (verdict "modified"), the number of bytes in the report and in its text."""
    pdf, count = made[kind]
    extra = b"\n% appended after signing: 1 0 obj (not a revision) endobj\n"
    tampered = pdf + extra
    report = validate_pdf(tampered, trust_roots=[root, services.ca.root])
    assert report.trailing_bytes == len(extra) and report.to_dict()["trailing_bytes"] == len(extra)
    assert not report.all_valid and len(report.signatures) == count
    for signature in report.signatures:
        assert signature.intact and signature.valid and signature.verdict == "modified"
        assert f"cuối tệp bị nối thêm {len(extra)} byte" in signature.modification_text
    assert validate_pdf(pdf, trust_roots=[root, services.ca.root]).trailing_bytes == 0  # the contrast

    out = checkers.pdfsig(tampered, name="tampered.pdf")
    assert out.count("Signature is Valid.") == count, out
    assert "- Not total document signed" in _blocks(out)[count - 1], out

    result = checkers.pyhanko(tampered, "--trust-replace", name="tampered.pdf")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == count and all(":INTACT:TRUSTED" in line for line in lines), result.stdout
    if kind == "B-B signer and seal":  # the seal covered the whole file; now "extended", with nothing in it
        assert lines[-1].endswith(":INTACT:TRUSTED,EXTENDED_WITH_NONE,ACCEPTABLE_MODIFICATIONS"), result.stdout
    else:  # the DSS revision already followed the signature: pyHanko sees no difference at all
        assert result.stdout == checkers.pyhanko(pdf, "--trust-replace").stdout
