"""Seams through which other packages take part in outgoing documents without documents importing them (as
``edoc.files.policy`` takes reader rules): incoming documents register here at start-up.

- ``on_issue(doc)``: called inside the issuing transaction, once the issued file is final: a document issued to
  another organisation on the same installation reaches its incoming queue in the same commit (never lost, never
  there for a document whose issue rolled back).
- ``after_issue(doc)``: called after that commit, for slow follow-ups (validating the delivered copies'
  signatures); a failure there is logged and does not undo the issue.
- ``related(user, doc)``: lines the document's page shows about it, e.g. "trả lời văn bản đến số 05 …", as
  (text, link) pairs; the owner decides what the user may see."""

from __future__ import annotations

import logging
from collections.abc import Callable

from edoc.accounts.models import User
from edoc.documents.models import OutgoingDocument

log = logging.getLogger(__name__)

IssueHook = Callable[[OutgoingDocument], None]
RelatedHook = Callable[[User, OutgoingDocument], list[tuple[str, str]]]
_on_issue: list[IssueHook] = []
_after_issue: list[IssueHook] = []
_related: list[RelatedHook] = []


def register(*, on_issue: IssueHook | None = None, after_issue: IssueHook | None = None,
             related: RelatedHook | None = None) -> None:
    for hooks, hook in ((_on_issue, on_issue), (_after_issue, after_issue), (_related, related)):
        if hook is not None and hook not in hooks:
            hooks.append(hook)  # type: ignore[arg-type]


def run_on_issue(doc: OutgoingDocument) -> None:
    for hook in _on_issue:
        hook(doc)


def run_after_issue(doc: OutgoingDocument) -> None:
    for hook in _after_issue:
        try:
            hook(doc)
        except Exception:  # the issue is committed and stands; the follow-up is logged for the operator
            log.exception("after-issue hook %s failed for document %s", getattr(hook, "__name__", hook), doc.id)


def related(user: User, doc: OutgoingDocument) -> list[tuple[str, str]]:
    return [line for hook in _related for line in hook(user, doc)]
