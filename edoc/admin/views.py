"""Thin admin views: parse the form, call a service function, render. Authorisation is the services' job,
plus one gate here so non-admins never see the pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from edoc.accounts import service as accounts
from edoc.accounts.forms import SignatureImageForm, UserForm
from edoc.accounts.models import Role, User
from edoc.accounts.policy import require_admin_of
from edoc.admin import organisations
from edoc.admin.forms import OrganisationForm, UnitForm
from edoc.core.db import db
from edoc.core.errors import DomainError, ValidationFailed
from edoc.core.forms import options, parse_optional_id
from edoc.organisations.models import Organisation, Unit

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_page(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_admin_of(current_user, current_user.organisation)
        return view(current_user._get_current_object(), current_user.organisation, *args, **kwargs)

    return wrapper


def _render_form_error(exc: DomainError, template: str, **context: Any) -> tuple[str, int]:
    flash(exc.message, "danger")
    form = context.get("form")
    if form is not None and exc.field and hasattr(form, exc.field):
        getattr(form, exc.field).errors = [*getattr(form, exc.field).errors, exc.message]
    return render_template(template, **context), exc.status


@bp.route("/")
@admin_page
def index(actor: User, org: Organisation) -> str:
    users = db.session.execute(select(User).where(User.organisation_id == org.id).order_by(User.full_name)).scalars()
    return render_template("admin/index.html", org=org, users=list(users))


@bp.route("/organisation", methods=["GET", "POST"])
@admin_page
def organisation(actor: User, org: Organisation) -> Response | str | tuple[str, int]:
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        try:
            organisations.update_organisation(actor, org, organisations.OrganisationData(
                name=form.name.data or "", parent_name=form.parent_name.data or "",
                abbreviation=form.abbreviation.data or "", place_name=form.place_name.data or "",
                organ_id=form.organ_id.data or "", email=form.email.data or ""))
        except DomainError as exc:
            return _render_form_error(exc, "admin/organisation.html", form=form, org=org)
        flash("Đã lưu thông tin cơ quan.", "success")
        return redirect(url_for("admin.organisation"))
    return render_template("admin/organisation.html", form=form, org=org), 400 if form.errors else 200


@bp.route("/units", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@admin_page
def units(actor: User, org: Organisation, unit_id: int | None = None) -> Response | str | tuple[str, int]:
    unit = organisations.get_unit_in(org, unit_id) if unit_id else None
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        try:
            organisations.save_unit(actor, org, form.name.data or "", form.abbreviation.data or "", unit=unit,
                                    active=bool(form.active.data) if unit else True)
        except DomainError as exc:
            return _render_form_error(exc, "admin/units.html", form=form, org=org, unit=unit)
        flash("Đã lưu đơn vị.", "success")
        return redirect(url_for("admin.units"))
    return render_template("admin/units.html", form=form, org=org, unit=unit), 400 if form.errors else 200


def _unit_choices(org: Organisation) -> list[SelectChoice]:
    rows = db.session.execute(select(Unit).where(Unit.organisation_id == org.id).order_by(Unit.name)).scalars()
    return options([("", "— Không thuộc đơn vị —"), *((str(u.id), u.name) for u in rows)])


def _user_data(form: UserForm) -> accounts.UserData:
    try:
        roles = frozenset(Role(r) for r in (form.roles.data or []))
    except ValueError:
        raise ValidationFailed("Vai trò không hợp lệ.", field="roles") from None
    return accounts.UserData(
        username=form.username.data or "", full_name=form.full_name.data or "", title=form.title.data or "",
        email=form.email.data or "", unit_id=parse_optional_id(form.unit_id.data, field="unit_id"),
        roles=roles, active=bool(form.active.data),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_page
def user(actor: User, org: Organisation, user_id: int | None = None) -> Response | str | tuple[str, int]:
    target = accounts.get_user_in(org.id, user_id) if user_id else None
    form = UserForm(obj=target)
    form.unit_id.choices = _unit_choices(org)
    if request.method == "GET" and target is not None:
        form.roles.data = sorted(target.roles)
        form.unit_id.data = str(target.unit_id or "")
    if form.validate_on_submit():
        try:
            data = _user_data(form)
            if target is None:
                target = accounts.create_user(actor, org, data, form.password.data or "")
            else:
                accounts.update_user(actor, target, data)
                if form.password.data:
                    accounts.set_password(actor, target, form.password.data)
        except DomainError as exc:
            return _render_form_error(exc, "admin/user.html", form=form, org=org, target=target,
                                      signature_form=SignatureImageForm(prefix="sig"))
        flash("Đã lưu người dùng.", "success")
        return redirect(url_for("admin.index"))
    return render_template("admin/user.html", form=form, org=org, target=target,
                           signature_form=SignatureImageForm(prefix="sig")), 400 if form.errors else 200


@bp.route("/users/<int:user_id>/signature", methods=["POST"])
@admin_page
def user_signature(actor: User, org: Organisation, user_id: int) -> Response | tuple[str, int]:
    target = accounts.get_user_in(org.id, user_id)
    signature_form = SignatureImageForm(prefix="sig")
    if not signature_form.validate_on_submit():
        return _user_page(org, target, signature_form, status=400)
    upload = signature_form.image.data
    try:
        accounts.replace_signature_image(actor, target, upload.stream, upload.filename)
    except DomainError as exc:
        signature_form.image.errors = [*signature_form.image.errors, exc.message]
        flash(exc.message, "danger")
        return _user_page(org, target, signature_form, status=exc.status)
    flash(f"Đã cập nhật ảnh chữ ký của {target.full_name}.", "success")
    return redirect(url_for("admin.user", user_id=target.id))


def _user_page(org: Organisation, target: User, signature_form: SignatureImageForm, *, status: int
               ) -> tuple[str, int]:
    form = UserForm(obj=target, formdata=None)
    form.unit_id.choices = _unit_choices(org)
    form.roles.data = sorted(target.roles)
    form.unit_id.data = str(target.unit_id or "")
    return render_template("admin/user.html", form=form, org=org, target=target,
                           signature_form=signature_form), status
