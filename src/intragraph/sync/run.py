"""One sync: every listed resource read from an upstream 42 API into the store, incrementally.

A window is the rows with `low <= updated_at <= high`: from where the last completed window
ended (less `OVERLAP`, for clocks that disagree and transactions that commit late) to the moment
the sync starts. Rows updated upstream during the sync move past `high` and are the next
window's. The window is read by keyset, always page 1 of `range[updated_at]=low,high` sorted by
updated_at then id: pages cannot shift under us when rows change. After each page, `low` moves to
the page's last millisecond, and the ids already kept at that millisecond are skipped next time.
A page whose rows all share one millisecond cannot move `low`: that millisecond is then read by
id (`drain_from`), and `low` moves past it. Pages' rows are committed in one transaction with the
cursor after them (every 1,000 rows or second), so a sync stopped anywhere loses nothing and the
next run continues from the last commit. Upserts are idempotent, so a row read twice is harmless:
nothing is ever duplicated.

`--full` reads from the beginning, notes every id it keeps, then asks the upstream for the local
rows it never met (`filter[id]`, 100 at a time): those the upstream no longer has are deleted.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from intragraph.conditions import Condition
from intragraph.formats import api_time
from intragraph.ingest.load import merge_records
from intragraph.ingest.records import BadRecord, instant, timestamp
from intragraph.query import parse_list
from intragraph.resources import LISTED, Resource
from intragraph.store import cursors, writes
from intragraph.store.base import Store
from intragraph.store.cursors import Cursor
from intragraph.store.tables import TABLES
from intragraph.store.writes import UpsertCounts
from intragraph.sync.upstream import Params, Upstream, UpstreamError

OVERLAP = dt.timedelta(minutes=5)
COMMIT_ROWS, COMMIT_SECONDS = 1000, 1.0
PAGE = 100  # the 42 API's largest page
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)
_LAST_ID = 2**63 - 1
# users and memberships first (filters use them), then what they are members of
ORDER = (
    "users",
    "campus_users",
    "cursus_users",
    "locations",
    "events",
    "exams",
    "slots",
    "projects_users",
    "teams",
    "scale_teams",
    "languages",
    "languages_users",
    "quests_users",
    "dashes",
    "dashes_users",
    "project_sessions",
    "announcements",
    "roles_entities",
    "community_services",
    "patronages_reports",
)


@dataclass(frozen=True)
class Target:
    resource: Resource
    narrowing: Params  # the upstream filters of `--campus` / `--cursus`
    conditions: tuple[Condition, ...]  # the same narrowing, on the local rows
    # the date a window pages by: updated_at, or for locations (which have none) begin_at for
    # the sessions begun, then end_at for those closed since
    stamp: str = "updated_at"
    fresh_from_now: bool = False  # a first window starts at the run, not at 1970 (end_at's)

    @property
    def label(self) -> str:
        return self.resource.name + ("" if self.stamp == "updated_at" else f" by {self.stamp}")


def targets(
    campus: Sequence[int], cursus: Sequence[int], names: Sequence[str] = ORDER
) -> list[Target]:
    """What a sync reads, in ORDER: each resource named, with the filters that narrow it,
    where it has them (campus_users has no cursus filter upstream; cursus_users narrows by
    primary campus; locations by their campus)."""
    ids = {
        name: ",".join(map(str, values))
        for name, values in (("campus", campus), ("cursus", cursus))
        if values
    }
    found = []
    for name in ORDER:
        if name not in names:
            continue
        resource = LISTED[name]
        # the upstream's own filters, where it has them (campus_users has no cursus filter;
        # cursus_users' campus is the user's primary one; events have none)
        narrowing = [(f"filter[{key}]", ids[by]) for by, key in resource.narrow if by in ids]
        target = Target(resource, narrowing, parse_list(resource, narrowing).conditions)
        if resource.sync_stamps:  # no updated_at: a window on each of its dates
            found += [
                replace(target, stamp=stamp, fresh_from_now=fresh)
                for stamp, fresh in resource.sync_stamps
            ]
        else:
            found.append(target)
    return found


@dataclass
class Report:
    resource: str
    resumed: bool = False
    pages: int = 0
    rows: int = 0  # rows received and kept
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    deleted: int = 0


# called after each page: (resource, rows in that page, rows the window had left when it
# started or resumed, if the upstream said)
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class Run:
    """One sync: where from, where to, as of when, and whether it reads everything again."""

    store: Store
    upstream: Upstream
    now: dt.datetime
    full: bool
    progress: Progress


def sync(
    store: Store,
    upstream: Upstream,
    chosen: Iterable[Target],
    now: dt.datetime,
    full: bool,
    progress: Progress,
) -> list[Report]:
    run = Run(store, upstream, now, full, progress)
    return [_resource(run, target) for target in chosen]


def _key(upstream: Upstream, target: Target) -> str:
    narrowing = "&".join(f"{name}={value}" for name, value in target.narrowing)
    stamp = "" if target.stamp == "updated_at" else target.stamp
    return " ".join(filter(None, (upstream.base, target.resource.name, stamp, narrowing)))


def _resource(run: Run, target: Target) -> Report:
    store, name = run.store, target.resource.name
    key = _key(run.upstream, target)
    cursor = cursors.load(store, key) or Cursor(key, name, None)
    fresh = cursor.high is None or (run.full and not cursor.full_run)
    report = Report(target.label, resumed=not fresh)
    if fresh:
        since = cursor.synced_until
        low = EPOCH if run.full or since is None else since - OVERLAP
        if target.fresh_from_now and (run.full or since is None):
            # what closed before the run is read closed by the window of what began
            low = run.now - OVERLAP
        cursor = cursor.started(_ms(low), _ms(run.now), run.full)
        with store.transaction() as writer:
            cursors.forget_seen(writer, key)
            cursors.save(writer, cursor)
    total: int | None = None
    pending: list[dict[str, Any]] = []
    committed = time.monotonic()
    while _reading(cursor):
        page = _page(cursor, target.stamp)
        items, answered = run.upstream.get(f"/v2/{name}", target.narrowing + page)
        if total is None:
            total = answered
        kept, cursor = _advance(cursor, items, target.stamp)
        pending += kept
        report.pages += 1
        run.progress(target.label, len(kept), total)
        # pages are committed together, with the cursor after the last of them, once enough
        # rows or time have gathered: a fast upstream then costs a transaction per thousand
        # rows, not per page; a stop loses only what a next run reads again
        elapsed = time.monotonic() - committed
        if len(pending) >= COMMIT_ROWS or elapsed >= COMMIT_SECONDS or not _reading(cursor):
            _keep(store, report, name, pending, cursor)
            pending, committed = [], time.monotonic()
    if cursor.full_run and not target.fresh_from_now:
        _delete_missing(run, target, cursor, report)
    with store.transaction() as writer:
        cursors.forget_seen(writer, key)
        cursors.save(writer, cursor.completed())
    return report


def _reading(cursor: Cursor) -> bool:
    assert cursor.low is not None and cursor.high is not None
    return cursor.low <= cursor.high


def _page(cursor: Cursor, stamp: str = "updated_at") -> Params:
    assert cursor.low is not None and cursor.high is not None
    size = [("page[size]", str(PAGE)), ("page[number]", "1")]
    if stamp == "id":  # a table read whole, by id, on each run
        return [("range[id]", f"{cursor.drain_from or 0},{_LAST_ID}"), ("sort", "id"), *size]
    if cursor.drain_from is None:
        span = f"{_text(cursor.low)},{_text(cursor.high)}"
        return [(f"range[{stamp}]", span), ("sort", f"{stamp},id"), *size]
    millisecond = f"{_text(cursor.low)},{_text(cursor.low + _MS - dt.timedelta(microseconds=1))}"
    ids = f"{cursor.drain_from},{_LAST_ID}"
    return [(f"range[{stamp}]", millisecond), ("range[id]", ids), ("sort", "id"), *size]


def _advance(
    cursor: Cursor, items: list[dict[str, Any]], stamp: str = "updated_at"
) -> tuple[list[dict[str, Any]], Cursor]:
    """The rows of a page not kept yet, and where the window stands after it."""
    assert cursor.low is not None and cursor.high is not None
    if cursor.drain_from is not None or stamp == "id":
        start = cursor.drain_from or 0
        ids = [_id(item) for item in items]
        if ids != sorted(ids) or (ids and ids[0] < start):
            raise UpstreamError(f"the upstream did not answer rows sorted by id from {start}")
        if len(items) < PAGE:
            # the millisecond drained; or, for a table read by id, the whole window
            low = cursor.high + _MS if stamp == "id" else cursor.low + _MS
            return items, replace(cursor, low=low, seen="", drain_from=None)
        return items, replace(cursor, drain_from=_id(items[-1]) + 1)
    stamps = [_stamp(item, stamp) for item in items]
    inside = not stamps or (cursor.low <= stamps[0] and stamps[-1] <= cursor.high)
    if not inside or stamps != sorted(stamps):
        # the keyset reading relies on both: better stop than skip rows
        raise UpstreamError(
            f"the upstream did not answer rows sorted by {stamp} within "
            f"range[{stamp}]={_text(cursor.low)},{_text(cursor.high)}"
        )
    seen = cursor.seen_ids
    kept = [
        i for i, at in zip(items, stamps, strict=True) if at != cursor.low or _id(i) not in seen
    ]
    if len(items) < PAGE:
        return kept, replace(cursor, low=cursor.high + _MS, seen="")  # the window is read
    last = stamps[-1]
    if last == cursor.low:  # a full page within one millisecond: read it by id
        return kept, replace(cursor, drain_from=0)
    at_last = [str(_id(i)) for i, at in zip(items, stamps, strict=True) if at == last]
    return kept, replace(cursor, low=last, seen=",".join(at_last))


def _keep(
    store: Store, report: Report, name: str, items: list[dict[str, Any]], cursor: Cursor
) -> None:
    """Pages' rows and the cursor after them, in one transaction."""
    source = f"{name} pages up to {_text(cursor.low) if cursor.low else ''}"
    with writes.transaction(store) as writer:
        counts = merge_records(writer, name, ((source, n, r) for n, r in enumerate(items, 1)))
        if cursor.full_run:
            cursors.note_seen(writer, cursor.key, [_id(item) for item in items])
        cursors.save(writer, cursor)
    own = counts[name]
    report.rows += len(items)
    report.counts.inserted += own.inserted
    report.counts.updated += own.updated
    report.counts.unchanged += own.unchanged


def _delete_missing(run: Run, target: Target, cursor: Cursor, report: Report) -> None:
    """Local rows (within the narrowing) that the --full window never met: kept if the
    upstream still has them (updated during the sync), deleted if not."""
    resource, name = target.resource, target.resource.name
    while ids := cursors.unseen_ids(
        run.store, resource.table, target.conditions, cursor.key, run.now, PAGE
    ):
        items, _ = run.upstream.get(
            f"/v2/{name}",
            [("filter[id]", ",".join(map(str, ids))), ("page[size]", str(PAGE))],
        )
        present = {_id(item) for item in items}
        gone = [i for i in ids if i not in present]
        with writes.transaction(run.store) as writer:
            merge_records(writer, name, ((f"{name} by id", n, r) for n, r in enumerate(items, 1)))
            cursors.note_seen(writer, cursor.key, ids)
            writes.remove(writer, TABLES[resource.table], gone)
            if resource.members is not None:  # a team gone takes its members with it
                members = resource.members
                writes.remove(writer, TABLES[members.table], gone, members.column)
        report.deleted += len(gone)


def _id(item: dict[str, Any]) -> int:
    value = item.get("id") if isinstance(item, dict) else None
    if type(value) is not int:
        raise UpstreamError(f"the upstream sent a row without an integer id: {item!r:.200}")
    return value


def _stamp(item: dict[str, Any], stamp: str) -> dt.datetime:
    try:
        text = instant(timestamp(item, stamp) or "", stamp)
    except BadRecord as error:
        raise UpstreamError(f"row {_id(item)}: {error}") from None
    return _ms(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC))


def _ms(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _text(moment: dt.datetime) -> str:
    return api_time(moment, digits=6)
