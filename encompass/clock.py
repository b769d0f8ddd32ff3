"""Local time for the service: the council works in UK time, whatever the server's zone."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def now() -> datetime:
    """Naive UK local time, as stored in the database."""
    return datetime.now(UK).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()
