"""Who may read a stored file, decided in one place.

Domain packages that attach files to their objects (documents, meetings) register a reader rule for their
``purpose``; a file with no rule is readable only by its uploader and the organisation's admins.
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
    if file.uploaded_by_id == user.id or user.has_role(Role.ADMIN):
        return True
    rule = _rules.get(file.purpose)
    return bool(rule and rule(user, file))
