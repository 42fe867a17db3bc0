"""Bytes of an HTML response to text: the HTTP header charset, then the HTML meta charset, then detection.

Labels resolve by the WHATWG Encoding Standard's table (`webencodings`, the library html5lib uses):
gb2312/gbk decode as gb18030, iso-8859-1/ascii as windows-1252, shift_jis as windows-31j, a BOM wins.
Two departures from taking declarations at their word, both because the web lies about charsets:
- a declared charset that decodes the bytes strictly wins; one that needs replacement characters is obeyed
  (with them, as a browser would) only while they stay under MAX_DECLARED_ERROR_FRACTION of the text,
  otherwise the bytes go to detection;
- bytes that are valid UTF-8 and not plain ASCII are UTF-8 whatever the page declares: legacy-encoded
  text is almost never valid UTF-8 by accident, while UTF-8 labelled `iso-8859-1` is common.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import webencodings

# How far into the page the meta charset is looked for (WHATWG prescans 1024 bytes; real heads run longer).
META_SCAN_BYTES = 4096
# How many bytes the statistical detector sees; it is slow and the head of a page is representative.
DETECT_BYTES = 32_768

# Where the WHATWG decoder for an encoding is not the Python codec webencodings names: the GBK decoder is
# the gb18030 decoder (Encoding Standard §10.1.1), so gb2312/gbk pages decode gb18030's wider repertoire.
_WHATWG_DECODER = {"gbk": "gb18030"}
# A declared charset whose decoding needs more replacement characters than this share of the text is not
# believed (the page lies); fewer, and they are what a browser shows (WHATWG decoders replace on error).
MAX_DECLARED_ERROR_FRACTION = 0.002
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
    """The Python codec that decodes what browsers decode under a charset label (the WHATWG Encoding
    Standard's label table, from `webencodings`); None for unknown labels and the "replacement" encoding."""
    if not label:
        return None
    encoding = webencodings.lookup(label.strip().strip("\"'"))
    if encoding is None or encoding.name == "replacement":
        return None
    name = _WHATWG_DECODER.get(encoding.name, encoding.codec_info.name)
    try:
        return codecs.lookup(name).name
    except LookupError:  # x-user-defined: webencodings' own codec, unknown to Python's registry
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


def _tolerant(body: bytes, codec: str) -> str | None:
    """The body decoded with replacement characters, when they stay under MAX_DECLARED_ERROR_FRACTION."""
    try:
        text = body.decode(codec, "replace")
    except LookupError:
        return None
    return text if replacement_fraction(text) <= MAX_DECLARED_ERROR_FRACTION else None


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
    for codec, source in declared:  # a few bad bytes in a page that is what it says it is
        text = _tolerant(body, codec)
        if text is not None:
            return Decoded(text, codec, source)
    codec = _detect(body, detect_bytes)
    if codec is not None:
        return Decoded(body.decode(codec, "replace"), codec, "detected")
    return Decoded(body.decode("utf-8", "replace"), "utf-8", "fallback")


def replacement_fraction(text: str) -> float:
    """The share of U+FFFD replacement characters: how much of a page could not be decoded."""
    return text.count("\ufffd") / len(text) if text else 0.0
