"""Synthetic code-like documents and planted near-duplicates at a chosen Jaccard similarity.

Documents are lines of identifiers, keywords and punctuation drawn from a Zipf-weighted vocabulary, so
unrelated documents share common words but almost no 5-word shingle (like real code). A variant at target
similarity J replaces the first k tokens of a fixed random order of positions; k is found by bisection on
the exact Jaccard of the two shingle sets (the pipeline's own shingles, `dedup.shingles`).
"""
from __future__ import annotations

import random

import numpy as np

from dedup.minhash import jaccard
from dedup.shingles import ShingleHasher

_KEYWORDS = ["def", "return", "if", "else", "for", "in", "while", "class", "self", "None", "import", "from",
             "try", "except", "with", "as", "lambda", "yield", "True", "False", "int", "str", "len", "range"]
_PUNCT = ["(", ")", ":", ",", ".", "=", "+", "[", "]", "==", "->", "{", "}"]
_SYLLABLES = ["get", "set", "user", "buf", "size", "count", "data", "node", "tree", "parse", "load", "item",
              "path", "file", "name", "key", "value", "index", "cache", "error", "read", "write", "token", "list",
              "map", "next", "prev", "head", "tail", "max", "min", "sum", "total", "config", "state", "event"]


class CodeLikeText:
    """A generator of code-like documents over one vocabulary (deterministic for a seed)."""

    def __init__(self, seed: int = 0, vocabulary: int = 30_000):
        rng = random.Random(seed)
        names = {"_".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))) + str(rng.randint(0, 99))
                 for _ in range(vocabulary * 2)}
        self.words = np.array(_KEYWORDS + sorted(names)[:vocabulary], dtype=object)
        weights = 1.0 / np.arange(1, len(self.words) + 1) ** 1.05  # Zipf-like, as identifiers in code are
        self.cdf = np.cumsum(weights / weights.sum())

    def tokens(self, rng: np.random.Generator, n: int) -> list[str]:
        return list(self.words[np.searchsorted(self.cdf, rng.random(n))])

    def document(self, rng: np.random.Generator, chars: int = 5000) -> str:
        """About `chars` characters of indented lines of 3..12 tokens with punctuation."""
        lines, size = [], 0
        while size < chars:
            words = self.tokens(rng, int(rng.integers(3, 13)))
            line = "    " * int(rng.integers(0, 3)) + " ".join(
                w + (_PUNCT[int(rng.integers(len(_PUNCT)))] if rng.random() < 0.3 else "") for w in words
            )
            lines.append(line)
            size += len(line) + 1
        return "\n".join(lines)[:chars]

    def variant(
        self, rng: np.random.Generator, text: str, target: float, hasher: ShingleHasher, tolerance: float = 0.01
    ) -> tuple[str, float]:
        """A copy of `text` edited to Jaccard ~ `target` with it: (variant, its exact Jaccard)."""
        parts = text.split(" ")
        order = rng.permutation(len(parts))
        replacements = self.tokens(rng, len(parts))
        original = hasher.hash_set(text)

        def edited(k: int) -> str:
            out = list(parts)
            for pos, new in zip(order[:k], replacements[:k]):
                out[pos] = new
            return " ".join(out)

        lo, hi = 0, len(parts)
        best = (text, 1.0)
        while lo <= hi:
            k = (lo + hi) // 2
            candidate = edited(k)
            j = jaccard(original, hasher.hash_set(candidate))
            if abs(j - target) < abs(best[1] - target):
                best = (candidate, j)
            if abs(j - target) <= tolerance:
                break
            if j > target:
                lo = k + 1
            else:
                hi = k - 1
        return best
