"""Intake: scans and signed PDFs registered with their số đến; duplicates caught before a number is taken; bad files
refused with a message and nothing stored or numbered (issue 10, items 1, 2 and 9)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.files.service import read_verified
from edoc.incoming import service
from edoc.incoming.intake import Part
from edoc.incoming.models import IncomingDocument
from edoc.registers.models import RegisterCounter
from edoc.signatures.models import ValidationRecord
from tests.documents.conftest import get_doc, stored
from tests.incoming.conftest import LINES, ORIGINAL_DATE, data, huge_png, scan_png, text_pdf
from tests.support.web import csrf_token, login


def _numbers(app) -> list[int]:
    with app.app_context():
        return sorted(db.session.execute(select(IncomingDocument.number)
                                         .where(IncomingDocument.number.is_not(None))).scalars())


def test_scans_become_one_pdf_and_numbers_run_from_01(app, demo, register_doc):
    first = register_doc([Part("trang-1.png", scan_png("1")), Part("trang-2.jpg", _jpeg())])
    second = register_doc([Part("cong-van.pdf", text_pdf())], original_reference="153/LĐLĐ")
    with app.app_context():
        one, two = db.session.get(IncomingDocument, first), db.session.get(IncomingDocument, second)
        assert (one.number, two.number) == (1, 2) and one.arrival_number == "01"
        pdf = read_verified(one.file)
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2 \
            or pdf.count(b"/Page") >= 3
        assert one.ocr_status in {"done", "failed"} and one.text_source != "pdf"  # a scan: OCR'd by the job
        assert one.signature_verdict == ""  # and no signature
        assert two.text_source == "pdf" and "Tháng Công nhân" in two.text and two.ocr_status == ""
        assert two.signature_verdict == "unsigned"
        assert service.suggested_deadline(two).text == "trong thời hạn 10 ngày làm việc"


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (620, 877), "white").save(out, format="JPEG")
    return out.getvalue()


def test_a_duplicate_arrival_is_shown_before_a_number_is_taken(app, demo, register_doc):
    register_doc()
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        # typed again without accents and with a leading zero: the same arrival
        again = data(sender_name="LDLD thanh pho Ha Noi", original_reference="089/KH-LĐLĐ")
        with pytest.raises(service.DuplicateArrival, match="đã được vào sổ: số đến 01"):
            service.precheck(clerk, again)
    assert _numbers(app) == [1]
    register_doc(allow_duplicate=True)  # the clerk says it is another document
    assert _numbers(app) == [1, 2]


def test_the_page_shows_the_duplicate_and_stores_nothing(app, demo, register_doc, client):
    register_doc()
    login(client, "vanthu")
    before = stored(app)
    response = client.post("/incoming/new", data={
        "csrf_token": csrf_token(client, "/incoming/new"), "summary": "Kế hoạch",
        "sender_name": "LĐLĐ thành phố Hà Nội", "original_reference": "89/KH-LĐLĐ",
        "original_date": ORIGINAL_DATE.isoformat(), "file": (_file(scan_png()), "scan.png")},
        content_type="multipart/form-data")
    assert response.status_code == 409
    assert "đã được vào sổ: số đến 01" in response.text and 'id="duplicate-of"' in response.text
    assert "Vào sổ văn bản đến" in response.text  # the form again, not an error page
    assert stored(app) == before and _numbers(app) == [1]


def _file(data: bytes):
    import io

    return io.BytesIO(data)


BAD_FILES = [
    ("ghi-chu.txt", b"day khong phai van ban\n" * 20, 400, "không phải PDF hay ảnh quét"),
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 400, 400, "không phải PDF hay ảnh quét"),
    ("hong.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", 400, "Không đọc được tệp PDF"),
    ("hong.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, 400, "bị hỏng"),
    ("panorama.png", huge_png(), 400, "quá lớn (200 megapixel; tối đa 60 megapixel)"),
]


@pytest.mark.parametrize(("name", "content", "status", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_on_the_form_with_nothing_stored_or_numbered(app, demo, client, name, content, status,
                                                                          message):
    login(client, "vanthu")
    before = stored(app)
    response = client.post("/incoming/new", data={
        "csrf_token": csrf_token(client, "/incoming/new"), "summary": "Công văn", "sender_name": "Sở Nội vụ",
        "original_reference": "12/SNV", "file": (_file(content), name)}, content_type="multipart/form-data")
    assert response.status_code == status, response.text[:300]
    assert message in response.text and 'id="incoming-form"' in response.text
    assert stored(app) == before and _numbers(app) == []
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(RegisterCounter)).scalar_one() == 0


def test_bad_fields_are_refused_before_the_files(app, demo):
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        from datetime import timedelta

        from edoc.core.clock import vietnam_today
        for overrides, message in [({"summary": " "}, "trích yếu"), ({"sender_name": ""}, "cơ quan gửi"),
                                   ({"original_date": vietnam_today() + timedelta(days=1)}, "sau ngày đến"),
                                   ({"type_code": "XX"}, "Phụ lục III"), ({"secrecy": "Bí mật"}, "Độ mật"),
                                   ({"sender_contact_id": 999_999}, "Không tìm thấy nơi nhận")]:
            with pytest.raises(Exception, match=message):
                service.precheck(clerk, data(**overrides))
        specialist = db.session.get(User, demo["chuyenvien"])
        with pytest.raises(Exception, match="Chỉ văn thư"):
            service.precheck(specialist, data())


def _signed_pdf(app, demo, make_document) -> bytes:
    from edoc.documents.signing import sign_one
    from edoc.signatures.devca import DEMO_PIN

    doc_id = make_document(paper=False)
    with app.app_context():
        sign_one(db.session.get(User, demo["chutich"]), get_doc(doc_id), DEMO_PIN)
        db.session.commit()
        return read_verified(get_doc(doc_id).signed_file)


def tamper(pdf: bytes) -> bytes:
    """One byte changed inside the first stream, which the signature covers: the file still parses."""
    at = pdf.index(b"stream\n") + 7 + 20
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1:]


def test_signed_pdfs_are_validated_on_arrival_and_broken_ones_flagged(app, demo, make_document, register_doc):
    signed = _signed_pdf(app, demo, make_document)
    good = register_doc([Part("ky-so.pdf", signed)], original_reference="01/KH-LĐLĐ")
    tampered = tamper(signed)
    bad = register_doc([Part("bi-sua.pdf", tampered)], original_reference="02/KH-LĐLĐ")
    with app.app_context():
        good_doc, bad_doc = db.session.get(IncomingDocument, good), db.session.get(IncomingDocument, bad)
        assert good_doc.signature_verdict == "valid"
        record = db.session.get(ValidationRecord, good_doc.validation_id)
        assert record.all_valid and record.context == "incoming" and record.file_id == good_doc.file_id
        assert read_verified(good_doc.file) == signed  # never rewritten
        assert bad_doc.signature_verdict == "invalid"
        assert db.session.get(ValidationRecord, bad_doc.validation_id).all_valid is False
        clerk = db.session.get(User, demo["vanthu"])
        with pytest.raises(ValidationFailed, match="lý do"):
            service.return_to_sender(clerk, bad_doc, " ")
        service.return_to_sender(clerk, bad_doc, "Chữ ký số không còn nguyên vẹn")
        db.session.commit()
        assert bad_doc.status == "returned" and bad_doc.number == 2  # the number stays taken: no gap


def test_page_flags_a_broken_signature(app, demo, make_document, register_doc, client):
    signed = _signed_pdf(app, demo, make_document)
    bad = register_doc([Part("bi-sua.pdf", tamper(signed))])
    login(client, "vanthu")
    page = client.get(f"/incoming/{bad}")
    assert page.status_code == 200 and 'id="signature-flag"' in page.text and 'id="return-form"' in page.text


def _at_once(app, count: int, work) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def clerk(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            with app.app_context():
                work(i)
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    return errors


def _register(app, clerk_id: int, reference: str) -> None:
    actor = db.session.get(User, clerk_id)
    arrival = service.check_files(actor.organisation_id, [Part("cong-van.pdf", text_pdf())])
    try:
        service.register_arrival(actor, data(original_reference=reference), arrival)
        db.session.commit()
    except BaseException:
        db.session.rollback()  # as the pages and the API's error handler do: the stored bytes go with it
        raise


def test_concurrent_clerks_get_01_to_n(app, demo):
    clerk_id = demo["vanthu"]
    errors = _at_once(app, 12, lambda i: _register(app, clerk_id, f"{i + 1}/CV-SNV"))
    assert errors == [] and _numbers(app) == list(range(1, 13))


def test_two_clerks_registering_the_same_arrival_at_once_get_one_number(app, demo):
    """Item 9: both pass the early check; under the counter's lock the second finds the first's and is refused,
    its stored files removed with its transaction."""
    clerk_id = demo["vanthu"]
    before = stored(app)
    errors = _at_once(app, 2, lambda i: _register(app, clerk_id, "89/KH-LĐLĐ"))
    assert len(errors) == 1 and isinstance(errors[0], service.DuplicateArrival), errors
    assert _numbers(app) == [1]
    assert stored(app)[0] == before[0] + 1 and stored(app)[1] == before[1] + 1  # only the winner's scan is kept


def test_text_lines_are_nfc():
    assert all(line == __import__("unicodedata").normalize("NFC", line) for line in LINES)


def scanned_page(tmp_path) -> bytes:
    """A page as a scanner gives it: the text PDF rasterised at 200 dpi (poppler's pdftoppm), no text layer."""
    import subprocess

    from tests.support.components import require_tool

    require_tool("pdftoppm", "poppler-utils")
    source = tmp_path / "page.pdf"
    source.write_bytes(text_pdf())
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(source), str(tmp_path / "page")], check=True)
    return (tmp_path / "page.png").read_bytes()


def test_a_scan_without_text_is_ocrd_in_vietnamese_by_a_job_and_its_deadline_suggested(app, demo, register_doc,
                                                                                      tmp_path):
    from edoc.core.text import fold
    from edoc.incoming import ocr
    from edoc.jobs.models import Job

    missing = ocr.available()
    if missing:
        pytest.skip(f"OCR needs {missing}")
    page = scanned_page(tmp_path)
    doc_id = register_doc([Part("trang-1.png", page)])  # the job runs as the registration commits (tests)
    with app.app_context():
        doc = db.session.get(IncomingDocument, doc_id)
        assert (doc.ocr_status, doc.text_source) == ("done", "ocr")
        assert "thang cong nhan" in fold(doc.text) and "ngay lam viec" in fold(doc.text)
        assert service.suggested_deadline(doc).text.endswith("10 ngày làm việc")
        stored_pdf = read_verified(doc.file)
        [job] = db.session.execute(select(Job).where(Job.name == "incoming.ocr")).scalars()
        assert job.status == "done"
        # run again (a worker killed after recording): nothing changes
        assert ocr.run_ocr(doc_id) == "không cần nhận dạng"
        assert read_verified(doc.file) == stored_pdf  # the scan's PDF is never rewritten
        # its OCR text is searchable, for those who may see it
        from edoc.search.service import search

        clerk, delegate = db.session.get(User, demo["vanthu"]), db.session.get(User, demo["daibieu"])
        found = search(clerk, "thang cong nhan ngay lam viec")
        assert [(h.kind, h.object_id) for h in found.hits] == [("incoming", doc_id)]
        assert search(delegate, "thang cong nhan ngay lam viec").hits == []


def test_a_signed_pdf_is_never_rewritten_by_ocr(app, demo, make_document, register_doc, tmp_path):
    """A signed scan without text (signed images only): its text goes beside it, its bytes and signature stay."""
    from edoc.incoming import ocr

    if ocr.available():
        pytest.skip(f"OCR needs {ocr.available()}")
    signed = _signed_pdf(app, demo, make_document)
    doc_id = register_doc([Part("ky-so.pdf", signed)], original_reference="09/KH-LĐLĐ")
    with app.app_context():
        doc = db.session.get(IncomingDocument, doc_id)
        doc.text, doc.text_source = "", ""
        ocr.request_ocr(doc)  # as if it had had no text layer
        db.session.commit()
        doc = db.session.get(IncomingDocument, doc_id)
        assert doc.ocr_status == "done" and doc.text_source == "ocr" and doc.text
        assert read_verified(doc.file) == signed and doc.signature_verdict == "valid"


def test_blank_fields_are_filled_from_the_pdf_text_and_its_signature(app, demo, make_document, register_doc):
    from_text = register_doc([Part("cv.pdf", text_pdf())], original_reference="", signer_name="",
                             original_date=None)
    signed = register_doc([Part("ky-so.pdf", _signed_pdf(app, demo, make_document))], original_reference="",
                          signer_name="", sender_name="LĐLĐ huyện Gia Lâm")
    typed = register_doc([Part("cv.pdf", text_pdf())], original_reference="90/KH-LĐLĐ", allow_duplicate=True)
    with app.app_context():
        doc = db.session.get(IncomingDocument, from_text)
        assert doc.original_reference == "89/KH-LĐLĐ"
        assert doc.original_date is None or doc.original_date.isoformat() == "2026-12-03"  # not a future day
        assert db.session.get(IncomingDocument, signed).signer_name == "Nguyễn Văn Hùng"
        assert db.session.get(IncomingDocument, typed).original_reference == "90/KH-LĐLĐ"  # typed wins
