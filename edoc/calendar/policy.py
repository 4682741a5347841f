"""Who may change the organisation's working calendar: its admins."""

from __future__ import annotations

from edoc.accounts.models import Role, User


def can_manage_calendar(user: User, organisation_id: int) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN) and user.organisation_id == organisation_id
