"""Vietnam time, the one place it is defined.

Stored moments are UTC (``edoc.core.db.utcnow``, ``UTCDateTime``); what people read and what the Decree dates by
is the calendar and clock in Hà Nội. Vietnam keeps UTC+7 all year (no daylight saving since 1975).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from edoc.core.db import utcnow

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vietnam_time(moment: datetime | None = None) -> datetime:
    """``moment`` (now by default) on the Vietnam clock. Numbers run per calendar year and documents are dated
    by the day in Hà Nội, whatever the server's time zone: 23:30 on 31 December there is still the old year."""
    return (moment if moment is not None else utcnow()).astimezone(VIETNAM)


def vietnam_today() -> date:
    return vietnam_time().date()
