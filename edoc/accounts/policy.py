"""Who may manage what in accounts and organisations: checked here, not in views."""

from __future__ import annotations

from edoc.accounts.models import Role, User
from edoc.core.errors import NotAllowed
from edoc.organisations.models import Organisation


def is_admin_of(user: User, organisation: Organisation) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN) and user.organisation_id == organisation.id


def require_admin_of(user: User, organisation: Organisation) -> None:
    if not is_admin_of(user, organisation):
        raise NotAllowed("Chỉ quản trị viên của cơ quan mới được thực hiện thao tác này.")


def require_role(user: User, *roles: Role) -> None:
    if not any(user.has_role(r) for r in roles):
        names = ", ".join(r.label for r in roles)
        raise NotAllowed(f"Thao tác này dành cho: {names}.")
