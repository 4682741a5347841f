"""Register pages: the Sổ đăng ký văn bản đi per register and year, with filters, XLSX and PDF."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from edoc.core.errors import NotAllowed, ValidationFailed
from edoc.registers import export
from edoc.registers.models import RegisterKind
from edoc.registers.service import COLUMNS, can_read_registers, outgoing_entries, readable_register, registers_of

bp = Blueprint("registers", __name__, url_prefix="/registers")


def _year() -> int:
    raw = request.args.get("year", "")
    if not raw:
        return date.today().year
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise ValidationFailed("Năm không hợp lệ.", field="year")
    return int(raw)


def _month() -> int | None:
    raw = request.args.get("month", "")
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 12:
        raise ValidationFailed("Tháng không hợp lệ.", field="month")
    return int(raw)


@bp.route("/")
@login_required
def index() -> str:
    if not can_read_registers(current_user):
        raise NotAllowed("Sổ đăng ký dành cho văn thư và lãnh đạo.")
    return render_template("registers/index.html", registers=registers_of(current_user.organisation_id),
                           year=date.today().year)


def _entries(register_id: int) -> tuple:
    register = readable_register(current_user, register_id)
    if register.kind_enum is RegisterKind.INCOMING:
        raise ValidationFailed("Sổ văn bản đến chưa có trong phiên bản này.")
    year, month, query = _year(), _month(), request.args.get("q", "").strip()[:200]
    return register, year, month, query, outgoing_entries(register, year, query=query, month=month)


@bp.route("/<int:register_id>")
@login_required
def show(register_id: int) -> str:
    register, year, month, query, entries = _entries(register_id)
    return render_template("registers/show.html", register=register, year=year, month=month, q=query,
                           entries=entries, columns=COLUMNS)


def _download(data: bytes, name: str, mimetype: str) -> Response:
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "private"})


@bp.route("/<int:register_id>/export.xlsx")
@login_required
def xlsx(register_id: int) -> Response:
    register, year, _month, _q, entries = _entries(register_id)
    return _download(export.to_xlsx(register, year, entries), f"so-van-ban-di-{year}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<int:register_id>/print.pdf")
@login_required
def pdf(register_id: int) -> Response:
    register, year, _month, _q, entries = _entries(register_id)
    return _download(export.to_pdf(register, year, entries), f"so-van-ban-di-{year}.pdf", "application/pdf")
