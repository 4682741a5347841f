"""Where the login page sends a browser afterwards (``next``): only to a path of this site, never to another host.

Browsers read addresses leniently (tabs and newlines dropped anywhere, ``\\`` read as ``/``, fullwidth solidus
folded by NFKC-minded tools), so each hostile value below is one a browser would turn into another site, or a
header Werkzeug refuses with a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from edoc.core.http import local_path
from tests.support.web import csrf_token

HOSTILE = {
    "protocol-relative": "//evil.example/x",
    "triple-slash": "///evil.example",
    "tab-between-slashes": "/\t/evil.example",
    "newline-between-slashes": "/\n/evil.example",
    "carriage-return-header": "/x\r\nSet-Cookie: a=b",
    "backslash": "/\\evil.example",
    "two-backslashes": "\\\\evil.example",
    "absolute-https": "https://evil.example/",
    "scheme-one-slash": "http:/evil.example",
    "javascript": "javascript:alert(1)",
    "data": "data:text/html,<script>alert(1)</script>",
    "no-leading-slash": "evil.example",
    "leading-space": " /documents/",
    "nul": "/\x00/evil.example",
    "fullwidth-solidus": "/\uff0f/evil.example",
    "fullwidth-reverse-solidus": "/\uff3cevil.example",
    "ideographic-space": "/\u3000/evil.example",
    "zero-width-space": "/\u200b/evil.example",
    "right-to-left-override": "/\u202e/elpmaxe.live",
    "line-separator": "/\u2028/evil.example",
    "empty": "",
    "too-long": "/" + "a" * 2048,
}
LOCAL = ["/", "/documents/?tab=inbox", "/documents/12", "/registers/?year=2026&q=c%C3%B4ng+v%C4%83n",
         "/documents/?q=công văn".replace(" ", "+"), "/files/3?inline=1#page=2"]


@pytest.mark.parametrize("target", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_next_is_refused(target: str):
    assert local_path(target) is None


@pytest.mark.parametrize("target", LOCAL)
def test_a_path_of_this_site_is_kept(target: str):
    assert local_path(target) == target


def test_the_login_page_sends_hostile_next_values_home(app, demo):
    """Over HTTP, as sent in the query string (percent-encoded): the issue's ``/%09/evil.example`` answered
    ``Location: //evil.example``, and a newline was a 500. Each now signs in and goes home."""
    for target in [*HOSTILE.values(), "/%09/evil.example"]:
        client = app.test_client()
        token = csrf_token(client)
        response = client.post(f"/login?next={quote(target, safe='/%')}",
                               data={"username": "vanthu", "password": "GiaLam@2023", "csrf_token": token})
        assert response.status_code == 302, (target, response.status_code)
        assert response.headers["Location"] == "/", (target, response.headers["Location"])
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(f"/login?next={quote('/documents/?tab=inbox')}",
                           data={"username": "vanthu", "password": "GiaLam@2023", "csrf_token": token})
    assert response.headers["Location"] == "/documents/?tab=inbox"
