"""Records from the files the 42 API's list endpoints give: a JSON array (one saved page), several
arrays one after the other (pages concatenated), or one object per line (NDJSON).

Read incrementally, so a file of any size needs only one record's worth of memory at a time.
Two readers: `records`, the exact one, gives one record at a time and says what is malformed
where; `top_level_values` gives whole top-level values (a page each) as bytes, for a decoder
that reads a page at once, and hands the rest of the stream back (`Undelimited`) at anything it
cannot delimit, for `records` to read and judge.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, TextIO, TypeVar

import msgspec

_CHUNK = 1 << 20
_MAX_RECORD = 64 << 20  # a record that does not parse within this many characters is malformed
_decoder = json.JSONDecoder()
_SPACE = " \t\r\n"
_TOO_DEEP = "invalid JSON: nested too deeply"


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
        self.progress(len(chunk.encode(errors="surrogateescape")))
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
                start = self.at
                if len(self.text) - self.at < _MAX_RECORD and self.more():
                    continue
                # where json stopped, in the text as `more` may have cut it since
                where = error.pos - start + self.at
                raise MalformedJSON(position, _what(self.text, where, error.msg)) from None
            except RecursionError:  # Python's JSON reader recurses once per level
                raise MalformedJSON(position, _TOO_DEEP) from None
            self.at = end
            return value


def _what(text: str, where: int, said: str) -> str:
    """What is wrong at `where`: a byte that is no UTF-8 (read as a lone surrogate, `text`'s
    errors="surrogateescape"), a gzip file's first two bytes, or what json `said`."""
    found = text[where : where + 2]
    if found == "\x1f\udc8b":
        return "the file is gzip-compressed: decompress it first (zcat it | intragraph import ...)"
    if found and "\udc80" <= found[0] <= "\udcff":
        return f"invalid JSON: byte 0x{ord(found[0]) - 0xDC00:02x} is not UTF-8 text"
    return f"invalid JSON: {said}"


def records(
    stream: TextIO, progress: Callable[[int], None] = lambda _: None, start: int = 0
) -> Iterator[Any]:
    """Every record of the stream, in order; arrays are opened, other values are records.
    Positions (in errors) count on from `start` records already read."""
    buffer, position = _Buffer(stream, progress), start
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


class Undelimited(Exception):
    """`top_level_values` met something it cannot delimit (malformed JSON, a scalar at the top,
    one value over _MAX_RECORD bytes): `stream` reads on from there, for `records`."""

    def __init__(self, stream: Resumed) -> None:
        super().__init__("the rest of the stream is for the exact reader")
        self.stream = stream


class Resumed(io.RawIOBase):
    """`head`, then the rest of `tail`; closing it leaves `tail` open (it may be stdin)."""

    def __init__(self, head: bytes, tail: BinaryIO) -> None:
        super().__init__()
        self.head, self.tail = head, tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            size = min(len(buffer), len(self.head))
            buffer[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.tail.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def text(self) -> TextIO:
        """As text: a byte order mark first is dropped (Windows' tools write one), and a byte
        that is no UTF-8 becomes a lone surrogate, which `records` and records.text name with
        its record, where a strict decoder would fail a whole chunk ahead of it."""
        reader = io.BufferedReader(self)
        return io.TextIOWrapper(reader, encoding="utf-8-sig", errors="surrogateescape")


_SKIP = msgspec.json.Decoder(msgspec.Raw)  # checks and skips one value without building it
# msgspec's words for a value followed by more: "... trailing characters (byte N)", N being
# 1 + the offset of what follows. Whatever is read from them is checked before it is trusted.
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)")
# Outside strings, valid JSON never has a closing bracket, blanks, then an opening one but
# between two top-level values; inside a string it may, so a place found so is only a guess.
# These are the usual ones: pages back to back or one a line, NDJSON.
_BETWEEN = (b"][", b"]\n[", b"]\r\n[", b"}\n{", b"}\r\n{")
_BLANK = b" \t\r\n"
_CLOSER = {ord("["): ord("]"), ord("{"): ord("}")}
_MALFORMED = -2
T = TypeVar("T")


def top_level_values(
    stream: BinaryIO, decode: Callable[[bytes], T | None], progress: Callable[[int], None]
) -> Iterator[tuple[bytes, T | None]]:
    """Every top-level array or object of the stream: its bytes, and what `decode` made of
    them (None: it would not). `decode` succeeding on a slice proves the slice one whole value;
    otherwise msgspec skips over the value to find where it really ends."""
    data, at, eof = b"", 0, False
    order = list(_BETWEEN)
    while True:
        while at < len(data) and data[at] in _BLANK:
            at += 1
        if at == len(data):
            if eof:
                return
            data, at = stream.read(_CHUNK), 0
            eof = not data
            continue
        if data[at] not in _CLOSER:
            raise Undelimited(Resumed(data[at:], stream))
        guess = _guess(data, at, order) or (len(data) if eof else -1)
        decoded = decode(data[at:guess]) if guess > 0 else None
        end = guess
        if decoded is None:  # no guess, a wrong one, or a value `decode` would not have
            end = _end(data, at, eof)
            if end == _MALFORMED:
                raise Undelimited(Resumed(data[at:], stream))
            if 0 < end != guess:
                decoded = decode(data[at:end])
        if end < 0:
            if len(data) - at > _MAX_RECORD:
                raise Undelimited(Resumed(data[at:], stream))
            more = stream.read(max(_CHUNK, len(data) - at))  # doubling: no quadratic rescans
            data, at, eof = data[at:] + more, 0, not more
            continue
        last = end - 1
        while data[last] in _BLANK:
            last -= 1
        if data[last] != _CLOSER[data[at]]:  # msgspec's words changed: be exact
            raise Undelimited(Resumed(data[at:], stream))
        progress(end - at)
        yield data[at:end], decoded
        at = end


def _guess(data: bytes, at: int, order: list[bytes]) -> int:
    """Where the value at `at` may end (where the next would start), 0 for no guess. The
    separator found moves to the front of `order`: a file keeps to one, so that each byte is
    looked at about once; a wrong guess costs a msgspec skip, never a wrong value."""
    for index, between in enumerate(order):
        where = data.find(between, at + 1)
        if where >= 0:
            order.insert(0, order.pop(index))
            return where + len(between) - 1
    return 0


def _end(data: bytes, at: int, eof: bool) -> int:
    """Where the value at `at` ends (with the blanks after it), -1 if more must be read first,
    _MALFORMED if it never will."""
    try:
        _SKIP.decode(memoryview(data)[at:])
    except RecursionError:  # msgspec has a depth limit too
        return _MALFORMED
    except msgspec.DecodeError as error:
        found = _TRAILING.search(str(error))
        if found:
            return at + int(found[1]) - 1
        return _MALFORMED if eof or "truncated" not in str(error) else -1
    return len(data) if eof else -1  # the last value, or more may follow
