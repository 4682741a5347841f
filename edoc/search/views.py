"""The page /search (Tìm kiếm): parse, search, render."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.core.db import db
from edoc.core.errors import DomainError
from edoc.organisations.models import Unit
from edoc.registers.types import DOCUMENT_TYPES, TypeKind
from edoc.search import registry
from edoc.search.forms import URGENCIES, read_filters
from edoc.search.service import Filters, Results, search

bp = Blueprint("search", __name__, url_prefix="/search")


def _choices(user: User) -> dict[str, object]:
    units = db.session.execute(select(Unit).where(Unit.organisation_id == user.organisation_id)
                               .order_by(Unit.name)).scalars().all()
    people = db.session.execute(select(User).where(User.organisation_id == user.organisation_id)
                                .order_by(User.full_name)).scalars().all()
    statuses: dict[str, str] = {}
    for indexer in registry.indexers().values():
        statuses.update(indexer.statuses)
    return {"kinds": {k: i.label for k, i in registry.indexers().items()}, "units": units,
            "signers": [u for u in people if u.has_role(Role.LEADER)], "statuses": statuses,
            "types": [t for t in DOCUMENT_TYPES.values() if t.kind is not TypeKind.COPY],
            "urgencies": URGENCIES}


@bp.route("/")
@login_required
def index() -> tuple[str, int]:
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    status = 200
    try:
        query, filters, page = read_filters(request.args)
        results = search(user, query, filters, page=page)
    except DomainError as exc:
        db.session.rollback()
        query, filters, status = str(request.args.get("q", ""))[:200], Filters(), exc.status
        results = Results(query=query, message=exc.message)
    return render_template("search/index.html", results=results, filters=filters, q=query,
                           args=request.args, **_choices(user)), status
