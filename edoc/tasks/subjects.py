"""What a task is about, named by the package that owns it: ``register_subject("incoming", describe)`` where
``describe(subject_id)`` gives the subject's title and the page's link. Notifications and lists use it; the
tasks package imports no owner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    title: str
    link: str


Describe = Callable[[int], Subject]
_kinds: dict[str, Describe] = {}


def register_subject(kind: str, describe: Describe) -> None:
    _kinds[kind] = describe


def describe(kind: str, subject_id: int) -> Subject:
    fn = _kinds.get(kind)
    if fn is None:
        return Subject(f"{kind} #{subject_id}", "")
    return fn(subject_id)
