"""Taking the next number of a register, inside the transaction that issues the document.

The counter row for (register, year) is created if missing with an insert that ignores a concurrent
twin, then locked (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every write transaction already
holds the database's write lock from its first statement, see ``edoc.core.db``). The number is consumed
only if the caller's transaction commits: a failed issue rolls the counter back with it, so no gap.
"""

from __future__ import annotations

from sqlalchemy import select

from edoc.core.db import db, insert_ignore
from edoc.registers.models import Register, RegisterCounter


def _ensure_counter(register_id: int, year: int) -> None:
    insert_ignore(RegisterCounter, {"register_id": register_id, "year": year, "last_number": 0},
                  conflict_columns=["register_id", "year"])


def lock_counter(register: Register, year: int) -> RegisterCounter:
    """The (register, year) counter, made if missing and locked until the caller's transaction ends: whatever the
    caller checks next (an incoming document's duplicate arrival) is checked by one clerk at a time."""
    _ensure_counter(register.id, year)
    return db.session.execute(
        select(RegisterCounter)
        .where(RegisterCounter.register_id == register.id, RegisterCounter.year == year)
        .with_for_update()
        # A counter already in this session's identity map would otherwise keep its stale value.
        .execution_options(populate_existing=True)
    ).scalar_one()


def take_next_number(register: Register, year: int) -> int:
    counter = lock_counter(register, year)
    counter.last_number += 1
    db.session.flush()
    return counter.last_number


def last_number(register: Register, year: int) -> int:
    value = db.session.execute(
        select(RegisterCounter.last_number)
        .where(RegisterCounter.register_id == register.id, RegisterCounter.year == year)
    ).scalar_one_or_none()
    return int(value or 0)
