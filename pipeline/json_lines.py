"""The one reader of JSON Lines streams (text inputs, file-level dumps, repository metadata, benchmarks, labelled
evaluation sets). Plain Python, no Beam.

It bounds memory (a line longer than the cap is reported by its length and skipped without being held: memory
stays within the cap plus one read chunk whatever the input) and reports each bad line with its number, so
every caller keeps its own drop reasons, caps and counts: it maps `TOO_LONG` and `NOT_JSON` to its reasons
(`row_too_large`, `too_large`, `dump_bad_row`, a logged skip, an error naming the file and line).
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal

TOO_LONG, NOT_JSON = "too_long", "not_json"
READ_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class JsonLine:
    """One non-blank line: its number (1-based, blank lines counted) and its value, or what is wrong with it
    (`problem`: TOO_LONG with `size` its length in bytes, or NOT_JSON with `detail` the parser's message)."""

    number: int
    value: Any = None
    problem: str = ""
    detail: str = ""
    size: int = 0


def bounded_lines(raw: BinaryIO, max_bytes: float, chunk_bytes: int = READ_CHUNK_BYTES) -> Iterator[bytes | int]:
    """The lines of a stream (with their newline); a line longer than `max_bytes` comes as its length (an
    int) and is never held in memory: memory stays within `max_bytes` + one chunk whatever the input.
    Reads with `read1` where the stream has it, so the lines before a cut in a compressed stream come out
    before its error does."""
    read = getattr(raw, "read1", raw.read)
    pending: list[bytes] = []
    size, skipping = 0, False
    while chunk := read(chunk_bytes):
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start : end + 1]
            size += len(piece)
            if not skipping:
                pending.append(piece)
                if size > max_bytes:
                    pending, skipping = [], True
            if end < 0:
                break
            yield size if skipping else b"".join(pending)
            pending, size, skipping = [], 0, False
            start = end + 1
    if size:
        yield size if skipping else b"".join(pending)


def json_lines(
    raw: BinaryIO, *, max_line_bytes: int | None, invalid_utf8: Literal["replace", "not_json"]
) -> Iterator[JsonLine]:
    """Every non-blank line of `raw` parsed as JSON (any value: callers check for objects). `max_line_bytes`
    None: no cap (for a caller that holds the whole file anyway).

    `invalid_utf8`: "replace" decodes with U+FFFD for bad bytes (text inputs keep the rest of a row), "not_json"
    parses the bytes as they are (bad UTF-8 is a NOT_JSON line; a byte-order mark is accepted), and blank means
    ASCII whitespace only."""
    cap = math.inf if max_line_bytes is None else max_line_bytes
    for number, line in enumerate(bounded_lines(raw, cap), start=1):
        if isinstance(line, int):
            yield JsonLine(number, problem=TOO_LONG, size=line)
            continue
        data: str | bytes = line.decode("utf-8", errors="replace") if invalid_utf8 == "replace" else line
        if not data.strip():
            continue
        try:
            yield JsonLine(number, json.loads(data))
        except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError, nesting too deep
            yield JsonLine(number, problem=NOT_JSON, detail=str(err))
