"""Fill-in-the-middle for code documents (SPEC §4; DeepSeek-Coder §3.1): PSM mode, per document.

A document chosen with probability `rate` (seeded by the run seed and its id, so the choice and the cut
points are the same on every run and worker) is cut at two uniformly random character positions into
prefix, middle and suffix and rewritten as `<｜fim▁begin｜>prefix<｜fim▁hole｜>suffix<｜fim▁end｜>middle<end>`,
where <end> is the tokenizer's end token (DeepSeek-V2's `<｜end▁of▁sentence｜>` by default) and every sentinel
is the configured one (`mix.special_tokens`: the token ids inserted are those of the strings in the text).
The bars are U+FF5C (fullwidth vertical line), the spaces in the names U+2581 (lower one eighth block).

The piece lengths travel with the document (`fim_psm`, "prefix,suffix,middle" in code points), so the
tokenizer can encode the pieces as plain text and only the sentinels the mix inserted as special tokens.
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING

from pipeline.seeded import seeded_hash

if TYPE_CHECKING:
    from mixing.tokens import SpecialTokens

FIM_BEGIN = "<\uff5cfim\u2581begin\uff5c>"
FIM_HOLE = "<\uff5cfim\u2581hole\uff5c>"
FIM_END = "<\uff5cfim\u2581end\uff5c>"
FIM_RATE = 0.5  # SPEC §4


def fim_rng(doc_id: str, seed: int) -> random.Random:
    """A generator private to this document: its draws depend only on (seed, id)."""
    return random.Random(seeded_hash("fim", seed, doc_id))


def psm(prefix: str, middle: str, suffix: str, *, special: SpecialTokens) -> str:
    """The PSM layout: the model sees prefix and suffix, then learns to write the middle."""
    return f"{special.fim_begin}{prefix}{special.fim_hole}{suffix}{special.fim_end}{middle}{special.end}"


def to_fim(text: str, doc_id: str, *, seed: int, rate: float, special: SpecialTokens) -> tuple[str, str] | None:
    """(the document in PSM form, its `fim_psm` piece lengths), or None when it is not chosen (or is empty)."""
    rng = fim_rng(doc_id, seed)
    if not text or rng.random() >= rate:
        return None
    a, b = sorted((rng.randint(0, len(text)), rng.randint(0, len(text))))
    return psm(text[:a], text[a:b], text[b:], special=special), f"{a},{len(text) - b},{b - a}"


def split_psm(text: str, lengths: str, *, special: SpecialTokens) -> tuple[str, str, str]:
    """(prefix, suffix, middle) of a PSM document from its `fim_psm` lengths; fails if they do not fit."""
    p, s, m = (int(n) for n in lengths.split(","))
    at = len(special.fim_begin)
    prefix = text[at : at + p]
    at += p + len(special.fim_hole)
    suffix = text[at : at + s]
    at += s + len(special.fim_end)
    middle = text[at : at + m]
    if psm(prefix, middle, suffix, special=special) != text:
        raise ValueError(f"fim_psm lengths {lengths!r} do not describe this PSM document")
    return prefix, suffix, middle
