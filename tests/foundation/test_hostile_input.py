"""Hostile input found by fuzzing every route (scripts/fuzz_routes.py): each gets a 4xx with a Vietnamese message
and leaves nothing written. Said per case: the status and the message.

- JSON nested 5000 deep (``[`` × 5000, ``{"a":`` × 5000) on every JSON endpoint: 400 "Thân yêu cầu JSON lồng nhau
  quá sâu (tối đa 16 cấp)." (was a RecursionError, 500).
- ``1e999``, ``Infinity``, ``-Infinity``, ``NaN`` anywhere in a JSON body: 400 "… số không hữu hạn …" (1e999 in
  "copies" was an OverflowError, 500).
- A JSON body over 2 MB: 413 "… vượt quá dung lượng cho phép (2 MB)." before it is read whole.
- ``year=²`` / ``month=¹`` on the register page, its XLSX and its PDF: 400 "Năm không hợp lệ: …" / "Tháng không hợp
  lệ (1-12)." (str.isdigit() accepts superscripts, int() then refused them: a 500).
- A method a route does not take: 405 with ``Allow`` naming those it does (the error page dropped it).
"""

from __future__ import annotations

import pytest

from edoc.api import JSON_MAX_BYTES, JSON_MAX_DEPTH, TOO_DEEP
from tests.documents.conftest import api_token
from tests.support.web import login

assert TOO_DEEP == f"Thân yêu cầu JSON lồng nhau quá sâu (tối đa {JSON_MAX_DEPTH} cấp)."
JSON_ROUTES = [("POST", "/api/v1/documents"), ("POST", "/api/v1/contacts"), ("POST", "/api/v1/registers"),
               ("PATCH", "/api/v1/registers/1"), ("PATCH", "/api/v1/contacts/1")]
DOC_ACTIONS = ["submit", "approve", "return", "issue", "recall", "comments", "copies", "sign", "versions",
               "dispatch"]


def _every_json_route(doc_id: int) -> list[tuple[str, str]]:
    return [*JSON_ROUTES, *(("POST", f"/api/v1/documents/{doc_id}/{a}") for a in DOC_ACTIONS)]


@pytest.mark.parametrize("raw", ["[" * 5000, '{"a":' * 5000, '{"summary": ' + "[" * (JSON_MAX_DEPTH + 1)
                                 + "]" * (JSON_MAX_DEPTH + 1) + "}"], ids=["arrays", "objects", "just-too-deep"])
def test_deep_json_is_a_400_on_every_json_endpoint(app, client, demo, raw):
    api = api_token(app, demo["quantri"])
    created = client.post("/api/v1/documents", headers=api_token(app, demo["chuyenvien"]), json={
        "type": "KH", "summary": "Kế hoạch thử", "signer_id": demo["chutich"]})
    assert created.status_code == 201, created.json
    for method, path in _every_json_route(created.json["id"]):
        response = client.open(path, method=method, headers=api, data=raw, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
        assert response.json["error"]["message"] == TOO_DEEP, path


@pytest.mark.parametrize("raw", ['{"type": "KH", "summary": "x", "signer_id": 3, "copies": 1e999}',
                                 '{"type": "KH", "summary": "x", "signer_id": 3, "copies": Infinity}',
                                 '{"type": "KH", "summary": "x", "signer_id": 3, "copies": -Infinity}',
                                 '{"type": "KH", "summary": "x", "signer_id": NaN}'],
                         ids=["1e999", "Infinity", "-Infinity", "NaN"])
def test_numbers_that_are_not_finite_are_a_400(app, client, demo, raw):
    api = api_token(app, demo["chuyenvien"])
    before = client.get("/api/v1/documents?box=mine", headers=api).json["documents"]
    response = client.post("/api/v1/documents", headers=api, data=raw, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"]["message"] == ("Thân yêu cầu JSON chứa số không hữu hạn (NaN, Infinity hoặc số "
                                                 "quá lớn như 1e999).")
    assert client.get("/api/v1/documents?box=mine", headers=api).json["documents"] == before


def test_placement_at_infinity_is_a_400(app, client, demo):
    api = api_token(app, demo["chutich"])
    response = client.post("/api/v1/documents/1/sign", headers=api, content_type="application/json",
                           data='{"pin": "123456", "placement": {"page": 1e999, "x": 1, "y": 1}}')
    assert response.status_code == 400
    assert "không hữu hạn" in response.json["error"]["message"]


def test_a_json_body_over_its_limit_is_a_413_before_it_is_read(app, client, demo):
    api = api_token(app, demo["chuyenvien"])
    body = b'{"type": "KH", "summary": "' + b"x" * JSON_MAX_BYTES + b'"}'
    response = client.post("/api/v1/documents", headers=api, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["message"] == "Tệp hoặc dữ liệu gửi lên vượt quá dung lượng cho phép (2 MB)."


@pytest.mark.parametrize("page", ["", "/export.xlsx", "/print.pdf"])
@pytest.mark.parametrize(("arg", "value", "message"), [
    ("year", "²", "Năm không hợp lệ: nhập số từ 1945 đến 2100."), ("year", "١٢", "Năm không hợp lệ"),
    ("year", "20260", "Năm không hợp lệ"), ("month", "¹", "Tháng không hợp lệ (1-12)."),
    ("month", "13", "Tháng không hợp lệ (1-12)."), ("month", "٣", "Tháng không hợp lệ (1-12).")])
def test_register_page_year_and_month_are_ascii_digits(app, client, demo, page, arg, value, message):
    login(client, "vanthu")
    response = client.get(f"/registers/1{page}", query_string={arg: value})
    assert response.status_code == 400, response.status_code
    assert message in response.get_data(as_text=True)


def test_405_answers_say_what_is_allowed(app, client, demo):
    api = api_token(app, demo["quantri"])
    response = client.delete("/api/v1/documents", headers=api)
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST", "HEAD", "OPTIONS"}
    assert response.json["error"]["message"] == "Phương thức không được hỗ trợ."
    described = client.get("/api/v1/openapi.json").json["paths"]["/documents"]
    assert all("Allow" in op["responses"]["405"]["headers"] for op in described.values())
    login(client, "vanthu")
    page = client.put("/registers/manage")
    assert page.status_code == 405
    assert "POST" in page.headers["Allow"]
    assert "Phương thức không được hỗ trợ." in page.get_data(as_text=True)


# Wrong types are refused at the door by the body's declared shape (edoc.api.schema), naming the field; before,
# "summary": ["a", "b"] was stored and printed as ['a', 'b'] and a contact's name given as an object was kept as
# its Python text.
DRAFT = {"type": "KH", "summary": "Kế hoạch thử"}
WRONG_TYPES = [
    ("/documents", {**DRAFT, "summary": ["a", "b"]}, "summary",
     "“summary” phải là một chuỗi văn bản, không phải một danh sách."),
    ("/documents", {**DRAFT, "body": {"a": 1}}, "body", "“body” phải là một chuỗi văn bản, không phải một đối tượng."),
    ("/documents", {**DRAFT, "summary": 12}, "summary", "“summary” phải là một chuỗi văn bản, không phải một số."),
    ("/documents", {**DRAFT, "copies": "2"}, "copies", "“copies” phải là số nguyên từ 1 đến 1000."),
    ("/documents", {**DRAFT, "copies": 1.5}, "copies", "“copies” phải là số nguyên từ 1 đến 1000."),
    ("/documents", {**DRAFT, "copies": 10**40}, "copies", "“copies” phải là số nguyên từ 1 đến 1000."),
    ("/documents", {**DRAFT, "recipients": {"kind": "unit"}}, "recipients",
     "“recipients” phải là một danh sách ([...]), không phải một đối tượng."),
    ("/documents", {**DRAFT, "recipients": ["unit"]}, "recipients[0]",
     "“recipients[0]” phải là một đối tượng JSON ({...}), không phải một chuỗi."),
    ("/documents", {**DRAFT, "recipients": [{"kind": "unit", "unit_id": "5"}]}, "recipients[0].unit_id",
     "Mã định danh không hợp lệ ở “recipients[0].unit_id”: cần một số nguyên từ 1 đến 2147483647."),
    ("/documents", {**DRAFT, "recipients": [{"kind": "unit", "label": "x" * 256}]}, "recipients[0].label",
     "“recipients[0].label” quá dài (tối đa 255 ký tự)."),
    ("/documents", {**DRAFT, "signer_title": "GIÁM ĐỐC\u0000"}, "signer_title",
     "“signer_title” chứa ký tự điều khiển không được phép (U+0000)."),
    ("/documents", {**DRAFT, "signer_authority_line": "x" * 300}, "signer_authority_line",
     "“signer_authority_line” quá dài (tối đa 255 ký tự)."),
    ("/documents", {**DRAFT, "secrecy": "Bí mật"}, "secrecy",
     "“secrecy” phải là một trong: “”, “Mật”, “Tối mật”, “Tuyệt mật”."),
    ("/contacts", {"name": {"vi": "Sở Nội vụ"}}, "name", "“name” phải là một chuỗi văn bản, không phải một đối tượng."),
    ("/contacts", {"name": "Sở Nội vụ", "email": ["a@b.vn"]}, "email",
     "“email” phải là một chuỗi văn bản, không phải một danh sách."),
    ("/registers", {"kind": "outgoing", "name": ["Sổ"]}, "name",
     "“name” phải là một chuỗi văn bản, không phải một danh sách."),
    ("/registers", {"kind": 1, "name": "Sổ"}, "kind", "“kind” phải là một chuỗi văn bản, không phải một số."),
]


@pytest.mark.parametrize(("path", "body", "field", "message"), WRONG_TYPES,
                         ids=[f"{p}-{f}-{i}" for i, (p, _b, f, _m) in enumerate(WRONG_TYPES)])
def test_wrong_types_are_refused_naming_the_field(app, client, demo, path, body, field, message):
    user = "quantri" if path == "/registers" else "vanthu" if path == "/contacts" else "chuyenvien"
    api = api_token(app, demo[user])
    if path == "/documents":
        body = {**body, "signer_id": demo["chutich"]}
    before = client.get(f"/api/v1{path}" + ("?box=mine" if path == "/documents" else ""), headers=api).json
    response = client.post(f"/api/v1{path}", headers=api, json=body)
    assert response.status_code == 400, response.json
    assert response.json["error"] == {"code": "invalid", "field": field, "message": message}
    assert client.get(f"/api/v1{path}" + ("?box=mine" if path == "/documents" else ""), headers=api).json == before


def test_changes_of_a_contact_are_typed_and_partial(app, client, demo):
    api = api_token(app, demo["vanthu"])
    created = client.post("/api/v1/contacts", headers=api, json={"name": "Sở Nội vụ", "email": "snv@hanoi.gov.vn"})
    assert created.status_code == 201
    url = f"/api/v1/contacts/{created.json['id']}"
    for body, field, message in [({"name": {"a": 1}}, "name", "“name” phải là một chuỗi văn bản, không phải một đối "
                                                              "tượng."),
                                 ({"active": "false"}, "active", "“active” phải là true hoặc false."),
                                 ({"active": None}, "active", "“active” phải là true hoặc false.")]:
        response = client.patch(url, headers=api, json=body)
        assert response.status_code == 400
        assert response.json["error"] == {"code": "invalid", "field": field, "message": message}
    changed = client.patch(url, headers=api, json={"short_name": "SNV"})  # only what is sent changes
    assert changed.status_code == 200
    assert (changed.json["name"], changed.json["short_name"], changed.json["email"], changed.json["active"]) == (
        "Sở Nội vụ", "SNV", "snv@hanoi.gov.vn", True)


def test_sign_body_is_typed(app, client, demo):
    api = api_token(app, demo["chutich"])
    for body, field, message in [
        ({}, "pin", "Thiếu trường “pin”."), ({"pin": 123456}, "pin", "“pin” phải là một chuỗi văn bản, không phải "
                                                                    "một số."),
        ({"pin": "123456", "placement": {"page": 1, "x": 10}}, "placement.y", "Thiếu trường “placement.y”."),
        ({"pin": "123456", "placement": {"page": 10**30, "x": 1, "y": 1}}, "placement.page",
         "“placement.page” phải là số nguyên từ 1 đến 10000."),
        ({"pin": "123456", "placement": {"page": 1, "x": -5, "y": 1}}, "placement.x",
         "“placement.x” phải là một số từ 0 đến 14400."),
        ({"pin": "123456", "placement": {"page": 1, "x": 10**400, "y": 1}}, "placement.x",
         "“placement.x” phải là một số từ 0 đến 14400."),
        ({"pin": "123456", "placement": [1, 2, 3]}, "placement",
         "“placement” phải là một đối tượng JSON ({...}), không phải một danh sách.")]:
        response = client.post("/api/v1/documents/1/sign", headers=api, json=body)
        assert response.status_code == 400, (body, response.json)
        assert response.json["error"] == {"code": "invalid", "field": field, "message": message}
