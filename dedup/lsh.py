"""LSH banding of MinHash signatures: the bands x rows choice and the bucket key of each band.

Two documents with Jaccard similarity s share the bucket of one band (r rows) with probability s**r, so they
become candidates with probability P(s) = 1 - (1 - s**r)**b over b bands. (b, r) is the pair with b*r <=
num_perm minimising fp_weight * (integral of P over [0, t]) + fn_weight * (integral of 1 - P over [t, 1]):
datasketch's `_optimal_param` criterion (for t=0.7, 256 permutations, equal weights: 25 x 10, BigCode's),
computed without importing datasketch (whose import pulls scipy: ~0.6 CPU-s on every run and every worker):
P is a polynomial of degree b*r <= num_perm, so Gauss-Legendre quadrature with num_perm/2 + 1 nodes integrates it
exactly, for all (b, r) at once; ties go to the first pair in datasketch's order (tests compare the two).
"""
from __future__ import annotations

import functools

import numpy as np
import xxhash


@functools.lru_cache(maxsize=64)
def bands_rows(
    threshold: float, num_perm: int, false_positive_weight: float, false_negative_weight: float
) -> tuple[int, int]:
    """(bands, rows) minimising the weighted false positive and negative probability mass (datasketch).
    The values come from config `dedup` (their one home, `pipeline.config.Dedup`): no defaults here."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]  # datasketch's order
    b, r = (np.array(column, dtype=np.float64)[:, None] for column in zip(*pairs))
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
    below, below_w = (nodes + 1) * threshold / 2, weights * threshold / 2  # [0, t]
    above, above_w = threshold + (nodes + 1) * (1 - threshold) / 2, weights * (1 - threshold) / 2  # [t, 1]
    false_positive = ((1 - (1 - below**r) ** b) * below_w).sum(axis=1)
    false_negative = (((1 - above**r) ** b) * above_w).sum(axis=1)
    error = false_positive * false_positive_weight + false_negative * false_negative_weight
    return pairs[int(np.argmin(error))]


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that two documents of Jaccard `similarity` share at least one band bucket."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[bytes]:
    """One bucket key per band: the band index (2 bytes) and a 128-bit hash of the band's values.

    128 bits make a collision of two different bands negligible at any corpus size, and keep the shuffled
    key small (18 bytes instead of 4 * rows).
    """
    values = np.ascontiguousarray(signature[: bands * rows], dtype="<u4").reshape(bands, rows)
    return [band.to_bytes(2, "big") + xxhash.xxh3_128_digest(values[band].tobytes()) for band in range(bands)]
