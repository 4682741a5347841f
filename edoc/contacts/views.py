"""The directory's page: everyone in the organisation reads it, clerks and administrators keep it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from edoc.accounts.models import User
from edoc.contacts.policy import can_manage
from edoc.contacts.service import add_contact, contacts_of, get_contact_in, update_contact
from edoc.core.forms import parse_optional_id

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> Response | str:
    user = me()
    if request.method == "POST":
        contact_id = parse_optional_id(request.form.get("contact_id"), field="contact_id")
        fields = {k: request.form.get(k, "") for k in ("name", "short_name", "organ_id", "email")}
        if contact_id is None:
            contact = add_contact(user, user.organisation_id, fields.pop("name"), **fields)
        else:
            contact = update_contact(user, get_contact_in(user.organisation_id, contact_id), **fields,
                                     active=request.form.get("active", "1") == "1")
        flash(f"Đã lưu “{contact.name}”.", "success")
        return redirect(url_for("contacts.index"))
    return render_template("contacts/index.html", contacts=contacts_of(user.organisation_id, include_inactive=True),
                           can_manage=can_manage(user))
