"""The service's clock: UK local time, whatever the server's zone, and pinnable.

`ENCOMPASS_NOW=YYYY-MM-DDTHH:MM` stops the clock at that moment for the app, the CLI and the demo
(to try "what happens on Christmas Eve"), and the test suite pins it so that no test depends on the
day it runs. Every rule that needs "now" or "today" asks here, never `date.today()`.
"""
from __future__ import annotations

import functools
import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
PIN = "ENCOMPASS_NOW"


class ClockError(ValueError):
    pass


def pinned() -> datetime | None:
    """The moment ENCOMPASS_NOW fixes, or None when the clock runs."""
    return _parse(os.environ.get(PIN, "").strip())


@functools.lru_cache(maxsize=8)  # asked for on every row of a page: parse each setting once
def _parse(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ClockError(f"{PIN}={value!r} is not a date-time (YYYY-MM-DDTHH:MM)") from None
    if moment.tzinfo is not None:  # an explicit offset: the UK wall-clock time at that instant
        moment = moment.astimezone(UK).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def now() -> datetime:
    """Naive UK local time, as stored in the database."""
    return pinned() or datetime.now(UK).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()
