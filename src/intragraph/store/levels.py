"""The rollups' levels: the UTC granules they are kept at, and the one SQL that sums the
quarter-hours into the coarser ones (used by `rollups` and by the migrations that made them)."""

from __future__ import annotations

from intragraph.zones import QUARTER_HOUR

# the granules kept, finest first; the coarser ones are sums of quarter-hours
LEVELS = (QUARTER_HOUR, 3600, 86400)
# Hours from half past a UTC hour: granule g is [g * 3600 + 1800, (g + 1) * 3600 + 1800), the
# hours of the zones whose every local hour begins at half past (Kolkata's, Adelaide's,
# Tehran's), so that their days are read as some 100,000 hours over thirteen years rather than
# split out of 450,000 quarter-hours. Kept under their own key in `size` (no other level's: the
# key is no length), the hours' length plus their shift.
HALF_PAST = 5400
Level = tuple[int, int, int]  # (key in `size`, granule length, shift in seconds)
HALF_PAST_HOURS: Level = (HALF_PAST, 3600, 1800)
# every level made from the quarter-hours
COARSER: tuple[Level, ...] = ((3600, 3600, 0), (86400, 86400, 0), HALF_PAST_HOURS)


def coarser(
    source: str,
    size: int,
    only: str = "",
    finer: int = QUARTER_HOUR,
    keys: tuple[str, ...] = (),
    shift: int = 0,
    key: int | None = None,
    lead: tuple[str, ...] = ("resource", "field"),
) -> str:
    """SELECT of the counts at granule `size` (kept under `key`, by default the size), each
    beginning `shift` seconds after a multiple of `size`, from the rows of `source` at granule
    `finer` (its columns `lead`, size, granule, `keys` and n: those of `rollups`, or of the
    facets, whose values are `keys`) that meet `only` too: each granule floored, before 1970
    too (float8 is exact here, granules being far below 2**53, and several times cheaper in
    PostgreSQL than a numeric division)."""
    moved = f"(granule - {shift // finer})" if shift else "granule"
    granule = f"CAST(floor({moved} / CAST({size // finer} AS FLOAT8)) AS BIGINT)"
    led, kept = ", ".join(lead), "".join(f", {key_}" for key_ in keys)
    return (
        f"SELECT {led}, {size if key is None else key} AS size, {granule} AS granule"
        f"{kept}, sum(n) AS n FROM {source} WHERE size = {finer}{only} "
        f"GROUP BY {led}, {len(lead) + 2}{kept}"
    )


def made(source: str, level: Level, only: str = "") -> str:
    """SELECT of the counts of `level` (one of `COARSER`) from the quarter-hours of `source`."""
    key, size, shift = level
    return coarser(source, size, only, shift=shift, key=key)
