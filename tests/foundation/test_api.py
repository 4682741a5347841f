"""The JSON API: bearer tokens only, clear errors, and an OpenAPI description that covers every route."""

from __future__ import annotations

import re

from sqlalchemy import select

from edoc.accounts.models import ApiToken
from edoc.core.db import db
from tests.support.web import csrf_token, login


def _token(client) -> str:
    login(client, "chuyenvien")
    page = client.post("/profile", data={"action": "token", "tok-name": "Tích hợp thử",
                                         "tok-csrf_token": csrf_token(client, "/profile")})
    assert page.status_code == 200
    match = re.search(r'id="new-token">(edoc_[^<]+)<', page.get_data(as_text=True))
    assert match
    return match.group(1)


def test_token_lifecycle(client, demo, app):
    token = _token(client)
    with app.app_context():
        row = db.session.execute(select(ApiToken)).scalar_one()
        assert row.token_hash != token and token.startswith(row.prefix)  # only the hash is stored
    api = app.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json["username"] == "chuyenvien" and me.json["roles"] == ["specialist"]
    client.post("/profile", data={"action": "revoke", "token_id": str(row.id),
                                  "csrf_token": csrf_token(client, "/profile")})
    revoked = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401 and "thu hồi" in revoked.json["error"]["message"]


def test_missing_or_bad_token_is_401_json(client, demo):
    for headers in ({}, {"Authorization": "Bearer edoc_nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"


def test_session_cookie_does_not_authenticate_the_api(client, demo):
    login(client, "chuyenvien")  # a browser session must not open the CSRF-exempt API
    assert client.get("/api/v1/me").status_code == 401


def test_api_upload_errors_are_json(client, demo, app):
    token = _token(client)
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    bad_type = api.post("/api/v1/uploads/x.pdf", data=b"not a pdf at all", headers=auth)
    assert bad_type.status_code == 415 and bad_type.json["error"]["code"] == "unsupported_media_type"
    traversal = api.post("/api/v1/uploads/../x.pdf", data=b"%PDF-1.4\n", headers=auth)
    assert traversal.status_code in {400, 404}
    nested = api.post("/api/v1/uploads/dir/x.pdf", data=b"%PDF-1.4\n", headers=auth)
    assert nested.status_code == 400 and "phân cách thư mục" in nested.json["error"]["message"]
    # Werkzeug's multipart parser eats backslashes as escapes; a raw PUT keeps them, so test it here.
    backslash = api.post("/api/v1/uploads/a%5Cb.pdf", data=b"%PDF-1.4\n", headers=auth)
    assert backslash.status_code == 400 and "phân cách thư mục" in backslash.json["error"]["message"]
    missing = api.post("/api/v1/files", data={}, headers=auth)
    assert missing.status_code == 400
    assert api.get("/api/v1/files/999999", headers=auth).status_code == 404


def _api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        routes |= {(_shape(path), method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def _shape(path: str) -> str:
    """A path with its variables' names left out: a route's ``<int:doc_id>`` and the description's ``{id}`` (or
    ``{meeting_id}``, where a path holds two ids and OpenAPI wants them named apart) are the same place."""
    return re.sub(r"\{[a-z_]+\}", "{}", path)


def test_openapi_describes_every_api_route_and_nothing_else(app, client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {(_shape(path), method) for path, ops in spec["paths"].items() for method in ops}
    routes = _api_routes(app)
    assert routes - documented == set(), "routes missing from openapi.json"
    assert documented - routes == set(), "openapi.json describes routes that do not exist"
    for ops in spec["paths"].values():
        for op in ops.values():
            assert op["responses"], op


def test_openapi_document_is_valid(client):
    from openapi_spec_validator import OpenAPIV31SpecValidator

    spec = client.get("/api/v1/openapi.json").json
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert errors == []
    assert _same_templated_paths(spec["paths"]) == []


def _same_templated_paths(paths: dict[str, object]) -> list[tuple[str, str]]:
    """What the validator does not check (OpenAPI 3.1, 4.8.8.2): templated paths that differ only in the names
    of their variables are the same path, and must not both exist."""
    seen: dict[str, str] = {}
    clashes = []
    for path in paths:
        shape = re.sub(r"\{[^}]+\}", "{}", path)
        if shape in seen:
            clashes.append((seen[shape], path))
        seen[shape] = path
    return clashes


def test_openapi_validation_catches_what_it_should(client):
    """The checks above can fail: a document with both faults is refused by each."""
    from openapi_spec_validator import OpenAPIV31SpecValidator

    spec = client.get("/api/v1/openapi.json").json
    spec["paths"]["/files/{name}"] = {"put": {"responses": {"201": {"description": "x"}}}}  # {name} undeclared
    messages = [e.message for e in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert any("name" in m for m in messages), messages
    assert _same_templated_paths(spec["paths"]) == [("/files/{id}", "/files/{name}")]
