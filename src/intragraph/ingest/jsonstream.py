"""Records from the files the 42 API's list endpoints give: a JSON array (one saved page), several
arrays one after the other (pages concatenated), or one object per line (NDJSON).

Read incrementally, so a file of any size needs only one record's worth of memory at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TextIO

_CHUNK = 1 << 20
_MAX_RECORD = 64 << 20  # a record that does not parse within this many characters is malformed
_decoder = json.JSONDecoder()
_SPACE = " \t\r\n"


class MalformedJSON(ValueError):
    """Names the record's position (1-based, in the file) and what is wrong with it."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


class _Buffer:
    def __init__(self, stream: TextIO, progress: Callable[[int], None]) -> None:
        self.stream, self.progress = stream, progress
        self.text, self.at, self.eof = "", 0, False

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        self.progress(len(chunk.encode()))
        self.eof = not chunk
        self.text = self.text[self.at :] + chunk
        self.at = 0
        return not self.eof

    def peek(self) -> str:
        """The next non-blank character, or "" at the end of the stream."""
        while True:
            while self.at < len(self.text) and self.text[self.at] in _SPACE:
                self.at += 1
            if self.at < len(self.text):
                return self.text[self.at]
            if not self.more():
                return ""

    def value(self, position: int) -> Any:
        while True:
            try:
                value, end = _decoder.raw_decode(self.text, self.at)
            except json.JSONDecodeError as error:
                if len(self.text) - self.at < _MAX_RECORD and self.more():
                    continue
                raise MalformedJSON(position, f"invalid JSON: {error.msg}") from None
            self.at = end
            return value


def records(stream: TextIO, progress: Callable[[int], None] = lambda _: None) -> Iterator[Any]:
    """Every record of the stream, in order; arrays are opened, other values are records."""
    buffer, position = _Buffer(stream, progress), 0
    while (first := buffer.peek()) != "":
        if first != "[":
            position += 1
            yield buffer.value(position)
            continue
        buffer.at += 1
        expect_value = True
        while (char := buffer.peek()) != "]":
            if char == "":
                raise MalformedJSON(position + 1, "the file ends inside an array")
            if char == "," and not expect_value:
                buffer.at += 1
                expect_value = True
                continue
            if not expect_value:
                raise MalformedJSON(position + 1, f"expected ',' or ']' but found {char!r}")
            position += 1
            yield buffer.value(position)
            expect_value = False
        buffer.at += 1
