from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import service, sources
from edoc.documents.models import OutgoingDocument


def draft_data(demo: dict[str, int], **overrides: object) -> service.DraftData:
    data = service.DraftData(
        type_code="KH",
        summary="Thực hiện Chỉ thị 15-CT/TU năm 2023",
        body="I. MỤC ĐÍCH, YÊU CẦU\n\n1. Mục đích\n\nTiếp tục thực hiện có hiệu quả Chỉ thị số 15-CT/TU.",
        signer_id=demo["chutich"], signer_authority="TM.", signer_authority_line="BAN THƯỜNG VỤ",
        recipients=[service.RecipientData("unit", "act", unit_id=None, label="")],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


@pytest.fixture
def make_document(app: Flask, demo: dict[str, int]) -> Callable[..., int]:
    """Create a document through the service layer and take it to ``status``; returns its id."""
    from edoc.organisations.models import Unit

    def make(status: str = "approved", drafter: str = "chuyenvien", **overrides: object) -> int:
        with app.app_context():
            unit_id = db.session.query(Unit.id).filter_by(abbreviation="TG").scalar()
            data = draft_data(demo, **overrides)
            if "recipients" not in overrides:
                data.recipients = [service.RecipientData("unit", "act", unit_id=unit_id)]
            actor = db.session.get(User, demo[drafter])
            doc = service.create_draft(actor, data)
            sources.render_version(doc)  # as the pages and the API do
            db.session.commit()
            if status in {"submitted", "approved"}:
                service.submit(actor, doc)
                db.session.commit()
            if status == "approved":
                signer = db.session.get(User, doc.signer_id)
                service.approve(signer, doc)
                db.session.commit()
            return doc.id

    return make


def get_doc(doc_id: int) -> OutgoingDocument:
    doc = db.session.get(OutgoingDocument, doc_id)
    assert doc is not None
    return doc
