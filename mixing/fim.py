"""Fill-in-the-middle for code documents (SPEC §4; DeepSeek-Coder §3.1): PSM mode, per document.

A document chosen with probability `rate` (seeded by the run seed and its id, so the choice and the cut
points are the same on every run and worker) is cut at two uniformly random character positions into
prefix, middle and suffix and rewritten as `<｜fim▁begin｜>prefix<｜fim▁hole｜>suffix<｜fim▁end｜>middle<|eos|>`.
The bars are U+FF5C (fullwidth vertical line), the spaces in the names U+2581 (lower one eighth block).
"""
from __future__ import annotations

import random

import xxhash

FIM_BEGIN = "<\uff5cfim\u2581begin\uff5c>"
FIM_HOLE = "<\uff5cfim\u2581hole\uff5c>"
FIM_END = "<\uff5cfim\u2581end\uff5c>"
FIM_RATE = 0.5  # SPEC §4
EOS_TOKEN = "<|eos|>"  # SPEC §4 writes <|eos|>; a stack with DeepSeek's tokenizer sets <｜end▁of▁sentence｜>


def fim_rng(doc_id: str, seed: int) -> random.Random:
    """A generator private to this document: its draws depend only on (seed, id)."""
    return random.Random(xxhash.xxh64_intdigest(f"fim\x00{seed}\x00{doc_id}".encode("utf-8", "surrogatepass")))


def psm(prefix: str, middle: str, suffix: str, *, eos_token: str = EOS_TOKEN) -> str:
    """The PSM layout: the model sees prefix and suffix, then learns to write the middle."""
    return f"{FIM_BEGIN}{prefix}{FIM_HOLE}{suffix}{FIM_END}{middle}{eos_token}"


def to_fim(text: str, doc_id: str, *, seed: int, rate: float = FIM_RATE, eos_token: str = EOS_TOKEN) -> str | None:
    """The document in PSM form, or None when it is not chosen (or is empty) and stays as it is."""
    rng = fim_rng(doc_id, seed)
    if not text or rng.random() >= rate:
        return None
    a, b = sorted((rng.randint(0, len(text)), rng.randint(0, len(text))))
    return psm(text[:a], text[a:b], text[b:], eos_token=eos_token)
