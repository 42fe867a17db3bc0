"""Word shingles of a document as 32-bit hashes, computed with numpy (no Python loop over tokens).

Tokens are the maximal runs of `[A-Za-z_0-9]` (BigCode's near-dedup splits on `[^A-Za-z_0-9]`; SPEC §1),
read from the UTF-8 bytes, so any non-ASCII character separates tokens exactly as it does on the str.
Empty tokens between adjacent separators are not tokens (BigCode's `re.split` keeps them; they carry no
content and only make shingles of whitespace).

The hash of a shingle (a tuple of up to `ngram` tokens) is defined by `shingle_hash`, a plain Python
function; `shingle_hashes` computes the same values for every shingle of a document with vectorised uint64
arithmetic. Because it is a function of the shingle alone, `datasketch.MinHash(hashfunc=...)` fed the
shingles gives the same signature as `dedup.minhash` fed these hashes (tests/test_minhash.py proves it).

A document with fewer than `ngram` tokens has one shingle, all its tokens; one with no token has none
(the caller decides what an empty set means: near-dedup leaves such documents to exact dedup).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

TOKEN_RE = re.compile(rb"[A-Za-z_0-9]+")

_MASK64 = (1 << 64) - 1
# Odd 64-bit constants: the byte-polynomial base and one multiplier per position in a shingle.
BYTE_BASE = 0x9E3779B97F4A7C15
_POSITION_MULTIPLIERS = (
    0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53,
    0x94D049BB133111EB, 0xBF58476D1CE4E5B9, 0x9FB21C651E98DF25, 0xA0761D6478BD642F, 0xE7037ED1A0B428DB,
    0x8EBC6AF09C88C6E3, 0x589965CC75374CC3, 0x1D8E4E27C47D124F, 0x2127599BF4325C37, 0x880355F21E6D1965,
    0xBEA225F9EB34556D,
)
MAX_NGRAM = len(_POSITION_MULTIPLIERS)

WORD_BYTE = np.zeros(256, dtype=np.int8)  # 1 for the bytes of [A-Za-z_0-9]
WORD_BYTE[np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789", np.uint8)] = 1
_U64 = np.uint64
MULTIPLIERS = np.array(_POSITION_MULTIPLIERS, dtype=np.uint64)
# Powers of the byte base for offsets inside a token; grown on demand (tokens are short, rarely 1000s).
_INITIAL_POWERS = 256


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def token_hash(token: bytes) -> int:
    """64-bit hash of one token: the polynomial sum(byte_j * BASE**j) mod 2**64, then MurmurHash3's fmix64."""
    h, power = 0, 1
    for byte in token:
        h = (h + byte * power) & _MASK64
        power = (power * BYTE_BASE) & _MASK64
    return _fmix64_int(h)


def shingle_hash(tokens: Sequence[bytes]) -> int:
    """32-bit hash of one shingle: high half of sum(token_hash(t_k) * M_k) mod 2**64 (M_k odd, per position)."""
    if not 0 < len(tokens) <= MAX_NGRAM:
        raise ValueError(f"a shingle has 1 to {MAX_NGRAM} tokens, got {len(tokens)}")
    s = 0
    for k, token in enumerate(tokens):
        s = (s + token_hash(token) * _POSITION_MULTIPLIERS[k]) & _MASK64
    return s >> 32


def tokens(text: str) -> list[bytes]:
    """The document's tokens, as UTF-8 bytes (the reference for `shingle_hashes`)."""
    return TOKEN_RE.findall(text.encode("utf-8", "surrogatepass"))


def shingles(text: str, ngram: int) -> list[tuple[bytes, ...]]:
    """Every `ngram`-token shingle in order (one shingle of all tokens when there are fewer; none if none)."""
    toks = tokens(text)
    if len(toks) < ngram:
        return [tuple(toks)] if toks else []
    return [tuple(toks[i : i + ngram]) for i in range(len(toks) - ngram + 1)]


class ShingleHasher:
    """Vectorised `shingle_hash` over a whole document; holds only a growing table of powers."""

    def __init__(self, ngram: int):
        if not 1 <= ngram <= MAX_NGRAM:
            raise ValueError(f"ngram must be 1..{MAX_NGRAM}, got {ngram}")
        self.ngram = ngram
        self._powers = self._power_table(_INITIAL_POWERS)

    @staticmethod
    def _power_table(n: int) -> np.ndarray:
        powers = np.empty(n, dtype=np.uint64)
        p = 1
        for i in range(n):
            powers[i] = p
            p = (p * BYTE_BASE) & _MASK64
        return powers

    def token_hashes(self, data: bytes) -> np.ndarray:
        """`token_hash` of every token in the UTF-8 bytes `data`, in order (uint64)."""
        return self._tokens(data)[0]

    def _tokens(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(token hashes, byte offset of each token's start)."""
        buf = np.frombuffer(data, dtype=np.uint8)
        padded = np.zeros(buf.size + 2, dtype=np.int8)  # a non-word byte on both sides
        np.take(WORD_BYTE, buf, out=padded[1:-1])
        bounds = np.flatnonzero(padded[1:] != padded[:-1])  # alternating token starts and ends
        if bounds.size == 0:
            return np.empty(0, dtype=np.uint64), bounds
        starts = bounds[0::2]
        lengths = bounds[1::2] - starts
        word_bytes = buf[padded[1:-1].view(bool)].astype(np.uint64)
        first = np.zeros(lengths.size, dtype=np.int64)  # index of each token's first byte in word_bytes
        np.cumsum(lengths[:-1], out=first[1:])
        offsets = np.arange(word_bytes.size, dtype=np.int64) - np.repeat(first, lengths)
        longest = int(lengths.max())
        if longest > self._powers.size:
            self._powers = self._power_table(max(longest, 2 * self._powers.size))
        raw = np.add.reduceat(word_bytes * self._powers[offsets], first)
        return _fmix64(raw), starts

    def hashes(self, text: str) -> np.ndarray:
        """`shingle_hash` of every shingle of the document in order, repeats included (uint32)."""
        toks = self.token_hashes(text.encode("utf-8", "surrogatepass"))
        n = min(self.ngram, toks.size)
        if n == 0:
            return np.empty(0, dtype=np.uint32)
        count = toks.size - n + 1
        acc = toks[:count] * MULTIPLIERS[0]
        for k in range(1, n):
            acc += toks[k : k + count] * MULTIPLIERS[k]
        return (acc >> _U64(32)).astype(np.uint32)

    def hashes_many(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """`hashes` of every text at once: (all shingle hashes concatenated, the count per text). The texts
        are joined by a non-word byte, so tokens never span two texts; shingles that would are left out."""
        datas = [t.encode("utf-8", "surrogatepass") for t in texts]
        toks, starts = self._tokens(b"\n".join(datas))
        sizes = np.zeros(len(texts), dtype=np.int64)
        if toks.size == 0:
            return np.empty(0, dtype=np.uint32), sizes
        # Which text each token is in: count the tokens of each text from its bytes' token starts.
        lengths = np.fromiter((len(d) for d in datas), dtype=np.int64, count=len(datas))
        ends = np.cumsum(lengths + 1) - 1  # offset of the separator after each text
        owner = np.searchsorted(ends, starts, side="right")
        per_text = np.bincount(owner, minlength=len(texts))
        n = self.ngram
        count = max(toks.size - n + 1, 0)
        acc = toks[:count] * MULTIPLIERS[0]
        for k in range(1, n):
            acc += toks[k : k + count] * MULTIPLIERS[k]
        full = (acc >> _U64(32)).astype(np.uint32)
        keep = owner[:count] == owner[n - 1 : n - 1 + count]  # all n tokens in one text
        parts, short = full[keep], np.flatnonzero((per_text > 0) & (per_text < n))
        sizes = np.maximum(per_text - n + 1, 0)
        if short.size:  # texts with fewer than n tokens: one shingle of all their tokens
            first = np.concatenate([[0], np.cumsum(per_text)[:-1]])
            extra = np.empty(short.size, dtype=np.uint32)
            for i, t in enumerate(short.tolist()):
                seg = toks[first[t] : first[t] + per_text[t]]
                extra[i] = np.uint32(int((seg * MULTIPLIERS[: seg.size]).sum()) >> 32)
            sizes[short] = 1
            # Put each short text's shingle at its place in text order.
            where = np.concatenate([[0], np.cumsum(sizes)[:-1]])[short]
            parts = np.insert(parts, where - np.arange(short.size), extra)
        return parts, sizes

    def hash_set(self, text: str) -> np.ndarray:
        """The set of the document's shingle hashes, sorted and unique (uint32)."""
        return np.unique(self.hashes(text))
