"""The mix's seeded draws: a stable 64-bit hash of (purpose, seed, id, ...), so every choice (which copy, the
shuffle order, FIM or not) depends only on the seed and the document, never on Python's per-process `hash()`
or on arrival order."""
from __future__ import annotations

import xxhash


def seeded_hash(*parts: object) -> int:
    """xxh64 of the parts' strings joined by NUL (UTF-8, lone surrogates kept)."""
    return xxhash.xxh64_intdigest("\x00".join(str(p) for p in parts).encode("utf-8", "surrogatepass"))
