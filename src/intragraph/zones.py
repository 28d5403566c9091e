"""The UTC offsets of a time zone as a step function, for mapping UTC counts to local periods.

Counting per UTC granule and moving whole granules to local periods afterwards is exact when no
offset change falls inside a granule and every offset is a whole number of granules: then every
instant of a granule lands in the same local minute-aligned slot. Every zone's offsets and
transitions since the 1970s fall on quarter-hours, so 900 s is the usual granule; `granule`
finds a finer one for the rare older spans that need it (local mean time, e.g. -0:44:30).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

QUARTER_HOUR = 900
_YEAR_STEP = 6 * 3600  # no zone has changed its offset twice within six hours


# A day into Python's calendar: on its first day a zone west of UTC has no local date Python can
# hold, and every zone kept one offset (its local mean time) until the 19th century.
_FIRST_DAY = int(dt.datetime(1, 1, 2, tzinfo=dt.UTC).timestamp())


def _offset_at(zone: ZoneInfo, epoch: int) -> int:
    moment = dt.datetime.fromtimestamp(max(epoch, _FIRST_DAY), dt.UTC).astimezone(zone)
    offset = moment.utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def _first_change(zone: ZoneInfo, low: int, high: int, before: int) -> int:
    """The first second in (low, high] whose offset differs from `before`, by bisection."""
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high


@lru_cache(maxsize=8192)
def _year_steps(zone_name: str, year: int) -> tuple[tuple[int, int], ...]:
    """(start, offset) pairs covering one UTC calendar year: its start, then every change."""
    zone = ZoneInfo(zone_name)
    start = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
    end = int(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC).timestamp())
    steps = [(start, _offset_at(zone, start))]
    known = start  # the last second whose offset is known to be steps[-1]'s
    for probe in [*range(start + _YEAR_STEP, end, _YEAR_STEP), end - 1]:
        while _offset_at(zone, probe) != steps[-1][1]:
            change = _first_change(zone, known, probe, steps[-1][1])
            steps.append((change, _offset_at(zone, change)))
            known = change
        known = probe
    return tuple(steps)


def _year_of(epoch: int) -> int:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=epoch)).year


def steps(zone_name: str, first: int, last: int) -> tuple[npt.NDArray[np.int64], ...]:
    """Arrays (starts, offsets): the offset in force from each start on, over [first, last]."""
    pairs = [
        pair
        for year in range(_year_of(first), _year_of(last) + 1)
        for pair in _year_steps(zone_name, year)
    ]
    starts = np.array([start for start, _ in pairs], dtype=np.int64)
    offsets = np.array([offset for _, offset in pairs], dtype=np.int64)
    return starts, offsets


def granule(zone_name: str, first: int, last: int, preferred: int = QUARTER_HOUR) -> int:
    """The largest divisor of `preferred` that every offset and change over [first, last] keeps."""
    starts, offsets = steps(zone_name, first, last)
    size = preferred
    for value in (*starts.tolist(), *offsets.tolist()):
        size = math.gcd(size, int(value))
    return size


def half_past(zone_name: str, first: int, last: int) -> bool:
    """Whether every local hour over [first, last] begins at half past a UTC hour (Kolkata's,
    Adelaide's): every offset in force is, and every change falls there."""
    starts, offsets = steps(zone_name, first, last)
    changed = np.concatenate([[False], offsets[1:] != offsets[:-1]])
    return bool(np.all(offsets % 3600 == 1800) and np.all(starts[changed] % 3600 == 1800))


def local_seconds(zone_name: str, utc: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Local wall-clock seconds since 1970-01-01 00:00 for each UTC second in `utc`."""
    if utc.size == 0:
        return utc
    starts, offsets = steps(zone_name, int(utc.min()), int(utc.max()))
    if np.all(offsets == offsets[0]):
        return utc + int(offsets[0])  # UTC, and zones without DST over the span
    index = np.searchsorted(starts, utc, side="right") - 1
    return utc + offsets[index]
