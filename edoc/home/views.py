from __future__ import annotations

import logging

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from edoc.core.db import db
from edoc.documents.boxes import to_do
from edoc.notifications.service import recent

bp = Blueprint("home", __name__)
log = logging.getLogger(__name__)


@bp.route("/")
@login_required
def index() -> str:
    return render_template("home/index.html", notifications=recent(current_user.id, limit=10),
                           to_do=to_do(current_user))


@bp.route("/to-do")
@login_required
def to_do_fragment() -> str:
    """The "Việc cần làm" list alone: the home page re-fetches it when a notification says something changed."""
    return render_template("home/_to_do.html", to_do=to_do(current_user))


@bp.route("/healthz")
def healthz() -> tuple[dict[str, object], int]:
    """For load balancers and container health checks: 503 (take this process out of rotation) rather than 500
    when the database does not answer. The body names what is down, not why: this URL needs no sign-in, so the
    reason (host names, users) goes to the log only."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("health check: the database does not answer: %s", str(exc).splitlines()[0])
        return {"status": "unavailable", "down": ["database"]}, 503
    return {"status": "ok"}, 200
