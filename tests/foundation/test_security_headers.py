"""Security headers on every answer (pages, files, errors, the API, static files), a CSP without inline scripts,
and the pages' templates written so that they work under it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.support.web import csrf_token, login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _check_common(response) -> str:
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[-1].split(";")[0]
    assert "unsafe-eval" not in policy
    return policy


def test_every_kind_of_answer_carries_the_headers(app, demo):
    visitor = app.test_client()
    page = visitor.get("/login")
    policy = _check_common(page)
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["style-src"] == "'self'" and directives["base-uri"] == "'none'"
    assert "Strict-Transport-Security" not in page.headers  # off unless configured
    _check_common(visitor.get("/static/js/realtime.js"))
    _check_common(visitor.get("/no-such-page"))
    _check_common(visitor.get("/api/v1/me"))  # a 401 in JSON
    _check_common(visitor.get("/logout"))  # a 405
    signed_in = app.test_client()
    login(signed_in, "chutich")
    home = signed_in.get("/")
    assert home.status_code == 200
    _check_common(home)
    upload = signed_in.post("/files/", data={"csrf_token": csrf_token(signed_in, "/files/"), "file": (
        io.BytesIO(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF"), "a.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 302
    with app.app_context():
        from sqlalchemy import select

        from edoc.core.db import db
        from edoc.files.models import StoredFile

        file_id = db.session.execute(select(StoredFile.id).where(StoredFile.original_name == "a.pdf")).scalar_one()
    pdf = signed_in.get(f"/files/{file_id}?inline=1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    file_policy = _check_common(pdf)
    assert "default-src 'none'" in file_policy and "sandbox" not in file_policy  # a sandbox stops the PDF viewer


@pytest.mark.parametrize(("settings", "expected"), [
    ({"EDOC_HSTS": "true"}, True),
    ({"EDOC_SECURE_COOKIES": "true"}, True),
    ({"EDOC_SECURE_COOKIES": "true", "EDOC_HSTS": "false"}, False),
    ({}, False),
])
def test_hsts_follows_its_setting(settings_env, demo_free_app_factory, settings, expected):
    app = demo_free_app_factory({**settings_env, **settings})
    response = app.test_client().get("/login")
    assert ("Strict-Transport-Security" in response.headers) is expected
    if expected:
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_page_templates_have_no_inline_script_handler_or_style():
    """What the CSP refuses, caught before a browser does: an inline <script> with code (a JSON data block is
    no script), an on...= handler, a javascript: URL, a style attribute. The documents' own templates (render/)
    and the print layouts go to WeasyPrint, never to a browser."""
    found = []
    for path in TEMPLATES.rglob("*.html"):
        if path.parts[-2] == "render" or path.name == "print.html":
            continue
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text):
            found.append(f"{path.name}: {match.group(0)}")
        for pattern in (r"\son[a-z]+\s*=\s*[\"']", r"javascript:", r"\sstyle\s*=\s*[\"']"):
            found += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert found == []
