"""Numbers: one sequence per register per year from 01; never a duplicate, never a gap (Article 15)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import Conflict, NotAllowed, ValidationFailed
from edoc.documents import service
from edoc.documents.models import OutgoingDocument, Status
from edoc.registers.models import Register, RegisterCounter
from edoc.registers.types import DOCUMENT_TYPES, TypeKind, build_notation, get_type
from tests.documents.conftest import get_doc


def test_type_catalogue_and_notation():
    assert len([t for t in DOCUMENT_TYPES.values() if t.kind is TypeKind.ADMINISTRATIVE]) == 27
    assert build_notation(get_type("KH"), "LĐLĐ") == "KH-LĐLĐ"
    assert build_notation(get_type("QĐ"), "BNV") == "QĐ-BNV"
    assert build_notation(get_type("CV"), "LĐLĐ") == "LĐLĐ"
    assert build_notation(get_type("CV"), "BNV", "VP") == "BNV-VP"
    assert get_type("QyĐ").name == "Quy định" and get_type("SY").kind is TypeKind.COPY


def _issue(app, demo, doc_id, *, at=None, register_id=None, clerk="vanthu"):
    with app.app_context():
        doc = service.issue(db.session.get(User, demo[clerk]), get_doc(doc_id), at=at, register_id=register_id)
        db.session.commit()
        return doc.number, doc.reference, doc.issued_on


def test_issue_numbers_from_01_with_notation_and_date(app, demo, make_document):
    first, second = make_document(), make_document(type_code="CV", summary="V/v tuyên truyền cải cách hành chính")
    at = datetime(2023, 4, 10, 2, 15, tzinfo=UTC)  # 09:15 in Vietnam
    assert _issue(app, demo, first, at=at)[:2] == (1, "01/KH-LĐLĐ")
    number, reference, issued_on = _issue(app, demo, second, at=at)
    assert (number, reference, issued_on.isoformat()) == (2, "02/LĐLĐ-TG", "2023-04-10")


def test_issue_date_is_the_vietnam_calendar_day(app, demo, make_document):
    doc = make_document()
    late_evening_utc = datetime(2023, 12, 31, 17, 30, tzinfo=UTC)  # already 1 January 2024 in Hà Nội
    number, reference, issued_on = _issue(app, demo, doc, at=late_evening_utc)
    assert issued_on.isoformat() == "2024-01-01" and number == 1


def test_year_rolls_over(app, demo, make_document):
    docs = [make_document() for _ in range(3)]
    assert _issue(app, demo, docs[0], at=datetime(2025, 12, 31, 9, tzinfo=UTC))[0] == 1
    assert _issue(app, demo, docs[1], at=datetime(2025, 12, 31, 10, tzinfo=UTC))[0] == 2
    assert _issue(app, demo, docs[2], at=datetime(2026, 1, 1, 3, tzinfo=UTC))[0] == 1
    with app.app_context():
        counters = {c.year: c.last_number for c in db.session.execute(select(RegisterCounter)).scalars()}
        assert counters == {2025: 2, 2026: 1}


def test_double_submission_gives_one_number(app, demo, make_document):
    doc = make_document()
    _issue(app, demo, doc)
    with pytest.raises(Conflict, match="đã được ban hành với số 01/KH-LĐLĐ"):
        _issue(app, demo, doc)
    with app.app_context():
        assert db.session.execute(select(RegisterCounter.last_number)).scalar_one() == 1


def test_a_double_click_issuing_at_the_same_moment_gives_one_number(app, demo, make_document, backend):
    """Five requests to issue the same document at once (a double click, two clerks): one gets the number, the
    others a conflict naming it; the counter moved once."""
    doc = make_document()
    barrier = threading.Barrier(5)
    outcomes: list[object] = []

    def clerk() -> None:
        barrier.wait(timeout=30)
        try:
            outcomes.append(_issue(app, demo, doc)[1])
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=clerk) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    issued = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert issued == ["01/KH-LĐLĐ"] and len(refused) == 4, outcomes
    assert all("đã được ban hành với số 01/KH-LĐLĐ" in str(e) for e in refused)
    with app.app_context():
        assert db.session.execute(select(RegisterCounter.last_number)).scalar_one() == 1


def test_only_a_clerk_issues_and_only_approved_documents(app, demo, make_document):
    approved, draft = make_document(), make_document(status="draft")
    with pytest.raises(NotAllowed):
        _issue(app, demo, approved, clerk="chutich")
    with pytest.raises(NotAllowed):
        _issue(app, demo, draft)
    with app.app_context():
        assert db.session.execute(select(RegisterCounter)).first() is None  # nothing numbered


def test_failed_issue_consumes_no_number(app, demo, make_document, monkeypatch):
    doc, other = make_document(), make_document()

    def broken_delivery(doc):
        raise RuntimeError("delivery failed")

    monkeypatch.setattr(service, "_deliver", broken_delivery)
    with pytest.raises(RuntimeError), app.app_context():
        try:
            service.issue(db.session.get(User, demo["vanthu"]), get_doc(doc))
        finally:
            db.session.rollback()
    monkeypatch.undo()
    assert _issue(app, demo, other)[0] == 1
    with app.app_context():
        assert get_doc(doc).status == Status.APPROVED.value and get_doc(doc).number is None


def test_secret_documents_have_their_own_series(app, demo, make_document):
    plain = make_document()
    secret = make_document(secrecy="Mật", reader_ids=[demo["vanthu"]])
    assert _issue(app, demo, plain)[0] == 1
    assert _issue(app, demo, secret)[0] == 1
    with app.app_context():
        kinds = {get_doc(plain).register.kind, get_doc(secret).register.kind}
        assert kinds == {"outgoing", "secret"}


def test_at_issue_only_the_drafted_register_is_accepted(app, demo, make_document):
    """The register is chosen with the draft (tests/documents/test_notation.py); naming another one at issue,
    real or not, is refused and numbers nothing; naming the drafted one is fine."""
    doc = make_document()
    with app.app_context():
        ids = {r.kind: r.id for r in db.session.execute(select(Register)).scalars()}
    for wrong in (ids["incoming"], ids["copies"], ids["secret"], ids["advisory"], 999_999):
        with pytest.raises(ValidationFailed, match="không đổi được sổ khi ban hành"):
            _issue(app, demo, doc, register_id=wrong)
    with app.app_context():
        assert db.session.execute(select(RegisterCounter)).first() is None
    assert _issue(app, demo, doc, register_id=ids["outgoing"])[1] == "01/KH-LĐLĐ"


@pytest.mark.slow
def test_fifty_concurrent_issues_give_exactly_01_to_50(app, demo, make_document, backend):
    docs = [make_document() for _ in range(50)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(10)

    def clerk(batch: list[int]) -> None:
        try:
            barrier.wait(timeout=30)
            for doc_id in batch:
                _issue(app, demo, doc_id)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(docs[i::10],)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    with app.app_context():
        numbers = sorted(db.session.execute(select(OutgoingDocument.number)).scalars())
        assert numbers == list(range(1, 51))
