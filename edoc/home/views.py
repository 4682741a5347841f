from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from edoc.notifications.service import recent

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index() -> str:
    return render_template("home/index.html", notifications=recent(current_user.id, limit=10))


@bp.route("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    from sqlalchemy import text

    from edoc.core.db import db

    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}, 200
