"""edXML through the application (issue 11, items 4-7): sending an issued document, receiving a message once,
status messages flowing back, two installations exchanging through the folder drop box, and bad messages refused
with nothing kept. Installation A runs on both databases; B, the other agency, on its own SQLite and store."""

from __future__ import annotations

import base64
import dataclasses
import shutil
import threading
from datetime import datetime

from sqlalchemy import func, select
from werkzeug.serving import make_server

from edoc.accounts.models import Role, User
from edoc.audit.models import AuditEntry
from edoc.core.db import db
from edoc.demo import DEMO_ORGAN_ID
from edoc.documents.models import OutgoingDocument
from edoc.exchange import edxml, service
from edoc.exchange.models import ExchangeMessage
from edoc.files.models import StoredFile
from edoc.files.service import read_verified
from edoc.incoming import service as incoming
from edoc.incoming.models import IncomingDocument
from edoc.notifications.models import Notification
from edoc.organisations.models import Organisation
from edoc.signatures.credentials import save_credential
from edoc.signatures.devca import load_or_create_ca
from edoc.signatures.models import ValidationRecord
from edoc.signatures.trust import add_trusted_root
from tests.documents.conftest import api_token, simple_pdf
from tests.exchange.conftest import PARTY
from tests.exchange.test_edxml import _message
from tests.incoming.test_intake import tamper
from tests.support.web import login


def _messages(app, **where) -> list[ExchangeMessage]:
    with app.app_context():
        rows = db.session.execute(select(ExchangeMessage).filter_by(**where).order_by(ExchangeMessage.id)).scalars()
        result = list(rows)
        db.session.expunge_all()
        return result


def test_two_installations_exchange_a_document_and_its_statuses(dropbox, app, client, demo, plan, other):
    # B has its organisation's credential (from its own development CA), which A trusts; A's CA is not in B's
    # trust store: each side signs every message it sends, and each judges the other's signature by its own store
    with other.app_context():
        b_ca = load_or_create_ca()
        b_org = db.session.execute(select(Organisation).where(Organisation.organ_id == PARTY)).scalar_one()
        save_credential(db.session.get(User, _b_user("quantri_hu", {Role.ADMIN})), b_org,
                        b_ca.issue_organisation("HUYỆN ỦY GIA LÂM"), user=None, pin=None, source="devca")
        db.session.commit()
    with app.app_context():
        a_org = db.session.execute(select(Organisation).where(Organisation.organ_id == DEMO_ORGAN_ID)).scalar_one()
        add_trusted_root(None, a_org, b_ca.der(), "CA của Huyện ủy Gia Lâm")
        db.session.commit()
    # A: the clerk sends the issued plan; the message lands in Hà Nội's drop box, valid, with the signed PDF
    sent = client.post(f"/api/v1/exchange/documents/{plan}/send", json={}, headers=api_token(app, demo["vanthu"]))
    assert sent.status_code == 201, sent.get_json()
    out = next(m for m in sent.get_json()["messages"] if m["peer"] == PARTY)
    assert (out["state"], out["peer"], out["business"]) == ("sent", PARTY, 0)
    [dropped] = list((dropbox / PARTY).glob("*.edxml"))
    message = edxml.parse(dropped.read_bytes(), max_bytes=50 * 1024 * 1024)
    with app.app_context():
        doc = db.session.get(OutgoingDocument, plan)
        assert message.document_id == f"{DEMO_ORGAN_ID},{doc.issued_on:%Y/%m/%d},{doc.number:02d}/{doc.notation}"
        assert message.subject == doc.summary and message.signer_name == doc.signer.full_name
        import hashlib
        assert hashlib.sha256(message.attachments[0].data).hexdigest() == doc.issued_file.sha256
    # B: takes it from the drop box, once, and acknowledges 01
    with other.app_context():
        result = service.poll_folder()
    assert (result.taken, result.rejected) == (1, 0)
    [received] = _messages(other, direction="in")
    assert (received.kind, received.peer_organ_id, received.edxml_document_id) == (
        "document", DEMO_ORGAN_ID, message.document_id)
    assert out["signature"] == "signed" and message.signature is not None  # A signed it with its credential
    assert received.signature == "untrusted" and "tin cậy" in received.signature_note  # B does not trust A's CA
    assert list((dropbox / DEMO_ORGAN_ID).glob("*.edxml")), "status 01 dropped for the sender"
    with other.app_context():  # validated against B's trust store, which does not hold A's CA: flagged
        arrived = db.session.get(IncomingDocument, received.incoming_document_id)
        report = db.session.get(ValidationRecord, arrived.validation_id)
        assert (arrived.signature_verdict, report.all_valid, report.context) == ("invalid", False, "incoming")
        assert "tin cậy" in report.report
    shutil.copy(dropbox / PARTY / "processed" / dropped.name, dropbox / PARTY / "again.edxml")
    with other.app_context():
        again = service.poll_folder()
    assert (again.taken, again.repeated) == (0, 1)
    assert len(_messages(other, direction="in")) == 1  # a message received twice is kept (and registered) once
    # A: the status flows back to the recipient's line
    with app.app_context():
        service.poll_folder()
    [line] = _messages(app, direction="out", kind="document", peer_organ_id=PARTY)
    assert line.peer_status == "01"
    # B handles it as an incoming document: registered (03), directed and assigned (04), progress (05), answered
    # (06); each step queues its status in its own transaction, the poll sends them, A's line follows
    seen = []
    for step in ("register", "present", "direct", "report", "finish"):
        with other.app_context():
            _incoming_step(step, received.incoming_document_id)
            service.deliver(service.pending_out())
        with app.app_context():
            service.poll_folder()
        seen.append(_messages(app, direction="out", kind="document", peer_organ_id=PARTY)[0].peer_status)
    assert seen == ["03", "03", "04", "05", "06"]
    [line] = _messages(app, direction="out", kind="document", peer_organ_id=PARTY)
    assert line.peer_status_note == "Hoàn thành"
    sent_by_b = [m.status_code for m in _messages(other, direction="out", kind="status")]
    assert sent_by_b == ["01", "03", "04", "05", "06"]  # each once
    assert {m.signature for m in _messages(other, direction="out", kind="status")} == {"signed"}
    statuses_at_a = _messages(app, direction="in", kind="status")
    assert len(statuses_at_a) == 5 and {m.signature for m in statuses_at_a} == {"valid"}  # A trusts B's CA
    assert all("HUYỆN ỦY GIA LÂM" in m.signature_note for m in statuses_at_a)
    body = client.get(f"/api/v1/exchange/documents/{plan}", headers=api_token(app, demo["vanthu"])).get_json()
    assert next(m for m in body["messages"] if m["peer"] == PARTY)["peer_status"] == "06"


def test_recall_and_replacement_go_out_with_their_business_codes(dropbox, app, client, demo, plan):
    headers = api_token(app, demo["vanthu"])
    early = client.post(f"/api/v1/exchange/documents/{plan}/send", json={"business": "recall"}, headers=headers)
    assert early.status_code == 409 and "đã thu hồi" in early.get_json()["error"]["message"]
    with app.app_context():
        from edoc.accounts.models import User
        from edoc.documents.recall import recall

        recall(db.session.get(User, demo["vanthu"]), db.session.get(OutgoingDocument, plan), "Ban hành sai thẩm quyền")
        db.session.commit()
    sent = client.post(f"/api/v1/exchange/documents/{plan}/send", json={"business": "recall"}, headers=headers)
    assert sent.status_code == 201 and {m["business"] for m in sent.get_json()["messages"]} == {1}
    [dropped] = list((dropbox / PARTY).glob("*.edxml"))
    parsed = edxml.parse(dropped.read_bytes(), max_bytes=50 * 1024 * 1024)
    assert parsed.business == 1 and parsed.business_reason == "Ban hành sai thẩm quyền"
    wrong = client.post(f"/api/v1/exchange/documents/{plan}/send", json={"business": "explode"}, headers=headers)
    assert wrong.status_code == 400


def test_who_may_send(dropbox, app, client, demo, plan):
    refused = client.post(f"/api/v1/exchange/documents/{plan}/send", json={},
                          headers=api_token(app, demo["chuyenvien"]))
    assert refused.status_code in {403, 404}
    assert _messages(app) == []


def test_the_document_page_sends_and_shows_the_statuses(dropbox, app, client, demo, plan):
    login(client, "vanthu")
    page = client.get(f"/documents/{plan}").get_data(as_text=True)
    assert "Trục liên thông (edXML)" in page and "Gửi qua trục liên thông" in page
    from tests.support.web import csrf_token

    token = csrf_token(client, f"/documents/{plan}")
    done = client.post(f"/exchange/documents/{plan}/send", data={"business": "new", "csrf_token": token})
    assert done.status_code == 302
    page = client.get(f"/documents/{plan}").get_data(as_text=True)
    assert "Đã gửi qua trục liên thông tới" in page and "Huyện ủy Gia Lâm" in page
    m = _messages(app)[0]
    assert client.get(f"/exchange/messages/{m.id}.edxml").data.startswith(b"<?xml")
    delegate = app.test_client()
    login(delegate, "daibieu")  # a recipient inside: reads the document, not its exchange
    assert "Trục liên thông" not in delegate.get(f"/documents/{plan}").get_data(as_text=True)


def _b_user(username: str, roles: set) -> int:
    from edoc.accounts.models import User

    org = db.session.execute(select(Organisation).where(Organisation.organ_id == PARTY)).scalar_one()
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        user = User(organisation_id=org.id, username=username, full_name=username.title(), title="")
        user.roles = roles
        user.password_hash = "!"
        db.session.add(user)
        db.session.flush()
    return user.id


def _incoming_step(step: str, incoming_id: int) -> None:
    """One step of B's handling, through incoming's own service functions."""
    from edoc.accounts.models import Role, User
    from edoc.incoming import service as incoming
    from edoc.incoming.models import IncomingDocument
    from edoc.tasks.models import Task
    from edoc.tasks.service import Assignee

    clerk, leader, expert = (db.session.get(User, _b_user(*u)) for u in (
        ("vanthu_hu", {Role.CLERK}), ("bithu_hu", {Role.LEADER}), ("chuyenvien_hu", {Role.SPECIALIST})))
    doc = db.session.get(IncomingDocument, incoming_id)
    if step == "register":
        data = incoming.IncomingData(summary=doc.summary, sender_name=doc.sender_name,
                                     original_reference=doc.original_reference, original_date=doc.original_date,
                                     type_code=doc.type_code, signer_name=doc.signer_name)
        incoming.register_received(clerk, doc, data)
    elif step == "present":
        incoming.present(clerk, doc, leader.id)
    elif step == "direct":
        incoming.direct(leader, doc, "Giao chuyên viên tham mưu trả lời", [Assignee("lead", user_id=expert.id)])
    elif step == "report":
        task = db.session.execute(select(Task).where(Task.subject_id == doc.id, Task.user_id == expert.id)).scalar_one()
        incoming.report(expert, doc, task, progress=50, note="Đang dự thảo văn bản trả lời")
    else:
        incoming.finish(expert, doc, result="Đã phối hợp tổ chức")
    db.session.commit()


def _kept(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.execute(select(func.count()).select_from(ExchangeMessage)).scalar_one(),
                db.session.execute(select(func.count()).select_from(StoredFile).where(
                    StoredFile.purpose == "edxml")).scalar_one())


def test_bad_messages_posted_to_the_api_are_refused_and_nothing_is_kept(dropbox, app, client, demo):
    from tests.exchange.test_edxml import BOMB, GOOD, _message

    headers = {**api_token(app, demo["vanthu"]), "Content-Type": "application/xml"}
    pdf = simple_pdf(["HUYỆN ỦY GIA LÂM", "Số 12-CV/HU", "V/v phối hợp tổ chức Tháng Công nhân"])
    mine = edxml.build_document(_message(
        sender=edxml.Organ(PARTY, "Huyện ủy Gia Lâm"), recipients=[edxml.Organ(DEMO_ORGAN_ID, "LĐLĐ Gia Lâm")],
        attachments=[edxml.Attachment("12-CV.pdf", "application/pdf", pdf, "Văn bản")]), now=datetime(2023, 4, 10))
    forged = mine.replace(base64.b64encode(pdf)[:40], base64.b64encode(b"%PDF-1.7 tampered bytes here..")[:40])
    fake_pdf = edxml.build_document(_message(recipients=[edxml.Organ(DEMO_ORGAN_ID, "LĐLĐ Gia Lâm")]),
                                    now=datetime(2023, 4, 10))
    for data, status, words in [(b"<edXML", 422, "không phải XML"), (BOMB, 422, "DTD"),
                                (forged, 422, "SHA-256"), (GOOD, 404, "không phải cơ quan nào"),
                                (fake_pdf, 422, "không hợp lệ"),
                                (b"x" * (6 * 1024 * 1024), 413, "")]:
        answer = client.post("/api/v1/exchange/messages", data=data, headers=headers)
        assert answer.status_code == status, (status, answer.get_data(as_text=True)[:200])
        if words:
            assert words in answer.get_json()["error"]["message"]
    assert _kept(app) == (0, 0)
    first = client.post("/api/v1/exchange/messages", data=mine, headers=headers)
    repeat = client.post("/api/v1/exchange/messages", data=mine, headers=headers)
    assert (first.status_code, repeat.status_code) == (201, 200) and repeat.get_json()["repeated"] is True
    assert _kept(app)[0] == 2  # the message, and the status 01 it answered with: once
    with app.app_context():
        from edoc.incoming.models import IncomingDocument

        [arrived] = db.session.execute(select(IncomingDocument)).scalars().all()  # registered once
        assert (arrived.channel, arrived.status, arrived.original_reference, arrived.sender_name) == (
            "edxml", "received", "445/KH-LĐLĐ", "Huyện ủy Gia Lâm")
        assert arrived.summary == _message().subject and "Tháng Công nhân" in arrived.text
    assert client.post("/api/v1/exchange/messages", data=mine,
                       headers={**api_token(app, demo["chuyenvien"]), "Content-Type": "application/xml"}
                       ).status_code == 403


def test_a_500_mb_message_in_the_drop_box_is_refused_unread(dropbox, app, demo):
    folder = dropbox / DEMO_ORGAN_ID
    folder.mkdir(parents=True)
    with open(folder / "huge.edxml", "wb") as handle:
        handle.truncate(500 * 1024 * 1024)  # sparse: 500 MB by size, nothing on disk
    (folder / "broken.edxml").write_bytes(b"<edXML>")
    with app.app_context():
        result = service.poll_folder()
    assert (result.taken, result.rejected) == (0, 2)
    assert "quá lớn" in (folder / "rejected" / "huge.edxml.reason.txt").read_text(encoding="utf-8")
    assert "XML" in (folder / "rejected" / "broken.edxml.reason.txt").read_text(encoding="utf-8")
    assert _kept(app) == (0, 0)


def _from_party(number: str, files: list[tuple[str, bytes]], **overrides) -> bytes:
    return edxml.build_document(_message(
        sender=edxml.Organ(PARTY, "Huyện ủy Gia Lâm"), recipients=[edxml.Organ(DEMO_ORGAN_ID, "LĐLĐ Gia Lâm")],
        code_number=number, code_notation="CV/HU",
        attachments=[edxml.Attachment(name, "application/pdf", data, name) for name, data in files], **overrides),
        now=datetime(2023, 4, 10))


def test_every_signed_pdf_of_an_arrival_is_validated_and_a_broken_one_flagged(dropbox, app, client, demo, plan):
    with app.app_context():
        signed = read_verified(db.session.get(OutgoingDocument, plan).issued_file)  # trusted here: the demo's CA
    headers = {**api_token(app, demo["vanthu"]), "Content-Type": "application/xml"}
    good = client.post("/api/v1/exchange/messages", data=_from_party("12", [("12.pdf", signed)]), headers=headers)
    bad = client.post("/api/v1/exchange/messages", headers=headers,
                      data=_from_party("13", [("13.pdf", signed), ("phu-luc.pdf", tamper(signed))]))
    assert (good.status_code, bad.status_code) == (201, 201)  # flagged, not refused: the clerk returns it
    with app.app_context():
        good_doc, bad_doc = (db.session.get(IncomingDocument, r.get_json()["messages"][0]["incoming_document_id"])
                             for r in (good, bad))
        assert good_doc.signature_verdict == "valid"
        report = db.session.get(ValidationRecord, good_doc.validation_id)
        assert report.all_valid and report.context == "incoming" and report.file_id == good_doc.file_id
        assert bad_doc.signature_verdict == "invalid"  # its main PDF is intact, its signed annex is not
        [annex] = bad_doc.attachments
        [annex_report] = db.session.execute(select(ValidationRecord).where(
            ValidationRecord.file_id == annex.file_id)).scalars().all()
        assert annex_report.all_valid is False
        told = db.session.execute(select(Notification.text).where(Notification.user_id == demo["vanthu"])).scalars()
        assert any("13/CV/HU" in t and "không hợp lệ" in t for t in told)


def test_a_recall_an_update_and_a_replacement_apply_to_the_earlier_arrival(dropbox, app, client, demo):
    headers = {**api_token(app, demo["vanthu"]), "Content-Type": "application/xml"}
    first_pdf = simple_pdf(["HUYỆN ỦY GIA LÂM", "Số 20-CV/HU", "V/v tổ chức Tháng Công nhân"])
    posted = client.post("/api/v1/exchange/messages", data=_from_party("20", [("20.pdf", first_pdf)]),
                         headers=headers)
    assert posted.status_code == 201
    first = posted.get_json()["messages"][0]
    with app.app_context():  # registered and presented: the leader has it in hand
        doc = db.session.get(IncomingDocument, first["incoming_document_id"])
        data = incoming.IncomingData(summary=doc.summary, sender_name=doc.sender_name,
                                     original_reference=doc.original_reference, original_date=doc.original_date,
                                     type_code=doc.type_code, signer_name=doc.signer_name)
        clerk = db.session.get(User, demo["vanthu"])
        incoming.register_received(clerk, doc, data)
        incoming.present(clerk, doc, demo["chutich"])
        db.session.commit()
        old_file = doc.file_id

    # update (2): same DocumentId, new files; the arrival keeps its number, its files are the new ones
    new_pdf = simple_pdf(["HUYỆN ỦY GIA LÂM", "Số 20-CV/HU", "V/v tổ chức Tháng Công nhân (sửa ngày họp)"])
    updated = client.post("/api/v1/exchange/messages", headers=headers, data=_from_party(
        "20", [("20.pdf", new_pdf), ("phu-luc.pdf", first_pdf)], business=edxml.BUSINESS_UPDATE,
        business_reason="Sửa ngày họp"))
    assert updated.status_code == 201, updated.get_json()
    assert updated.get_json()["messages"][0]["incoming_document_id"] == first["incoming_document_id"]
    with app.app_context():
        doc = db.session.get(IncomingDocument, first["incoming_document_id"])
        assert doc.number is not None and doc.status == "presented"
        assert doc.file_id != old_file and read_verified(doc.file) == new_pdf and len(doc.attachments) == 1
        assert "sửa ngày họp" in doc.text
        assert db.session.get(StoredFile, old_file) is not None  # the history: kept, and named in the audit
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "incoming.update")).scalar_one()
        assert str(old_file) in entry.changes

    # replacement (3): a new arrival linked to the one it replaces
    replaced = client.post("/api/v1/exchange/messages", headers=headers, data=_from_party(
        "21", [("21.pdf", new_pdf)], business=edxml.BUSINESS_REPLACE, replaces=[first["document_id"]]))
    assert replaced.status_code == 201
    newer_id = replaced.get_json()["messages"][0]["incoming_document_id"]
    assert newer_id != first["incoming_document_id"]

    # recall (1) of the first: marked recalled with the reason, the leader it was presented to is told
    recalled = client.post("/api/v1/exchange/messages", headers=headers, data=_from_party(
        "20", [], business=edxml.BUSINESS_RECALL, business_reason="Ban hành nhầm"))
    assert recalled.status_code == 201, recalled.get_json()
    with app.app_context():
        doc = db.session.get(IncomingDocument, first["incoming_document_id"])
        assert (doc.status, doc.recall_reason) == ("recalled", "Ban hành nhầm") and doc.recalled_at
        assert [d.id for d in doc.replaced_by] == [newer_id]
        told = db.session.execute(select(Notification.text).where(Notification.user_id == demo["chutich"])).scalars()
        assert any("thu hồi" in t and "Ban hành nhầm" in t for t in told)
    login(client, "vanthu")
    page = client.get(f"/incoming/{first['incoming_document_id']}").get_data(as_text=True)
    assert "Nơi gửi đã thu hồi" in page and "Ban hành nhầm" in page and "Đã được thay thế bởi" in page
    assert "thay thế văn bản đến" in client.get(f"/incoming/{newer_id}").get_data(as_text=True)

    # a recall in another agency's name, or of a document never received: refused, nothing kept
    count = _kept(app)
    forged = client.post("/api/v1/exchange/messages", headers=headers, data=edxml.build_document(_message(
            sender=edxml.Organ("000.00.09.H99", "Kẻ mạo danh"), recipients=[edxml.Organ(DEMO_ORGAN_ID)],
            business=edxml.BUSINESS_RECALL, document_id=first["document_id"], attachments=[]),
        now=datetime(2023, 4, 11)))
    unknown = client.post("/api/v1/exchange/messages", headers=headers,
                          data=_from_party("99", [], business=edxml.BUSINESS_RECALL))
    assert (forged.status_code, unknown.status_code) == (422, 422)
    assert "nơi gửi không khớp" in forged.get_json()["error"]["message"]
    assert "Không tìm thấy văn bản đến 99/CV/HU" in unknown.get_json()["error"]["message"]
    assert _kept(app) == count


def test_the_http_transport_delivers_to_another_installation_over_loopback(dropbox, app, client, demo, plan, other):
    """A sends through HttpTransport to B's real API, served by a real HTTP server on 127.0.0.1 (B's token as the
    transport's token); with a wrong token the send fails, kept as failed with B's answer."""
    from edoc.accounts.models import Role

    server = make_server("127.0.0.1", 0, other, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = app.config["EDOC"]
    try:
        with other.app_context():
            clerk = _b_user("vanthu_hu", {Role.CLERK})
            db.session.commit()
        token = api_token(other, clerk)["Authorization"].removeprefix("Bearer ")
        url = f"http://127.0.0.1:{server.server_port}/api/v1/exchange/messages"
        headers = api_token(app, demo["vanthu"])
        app.config["EDOC"] = dataclasses.replace(settings, exchange_transport="http", exchange_http_url=url,
                                                 exchange_http_token="not-a-token")
        refused = client.post(f"/api/v1/exchange/documents/{plan}/send", json={}, headers=headers)
        [line] = [m for m in refused.get_json()["messages"] if m["peer"] == PARTY]
        assert line["state"] == "failed" and "401" in line["note"]
        app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], exchange_http_token=token)
        with app.app_context():
            service.deliver([line["id"]])  # sent again, now with B's token
        [line] = _messages(app, id=line["id"])
        assert (line.state, line.note) == ("sent", url)
    finally:
        app.config["EDOC"] = settings
        server.shutdown()
    [received] = _messages(other, direction="in")
    assert (received.kind, received.peer_organ_id, received.state) == ("document", DEMO_ORGAN_ID, "applied")
    with other.app_context():
        arrived = db.session.get(IncomingDocument, received.incoming_document_id)
        assert (arrived.channel, arrived.status) == ("edxml", "received")
