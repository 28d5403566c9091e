"""How values are written out: a graph answer as CSV or as a terminal table with bars (the JSON
form is the answer itself), and an instant as the 42 API writes it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping

FORMATS = ("table", "json", "csv")


def to_csv(answer: Mapping[str, int], interval: str) -> str:
    """Two columns, a header row: the interval's name and `count`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([interval, "count"])
    writer.writerows(answer.items())
    return out.getvalue()


def to_table(answer: Mapping[str, int], width: int = 80) -> str:
    """One line a key: the key, the count, and a bar scaled to the largest count."""
    if not answer:
        return "(no counted row)\n"
    key_width = max(5, *(len(key) for key in answer))  # 5: "total"
    count_width = max(len(str(count)) for count in answer.values())
    room = max(10, width - key_width - count_width - 4)
    largest = max(answer.values()) or 1
    lines = []
    for key, count in answer.items():
        eighths = round(count / largest * room * 8)
        bar = "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]
        lines.append(f"{key:>{key_width}}  {count:>{count_width}}  {bar}".rstrip())
    lines.append(f"{'total':>{key_width}}  {sum(answer.values()):>{count_width}}")
    return "\n".join(lines) + "\n"


def api_time(moment: dt.datetime, digits: int = 3) -> str:
    """An instant as the 42 API writes it: UTC, with `digits` (0, 3 or 6) of the second,
    2024-01-12T14:03:21.000Z. A naive datetime is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    fraction = f"{moment.microsecond:06d}"[:digits]
    return f"{moment:%Y-%m-%dT%H:%M:%S}{'.' if digits else ''}{fraction}Z"
