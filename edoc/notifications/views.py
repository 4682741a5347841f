from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from edoc.notifications import service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index() -> str:
    return render_template("notifications/index.html", notifications=service.recent(current_user.id))


@bp.route("/state")
@login_required
def state() -> Response:
    """What a page re-fetches after its socket reconnects, so a missed event is never lost state."""
    return jsonify({"unread": service.unread_count(current_user.id)})


@bp.route("/read", methods=["POST"])
@login_required
def mark_read() -> Response:
    service.mark_all_read(current_user.id)
    return redirect(url_for("notifications.index"))
