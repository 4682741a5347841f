"""The signer signs before the number exists; filling the number and date afterwards must keep that signature
valid, with pyHanko's difference analysis reporting nothing worse than form filling."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from edoc.rendering import render_pdf
from edoc.rendering.samples import sample_445_kh
from signing.forms import fill_text_fields


def _self_signed() -> tuple[signers.SimpleSigner, asn1_x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nguyễn Văn Hùng")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    asn1_key = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return signers.SimpleSigner(signing_cert=asn1_cert, signing_key=asn1_key, cert_registry=None), asn1_cert


def test_filling_number_and_date_keeps_the_signers_signature_valid():
    rendered = render_pdf(sample_445_kh(issued=False))
    signer, cert = _self_signed()
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(rendered.pdf)),
                     signers.PdfSignatureMetadata(field_name="sig_signer"), signer=signer, output=out)
    filled = fill_text_fields(out.getvalue(), {"doc_number": "445", "doc_day": "10", "doc_month": "4",
                                               "doc_year": "2023"})
    reader = PdfFileReader(io.BytesIO(filled))
    [embedded] = reader.embedded_signatures
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[cert]))
    assert status.intact and status.valid and status.trusted
    assert status.modification_level is not None
    assert status.modification_level <= ModificationLevel.FORM_FILLING
    assert status.coverage.name == "ENTIRE_REVISION"
