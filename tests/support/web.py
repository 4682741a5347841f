"""Helpers for driving the app through its pages the way a browser does (with CSRF tokens)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, username: str, password: str = "GiaLam@2023") -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def post_form(client: FlaskClient, path: str, data: dict[str, object], *, page: str | None = None,
              **kwargs: object) -> object:
    data = {**data, "csrf_token": csrf_token(client, page or path)}
    return client.post(path, data=data, **kwargs)
