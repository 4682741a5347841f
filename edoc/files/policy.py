"""Who may read a stored file, decided in one place.

Domain packages that attach files to their objects (documents, meetings) register a reader rule for their
``purpose``; a file with no rule is readable only by its uploader and the organisation's admins. Where a rule
exists, it alone decides for everyone but the uploader.
"""

from __future__ import annotations

from collections.abc import Callable

from edoc.accounts.models import Role, User
from edoc.files.models import StoredFile

ReaderRule = Callable[[User, StoredFile], bool]
_rules: dict[str, ReaderRule] = {}


def register_reader_rule(purpose: str, rule: ReaderRule) -> None:
    _rules[purpose] = rule


def can_read(user: User, file: StoredFile) -> bool:
    if not user.is_authenticated or file.organisation_id != user.organisation_id:
        return False
    if file.purpose == "credential":
        return False  # encrypted keys are used by the server, never handed out, not even to their owner
    if file.uploaded_by_id == user.id:
        return True
    rule = _rules.get(file.purpose)
    if rule is not None:
        # The owning domain decides alone: an admin must not read a secret document's file by role.
        return rule(user, file)
    return user.has_role(Role.ADMIN)
