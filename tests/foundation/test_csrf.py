"""Every state-changing page route refuses a request without its CSRF token, found by walking the URL map, so
a route added tomorrow is covered without anyone remembering to add it here. (The API is exempt: it takes
bearer tokens only, never the session cookie.)"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from sqlalchemy import inspect, select, table, text

from edoc.core.db import db
from tests.support.web import login

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _fingerprint(app, store_root: Path) -> dict[str, str]:
    """A digest of every row of every table, and the list of stored objects: any change shows."""
    out: dict[str, str] = {}
    with app.app_context(), db.engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(select(text("*")).select_from(table(name))).all()
            out[name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    out["objects"] = repr(sorted(p.relative_to(store_root).as_posix() for p in store_root.rglob("*") if p.is_file()))
    return out


def _path(rule) -> str:
    # Id 1 exists for most kinds of object in the demo; whatever the argument, the token is checked first.
    return re.sub(r"<[^>]+>", "1", rule.rule)


def test_every_state_changing_page_route_requires_the_csrf_token(app, client, demo, settings_env):
    login(client, "quantri")
    rules = [rule for rule in app.url_map.iter_rules()
             if rule.methods & UNSAFE and not rule.rule.startswith("/api/")]
    endpoints = {rule.endpoint for rule in rules}
    # The walk is not empty, and sees what the foundation itself registers.
    assert {"auth.login", "auth.logout", "auth.profile", "files.upload", "admin.user", "admin.user_signature",
            "admin.units", "admin.organisation"} <= endpoints, endpoints
    store_root = Path(settings_env["EDOC_STORAGE_DIR"])
    before = _fingerprint(app, store_root)
    checked = []
    for rule in rules:
        for method in sorted(rule.methods & UNSAFE):
            path = _path(rule)
            response = client.open(path, method=method, content_type="multipart/form-data", data={
                "action": "password", "username": "quantri", "password": "GiaLam@2023", "name": "Tên mới",
                "abbreviation": "MOI", "full_name": "Tên mới", "reason": "thử", "pin": "123456",
                "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")})
            assert response.status_code == 400, f"{method} {path} ({rule.endpoint}): {response.status_code}"
            assert "CSRF" in response.get_data(as_text=True), f"{method} {path}"
            checked.append(f"{method} {path}")
    assert len(checked) >= len(rules)
    assert _fingerprint(app, store_root) == before
    assert client.get("/").status_code == 200  # POST /logout without a token did not sign the admin out
