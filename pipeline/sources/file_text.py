"""Source file bytes to text, or the reason they are not text.

Decoding order: a UTF-8/UTF-16/UTF-32 byte-order mark picks its codec; otherwise a NUL byte in the first
8 KiB or a known binary magic number means binary (git's own heuristic); otherwise strict UTF-8. Anything
else is `undecodable`: guessing legacy codepages would put mojibake into the corpus.
"""
from __future__ import annotations

import codecs

# git treats a file as binary when its first 8000 bytes hold a NUL; we look at the same window.
BINARY_SNIFF_BYTES = 8000

# File signatures that are never the start of source text (each holds a byte no text file starts with,
# or a header no source file plausibly begins with).
BINARY_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",  # zip, jar, docx, wheel
    b"\x7fELF",
    b"\x1f\x8b",  # gzip
    b"\xca\xfe\xba\xbe",  # Java class, Mach-O fat
    b"\xcf\xfa\xed\xfe",  # Mach-O 64
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x00asm",  # WebAssembly
    b"SQLite format 3\x00",
)

# Byte-order marks, longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
BOM_CODECS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

UTF8 = "utf-8"


def is_binary(data: bytes, *, sniff_bytes: int = BINARY_SNIFF_BYTES) -> bool:
    """True when `data` starts with a binary signature or holds a NUL byte in its first `sniff_bytes`."""
    return data.startswith(BINARY_MAGIC) or b"\x00" in data[:sniff_bytes]


def decode_source(data: bytes) -> tuple[str, str] | tuple[None, str]:
    """`(text, encoding)` for a text file, else `(None, reason)` with reason `empty_file`, `binary` or
    `undecodable`. The encoding is "utf-8" unless a byte-order mark chose another; the mark is removed."""
    if not data:
        return None, "empty_file"
    for bom, codec in BOM_CODECS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                return None, "undecodable"
            # A NUL after decoding means UTF-16 framing around binary data.
            return (None, "binary") if "\x00" in text else (text, codec)
    if is_binary(data):
        return None, "binary"
    try:
        return data.decode(UTF8), UTF8
    except UnicodeDecodeError:
        return None, "undecodable"


def printable(name: str) -> str:
    """`name` with lone surrogates (undecodable file-name bytes) shown as `\\udcXX`, safe to write out."""
    return name if is_clean(name) else name.encode("utf-8", "backslashreplace").decode("utf-8")


def is_clean(name: str) -> bool:
    """True when `name` is valid Unicode text (no lone surrogates from undecodable file-name bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
