"""Who may manage what in accounts and organisations: checked here, not in views."""

from __future__ import annotations

from edoc.accounts.models import Role, User
from edoc.core.errors import NotAllowed
from edoc.files.models import StoredFile
from edoc.files.policy import register_fallback_rule, register_reader_rule
from edoc.organisations.models import Organisation

SIGNATURE_IMAGE = "signature-image"


def is_admin_of(user: User, organisation: Organisation) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN) and user.organisation_id == organisation.id


ADMINS_ONLY = "Chỉ quản trị viên của cơ quan mới được thực hiện thao tác này."


def require_admin_of(user: User, organisation: Organisation, message: str = ADMINS_ONLY) -> None:
    """The one rule for what only an organisation's admins do (accounts, registers, the organisation's signature
    and trusted roots); ``message`` says which part of the work the refusal is about."""
    if not is_admin_of(user, organisation):
        raise NotAllowed(message)


def require_role(user: User, *roles: Role) -> None:
    if not any(user.has_role(r) for r in roles):
        names = ", ".join(r.label for r in roles)
        raise NotAllowed(f"Thao tác này dành cho: {names}.")


def can_read_signature_image(user: User, file: StoredFile) -> bool:
    """A handwritten-signature image is seen by the person it belongs to and by their organisation's admins,
    whoever uploaded it (an admin often does, for a leader). Other staff never need it: it reaches documents
    only through signing."""
    return user.signature_file_id == file.id or user.has_role(Role.ADMIN)


def can_read_unowned_file(user: User, file: StoredFile) -> bool:
    """A file no domain owns (a plain upload) is read by its uploader and the organisation's admins."""
    return user.has_role(Role.ADMIN)


def register_file_rules() -> None:
    register_reader_rule(SIGNATURE_IMAGE, can_read_signature_image)
    register_fallback_rule(can_read_unowned_file)
