"""Is a body without a Content-Type an HTML page? A scan in time linear in the bytes looked at.

The earlier regular expression (`^\\s*(<!--.*?-->\\s*)*<(html|...)`) backtracked over every way of pairing
`<!--` with a later `-->`: 40 empty comments took minutes (issue 12). Here a comment ends at its first
`-->`, as in HTML itself, so each byte is looked at a bounded number of times.
"""
from __future__ import annotations

# The tags that make a body HTML when they come first (after whitespace and comments).
HTML_START_TAGS = (b"html", b"head", b"body")
_SPACE = b" \t\n\r\f\v"  # what `\s` means for bytes
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _skip_space(data: bytes, pos: int) -> int:
    n = len(data)
    while pos < n and data[pos] in _SPACE:
        pos += 1
    return pos


def _word_ends(data: bytes, pos: int) -> bool:
    return pos >= len(data) or data[pos] not in _WORD


def looks_like_html(head: bytes) -> bool:
    """True when `head` starts, after whitespace and `<!-- ... -->` comments, with `<!doctype html`,
    `<html`, `<head` or `<body` (any case), each followed by a word boundary."""
    data = head.lower()
    pos = _skip_space(data, 0)
    while data.startswith(b"<!--", pos):
        end = data.find(b"-->", pos + 4)
        if end < 0:
            return False
        pos = _skip_space(data, end + 3)
    if not data.startswith(b"<", pos):
        return False
    pos += 1
    if data.startswith(b"!doctype", pos):
        after = pos + len(b"!doctype")
        spaced = _skip_space(data, after)
        return spaced > after and data.startswith(b"html", spaced) and _word_ends(data, spaced + 4)
    return any(data.startswith(tag, pos) and _word_ends(data, pos + len(tag)) for tag in HTML_START_TAGS)
