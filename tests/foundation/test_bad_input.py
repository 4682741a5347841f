"""Out-of-range ids and malformed bodies are clear 4xx answers on both databases, never a 500.

Ids are PostgreSQL ``integer`` columns: 2**31 fails there as NumericValueOutOfRange, 2**63 on SQLite as
OverflowError. The router refuses such ids in any ``<int:...>`` route (a 404, like an unknown id), ``parse_id``
refuses them in forms and JSON (400), and the API refuses JSON bodies that are not objects (400).
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.forms import MAX_ID, IdConverter
from tests.support.web import csrf_token, login, post_form

TOO_LARGE = [2**31, 2**63, 10**30]


def _token(app, user_id: int) -> dict[str, str]:
    from edoc.accounts.service import create_api_token

    with app.app_context():
        _row, token = create_api_token(db.session.get(User, user_id), "kiểm thử")
    return {"Authorization": f"Bearer {token}"}


def _int_rules(app) -> list:
    rules = [rule for rule in app.url_map.iter_rules()
             if any(isinstance(c, IdConverter) for c in rule._converters.values())]
    assert len(rules) >= 10, "the factory must register IdConverter as the int converter before the blueprints"
    return rules


def _path(rule, value: int) -> str:
    """The rule with ``value`` for each int argument and a plausible word for any other."""
    path = rule.rule
    for name, converter in rule._converters.items():
        filler = str(value) if isinstance(converter, IdConverter) else "submit"
        path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", filler, path)
    return path


def _method(rule) -> str:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def test_every_int_route_answers_404_for_ids_no_column_can_hold(app, client, demo):
    login(client, "quantri")
    api = _token(app, demo["quantri"])
    for rule in _int_rules(app):
        for value in TOO_LARGE:
            path = _path(rule, value)
            headers = api if path.startswith("/api/") else {}
            response = client.open(path, method=_method(rule), headers=headers)
            assert response.status_code == 404, (path, response.status_code)
            if path.startswith("/api/"):
                assert response.json["error"]["code"] == "not_found"
            else:
                assert "Không tìm thấy" in response.get_data(as_text=True)


def test_the_largest_id_still_routes_and_is_an_honest_answer(app, client, demo):
    login(client, "quantri")
    api = _token(app, demo["quantri"])
    adapter = app.url_map.bind("localhost")
    for rule in _int_rules(app):
        path = _path(rule, MAX_ID)
        method = _method(rule)
        endpoint, _args = adapter.match(path, method=method)
        assert endpoint == rule.endpoint
        response = client.open(path, method=method, headers=api if path.startswith("/api/") else {})
        # Nothing has that id: not found, or refused before looking (CSRF 400, role 403); never a 500.
        assert response.status_code in {400, 403, 404}, (path, response.status_code)


def test_ids_in_json_bodies_are_bounded(app, client, demo):
    api = _token(app, demo["chuyenvien"])
    base = {"type": "KH", "summary": "Kế hoạch thử", "signer_id": demo["chutich"]}
    for field, value in [("drafting_unit_id", 10**17), ("signer_id", 2**31), ("reader_ids", [2**40]),
                         ("drafting_unit_id", "١٢"), ("signer_id", True)]:
        response = client.post("/api/v1/documents", json={**base, field: value}, headers=api)
        assert response.status_code == 400, (field, value, response.json)
        assert response.json["error"]["message"].startswith("Mã định danh không hợp lệ"), response.json
        # an item of a list is named by its place
        assert response.json["error"]["field"] == (f"{field}[0]" if isinstance(value, list) else field)


def test_ids_in_forms_are_bounded(app, client, demo):
    login(client, "quantri")
    before = _users(app)
    response = post_form(client, f"/admin/users/{demo['chuyenvien']}", {
        "username": "chuyenvien", "full_name": "Phạm Quốc Bảo", "unit_id": str(10**17), "roles": ["specialist"],
        "active": "y"})
    assert response.status_code == 400
    assert "Mã định danh không hợp lệ: vượt quá giới hạn" in response.get_data(as_text=True)
    revoke = client.post("/profile", data={"action": "revoke", "token_id": str(2**63),
                                           "csrf_token": csrf_token(client, "/profile")})
    assert revoke.status_code == 400
    assert _users(app) == before


def _users(app) -> list[tuple]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(select(User.id, User.unit_id, User.title).order_by(User.id))]


@pytest.mark.parametrize("body", ["[1, 2]", '"lý do"', "42", "null", "{not json", "\xff\xfe"],
                         ids=["array", "string", "number", "null", "broken", "not-utf8"])
def test_api_json_bodies_must_be_objects(app, client, demo, body):
    api = _token(app, demo["chuyenvien"])
    created = client.post("/api/v1/documents", headers=api, json={
        "type": "KH", "summary": "Kế hoạch thử", "signer_id": demo["chutich"]})
    assert created.status_code == 201, created.json
    doc_id = created.json["id"]
    for action in ("return", "recall", "issue", "submit", "sign"):
        response = client.post(f"/api/v1/documents/{doc_id}/{action}", headers=api,
                               data=body.encode("latin-1"), content_type="application/json")
        assert response.status_code == 400, (action, response.status_code, response.get_data(as_text=True))
        assert response.json["error"]["message"].startswith("Thân yêu cầu"), response.json
    assert client.get(f"/api/v1/documents/{doc_id}", headers=api).json["status"] == created.json["status"]


def test_an_empty_or_object_body_still_works_on_actions(app, client, demo):
    api = _token(app, demo["chuyenvien"])
    created = client.post("/api/v1/documents", headers=api, json={
        "type": "KH", "summary": "Kế hoạch thử", "signer_id": demo["chutich"]})
    submitted = client.post(f"/api/v1/documents/{created.json['id']}/submit", headers=api,
                            data="", content_type="application/json")
    assert submitted.status_code == 200, submitted.json
    leader = _token(app, demo["chutich"])
    returned = client.post(f"/api/v1/documents/{created.json['id']}/return", headers=leader,
                           data=json.dumps({"reason": "Bổ sung số liệu"}), content_type="application/json")
    assert returned.status_code == 200, returned.json


def test_json_helper_is_what_the_api_uses(app):
    from edoc.api import json_object
    from edoc.core.errors import ValidationFailed

    with app.test_request_context("/api/v1/x", method="POST", data="[]", content_type="application/json"):
        with pytest.raises(ValidationFailed, match="không phải một mảng"):
            json_object()
    with app.test_request_context("/api/v1/x", method="POST", data=""):
        assert json_object(required=False) == {}
        with pytest.raises(ValidationFailed, match="Thiếu thân yêu cầu"):
            json_object()
    with app.test_request_context("/api/v1/x", method="POST", data='{"a": 1}', content_type="text/plain"):
        assert json_object() == {"a": 1}


def _register_id(app) -> int:
    from edoc.registers.models import Register

    with app.app_context():
        return db.session.execute(select(Register.id).where(Register.kind == "outgoing")).scalars().first()


def test_huge_year_on_register_pages_is_400(app, client, demo):
    login(client, "vanthu")
    register_id = _register_id(app)
    for year in (str(10**20), "99999", "١٩٩٩"):
        response = client.get(f"/registers/{register_id}?year={year}")
        assert response.status_code == 400, year
        assert "Năm không hợp lệ" in response.get_data(as_text=True)


def test_huge_year_on_the_register_api_is_400(app, client, demo):
    api = _token(app, demo["vanthu"])
    response = client.get(f"/api/v1/registers/{_register_id(app)}/entries?year={10**20}", headers=api)
    assert response.status_code == 400 and response.json["error"]["field"] == "year"
