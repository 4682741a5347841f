"""The JSON API (/api/v1): personal bearer tokens only, described by an OpenAPI document that grows with
each feature (``edoc.api.openapi``)."""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Blueprint, g, request

from edoc.accounts.service import user_for_token
from edoc.core.errors import DomainError, ValidationFailed

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Endpoints whose body is a file, never parsed as JSON whatever its Content-Type says.
RAW_BODY_ENDPOINTS = {"api.upload_raw"}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


JSON_MAX_BYTES = 2 * 1024 * 1024
"""The largest JSON body: a document's text is the longest thing the API takes in JSON (2 MB is some 600 pages);
files come as multipart or raw bodies, whose own limit is EDOC_MAX_UPLOAD_MB."""
JSON_MAX_DEPTH = 16
"""How deeply a JSON body may nest: the deepest this API reads is 3 (a draft's recipients); Python's parser
overflows its recursion limit near 1000 levels, a 500 before this limit existed."""
TOO_DEEP = f"Thân yêu cầu JSON lồng nhau quá sâu (tối đa {JSON_MAX_DEPTH} cấp)."
NOT_FINITE = "Thân yêu cầu JSON chứa số không hữu hạn (NaN, Infinity hoặc số quá lớn như 1e999)."


class _NotFinite(ValueError):
    pass


def _refuse_constant(name: str) -> object:
    raise _NotFinite(name)  # NaN, Infinity, -Infinity: Python's json accepts them, JSON does not


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 reads as inf
        raise _NotFinite(text)
    return value


def parse_json(raw: bytes) -> Any:
    """The one JSON reader of request bodies: strict JSON (no NaN or Infinity, no number that overflows to
    infinity), nested at most JSON_MAX_DEPTH deep; anything else is a ValidationFailed (400) in Vietnamese."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotFinite:
        raise ValidationFailed(NOT_FINITE) from None
    except RecursionError:
        raise ValidationFailed(TOO_DEEP) from None
    except (UnicodeDecodeError, ValueError):
        # ValueError also covers an integer of more than 4300 digits (Python's int-from-text limit)
        raise ValidationFailed("Thân yêu cầu không phải JSON hợp lệ (UTF-8).") from None
    if _depth(value) > JSON_MAX_DEPTH:
        raise ValidationFailed(TOO_DEEP)
    return value


def _depth(value: Any) -> int:
    """Nesting depth of a parsed value, without recursion (a scalar is 0, ``[]`` is 1)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level + 1)
            if level + 1 > JSON_MAX_DEPTH:
                return level + 1
            stack.extend((child, level + 1) for child in node)
    return deepest


def json_object(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON body, which must be an object (``{...}``); anything else is a 400.

    With ``required=False`` an empty body reads as ``{}`` (actions such as submit take no fields). A body that is
    not JSON, or JSON that is an array, string, number or null, is refused whatever the Content-Type: a client
    sending it is broken, and saying so is clearer than acting on an empty object.
    """
    request.max_content_length = JSON_MAX_BYTES  # before the first read: a bigger body is a 413, not read whole
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ValidationFailed("Thiếu thân yêu cầu: gửi một đối tượng JSON ({...}).")
        return {}
    body = parse_json(raw)
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
