"""JSON API for votes (/api/v1/meetings/<id>/votes...), with a personal bearer token: the same actions as the
room page's routes (``meetings.votes.actions``)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from edoc.api import bp
from edoc.api.openapi import add_paths, errors
from edoc.api.routes import api_user
from edoc.api.schema import Obj as _Obj
from edoc.api.schema import json_body, optional_json_body
from meetings.votes import actions, forms


@bp.route("/meetings/<int:meeting_id>/votes", methods=["GET"])
def api_votes_list(meeting_id: int) -> Response:
    return jsonify(actions.list_votes(api_user(), meeting_id))


@bp.route("/meetings/<int:meeting_id>/votes", methods=["POST"])
def api_votes_create(meeting_id: int) -> tuple[Response, int]:
    return jsonify(actions.create(api_user(), meeting_id)), 201


@bp.route("/meetings/<int:meeting_id>/votes/<int:vote_id>", methods=["GET"])
def api_vote_show(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.show(api_user(), meeting_id, vote_id))


@bp.route("/meetings/<int:meeting_id>/votes/<int:vote_id>/open", methods=["POST"])
def api_vote_open(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.open_(api_user(), meeting_id, vote_id))


@bp.route("/meetings/<int:meeting_id>/votes/<int:vote_id>/cast", methods=["POST"])
def api_vote_cast(meeting_id: int, vote_id: int) -> tuple[Response, int]:
    body, status = actions.cast(api_user(), meeting_id, vote_id)
    return jsonify(body), status


@bp.route("/meetings/<int:meeting_id>/votes/<int:vote_id>/paper", methods=["POST"])
def api_vote_paper(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.paper(api_user(), meeting_id, vote_id))


@bp.route("/meetings/<int:meeting_id>/votes/<int:vote_id>/close", methods=["POST"])
def api_vote_close(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.close(api_user(), meeting_id, vote_id))


@bp.route("/meetings/<int:meeting_id>/votes/<int:vote_id>/ballots", methods=["GET"])
def api_vote_ballots(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.ballots(api_user(), meeting_id, vote_id))


_VOTE = {"$ref": "#/components/schemas/Vote"}
_OK = {"200": {"description": "OK", "content": {"application/json": {"schema": _VOTE}}}}
_M = {"name": "meeting_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_V = {"name": "vote_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_ANY: dict[str, Any] = {"type": "object"}
_BASE = "/meetings/{meeting_id}/votes"
add_paths({
    _BASE: {
        "get": {"summary": "Các cuộc biểu quyết của cuộc họp", "parameters": [_M], "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object", "properties": {
                "can_manage": {"type": "boolean"}, "votes": {"type": "array", "items": _VOTE}}}}}},
            **errors(401, 404)}},
        "post": {"summary": "Tạo cuộc biểu quyết (chủ trì, thư ký)", "parameters": [_M],
                 "requestBody": json_body(forms.CREATE), "responses": {
                     "201": {"description": "Đã tạo", "content": {"application/json": {"schema": _VOTE}}},
                     **errors(400, 401, 403, 404)}}},
    _BASE + "/{vote_id}": {"get": {"summary": "Một cuộc biểu quyết (kết quả khi đã kết thúc)",
                                   "parameters": [_M, _V], "responses": {**_OK, **errors(401, 404)}}},
    _BASE + "/{vote_id}/open": {"post": {"summary": "Mở biểu quyết", "parameters": [_M, _V],
                                         "requestBody": optional_json_body(_Obj({})),
                                         "responses": {**_OK, **errors(400, 401, 403, 404, 409)}}},
    _BASE + "/{vote_id}/cast": {"post": {
        "summary": "Bỏ phiếu (một lần; gửi lại cùng idempotency_key chỉ được tính một lần)", "parameters": [_M, _V],
        "requestBody": json_body(forms.CAST), "responses": {
            "201": {"description": "Đã ghi nhận", "content": {"application/json": {"schema": _ANY}}},
            "200": {"description": "Đã ghi nhận trước đó (gửi lại)", "content": {"application/json": {"schema": _ANY}}},
            **errors(400, 401, 403, 404, 409)}}},
    _BASE + "/{vote_id}/paper": {"post": {"summary": "Nhập kết quả kiểm phiếu giấy", "parameters": [_M, _V],
                                          "requestBody": json_body(forms.PAPER),
                                          "responses": {**_OK, **errors(400, 401, 403, 404, 409)}}},
    _BASE + "/{vote_id}/close": {"post": {"summary": "Kết thúc biểu quyết và công bố kết quả", "parameters": [_M, _V],
                                          "requestBody": optional_json_body(_Obj({})),
                                          "responses": {**_OK, **errors(400, 401, 403, 404, 409)}}},
    _BASE + "/{vote_id}/ballots": {"get": {"summary": "Mã băm các phiếu kín (cho biên bản)", "parameters": [_M, _V],
                                           "responses": {"200": {"description": "OK", "content": {
                                               "application/json": {"schema": _ANY}}}, **errors(400, 401, 404)}}},
}, {"Vote": {"type": "object", "properties": {
    "id": {"type": "integer"}, "meeting_id": {"type": "integer"}, "title": {"type": "string"},
    "kind": {"type": "string"}, "status": {"type": "string"}, "voted": {"type": "integer"},
    "options": {"type": "array", "items": {"type": "object"}}, "result": {"type": ["object", "null"]}}}})
