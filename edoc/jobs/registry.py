"""Handlers: what each named job does. Higher packages register theirs when imported (documents registers
``documents.dispatch``, signatures ``signatures.sign``, files ``files.sweep``), so edoc.jobs imports none of them.

A handler is written to be run again: its worker may die at any line, and the job is then run again from the
start by another attempt. It must claim and record each effect in the database (an e-mail per recipient, a
signature per document) so that the second run does only what the first did not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """How a job ended, recorded on its row: a line for people and the result the handler kept."""

    text: str
    result: dict[str, Any] | None = None


@dataclass
class JobContext:
    """What a handler gets: its job's id and payload, the attempt, who asked, and the secret if any."""

    job_id: int
    name: str
    payload: dict[str, Any]
    attempt: int
    """1 for the first run; more when an earlier attempt died or failed (its effects may be partly done)."""
    requested_by_id: int | None
    batch: str | None
    secret: str | None
    token: str = ""
    """This attempt's claim token: a handler stamps the effects it claims with it, so a later attempt can tell
    an effect claimed by an attempt that died (its token no longer holds the job) from one still in hand."""
    result: dict[str, Any] = field(default_factory=dict)
    """What earlier attempts recorded (``record_progress``), so a recovered run can carry on from it."""


Handler = Callable[[JobContext], Outcome]


@dataclass(frozen=True)
class Registered:
    name: str
    run: Handler
    max_attempts: int = 3
    """Attempts before the job is given up (``failed``): raised exceptions and deaths of its worker alike."""


@dataclass(frozen=True)
class Periodic:
    name: str
    minute: str
    hour: str


_handlers: dict[str, Registered] = {}
_periodic: dict[str, Periodic] = {}


def register(name: str, run: Handler, *, max_attempts: int = 3) -> None:
    """Make ``name`` runnable. Registering the same function again (a module imported twice) is harmless;
    another function under a taken name is a mistake and says so."""
    known = _handlers.get(name)
    if known is not None and known.run is not run and known.run.__qualname__ != run.__qualname__:
        raise ValueError(f"job handler {name!r} is already registered to {known.run.__qualname__}")
    _handlers[name] = Registered(name, run, max_attempts)


def handler(name: str, *, max_attempts: int = 3) -> Callable[[Handler], Handler]:
    """Decorator form of ``register``."""
    def decorate(run: Handler) -> Handler:
        register(name, run, max_attempts=max_attempts)
        return run
    return decorate


def periodic(name: str, run: Handler, *, minute: str = "*", hour: str = "*") -> None:
    """Run ``name`` on a cron-like schedule (Huey's crontab fields, UTC): one job per matching minute across
    every worker, made by the schedulers of all of them (``Job.key``), with the guarantees of any job."""
    register(name, run, max_attempts=1)
    _periodic[name] = Periodic(name, minute, hour)


def get(name: str) -> Registered | None:
    return _handlers.get(name)


def periodic_jobs() -> list[Periodic]:
    return list(_periodic.values())


def dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
