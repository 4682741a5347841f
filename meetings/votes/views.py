"""The vote endpoints of the meeting room's page (JSON, the session cookie and its CSRF token): thin, each parses
the body, calls one service function (which commits), answers. The API (``meetings.votes.api``) does the same with a
bearer token; both share ``actions``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from flask_login import current_user, login_required

from edoc.accounts.models import User
from meetings.votes import actions, rules

bp = Blueprint("meeting_votes", __name__, url_prefix="/meetings/<int:meeting_id>/votes")


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("", methods=["GET"])
@login_required
def votes_list(meeting_id: int) -> Response:
    return jsonify(actions.list_votes(_me(), meeting_id))


@bp.route("", methods=["POST"])
@login_required
def votes_create(meeting_id: int) -> tuple[Response, int]:
    return jsonify(actions.create(_me(), meeting_id)), 201


@bp.route("/<int:vote_id>", methods=["GET"])
@login_required
def vote_show(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.show(_me(), meeting_id, vote_id))


@bp.route("/<int:vote_id>/open", methods=["POST"])
@login_required
def vote_open(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.open_(_me(), meeting_id, vote_id))


@bp.route("/<int:vote_id>/cast", methods=["POST"])
@login_required
def vote_cast(meeting_id: int, vote_id: int) -> tuple[Response, int]:
    body: dict[str, Any]
    body, status = actions.cast(_me(), meeting_id, vote_id)
    return jsonify(body), status


@bp.route("/<int:vote_id>/paper", methods=["POST"])
@login_required
def vote_paper(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.paper(_me(), meeting_id, vote_id))


@bp.route("/<int:vote_id>/close", methods=["POST"])
@login_required
def vote_close(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.close(_me(), meeting_id, vote_id))


@bp.route("/<int:vote_id>/ballots", methods=["GET"])
@login_required
def vote_ballots(meeting_id: int, vote_id: int) -> Response:
    return jsonify(actions.ballots(_me(), meeting_id, vote_id))


@bp.app_context_processor
def _presets() -> dict[str, Any]:
    # the room page's partial (_votes.html) lists the rule presets in its form
    return {"vote_presets": rules.PRESETS}
