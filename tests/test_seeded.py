"""The seeded family keeps the draws outputs were made with (pipeline/seeded.py says why each digest stays)."""
from __future__ import annotations

import hashlib
import random

import xxhash

from pipeline.seeded import seeded_hash, seeded_random, seeded_rank, shard_of

IDS = ["a", "src/main.py", "https://example.com/x?y=1", "Bücher", ""]


def test_members_draw_what_the_outputs_were_made_with():
    # The formulas each caller had before the family was one module (mixing/seeded, recall_selection,
    # repos/samples, sinks).
    for i in IDS:
        assert seeded_hash("fim", 7, i) == xxhash.xxh64_intdigest(f"fim\x007\x00{i}".encode())
        assert seeded_rank(7, "budget", i) == int.from_bytes(
            hashlib.sha1(f"7\x00budget\x00{i}".encode()).digest()[:8], "big") / 2**64
        expected = random.Random(int.from_bytes(hashlib.sha256(f"7\x00o/r\x00{i}".encode()).digest()[:8], "big"))
        assert seeded_random(7, "o/r", i).random() == expected.random()
        assert shard_of(i, 13) == int.from_bytes(hashlib.sha1(i.encode()).digest()[:8], "big") % 13


def test_lone_surrogates_draw_instead_of_raising():
    odd = "bad\udcff"
    raw = odd.encode("utf-8", "surrogatepass")  # kept as its code point's bytes, not replaced
    assert shard_of(odd, 4) == int.from_bytes(hashlib.sha1(raw).digest()[:8], "big") % 4
    assert seeded_rank(1, "s", odd) == int.from_bytes(hashlib.sha1(b"1\x00s\x00" + raw).digest()[:8], "big") / 2**64
    assert seeded_hash(odd) == xxhash.xxh64_intdigest(raw)
