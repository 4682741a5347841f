"""Search (issue 11, items 1-3 and 7): one index, Vietnamese as typed, the access policy in SQL, kept current.

Every test runs on SQLite (FTS5) and PostgreSQL (tsvector over unaccent): the same assertions through one seam.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from sqlalchemy import delete, func, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import drafting, issuing, policy
from edoc.documents.models import Delivery, NamedReader, OutgoingDocument
from edoc.search.models import SearchAccess, SearchEntry
from edoc.search.service import Filters, search, user_keys
from tests.search.conftest import api_token, minimal_docx
from tests.support.web import login


def _user(demo, name: str) -> User:
    return db.session.get(User, demo[name])


def _found(app, demo, who: str, q: str, **filters) -> list[int]:
    with app.app_context():
        results = search(_user(demo, who), q, Filters(**filters))
        assert not results.message, results.message
        return [h.object_id for h in results.hits]


def _issue_as(app, doc_id: int, number: int, notation: str = "KH-LĐLĐ", issued_on: date = date(2023, 6, 1)) -> None:
    """Mark a document issued with a given number through the ORM (the issue service renders and seals a PDF: a
    second per document, not what these tests are about); the index follows any committed change."""
    with app.app_context():
        doc = db.session.get(OutgoingDocument, doc_id)
        doc.status, doc.number, doc.notation, doc.year, doc.issued_on = "issued", number, notation, 2023, issued_on
        db.session.commit()


def test_vietnamese_as_users_type_it(app, demo, make_document):
    doc = make_document(render=False, summary="Kế hoạch tổ chức Tháng Công nhân của Công đoàn Đồng Nai",
                        body="Phát động phong trào thi đua lao động sáng tạo.")
    other = make_document(render=False, summary="Báo cáo sơ kết phong trào nữ", type_code="BC", body="")
    _issue_as(app, doc, 445)
    for q in ["cong doan", "Công đoàn", "dong nai", "ĐỒNG NAI", "Đồng Nai", "445/KH", "445", "445/KH-LĐLĐ",
              "445/kh-ldld", "thang cong nhan", "phong trao thi dua", "sang tao", "cong doa"]:
        assert _found(app, demo, "vanthu", q)[:1] == [doc], q
    assert _found(app, demo, "vanthu", "dong nai") == [doc]  # only the one that says it
    # typed decomposed (NFD: macOS, some Vietnamese keyboards) finds the composed text
    assert _found(app, demo, "vanthu", unicodedata.normalize("NFD", "Công đoàn Đồng Nai")) == [doc]
    assert _found(app, demo, "vanthu", "so ket phong trao nu") == [other]
    assert _found(app, demo, "vanthu", "44") == []  # a number is taken whole: 44 is not 445
    assert _found(app, demo, "vanthu", "dong thap") == []


def test_number_search_ranks_the_reference_first(app, demo, make_document):
    mentions = make_document(render=False, summary="Triển khai thực hiện",
                             body="Căn cứ Kế hoạch số 445/KH-LĐLĐ của Liên đoàn Lao động huyện.")
    numbered = make_document(render=False, summary="Tháng Công nhân năm 2023")
    _issue_as(app, numbered, 445)
    assert _found(app, demo, "vanthu", "445/KH") == [numbered, mentions]


def test_secret_documents_never_reach_a_non_reader_not_even_as_a_count(app, demo, make_document, client):
    secret = make_document(render=False, secrecy="Mật", summary="Phương án nhân sự bí mật Xuyênkhung",
                           reader_ids=[demo["vanthu"]])
    plain = make_document(render=False, summary="Thông báo lịch họp Xuyênkhung")
    assert sorted(_found(app, demo, "vanthu", "xuyenkhung")) == sorted([secret, plain])  # named reader
    assert sorted(_found(app, demo, "chuyenvien", "xuyenkhung")) == sorted([secret, plain])  # the drafter
    with app.app_context():
        results = search(_user(demo, "thuky"), "xuyenkhung")
        assert results.total == 0 and results.hits == []  # approved, not issued: neither is thuky's to read
        results = search(_user(demo, "phochutich"), "xuyenkhung bi mat")
        assert results.total == 0
    headers = api_token(app, demo["thuky"])
    body = client.get("/api/v1/search?q=xuyenkhung", headers=headers).get_json()
    assert body["total"] == 0 and body["results"] == []


def test_the_keys_agree_with_can_view_for_every_user_and_document(app, demo, make_document):
    """reader_keys is can_view written for SQL: for each demo user and documents at every step (secret or not,
    named readers, delivered), the two say the same."""
    ids = [make_document(render=False, status=s, summary=f"Văn bản {s}") for s in ("draft", "submitted", "approved")]
    ids.append(make_document(render=False, status="approved", secrecy="Mật", reader_ids=[demo["vanthu"]]))
    ids.append(make_document(render=False, status="draft", reader_ids=[demo["thuky"]]))
    with app.app_context():
        clerk = _user(demo, "vanthu")
        for doc_id in ids[2:4]:
            issuing.issue(clerk, db.session.get(OutgoingDocument, doc_id))  # delivers to the recipients
        db.session.commit()
        users = db.session.execute(select(User)).scalars().all()
        checked = 0
        for doc_id in ids:
            doc = db.session.get(OutgoingDocument, doc_id)
            keys = policy.reader_keys(doc)
            for user in users:
                assert policy.can_view(user, doc) == bool(keys & set(user_keys(user))), (doc.status, user.username)
                checked += 1
            entry_keys = set(db.session.execute(select(SearchAccess.key).join(SearchEntry).where(
                SearchEntry.kind == "outgoing", SearchEntry.object_id == doc_id)).scalars())
            assert entry_keys == keys  # what the index holds is what the policy says now
        assert checked == len(ids) * len(users)


def test_a_delivery_deleted_takes_its_reader_out_of_the_entry(app, demo, make_document):
    """A delivery removed through the ORM (``session.delete``) rebuilds the entry: in ``after_flush`` a deleted row
    still says it is persistent and unchanged, which once read as "only opened", and its reader kept the key."""
    doc_id = make_document(render=False, status="approved", secrecy="Mật", reader_ids=[demo["vanthu"]])
    with app.app_context():
        issuing.issue(_user(demo, "vanthu"), db.session.get(OutgoingDocument, doc_id))
        db.session.commit()

        def entry_keys() -> set[str]:
            return set(db.session.execute(select(SearchAccess.key).join(SearchEntry).where(
                SearchEntry.kind == "outgoing", SearchEntry.object_id == doc_id)).scalars())

        first = db.session.execute(select(Delivery).where(Delivery.document_id == doc_id)).scalars().first()
        assert first is not None, "the issue delivered it to the recipients' users"
        # one more reader through a delivery only (the demo's recipients read it for other reasons too)
        extra = Delivery(recipient_id=first.recipient_id, document_id=doc_id, user_id=demo["daibieu"])
        db.session.add(extra)
        db.session.commit()
        key = f"u:{demo['daibieu']}"
        assert key in entry_keys()
        db.session.delete(extra)
        db.session.commit()
        keys = policy.reader_keys(db.session.get(OutgoingDocument, doc_id))
        assert key not in keys  # the policy no longer lets them read it...
        assert entry_keys() == keys  # ...and the index no longer lets them find it


def test_kept_current_in_the_transaction_of_the_change(app, demo, make_document):
    doc = make_document(render=False, status="draft", summary="Dự thảo quy chế Quảngbá")
    assert _found(app, demo, "chuyenvien", "quangba") == [doc]  # findable as soon as it is saved
    with app.app_context():
        actor = _user(demo, "chuyenvien")
        d = db.session.get(OutgoingDocument, doc)
        data = drafting.draft_data_of(d)
        data.summary = "Dự thảo quy chế Truyềnthông"
        drafting.update_draft(actor, d, data)
        db.session.commit()
    assert _found(app, demo, "chuyenvien", "quangba") == []
    assert _found(app, demo, "chuyenvien", "truyenthong") == [doc]
    # a change rolled back leaves the index as it was
    with app.app_context():
        d = db.session.get(OutgoingDocument, doc)
        d.summary = "Khôngđượclưu"
        db.session.flush()
        db.session.rollback()
    assert _found(app, demo, "chuyenvien", "khongduocluu") == []
    assert _found(app, demo, "chuyenvien", "truyenthong") == [doc]
    # a named reader added later can find it at once; removed, no longer
    with app.app_context():
        db.session.add(NamedReader(document_id=doc, user_id=demo["thuky"], can_review=True))
        db.session.commit()
    assert _found(app, demo, "thuky", "truyenthong") == [doc]
    with app.app_context():
        db.session.execute(delete(NamedReader).where(NamedReader.document_id == doc))
        db.session.get(OutgoingDocument, doc).updated_at = db.func.now()  # a Core delete marks nothing by itself
        db.session.commit()
    assert _found(app, demo, "thuky", "truyenthong") == []


def test_comments_recipients_and_signer_are_searchable(app, demo, make_document):
    doc = make_document(render=False, status="submitted", summary="Kế hoạch kiểm tra")
    with app.app_context():
        drafting.add_comment(_user(demo, "chutich"), db.session.get(OutgoingDocument, doc),
                            "Đề nghị bổ sung nội dung về an toàn vệ sinh lao động")
        db.session.commit()
    assert _found(app, demo, "chuyenvien", "an toan ve sinh") == [doc]
    assert _found(app, demo, "chuyenvien", "nguyen van hung") == [doc]  # the signer
    assert _found(app, demo, "chuyenvien", "tuyen giao") == [doc]  # the recipient unit (Ban Tuyên giáo)


def test_attachment_text_is_searchable(app, demo, make_document):
    from edoc.files.service import store_bytes

    doc = make_document(render=False, status="draft")
    with app.app_context():
        actor = _user(demo, "chuyenvien")
        docx = minimal_docx(["Phụ lục: danh sách đoàn viên Hợpđồngmẫu được khen thưởng"])
        row = store_bytes(docx, "phu-luc.docx", uploader=actor, purpose="upload",
                          media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        drafting.add_attachment(actor, db.session.get(OutgoingDocument, doc), row, "Phụ lục 1")
        db.session.commit()
    assert _found(app, demo, "chuyenvien", "hopdongmau") == [doc]
    assert _found(app, demo, "chuyenvien", "phu luc 1") == [doc]  # the attachment's title too


def test_filters(app, demo, make_document):
    a = make_document(render=False, summary="Kế hoạch Lọcthử một", type_code="KH", urgency="Khẩn")
    b = make_document(render=False, summary="Báo cáo Lọcthử hai", type_code="BC")
    _issue_as(app, a, 12, issued_on=date(2023, 3, 5))
    found = lambda **f: sorted(_found(app, demo, "vanthu", "locthu", **f))  # noqa: E731
    assert found() == sorted([a, b])
    assert found(type_code="BC") == [b]
    assert found(urgency="Khẩn") == [a]
    assert found(status="issued") == [a]
    assert found(status="approved") == [b]
    assert found(year=2023) == [a]
    assert found(date_from=date(2023, 3, 1), date_to=date(2023, 3, 31)) == [a]
    assert found(date_from=date(2023, 3, 6), date_to=date(2023, 3, 31)) == []
    assert found(kind="outgoing") == sorted([a, b])
    assert found(kind="incoming") == []
    assert found(signer_id=demo["chutich"]) == sorted([a, b])
    assert found(signer_id=demo["phochutich"]) == []
    with app.app_context():
        unit = db.session.get(User, demo["chuyenvien"]).unit_id
    assert found(unit_id=unit) == sorted([a, b])
    # filters alone, no words: everything the user may read that passes them, newest first
    assert _found(app, demo, "vanthu", "", type_code="BC") == [b]


def test_the_passage_is_highlighted_and_escaped(app, demo, make_document, client):
    doc = make_document(render=False, summary="Về việc <script>alert(1)</script> Côngđoànviên",
                        body="Mở đầu. " + "Nội dung dài. " * 60 + "Đoạn có Côngđoànviên <b>đậm</b> ở giữa. "
                        + "Kết thúc. " * 40)
    with app.app_context():
        hit = search(_user(demo, "vanthu"), "congdoanvien").hits[0]
    assert hit.object_id == doc
    assert "<script>" not in hit.title and "&lt;script&gt;" in hit.title
    assert "<mark>Côngđoànviên</mark>" in hit.title
    assert "<mark>Côngđoànviên</mark> &lt;b&gt;đậm&lt;/b&gt;" in hit.passage
    assert len(hit.passage) < 600 and hit.passage.startswith("… ")
    login(client, "vanthu")
    page = client.get("/search/?q=congdoanvien")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<mark>Côngđoànviên</mark>" in html and "<script>alert" not in html


@pytest.mark.parametrize("q, status, expected", [
    ("x" * 10_000, 400, "quá dài"),
    ('"" AND OR NOT * ( ) - + ~ ^ : NEAR', 200, None),
    ('" \' ; -- /* */ \\', 200, "chỉ gồm dấu"),
    ("   ", 200, "Nhập từ khóa"),
    ("a" * 500, 200, None),
])
def test_bad_queries_get_a_message_or_nothing_never_a_500(app, demo, client, q, status, expected):
    login(client, "vanthu")
    page = client.get("/search/", query_string={"q": q})
    assert page.status_code == status
    if expected:
        assert expected in page.get_data(as_text=True)
    body = client.get("/api/v1/search", query_string={"q": q}, headers=api_token(app, demo["vanthu"]))
    assert body.status_code == status
    if expected:
        text = body.get_json()["error"]["message"] if status >= 400 else body.get_json()["message"]
        assert expected in text
    else:
        assert body.get_json()["total"] == 0


@pytest.mark.parametrize("args, message", [
    ({"year": "abc"}, "Năm không hợp lệ"), ({"from": "32/13/2023"}, "Từ ngày không hợp lệ"),
    ({"urgency": "Rất khẩn"}, "Độ khẩn không hợp lệ"), ({"page": "0"}, "Trang không hợp lệ"),
    ({"signer": "99999999999"}, "Mã định danh"), ({"from": "2024-02-01", "to": "2024-01-01"}, "phải trước"),
])
def test_bad_filters_get_a_message(app, demo, client, args, message):
    login(client, "vanthu")
    page = client.get("/search/", query_string={"q": "cong doan", **args})
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    api = client.get("/api/v1/search", query_string={"q": "x", **args}, headers=api_token(app, demo["vanthu"]))
    assert api.status_code == 400 and message in api.get_json()["error"]["message"]


def test_reindex_rebuilds_everything_with_a_progress_bar(app, demo, make_document):
    docs = [make_document(render=False, status="draft", summary=f"Tái lập chỉ mục {i}") for i in range(3)]
    with app.app_context():
        db.session.execute(delete(SearchEntry))
        db.session.commit()
    assert _found(app, demo, "chuyenvien", "tai lap chi muc") == []
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Đang lập chỉ mục" in result.output and "Đã lập chỉ mục 3 mục" in result.output
    assert sorted(_found(app, demo, "chuyenvien", "tai lap chi muc")) == sorted(docs)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(SearchEntry)).scalar_one() == 3
    bad = app.test_cli_runner().invoke(args=["search", "reindex", "--kind", "nothing"])
    assert bad.exit_code != 0 and "unknown kind" in bad.output


def test_documents_list_search_box_uses_the_index(app, demo, make_document, client):
    a = make_document(render=False, status="draft", summary="Kế hoạch Hộpthưmột")
    make_document(render=False, status="draft", summary="Kế hoạch khác")
    login(client, "chuyenvien")
    html = client.get("/documents/?tab=mine&q=hopthumot").get_data(as_text=True)
    assert f"/documents/{a}" in html and "Kế hoạch khác" not in html
    body = client.get("/api/v1/documents?box=mine&q=Hộpthư",
                      headers=api_token(app, demo["chuyenvien"])).get_json()
    assert [d["id"] for d in body["documents"]] == [a]


def test_openapi_describes_search(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert {"q", "kind", "year", "type", "unit", "signer", "status", "urgency", "from", "to"} <= params


def test_text_that_arrives_later_joins_the_entry(app, demo, make_document):
    """OCR of a scanned attachment finishes after the save: ``set_file_text`` rebuilds every entry holding the
    file in the caller's transaction."""
    from edoc.files.service import store_bytes
    from edoc.search.service import set_file_text

    doc = make_document(render=False, status="draft")
    with app.app_context():
        actor = _user(demo, "chuyenvien")
        scan = store_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "scan.png", uploader=actor, purpose="upload",
                           media_type="image/png")
        drafting.add_attachment(actor, db.session.get(OutgoingDocument, doc), scan, "Bản chụp")
        db.session.commit()
        scan_id = scan.id
    assert _found(app, demo, "chuyenvien", "Biênbảnquét") == []  # an image: no text yet
    with app.app_context():
        assert set_file_text(scan_id, "Biên bản họp Biênbảnquét ngày 12/3") == 1
        db.session.commit()
    assert _found(app, demo, "chuyenvien", "bienbanquet") == [doc]


def test_trich_yeu_ranks_before_the_body_then_newest(app, demo, make_document):
    """Where the words are, then newest (text.Ranker): the trích yếu that says it first, though older."""
    titled = make_document(render=False, status="draft", summary="Kế hoạch Hộinghịxếphạng năm nay", body="")
    body_old = make_document(render=False, status="draft", summary="Thông báo",
                             body="Tổ chức Hộinghịxếphạng tại hội trường.")
    body_new = make_document(render=False, status="draft", summary="Báo cáo",
                             body="Kết quả Hộinghịxếphạng.")
    assert _found(app, demo, "chuyenvien", "hoinghixephang") == [titled, body_new, body_old]


def test_a_long_last_word_is_a_prefix_through_the_vocabulary(app, demo, make_document):
    """A last word of 4+ letters is expanded to the words it starts (SQLite: search_fts_terms, kept as entries are
    written; PostgreSQL: its own prefix match): the same results on both."""
    doc = make_document(render=False, status="draft", summary="Chương trình Doanhnghiệpvừa và nhỏ")
    other = make_document(render=False, status="draft", summary="Doanhnghiệplớn")
    assert sorted(_found(app, demo, "chuyenvien", "doanhnghiep")) == sorted([doc, other])
    assert _found(app, demo, "chuyenvien", "doanhnghiepv") == [doc]
    assert _found(app, demo, "chuyenvien", "chuong trinh doanhngh") == [doc]
    assert _found(app, demo, "chuyenvien", "doanhnghiepx") == []
    with app.app_context():
        d = db.session.get(OutgoingDocument, other)
        data = drafting.draft_data_of(d)
        data.summary = "Doanhnghiệpmới thành lập"  # a word the vocabulary never held, known once saved
        drafting.update_draft(_user(demo, "chuyenvien"), d, data)
        db.session.commit()
    assert _found(app, demo, "chuyenvien", "doanhnghiepm") == [other]


def test_the_window_is_the_newest_matches_across_id_blocks(app, demo, monkeypatch):
    """The window is the newest readable matches: entries far apart, a window of 3, the newest one secret and
    not the clerk's to read (neither counted nor in the window)."""
    with app.app_context():
        clerk = _user(demo, "vanthu")
        ids = [7, 1500, 5000, 40_000, 130_000, 131_000]
        for entry_id in ids:
            db.session.add(SearchEntry(id=entry_id, kind="blocktest", object_id=entry_id,
                                       organisation_id=clerk.organisation_id, title="Khốikhốithử",
                                       secret=entry_id == 131_000))
            db.session.flush()
            db.session.add(SearchAccess(entry_id=entry_id, key="u:0" if entry_id == 131_000 else "r:clerk"))
        db.session.commit()
        assert "r:clerk" in user_keys(clerk)
        results = search(clerk, "khoikhoithu")
        assert results.total == 5 and not results.more_than
        monkeypatch.setattr("edoc.search.service.RANK_WINDOW", 3)
        window = search(clerk, "khoikhoithu")
        assert [h.object_id for h in window.hits] == [130_000, 40_000, 5000] and window.total == 3
        db.session.execute(delete(SearchEntry).where(SearchEntry.kind == "blocktest"))
        db.session.commit()
