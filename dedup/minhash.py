"""MinHash signatures compatible with `datasketch.MinHash` (scheme "affine32", datasketch >= 2.0).

datasketch's affine32 scheme: pre-mix each 32-bit input hash with MurmurHash3's fmix32, then permutation k
maps h to a_k * h + b_k mod 2**32 (a_k odd); the signature is the per-permutation minimum. The permutations
are datasketch's own (drawn from `numpy.random.RandomState(seed)`), so for the same seed and the same input
hashes the signatures are equal, value for value. What differs is the hot path, in two implementations
that give equal signatures (tests/test_minhash_kernel.py):
- the fused kernel `dedup._minhash` (C, built by the package install: setup.py): tokens, shingle hashes,
  fmix32 and the permutations in one pass per document, the permutations in vector registers, nothing of
  size (shingles x permutations) stored; ~10x the numpy path, >= 25x datasketch's best API
  (docs/measurements.md);
- the numpy reference: `dedup.shingles.ShingleHasher` hashes (no Python call per shingle), then the
  permutations applied as uint32 matrix products over chunks of hashes. It runs when the kernel is missing
  (no C compiler at install), which is said once in the log.
"""
from __future__ import annotations

import functools
import logging

import numpy as np

from dedup.shingles import BYTE_BASE, MULTIPLIERS, WORD_BYTE, ShingleHasher

_KERNEL_MISSING = ""  # why the kernel did not load
try:
    from dedup import _minhash as _kernel
except ImportError as _error:  # the install could not compile it
    _kernel, _KERNEL_MISSING = None, f"{type(_error).__name__}: {_error}"

log = logging.getLogger(__name__)
_WORD_TABLE = WORD_BYTE.view(np.uint8).tobytes()

SCHEME = "affine32"
EMPTY_VALUE = np.uint32(0xFFFFFFFF)  # datasketch's value for a permutation that saw no input
# Rows of the (hashes x permutations) work matrix per step: keeps it in cache for long documents.
_CHUNK_ROWS = 2048

_U32 = np.uint32


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a, b) for `num_perm` and `seed` (uint32 arrays)."""
    # datasketch's draws, made here so that importing datasketch (and scipy with it) is not a cost of every run.
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (a bijection), elementwise; uint32 in, uint32 out."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


class MinHasher:
    """Signatures of documents: `ngram`-word shingles, `num_perm` permutations drawn from `seed`."""

    def __init__(self, *, num_perm: int, seed: int, ngram: int):  # config `dedup` and `seed`: no defaults here
        self.num_perm, self.seed, self.ngram = num_perm, seed, ngram
        self.a, self.b = permutations(num_perm, seed)
        self.shingler = ShingleHasher(ngram)
        self._multipliers = MULTIPLIERS[:ngram].copy()
        if _kernel is None:
            _warn_kernel_missing()

    @functools.cached_property
    def _work(self) -> np.ndarray:
        """Permutations x hashes scratch of the numpy path (2 MB at 256 permutations): unmade when the kernel signs."""
        return np.empty((self.num_perm, _CHUNK_ROWS), dtype=np.uint32)

    def from_hashes(self, hashes: np.ndarray) -> np.ndarray:
        """The signature (uint32[num_perm]) of a set given as 32-bit hash values; all EMPTY_VALUE if empty."""
        return self.signatures_of_sets([hashes])[0]

    def signature(self, text: str) -> np.ndarray:
        """The signature of `text`'s shingle set; a text without tokens gives all EMPTY_VALUE."""
        return self.sign([text])[0][0]

    def signatures_of_sets(self, sets: list[np.ndarray]) -> np.ndarray:
        """Signatures (uint32[len(sets), num_perm]) of many hash sets (repeats allowed); see
        `signatures_of_hashes`."""
        sizes = np.fromiter((len(h) for h in sets), dtype=np.int64, count=len(sets))
        flat = np.concatenate([np.asarray(h, dtype=np.uint32) for h in sets]) if sets else np.zeros(0, np.uint32)
        return self.signatures_of_hashes(flat, sizes)

    def signatures_of_hashes(self, flat: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """Signatures (uint32[len(sizes), num_perm]) of consecutive runs of `flat` (`sizes[i]` hashes for set
        i), with a few numpy calls per chunk of hashes whatever the sets' sizes: small files cost no numpy
        overhead of their own. Equal to `from_hashes` of each run (an empty one gives all EMPTY_VALUE)."""
        out = np.full((len(sizes), self.num_perm), EMPTY_VALUE, dtype=np.uint32)
        if not flat.size:
            return out
        docs = np.flatnonzero(sizes)
        mixed = fmix32(np.asarray(flat, dtype=np.uint32))
        starts = np.concatenate([[0], np.cumsum(sizes[docs])[:-1]])
        for lo in range(0, mixed.size, _CHUNK_ROWS):
            hi = min(lo + _CHUNK_ROWS, mixed.size)
            work = self._work[:, : hi - lo]
            np.multiply(self.a[:, None], mixed[None, lo:hi], out=work)  # uint32 wraparound is the mod 2**32
            work += self.b[:, None]
            # Segments of this chunk: documents starting inside it, plus the one running into it. The
            # reduction runs along the contiguous axis (numpy's reduceat across rows is ~18x slower).
            first = int(np.searchsorted(starts, lo, side="right")) - 1
            last = int(np.searchsorted(starts, hi, side="left"))
            local = np.maximum(starts[first:last] - lo, 0)
            rows = docs[first:last]
            out[rows] = np.minimum(out[rows], np.minimum.reduceat(work, local, axis=1).T)
        return out

    def signatures(self, texts: list[str]) -> np.ndarray:
        """`signature` of every text (uint32[len(texts), num_perm]), signed in one batch."""
        return self.sign(texts)[0]

    def sign(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(signatures, number of shingles of each text, int64): the fused kernel's, or when it is missing the
        numpy reference's (`sign_numpy`), which are equal."""
        if _kernel is None:
            return self.sign_numpy(texts)[:2]
        return self._sign_kernel(texts, keep_hashes=False)[:2]

    def sign_keeping_hashes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`sign`, plus every text's shingle hashes in order (uint32, `sizes[i]` for text i, repeats kept), as
        `ShingleHasher.hashes_many` gives them: what exact-Jaccard verification needs, from the same pass."""
        if _kernel is None:
            return self.sign_numpy(texts)
        return self._sign_kernel(texts, keep_hashes=True)

    def _sign_kernel(self, texts: list[str], keep_hashes: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        out = np.empty((len(texts), self.num_perm), dtype=np.uint32)
        sizes = np.empty(len(texts), dtype=np.int64)
        data = [t.encode("utf-8", "surrogatepass") for t in texts]
        # Room for a shingle per token at most; np.empty leaves the unused part untouched (not paged in).
        hashes = np.empty(sum(len(d) // 2 + 1 for d in data), dtype=np.uint32) if keep_hashes else None
        _kernel.signatures(data, _WORD_TABLE, BYTE_BASE, self._multipliers, self.a, self.b, out, sizes, hashes)
        return out, sizes, hashes[: int(sizes.sum())] if keep_hashes else np.empty(0, dtype=np.uint32)

    def sign_numpy(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`sign_keeping_hashes` with numpy only, shingled and signed in one batch (repeated shingles are not
        removed: the minimum is the same, and a row costs less than sorting it away)."""
        flat, sizes = self.shingler.hashes_many(texts)
        return self.signatures_of_hashes(flat, sizes), sizes, flat


def kernel_available() -> bool:
    """Whether the compiled kernel signs (else the numpy reference does, ~10x slower)."""
    return _kernel is not None


@functools.cache  # once per process
def _warn_kernel_missing() -> None:
    log.warning(
        "dedup._minhash, the compiled MinHash kernel, is not installed (%s): MinHash runs on numpy, equal "
        "signatures ~10x slower; reinstall codecorpus where a C compiler is present", _KERNEL_MISSING
    )


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted unique hash arrays (two empty sets are identical: 1.0)."""
    if a.size == 0 and b.size == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)
