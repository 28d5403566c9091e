"""Rows of a table as the column arrays a Writer stages, from lists of values: timestamps parsed
a column at a time (NumPy) where they have the 42 API's own form, one by one otherwise; the
first bad value named by its row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from typing import Any

import numpy as np
import numpy.typing as npt

from intragraph.errors import ImportFailed
from intragraph.ingest.records import BadRecord, instant
from intragraph.store.tables import Table

Origin = Callable[[int], tuple[str, int]]  # row index -> (source, record position)

# The 42 API writes every instant as "2023-12-20T09:12:44.000Z": the values of a column that have
# its length are checked byte by byte against this form in one NumPy pass (a digit where it has
# 0, the same character elsewhere) and parsed by NumPy; every other value goes through
# records.instant, one by one.
_FORM = "0000-00-00T00:00:00.000Z"
_LOW = np.frombuffer(_FORM.encode(), dtype=np.uint8)
_HIGH = np.frombuffer(_FORM.replace("0", "9").encode(), dtype=np.uint8)
_YEAR_0 = np.frombuffer(b"0000", dtype=np.uint32)[0]


class _BadValue(Exception):
    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index, self.reason = index, reason


def _in_api_form(texts: list[Any]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[Any]]:
    """Which texts are in the API's own form, and those as datetime64[us] (ValueError for one
    that is not on the calendar)."""
    in_form = np.zeros(len(texts), dtype=bool)
    try:
        sized = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) == len(_FORM)
        joined = "".join(texts if sized.all() else compress(texts, sized)).encode("ascii")
    except (TypeError, UnicodeEncodeError):  # a datetime, or a text not ASCII: one by one
        return in_form, np.empty(0, dtype="datetime64[us]")
    grid = np.frombuffer(joined, dtype=np.uint8).reshape(-1, len(_FORM))
    # and not in the year 0000, which records.instant refuses (a row's first 4 bytes as one
    # number: 0.02 ms a column of 33,400, where comparing the 4 digits took 0.57)
    formed = ((grid >= _LOW) & (grid <= _HIGH)).all(axis=1) & (
        grid.view(np.uint32)[:, 0] != _YEAR_0
    )
    in_form[sized] = formed
    # without the Z; every row taken without a copy of the grid first (the usual case)
    stamps = np.ascontiguousarray(grid[slice(None) if formed.all() else formed, : len(_FORM) - 1])
    return in_form, stamps.view(f"S{len(_FORM) - 1}").ravel().astype("datetime64[us]")


def _timestamps(values: list[Any], name: str) -> Any:
    """ISO texts (or naive UTC datetimes) -> datetime64[us], None as NaT. _BadValue names the
    first value that is no instant, or that is none on the calendar (a 30th of February)."""
    moments = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[us]")
    if None in values:
        slots = np.array([i for i, value in enumerate(values) if value is not None], dtype=int)
        present = [values[i] for i in slots.tolist()]
    else:  # created_at, updated_at: no list to build
        slots, present = np.arange(len(values)), values
    try:
        in_form, parsed = _in_api_form(present)
        moments[slots[in_form]] = parsed
        for index in slots[~in_form].tolist():
            value = values[index]
            if not isinstance(value, dt.datetime):
                value = instant(value, name)
            moments[index] = np.datetime64(value, "us")
    except (ValueError, BadRecord):
        for index, value in enumerate(values):  # find the first culprit, in order
            try:
                if isinstance(value, str):
                    np.datetime64(instant(value, name), "us")
            except BadRecord as error:
                raise _BadValue(index, str(error)) from None
            except ValueError:
                reason = f"{name!r} is not an ISO 8601 timestamp: {value!r}"
                raise _BadValue(index, reason) from None
        raise
    return moments


def column_arrays(
    table: Table,
    columns: Sequence[list[Any]],
    origin: Origin = lambda index: ("rows", index + 1),
) -> dict[str, npt.NDArray[Any]]:
    """Columns (lists of values, in the table's column order) as the arrays a Writer stages;
    NULLs stay None (NaT for timestamps). A bad timestamp raises ImportFailed naming the first
    row that has one (and, in that row, the first such column)."""
    arrays: dict[str, npt.NDArray[Any]] = {}
    first: _BadValue | None = None
    for (name, kind), values in zip(table.types.items(), columns, strict=True):
        if kind == "timestamp":
            try:
                arrays[name] = _timestamps(values, name)
            except _BadValue as bad:
                first = bad if first is None or bad.index < first.index else first
        elif kind == "int" and None not in values:
            arrays[name] = np.array(values, dtype=np.int64)
        else:
            arrays[name] = np.array(values, dtype=object)
    if first is not None:
        raise ImportFailed(*origin(first.index), first.reason)
    return arrays


def columns_of(rows: Iterable[tuple[Any, ...]], table: Table) -> list[list[Any]]:
    """Rows (values in the table's column order) as columns."""
    return [list(column) for column in zip(*rows, strict=True)] or [[] for _ in table.types]
