"""Hostile values at every route: each form field of each page, each JSON key of each API body, each query
argument, and raw bodies. Prints every answer of 500 or more with the route and value, and the count.

A quick local check (SQLite, the demo organisation, CSRF off so the values reach the views):
    .venv/bin/python scripts/fuzz_routes.py [--quick]
Exit status 1 when any answer was a 5xx. Run by hand after changing what routes accept; it reaches the pages as
well as the API (docs/hostile-input.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edoc.accounts.models import User
from edoc.accounts.service import create_api_token
from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db
from edoc.demo import load_demo

HOSTILE_TEXT = ["", " ", "²", "¹", "١٢", "-1", "0", "1e999", "Infinity", "NaN", "-0", "99999999999999999999999",
                "2147483648", "\x00", "a\nb", "İ" * 300, "x" * 70000, "%00", "../../etc/passwd", "{}", "[]",
                "true", "null", "<script>alert(1)</script>", "\u202e", "1.5", " 12 ", "0x10", "１２"]
HOSTILE_JSON: list[Any] = [None, True, False, 0, -1, 2**31, 2**63, 10**400, 1.5, -0.0, "", "²", "x" * 70000,
                           [], ["a", "b"], {}, {"a": 1}, [[[[[]]]]], "\x00", "1e999"]
RAW_JSON = ["[" * 5000, "{\"a\":" * 5000, '{"copies": 1e999}', '{"copies": Infinity}', '{"copies": NaN}',
            '{"placement": {"page": 1e999, "x": 1, "y": 1}, "pin": "1"}', '{"pin": -Infinity}',
            '{"year": 1e400}', '{"summary": ' + "[" * 3000 + "]" * 3000 + "}", "\"\\ud800\"", '{"a": "\\ud800"}']


class Forms(HTMLParser):
    """The forms of a page: action, method and (name, value) of each field."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").upper(),
                               "enctype": a.get("enctype") or "", "fields": {}})
        elif self.forms and tag in {"input", "textarea", "select"} and a.get("name"):
            name = a["name"] or ""
            if a.get("type") in {"checkbox", "radio"} and name in self.forms[-1]["fields"]:
                return
            self.forms[-1]["fields"][name] = a.get("value") or ""
            self._select = name if tag == "select" else None
        elif tag == "option" and self._select and self.forms:
            fields = self.forms[-1]["fields"]
            if not fields.get(self._select):
                fields[self._select] = a.get("value") or ""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer values per field")
    args = parser.parse_args()
    texts = HOSTILE_TEXT[:12] if args.quick else HOSTILE_TEXT
    values = HOSTILE_JSON[:10] if args.quick else HOSTILE_JSON
    instance = tempfile.mkdtemp(prefix="edoc-fuzz-")
    settings = Settings.from_env({"EDOC_SECRET_KEY": "fuzz-" + "x" * 32, "EDOC_INSTANCE_PATH": instance,
                                  "EDOC_MAX_UPLOAD_MB": "5"})
    from flask_migrate import upgrade

    with create_app(settings, check_services=False).app_context():
        upgrade()
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=False)
    errors: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.exc_info:
                errors.append(f"{record.exc_info[0].__name__}: {record.exc_info[1]}"[:300])

    logging.getLogger("edoc").addHandler(Keep())
    with app.app_context():
        users = {u.username: u.id for u in load_demo().users}
        tokens = {name: create_api_token(db.session.get(User, uid), "fuzz")[1] for name, uid in users.items()}
        db.session.commit()
    failures: list[tuple[str, str, str, int, str]] = []
    counts: Counter[int] = Counter()

    def check(method: str, path: str, what: str, response: Any) -> None:
        counts[response.status_code // 100 * 100] += 1
        if response.status_code >= 500:
            failures.append((method, path, what[:120], response.status_code, errors[-1] if errors else "?"))

    for username in ("quantri", "vanthu", "chutich", "chuyenvien"):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": "GiaLam@2023"})
        api = {"Authorization": f"Bearer {tokens[username]}"}
        pages = _pages(app)
        for page in pages:
            page_response = client.get(page)
            check("GET", page, "", page_response)
            for name in ("year", "month", "q", "box", "next", "page", "id"):
                for value in texts:
                    check("GET", page, f"?{name}={value!r}", client.get(page, query_string={name: value}))
            if page_response.status_code != 200 or page_response.mimetype != "text/html":
                continue
            forms = Forms()
            forms.feed(page_response.get_data(as_text=True))
            for form in forms.forms:
                action = form["action"] or page
                if form["method"] != "POST" or not action.startswith("/") or action == "/logout":
                    continue
                for field in form["fields"]:
                    if field == "csrf_token":
                        continue
                    for value in texts:
                        data = {**form["fields"], field: value}
                        check("POST", action, f"{field}={value!r}", client.post(action, data=data))
                    check("POST", action, f"{field}=[two]", client.post(action, data={
                        **form["fields"], field: ["1", "2"]}))
                    check("POST", action, f"{field}=bytes", client.post(
                        action, data=b"&".join([f"{field}=".encode() + b"%ff%fe"]),
                        content_type="application/x-www-form-urlencoded"))
        spec = client.get("/api/v1/openapi.json", headers=api).json
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                url = "/api/v1" + _fill(path, app)
                for value in texts:
                    check(method.upper(), url, f"query {value!r}", client.open(
                        url, method=method.upper(), headers=api, query_string={"year": value, "month": value,
                                                                               "box": value, "q": value}))
                body = operation.get("requestBody", {}).get("content", {})
                schema = body.get("application/json", {}).get("schema")
                if schema is None:
                    continue
                keys = _keys(schema, spec)
                for raw in RAW_JSON:
                    check(method.upper(), url, f"raw {raw[:40]!r}", client.open(
                        url, method=method.upper(), headers=api, data=raw, content_type="application/json"))
                for key in keys:
                    for value in values:
                        body_json = {**_sample(keys), key: value}
                        check(method.upper(), url, f"{key}={json.dumps(value)[:40]}", client.open(
                            url, method=method.upper(), headers=api, json=body_json))
                    if key == "recipients":
                        for value in values:
                            check(method.upper(), url, f"recipients[0]={json.dumps(value)[:40]}", client.open(
                                url, method=method.upper(), headers=api,
                                json={**_sample(keys), key: [value]}))
                            check(method.upper(), url, f"recipients[0].unit_id={json.dumps(value)[:40]}",
                                  client.open(url, method=method.upper(), headers=api,
                                              json={**_sample(keys), key: [{"kind": "unit", "unit_id": value}]}))
                    if key == "placement":
                        for part in ("page", "x", "y"):
                            for value in values:
                                check(method.upper(), url, f"placement.{part}={json.dumps(value)[:40]}",
                                      client.open(url, method=method.upper(), headers=api, json={
                                          "pin": "123456", "placement": {"page": 1, "x": 10, "y": 10,
                                                                         part: value}}))
    seen: set[tuple[str, str, str]] = set()
    for method, path, what, status, error in failures:
        if (method, path, error) in seen:
            continue
        seen.add((method, path, error))
        print(f"{status} {method} {path} {what}\n    {error}")
    print(f"answers: {dict(sorted(counts.items()))}; 5xx: {len(failures)}")
    return 1 if failures else 0


def _pages(app: Any) -> list[str]:
    from edoc.documents.models import OutgoingDocument
    from edoc.registers.models import Register

    with app.app_context():
        doc_ids = [d for (d,) in db.session.query(OutgoingDocument.id).order_by(OutgoingDocument.id).limit(4)]
        register_ids = [r for (r,) in db.session.query(Register.id).limit(2)]
        user_ids = [u for (u,) in db.session.query(User.id).limit(2)]
    pages = ["/", "/documents/", "/documents/new", "/documents/contacts", "/files/", "/notifications/",
             "/profile", "/registers/", "/registers/manage", "/signatures/credential", "/signatures/pending",
             "/signatures/trust", "/signatures/validate", "/admin/users/new", "/admin/units", "/admin/", "/to-do",
             "/admin/organisation", "/admin/users"]
    pages += [f"/documents/{d}" for d in doc_ids] + [f"/documents/{d}/edit" for d in doc_ids]
    pages += [f"/signatures/place/{d}" for d in doc_ids]
    pages += [f"/registers/{r}" for r in register_ids] + [f"/registers/{r}/export.xlsx" for r in register_ids]
    pages += [f"/registers/{r}/print.pdf" for r in register_ids[:1]]
    pages += [f"/admin/users/{u}" for u in user_ids]
    return pages


def _fill(path: str, app: Any) -> str:
    from edoc.documents.models import OutgoingDocument

    with app.app_context():
        doc_id = db.session.query(OutgoingDocument.id).order_by(OutgoingDocument.id.desc()).limit(1).scalar() or 1
    return re.sub(r"\{id\}", str(doc_id if "documents" in path else 1), path).replace("{name}", "a.pdf")


def _keys(schema: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    if "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return [*schema.get("properties", {}), "unknown_key"]


def _sample(keys: list[str]) -> dict[str, Any]:
    return {"type": "KH", "summary": "Kế hoạch", "signer_id": 3, "name": "Sở X", "kind": "outgoing",
            "text": "góp ý", "pin": "123456", "reason": "lý do"}


if __name__ == "__main__":
    raise SystemExit(main())
