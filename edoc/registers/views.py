"""Register pages: the Sổ đăng ký văn bản đi per register and year, with filters, XLSX and PDF."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from edoc.admin.organisations import set_numbering_options
from edoc.core.clock import vietnam_today
from edoc.core.errors import ValidationFailed
from edoc.core.forms import parse_int, parse_year
from edoc.registers import export, policy
from edoc.registers.entries import COLUMNS, outgoing_entries
from edoc.registers.models import REGISTER_KIND_LABELS, RegisterKind
from edoc.registers.service import add_register, registers_of, update_register

bp = Blueprint("registers", __name__, url_prefix="/registers")


def _year() -> int:
    raw = request.args.get("year", "")
    if not raw:
        return vietnam_today().year  # the register's year as numbering counts it, not the server's
    return parse_year(raw)  # ASCII digits only: str.isdigit() takes "²", which int() then refuses (a 500)


def _month() -> int | None:
    raw = request.args.get("month", "")
    if not raw:
        return None
    return parse_int(raw, field="month", minimum=1, maximum=12, message="Tháng không hợp lệ (1-12).")


@bp.route("/")
@login_required
def index() -> str:
    policy.require_reader(current_user)
    return render_template("registers/index.html", registers=registers_of(current_user.organisation_id),
                           year=vietnam_today().year)


def _entries(register_id: int) -> tuple:
    register = policy.readable_register(current_user, register_id)
    if register.kind_enum is RegisterKind.INCOMING:
        raise ValidationFailed("Sổ văn bản đến chưa có trong phiên bản này.")
    year, month, query = _year(), _month(), request.args.get("q", "").strip()[:200]
    return register, year, month, query, outgoing_entries(register, year, query=query, month=month,
                                                          viewer=current_user._get_current_object())


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


# --- configuration (admins) ----------------------------------------------------------------------------

@bp.route("/manage", methods=["GET", "POST"])
@login_required
def manage() -> Response | str:
    """Registers of the organisation: add one (general, secret, an advisory body's, copies, incoming), and the
    organisation's numbering options."""
    actor, org = current_user._get_current_object(), current_user.organisation
    policy.require_manager(actor, org)
    if request.method == "POST":
        if request.form.get("action") == "options":
            set_numbering_options(actor, org, cong_van_with_unit=request.form.get("cong_van_with_unit") == "1")
            message = "Đã lưu cách ghi ký hiệu công văn."
        else:
            register = add_register(actor, org, request.form.get("kind", ""), request.form.get("name", ""),
                                    issuer_abbreviation=request.form.get("issuer_abbreviation", ""),
                                    issuer_name=request.form.get("issuer_name", ""))
            message = f"Đã tạo “{register.name}”."
        flash(message, "success")
        return redirect(url_for("registers.manage"))
    return render_template("registers/manage.html", registers=registers_of(org.id), org=org,
                           kinds=REGISTER_KIND_LABELS)


@bp.route("/manage/<int:register_id>", methods=["POST"])
@login_required
def edit(register_id: int) -> Response:
    actor = current_user._get_current_object()
    register = policy.managed_register(actor, register_id)
    update_register(actor, register, name=request.form.get("name", ""), active=request.form.get("active") == "1",
                    issuer_abbreviation=request.form.get("issuer_abbreviation", ""),
                    issuer_name=request.form.get("issuer_name", ""))
    flash(f"Đã lưu “{register.name}”.", "success")
    return redirect(url_for("registers.manage"))
