"""The rollups' levels: the UTC granules they are kept at, and the one SQL that sums the
quarter-hours into the coarser ones (used by `rollups` and by the migration that made them)."""

from __future__ import annotations

from intragraph.zones import QUARTER_HOUR

# the granules kept, finest first; the coarser ones are sums of quarter-hours
LEVELS = (QUARTER_HOUR, 3600, 86400)


def coarser(
    source: str, size: int, only: str = "", finer: int = QUARTER_HOUR, keys: tuple[str, ...] = ()
) -> str:
    """SELECT of the counts at granule `size` from the rows of `source` at granule `finer`
    (its columns those of `rollups`, and `keys` after the granule: the facets' values) that
    meet `only` too: each granule floored, before 1970 too (float8 is exact here, granules
    being far below 2**53, and several times cheaper in PostgreSQL than a numeric division)."""
    granule = f"CAST(floor(granule / CAST({size // finer} AS FLOAT8)) AS BIGINT)"
    kept = "".join(f", {key}" for key in keys)
    return (
        f"SELECT resource, field, {size} AS size, {granule} AS granule{kept}, sum(n) AS n "
        f"FROM {source} WHERE size = {finer}{only} GROUP BY resource, field, 4{kept}"
    )
