"""The JSON API (/api/v1): personal bearer tokens only, described by an OpenAPI document that grows with
each feature (``edoc.api.openapi``)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, g, request

from edoc.core.errors import DomainError, ValidationFailed

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Endpoints whose body is a file, never parsed as JSON whatever its Content-Type says.
RAW_BODY_ENDPOINTS = {"api.upload_raw"}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def json_object(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON body, which must be an object (``{...}``); anything else is a 400.

    With ``required=False`` an empty body reads as ``{}`` (actions such as submit take no fields). A body that is
    not JSON, or JSON that is an array, string, number or null, is refused whatever the Content-Type: a client
    sending it is broken, and saying so is clearer than acting on an empty object.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ValidationFailed("Thiếu thân yêu cầu: gửi một đối tượng JSON ({...}).")
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise ValidationFailed("Thân yêu cầu không phải JSON hợp lệ (UTF-8).") from None
    if not isinstance(body, dict):
        raise ValidationFailed(
            f"Thân yêu cầu phải là một đối tượng JSON ({{...}}), không phải {_json_kind(body)}.")
    return body


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "một mảng"
    if isinstance(value, str):
        return "một chuỗi"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "giá trị true/false"
    return "một số"


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


@bp.before_request
def _json_bodies_are_objects() -> None:
    # After _authenticate (registration order), so a client without a token learns that first. Every JSON body
    # this API takes is an object: checked here once, no view reading request.get_json() can be handed a list
    # or a string and fail on it with a 500.
    if request.is_json and request.endpoint not in RAW_BODY_ENDPOINTS:
        json_object(required=False)


from edoc.api import routes  # noqa: E402,F401  (routes attach to bp)
