"""The JSON API (/api/v1): personal bearer tokens only, described by an OpenAPI document that grows with
each feature (``edoc.api.openapi``)."""

from __future__ import annotations

from flask import Blueprint, g, request

from edoc.core.errors import DomainError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in {"api.openapi"}:
        return
    from edoc.accounts.service import user_for_token

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Thiếu mã truy cập: gửi tiêu đề “Authorization: Bearer <mã>”.")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("Mã truy cập không hợp lệ hoặc đã bị thu hồi.")
    g.api_user = user


from edoc.api import routes  # noqa: E402,F401  (routes attach to bp)
