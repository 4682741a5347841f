"""Pages under /meetings: parse, call one service function, commit, render or redirect. A refusal is shown on
the page the user was on, with the status it deserves."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from edoc.accounts.models import User
from meetings.meeting import policy, service

bp = Blueprint("meetings", __name__, url_prefix="/meetings")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("/")
@login_required
def index() -> str:
    user = me()
    return render_template("meetings/meeting/index.html", meetings=service.upcoming(user),
                           can_create=policy.can_create_meeting(user))
