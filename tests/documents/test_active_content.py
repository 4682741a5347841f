"""PDFs with active content are refused at the door (attachments and uploaded versions), not rewritten: a rewrite
would break the signatures they carry (docs/hostile-input.md). Each crafted file gets a 400 naming what was found,
and nothing is stored; links and open-at-page navigation are not refused.
"""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from edoc.files.active import active_content
from tests.documents.conftest import api_token, simple_pdf, stored


def _name(value: str) -> generic.NameObject:
    return generic.NameObject(value)


def _dict(**entries: object) -> generic.DictionaryObject:
    return generic.DictionaryObject({_name("/" + k): v for k, v in entries.items()})


def _crafted(kind: str) -> bytes:
    """A PDF another program made, with one kind of active content added as an incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(simple_pdf(["Phụ lục kèm theo Kế hoạch", "Danh sách đơn vị"])))
    root = writer.root
    page_ref = root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    js = _dict(S=_name("/JavaScript"), JS=generic.TextStringObject("app.alert('x')"))
    if kind == "openaction-javascript":
        root["/OpenAction"] = writer.add_object(js)
    elif kind == "launch-link":
        link = _dict(Type=_name("/Annot"), Subtype=_name("/Link"), Rect=generic.ArrayObject(
            [generic.FloatObject(v) for v in (0, 0, 100, 100)]),
            A=_dict(S=_name("/Launch"), F=generic.TextStringObject("cmd.exe")))
        page["/Annots"] = generic.ArrayObject([writer.add_object(link)])
        writer.update_container(page)
    elif kind == "page-open-uri":
        page["/AA"] = _dict(O=_dict(S=_name("/URI"), URI=generic.TextStringObject("https://theo-doi.example/")))
        writer.update_container(page)
    elif kind == "names-javascript":
        root["/Names"] = _dict(JavaScript=_dict(Names=generic.ArrayObject(
            [generic.TextStringObject("a"), writer.add_object(js)])))
    elif kind == "embedded-file":
        stream = generic.StreamObject(_dict(Type=_name("/EmbeddedFile")), stream_data=b"MZ\x90\x00")
        spec = _dict(Type=_name("/Filespec"), F=generic.TextStringObject("cai-dat.exe"),
                     EF=_dict(F=writer.add_object(stream)))
        root["/Names"] = _dict(EmbeddedFiles=_dict(Names=generic.ArrayObject(
            [generic.TextStringObject("cai-dat.exe"), writer.add_object(spec)])))
    elif kind == "open-at-page":  # navigation: allowed
        root["/OpenAction"] = generic.ArrayObject([page_ref, _name("/Fit")])
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


REFUSED = {"openaction-javascript": "JavaScript", "launch-link": "lệnh mở chương trình (Launch)",
           "page-open-uri": "URI hành động tự động (AA)", "names-javascript": "JavaScript chạy khi mở tệp",
           "embedded-file": "tệp nhúng bên trong PDF"}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_attachments_with_active_content_are_refused_and_nothing_is_stored(app, demo, make_document, kind):
    doc_id = make_document("draft", render=False)
    before = stored(app)
    response = app.test_client().post(
        f"/api/v1/documents/{doc_id}/attachments", headers=api_token(app, demo["chuyenvien"]),
        content_type="multipart/form-data", data={"file": (io.BytesIO(_crafted(kind)), "phu-luc.pdf")})
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == "file"
    assert error["message"].startswith("Không nhận tệp PDF “phu-luc.pdf”: tệp chứa nội dung tự chạy hoặc ẩn bên "
                                       "trong (")
    assert REFUSED[kind] in error["message"]
    assert "Hãy xuất lại PDF không có các thành phần này" in error["message"]
    assert stored(app) == before


def test_links_and_opening_at_a_page_are_accepted(app, demo, make_document):
    doc_id = make_document("draft", render=False)
    response = app.test_client().post(
        f"/api/v1/documents/{doc_id}/attachments", headers=api_token(app, demo["chuyenvien"]),
        content_type="multipart/form-data", data={"file": (io.BytesIO(_crafted("open-at-page")), "phu-luc.pdf")})
    assert response.status_code == 201, response.get_json()


def test_what_is_found_is_named(tmp_path):
    assert active_content(io.BytesIO(_crafted("open-at-page"))) == []
    assert active_content(io.BytesIO(_crafted("openaction-javascript"))) == [
        "JavaScript khi mở tệp (OpenAction)", "JavaScript"]
    assert active_content(io.BytesIO(_crafted("embedded-file"))) == ["tệp nhúng bên trong PDF"]
