"""A text's UTF-8 bytes and size, Beam-free: the stages count bytes and the mix estimates tokens with them."""
from __future__ import annotations

# A text at least this long is encoded to UTF-8 once for the callers that follow each other on it: a page's
# HTML is repaired and counted by the source step, then counted and sent to the extraction child by the next
# (4 encodings of ~150 KB a page before, ~0.5 ms). The memo holds the last such text and its bytes.
UTF8_MEMO_MIN_CHARS = 4096
_utf8_memo: tuple[str, bytes | None] = ("", b"")


def _utf8(text: str) -> bytes | None:
    """`text` in UTF-8, None when it holds a lone surrogate (which UTF-8 cannot); remembered for long texts."""
    global _utf8_memo
    memo = _utf8_memo  # one read: another thread may replace it (a miss, never a wrong answer)
    if memo[0] is text:
        return memo[1]
    try:
        data: bytes | None = text.encode("utf-8")
    except UnicodeEncodeError:
        data = None
    if len(text) >= UTF8_MEMO_MIN_CHARS:
        _utf8_memo = (text, data)
    return data


def utf8_bytes(text: str) -> bytes:
    """`text` in UTF-8, a lone surrogate passed through as its 3 bytes (`surrogatepass`)."""
    data = _utf8(text)
    return data if data is not None else text.encode("utf-8", "surrogatepass")


def utf8_size(text: str) -> int:
    """Bytes of `text` in UTF-8, without a copy for ASCII text (`str.isascii` is a flag check in CPython)."""
    return len(text) if text.isascii() else len(utf8_bytes(text))
