"""Who may change the directory of outside organisations."""

from __future__ import annotations

from edoc.accounts.models import Role, User


def can_manage(user: User) -> bool:
    """Clerks (văn thư) and administrators keep the directory; everyone in the organisation reads it."""
    return user.has_role(Role.CLERK) or user.has_role(Role.ADMIN)
