"""Who may read and configure registers: the one place views, API routes and services ask."""

from __future__ import annotations

from edoc.accounts.models import Role, User
from edoc.accounts.policy import require_admin_of
from edoc.core.db import get_in
from edoc.core.errors import NotAllowed
from edoc.organisations.models import Organisation
from edoc.registers.models import Register, RegisterKind

REGISTERS_ARE_FOR = "Sổ đăng ký dành cho văn thư, lãnh đạo và quản trị viên."


def can_read_registers(user: User) -> bool:
    """Who may open the registers at all. Clerks keep them and read every row; leaders and admins read them too,
    but ``outgoing_entries`` shows them in full only the rows of documents they may open (docs/decisions.md)."""
    return user.has_role(Role.CLERK) or user.has_role(Role.LEADER) or user.has_role(Role.ADMIN)


def require_reader(user: User) -> None:
    if not can_read_registers(user):
        raise NotAllowed(REGISTERS_ARE_FOR)


def readable_register(user: User, register_id: int) -> Register:
    """The register ``register_id`` of the user's organisation, if they may read it (404 for another
    organisation's, 403 for a reader without the role, and for the secret register to anyone but a clerk)."""
    register = get_in(Register, register_id, user.organisation_id, "Không tìm thấy sổ đăng ký.")
    require_reader(user)
    if register.kind_enum is RegisterKind.SECRET and not user.has_role(Role.CLERK):
        raise NotAllowed("Sổ văn bản mật chỉ văn thư được xem.")
    return register


def require_manager(user: User, org: Organisation) -> None:
    """Registers and the organisation's numbering options are configured by its admins."""
    require_admin_of(user, org)


def managed_register(user: User, register_id: int) -> Register:
    """The register ``register_id`` of the user's organisation, for an admin of it to change (404 otherwise)."""
    require_manager(user, user.organisation)
    register = get_in(Register, register_id, user.organisation_id, "Không tìm thấy sổ đăng ký.")
    return register
