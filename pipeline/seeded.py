"""Every seeded choice of a run: a hash of (purpose, seed, id, ...), never Python's per-process `hash()`,
a shared generator or arrival order, so a choice depends only on the run's seed and the record.

One family, one encoding: the parts are strings joined by NUL and encoded as UTF-8 with lone surrogates
kept (`surrogatepass`), and the first 8 bytes of the digest, big-endian, are the draw. The digest differs by
member because outputs already depend on it: a member changed to another digest changes which pages the
recall keeps, the order of repository samples and every shard of every table (the golden run, and runs a
user resumes or compares across versions). A new seeded choice uses `seeded_hash` with a purpose of its own.

| member        | digest | draws for                                                                   |
|---------------|--------|-----------------------------------------------------------------------------|
| seeded_hash   | xxh64  | the mix: which copy, shuffle order, FIM or not (mixing/plan.py, fim.py)     |
| seeded_rank   | sha1   | the recall: validation split, tokenizer sample, budget, seed/negative picks |
| seeded_random | sha256 | a repository sample's random file order (repos/samples.py)                  |
| shard_of      | sha1   | the shard of a record id (no seed: the same id lands in the same shard)     |
"""
from __future__ import annotations

import hashlib
import random

import xxhash


def _material(*parts: object) -> bytes:
    return "\x00".join(str(p) for p in parts).encode("utf-8", "surrogatepass")


def _draw(digest: bytes) -> int:
    return int.from_bytes(digest[:8], "big")


def seeded_hash(*parts: object) -> int:
    """A 64-bit draw fixed by the parts (xxh64)."""
    return xxhash.xxh64_intdigest(_material(*parts))


def seeded_rank(seed: int, salt: str, record_id: str) -> float:
    """A uniform number in [0, 1) fixed by (seed, salt, id): sampling by it is random yet repeatable."""
    return _draw(hashlib.sha1(_material(seed, salt, record_id)).digest()) / 2**64


def seeded_random(*parts: object) -> random.Random:
    """A generator private to the parts (e.g. seed, repository, part), for shuffles of several items."""
    return random.Random(_draw(hashlib.sha256(_material(*parts)).digest()))


def shard_of(record_id: str, num_shards: int) -> int:
    """The shard of a record: by its id alone, so a table's shards do not depend on the seed or on arrival."""
    return _draw(hashlib.sha1(_material(record_id)).digest()) % num_shards
