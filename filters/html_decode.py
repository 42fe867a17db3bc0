"""Bytes of an HTML response to text: the HTTP header charset, then the HTML meta charset, then detection.

Two departures from taking declarations at their word, both because the web lies about charsets:
- a declared charset that cannot decode the bytes (strictly) is skipped, not obeyed with replacement marks;
- bytes that are valid UTF-8 and not plain ASCII are UTF-8 whatever the page declares: legacy-encoded
  text is almost never valid UTF-8 by accident, while UTF-8 labelled `iso-8859-1` is common.
Legacy labels map to the superset browsers use (WHATWG Encoding): gb2312/gbk decode as gb18030,
iso-8859-1/ascii as windows-1252, so gb2312 pages come out as correct Chinese.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# How far into the page the meta charset is looked for (WHATWG prescans 1024 bytes; real heads run longer).
META_SCAN_BYTES = 4096
# How many bytes the statistical detector sees; it is slow and the head of a page is representative.
DETECT_BYTES = 32_768

# Browser (WHATWG) label -> the Python codec that decodes what browsers decode under that label.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "big5": "big5hkscs",
    "x-user-defined": "cp1252",
}
# A page cannot declare these in a meta tag and mean it (its bytes would not be ASCII-compatible).
_NOT_FROM_META = {"utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be"}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))

# Linear-time on any input (issue 12): no two adjacent quantifiers can match the same character, and tag
# attributes are searched one tag at a time (`_tag_value`), never from every `<meta` to the end.
_CT_CHARSET = re.compile(r"charset\s*=[\s\"']*([A-Za-z0-9._:()+-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"charset\s*=[\s\"']*([A-Za-z0-9._:()+-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"encoding\s*=\s*[\"']\s*([A-Za-z0-9._:()+-]+)", re.IGNORECASE)


def _tag_value(head: bytes, opener: bytes, attribute: re.Pattern[bytes]) -> re.Match[bytes] | None:
    """The first `attribute` match inside a tag that starts with `opener` (lower case), up to its `>`.
    Tags are visited left to right and the scan resumes at each tag's end, so no byte is read twice."""
    lowered, pos = head.lower(), 0
    while (start := lowered.find(opener, pos)) >= 0:
        end = lowered.find(b">", start)
        end = len(head) if end < 0 else end
        match = attribute.search(head, start + len(opener) + 1, end)
        if match:
            return match
        pos = max(end, start + 1)
    return None


@dataclass(frozen=True)
class Decoded:
    """Decoded page text, the codec used, and where the choice came from."""

    text: str
    charset: str
    source: str  # "bom" | "http" | "meta" | "utf-8" | "detected" | "fallback"


def python_codec(label: str | None) -> str | None:
    """The Python codec name for a charset label, with browser supersets; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of an HTTP Content-Type header, as a Python codec name (or None)."""
    match = _CT_CHARSET.search(content_type or "")
    return python_codec(match.group(1)) if match else None


def charset_from_meta(head: bytes) -> str | None:
    """The charset an HTML head declares (`<meta charset>`, `http-equiv` Content-Type, XML declaration)."""
    match = _tag_value(head, b"<meta", _META_CHARSET) or _tag_value(head, b"<?xml", _XML_ENCODING)
    if not match:
        return None
    label = match.group(1).decode("ascii", "replace").lower()
    if label in _NOT_FROM_META:
        return "utf-8"  # WHATWG: a meta tag that says utf-16 means utf-8
    return python_codec(label)


# Tie-break between detector guesses that explain the bytes equally well (W3Techs charset usage order).
_WEB_PREVALENCE = ("utf-8", "cp1252", "cp1251", "gb18030", "cp932", "cp949", "cp1250", "euc_jp", "big5hkscs",
                   "cp1256", "cp1253", "cp1254", "cp874", "cp1255", "cp1257", "iso8859-15", "iso8859-2")
_ASCII_INCOMPATIBLE = frozenset(python_codec(label) for label in _NOT_FROM_META)


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(body: bytes, detect_bytes: int) -> str | None:
    """charset_normalizer's best guess; among guesses it scores equal, the one most common on the web."""
    from charset_normalizer import from_bytes  # imported late: only pages that need detection pay for it

    matches = list(from_bytes(body[:detect_bytes]))
    if not matches:
        return None
    best = matches[0]
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    codecs_tied = [python_codec(m.encoding) for m in tied]
    ranked = sorted(codecs_tied, key=lambda c: _WEB_PREVALENCE.index(c) if c in _WEB_PREVALENCE else 99)
    return ranked[0]


def decode_html(body: bytes, content_type: str | None = None, *, detect_bytes: int = DETECT_BYTES) -> Decoded:
    """Decode an HTML body; never raises. Tries, in order: a byte-order mark; UTF-8 when the bytes are
    valid UTF-8 beyond ASCII; the HTTP header charset; the meta charset; statistical detection; and last
    UTF-8 with replacement characters (source "fallback")."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return Decoded(body[len(bom) :].decode(codec, "replace"), codec, "bom")
    declared = [
        (codec, source)
        for codec, source in (
            (charset_from_content_type(content_type), "http"),
            (charset_from_meta(body[:META_SCAN_BYTES]), "meta"),
        )
        if codec
    ]
    if declared and declared[0][1] == "http" and declared[0][0] in _ASCII_INCOMPATIBLE:
        text = _strict(body, declared[0][0])  # UTF-16 without a BOM would also pass as UTF-8
        if text is not None:
            return Decoded(text, declared[0][0], "http")
    as_utf8 = _strict(body, "utf-8")
    if as_utf8 is not None:
        if body.isascii() and declared and declared[0][0] not in _ASCII_INCOMPATIBLE:
            return Decoded(as_utf8, declared[0][0], declared[0][1])
        source = next((s for c, s in declared if c == "utf-8"), "utf-8")
        return Decoded(as_utf8, "utf-8", source)
    for codec, source in declared:
        text = _strict(body, codec)
        if text is not None:
            return Decoded(text, codec, source)
    codec = _detect(body, detect_bytes)
    if codec is not None:
        return Decoded(body.decode(codec, "replace"), codec, "detected")
    return Decoded(body.decode("utf-8", "replace"), "utf-8", "fallback")


def replacement_fraction(text: str) -> float:
    """The share of U+FFFD replacement characters: how much of a page could not be decoded."""
    return text.count("\ufffd") / len(text) if text else 0.0
