from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import drafting, review, sources
from edoc.documents.models import OutgoingDocument


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs (to show a page or a count asks a bounded number)."""
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def keep(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def draft_data(demo: dict[str, int], **overrides: object) -> drafting.DraftData:
    data = drafting.DraftData(
        type_code="KH",
        summary="Thực hiện Chỉ thị 15-CT/TU năm 2023",
        body="I. MỤC ĐÍCH, YÊU CẦU\n\n1. Mục đích\n\nTiếp tục thực hiện có hiệu quả Chỉ thị số 15-CT/TU.",
        signer_id=demo["chutich"], signer_authority="TM.", signer_authority_line="BAN THƯỜNG VỤ",
        recipients=[drafting.RecipientData("unit", "act", unit_id=None, label="")],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


@pytest.fixture
def make_document(app: Flask, demo: dict[str, int]) -> Callable[..., int]:
    """Create a document through the service layer and take it to ``status``; returns its id."""
    from edoc.organisations.models import Unit

    def make(status: str = "approved", drafter: str = "chuyenvien", render: bool = True, paper: bool = True,
             **overrides: object) -> int:
        """``render=False`` skips the PDF (access tests: a second a document saved). ``paper``: an approved
        document is one the signer signed on paper, whose scan the clerk has uploaded (so it can be issued as
        tests of numbering, delivery and registers need); ``paper=False`` leaves it waiting for a digital
        signature."""
        with app.app_context():
            unit_id = db.session.query(Unit.id).filter_by(abbreviation="TG").scalar()
            data = draft_data(demo, **overrides)
            if "recipients" not in overrides:
                data.recipients = [drafting.RecipientData("unit", "act", unit_id=unit_id)]
            actor = db.session.get(User, demo[drafter])
            doc = drafting.create_draft(actor, data)
            if render:
                sources.render_version(doc)  # as the pages and the API do
            db.session.commit()
            if status in {"submitted", "approved", "returned"}:
                review.submit(actor, doc)
                db.session.commit()
            signer = db.session.get(User, doc.signer_id)
            if status == "returned":
                review.return_draft(signer, doc, "Bổ sung nơi nhận")
                db.session.commit()
            if status == "approved":
                review.approve(signer, doc)
                db.session.commit()
                if paper:
                    signed_on_paper(doc)
                    db.session.commit()
            return doc.id

    return make


def scan_png() -> bytes:
    """A photographed page, as a phone would send it: white, a blue scrawl and a red ring."""
    import io
    import math

    from PIL import Image

    image = Image.new("RGB", (620, 877), "white")
    for x in range(350, 500):
        image.putpixel((x, 650 + x % 20), (20, 40, 160))
    for step in range(720):
        angle = step * math.pi / 360
        image.putpixel((int(380 + 60 * math.cos(angle)), int(660 + 60 * math.sin(angle))), (200, 20, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def signed_on_paper(doc: OutgoingDocument) -> None:
    """The clerk records the scan of the paper original ``doc``'s signer signed by hand (``paper.record_scan``),
    in the caller's transaction: from then on it can be issued as a document signed on paper."""
    from edoc.core.errors import DomainError
    from edoc.documents import paper
    from edoc.files import sniff

    clerk = db.session.execute(select(User).where(User.organisation_id == doc.organisation_id,
                                                  User.username == "vanthu")).scalar_one()
    try:
        paper.record_scan(clerk, doc, "ban-goc-da-ky.png",
                          paper.scan_as_pdf(scan_png(), sniff.PNG, "ban-goc-da-ky.png"))
    except DomainError:
        pass  # a secret document that does not name this clerk: nobody here can issue it, scan or not


def get_doc(doc_id: int) -> OutgoingDocument:
    doc = db.session.get(OutgoingDocument, doc_id)
    assert doc is not None
    return doc


def minimal_docx(paragraphs: list[str]) -> bytes:
    """A Word document made without Word: the three parts WordprocessingML needs, one paragraph per line,
    spaces kept (drafts leave blanks after "Số:" and in the date line for the clerk)."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    body = "".join(f'<w:p><w:r><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>' for p in paragraphs)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f'<w:body>{body}</w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", RELS)
        package.writestr("word/document.xml", document)
    return out.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>')

DRAFT_LINES = [
    "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM",
    "Số:          /KH-LĐLĐ",
    "Gia Lâm, ngày      tháng      năm        ",
    "KẾ HOẠCH",
    "Tổ chức Tháng Công nhân năm 2026",
    "Thực hiện Kế hoạch số 89/KH-LĐLĐ ngày 03 tháng 4 năm 2026 của LĐLĐ thành phố Hà Nội.",
    "TM. BAN THƯỜNG VỤ",
    "CHỦ TỊCH",
    "Nguyễn Văn Hùng",
]


def simple_pdf(lines: list[str]) -> bytes:
    """A PDF another program made (not edoc's renderer, no fields): one line per paragraph, blanks kept."""
    from html import escape

    from weasyprint import HTML

    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in lines)
    return HTML(string=f'<html><body style="font: 13pt Liberation Serif; white-space: pre">{paragraphs}</body>'
                       f'</html>').write_pdf()


def stored(app: Flask) -> tuple[int, int]:
    """(stored_file rows, objects in the store): what a refused request must leave unchanged."""
    from sqlalchemy import func, select

    from edoc.files.models import StoredFile

    with app.app_context():
        rows = db.session.execute(select(func.count()).select_from(StoredFile)).scalar_one()
        objects = len(list(app.extensions["edoc_store"].keys("files/")))
    return rows, objects


def numbered(app: Flask) -> int:
    """Every number taken in every register: what a refused request must leave unchanged."""
    from sqlalchemy import func, select

    from edoc.registers.models import RegisterCounter

    with app.app_context():
        return int(db.session.execute(select(func.coalesce(func.sum(RegisterCounter.last_number), 0))).scalar_one())


def api_token(app: Flask, user_id: int) -> dict[str, str]:
    """Authorization header for a fresh personal token of the user."""
    from edoc.accounts.service import create_api_token

    with app.app_context():
        return {"Authorization": f"Bearer {create_api_token(db.session.get(User, user_id), 'test')[1]}"}


def pdf_text(app, doc_id: int, tmp_path) -> str:
    """The issued PDF's first page as pdftotext reads it (filled fields included), white space made single
    spaces and the space pdftotext puts between a filled field and "/" closed."""
    import re
    import subprocess

    from edoc.files.service import read_verified
    from tests.support.components import require_tool

    require_tool("pdftotext", "poppler-utils")
    with app.app_context():
        data = read_verified(get_doc(doc_id).issued_file)
    path = tmp_path / f"doc-{doc_id}.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-l", "1", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub(r"\s+/", "/", " ".join(text.split()))
