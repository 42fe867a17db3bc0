"""How the file rules count lines: one definition shared by every rule that measures lines.

A line ends at "\n", "\r\n" or a lone "\r" (so CRLF and old Mac files count like Unix ones); the
terminator is not part of the line. A final terminator ends the last line rather than starting an empty
one: "a\nb\n" and "a\nb" both have 2 lines. Empty text has no lines; "\n" has one empty line. Lengths are
in characters (Unicode code points), not bytes. Other characters `str.splitlines` treats as breaks
(form feed, U+2028, ...) stay inside their line.
"""

from __future__ import annotations


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def split_lines(text: str) -> list[str]:
    """The lines of `text` per the module's rules, without terminators."""
    lines = _unix_newlines(text).split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def line_lengths(text: str) -> list[int]:
    """Characters per line of `text` (see `split_lines`)."""
    return list(map(len, split_lines(text)))


def average_line_length(text: str) -> float:
    """Mean characters per line (0 for empty text); counts without building the lines."""
    text = _unix_newlines(text)
    newlines = text.count("\n")
    lines = newlines + (0 if not text or text.endswith("\n") else 1)
    return (len(text) - newlines) / lines if lines else 0.0


def longest_line(text: str) -> int:
    """Characters in the longest line (0 for empty text)."""
    return max(map(len, _unix_newlines(text).split("\n")))
