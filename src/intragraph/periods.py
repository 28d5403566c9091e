"""The period semantics of the graph endpoint, in pure Python: the reference.

They follow the Ruby gem groupdate, whose behaviour the real 42 API shows: a timestamp is read as
local wall-clock time in a zone, then cut to a period; series intervals are zero-filled from the
first counted period to the one containing now, cyclic intervals always list the whole cycle.
Every engine's answer must equal `reference_graph` on the same rows (see tests/test_engines.py).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from functools import cache
from zoneinfo import ZoneInfo

from intragraph.errors import BadRequest

SERIES = ("day", "week", "month", "quarter", "year")
CYCLES = {
    "hour_of_day": range(24),
    "day_of_week": range(7),
    "day_of_month": range(1, 32),
    "month_of_year": range(1, 13),
}
INTERVALS = (*SERIES, *CYCLES)

# Python's weekday numbers: monday = 0 ... sunday = 6. groupdate's default week start is sunday.
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK_DAY_ALIASES = {name[:3]: index for index, name in enumerate(WEEK_DAYS)} | {
    name: index for index, name in enumerate(WEEK_DAYS)
}
SUNDAY = 6


@cache
def zone_names() -> frozenset[str]:
    """IANA's zones. `available_timezones` lists every zone file of the system's folder, and
    Debian's holds "localtime", a link to the host's own zone: a name whose meaning would
    depend on the host (and that the tzdata package, where there is no such folder, lacks)."""
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "posixrules"}


def parse_zone(name: str) -> str:
    if name not in zone_names():
        raise BadRequest(
            f"time_zone: unknown time zone {name!r}; use an IANA name such as "
            "'UTC', 'Europe/Paris' or 'America/Sao_Paulo'"
        )
    return name


def parse_week_start(name: str) -> int:
    index = WEEK_DAY_ALIASES.get(name.lower())
    if index is None:
        raise BadRequest(
            f"week_start: unknown day {name!r}; allowed: {', '.join(WEEK_DAYS)} "
            "(or their first three letters)"
        )
    return index


def _period_start(day: dt.date, interval: str, week_start: int) -> dt.date:
    if interval == "day":
        return day
    if interval == "week":
        return day - dt.timedelta(days=(day.weekday() - week_start) % 7)
    if interval == "month":
        return day.replace(day=1)
    if interval == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def _cycle_position(local: dt.datetime, interval: str, week_start: int) -> int:
    if interval == "hour_of_day":
        return local.hour
    if interval == "day_of_week":
        return (local.weekday() - week_start) % 7
    if interval == "day_of_month":
        return local.day
    return local.month


def bucket(instant: dt.datetime, interval: str, zone: ZoneInfo, week_start: int = SUNDAY) -> str:
    """The key of the period that holds `instant` (an aware datetime), read in `zone`."""
    local = instant.astimezone(zone)
    if interval in CYCLES:
        return str(_cycle_position(local, interval, week_start))
    return _period_start(local.date(), interval, week_start).isoformat()


def _next_start(start: dt.date, interval: str) -> dt.date:
    if interval == "day":
        return start + dt.timedelta(days=1)
    if interval == "week":
        return start + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[interval]
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def series(
    counts: Mapping[str, int],
    interval: str,
    zone: ZoneInfo,
    week_start: int,
    now: dt.datetime,
) -> dict[str, int]:
    """Zero-fill sparse counts per key into the answer, keys in ascending order."""
    if interval in CYCLES:
        return {str(key): counts.get(str(key), 0) for key in CYCLES[interval]}
    if not counts:
        return {}
    period = dt.date.fromisoformat(min(counts))
    last = dt.date.fromisoformat(bucket(now, interval, zone, week_start))
    filled: dict[str, int] = {}
    while period <= last:
        key = period.isoformat()
        filled[key] = counts.get(key, 0)
        period = _next_start(period, interval)
    return filled


def reference_graph(
    instants: Iterable[dt.datetime | None],
    interval: str,
    zone: ZoneInfo,
    week_start: int,
    now: dt.datetime,
) -> dict[str, int]:
    """Count instants per period the slow, obvious way: what every engine must reproduce."""
    counts: dict[str, int] = {}
    for instant in instants:
        if instant is not None and instant <= now:
            key = bucket(instant, interval, zone, week_start)
            counts[key] = counts.get(key, 0) + 1
    return series(counts, interval, zone, week_start, now)
