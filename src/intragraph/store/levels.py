"""The rollups' levels: the UTC granules they are kept at, and the one SQL that sums the
quarter-hours into the coarser ones (used by `rollups` and by the migration that made them)."""

from __future__ import annotations

from intragraph.zones import QUARTER_HOUR

# the granules kept, finest first; the coarser ones are sums of quarter-hours
LEVELS = (QUARTER_HOUR, 3600, 86400)


def coarser(source: str, size: int, only: str = "") -> str:
    """SELECT of the rollups at granule `size` from the quarter-hour rows of `source` (its
    columns those of `rollups`) that meet `only` too: each granule floored, before 1970 too
    (float8 is exact here, granules being far below 2**53, and several times cheaper in
    PostgreSQL than a numeric division)."""
    granule = f"CAST(floor(granule / CAST({size // QUARTER_HOUR} AS FLOAT8)) AS BIGINT)"
    return (
        f"SELECT resource, field, {size} AS size, {granule} AS granule, sum(n) AS n "
        f"FROM {source} WHERE size = {QUARTER_HOUR}{only} GROUP BY resource, field, 4"
    )
