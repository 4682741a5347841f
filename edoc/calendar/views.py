"""The admin's page of the working calendar: the year's public holidays and the swaps to add or remove."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from edoc.calendar.models import SWAP_LABELS
from edoc.calendar.policy import can_manage_calendar
from edoc.calendar.service import CALENDAR_IS_FOR_ADMINS, add_swap, holidays_of, remove_swap, swaps_of
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.core.errors import DomainError, NotAllowed, ValidationFailed
from edoc.core.forms import parse_id

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


def _year() -> int:
    raw = request.values.get("year", "")
    if not raw:
        return vietnam_today().year
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise ValidationFailed("Năm không hợp lệ.", field="year")
    return int(raw)


def _page(year: int, status: int = 200) -> tuple[str, int]:
    org_id = current_user.organisation_id
    return render_template("calendar/index.html", year=year, holidays=holidays_of(year),
                           swaps=swaps_of(org_id, year), kinds=SWAP_LABELS), status


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> Response | tuple[str, int]:
    if not can_manage_calendar(current_user, current_user.organisation_id):
        raise NotAllowed(CALENDAR_IS_FOR_ADMINS)
    year = _year()
    if request.method == "GET":
        return _page(year)
    actor = current_user._get_current_object()
    try:
        if request.form.get("action") == "remove":
            remove_swap(actor, parse_id(request.form.get("swap_id"), field="swap_id"))
            message = "Đã bỏ ngày khỏi lịch."
        else:
            try:
                day = date.fromisoformat(request.form.get("day", ""))
            except ValueError:
                raise ValidationFailed("Ngày không hợp lệ (dd/mm/yyyy).", field="day") from None
            swap = add_swap(actor, day, request.form.get("kind", ""), request.form.get("note", ""))
            message = f"Đã thêm ngày {swap.day:%d/%m/%Y}: {swap.kind_label}."
            year = swap.day.year
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _page(year, exc.status)
    flash(message, "success")
    return redirect(url_for("calendar.index", year=year))
