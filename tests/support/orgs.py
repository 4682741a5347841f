"""Another organisation, for tests of what one organisation must never see of another's."""

from __future__ import annotations

from flask import Flask

from edoc.accounts.models import Role, User
from edoc.accounts.passwords import hash_password
from edoc.admin.organisations import OrganisationData, create_organisation
from edoc.core.db import db
from edoc.organisations.models import Organisation


def other_organisation(app: Flask, *, username: str | None = None, role: Role | None = None) -> int:
    """Create "CÔNG ĐOÀN KHÁC" (and, if asked, one of its users with the demo password); return its id."""
    with app.app_context():
        other: Organisation = create_organisation(OrganisationData(
            name="CÔNG ĐOÀN KHÁC", parent_name="", abbreviation="CĐK", place_name="Huế"))
        db.session.flush()
        if username:
            user = User(organisation_id=other.id, username=username, full_name="Người của cơ quan khác",
                        password_hash=hash_password("GiaLam@2023"))
            user.roles = {role} if role else set()
            db.session.add(user)
        db.session.commit()
        return other.id
