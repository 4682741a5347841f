"""Who may read a stored file, decided in one place.

Domain packages that attach files to their objects (documents, meetings) register a reader rule for their
``purpose``; a file with no rule is readable only by its uploader and whom the fallback rule lets in (accounts
registers it: the organisation's admins). Where a rule exists, it alone decides for everyone but the uploader.

Files sit below accounts (accounts store signature images here): a reader is anything with the attributes a
signed-in person has (``Person``), and what a role may do is accounts' rule, registered, never imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from edoc.files.models import StoredFile


class Person(Protocol):
    """Who uploads or asks to read a file: a signed-in person (``edoc.accounts.models.User``)."""

    id: int
    organisation_id: int
    is_authenticated: bool


ReaderRule = Callable[[Any, StoredFile], bool]
_rules: dict[str, ReaderRule] = {}
_fallback: list[ReaderRule] = []


def register_reader_rule(purpose: str, rule: ReaderRule) -> None:
    _rules[purpose] = rule


def register_fallback_rule(rule: ReaderRule) -> None:
    """Who besides the uploader reads a file no domain owns (accounts: the organisation's admins)."""
    _fallback[:] = [rule]


def can_read(user: Person, file: StoredFile) -> bool:
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
    return bool(_fallback) and _fallback[0](user, file)
