"""LSH banding of MinHash signatures: the bands x rows choice and the bucket key of each band.

Two documents with Jaccard similarity s share the bucket of one band (r rows) with probability s**r, so they
become candidates with probability P(s) = 1 - (1 - s**r)**b over b bands. (b, r) is the pair with b*r <=
num_perm minimising fp_weight * (integral of P over [0, t]) + fn_weight * (integral of 1 - P over [t, 1]):
datasketch's `_optimal_param`, reused as is (for t=0.7, 256 permutations, equal weights: 25 x 10, BigCode's).
"""
from __future__ import annotations

import functools

import numpy as np
import xxhash
from datasketch.lsh import _optimal_param

DEFAULT_THRESHOLD = 0.7
DEFAULT_WEIGHTS = (0.5, 0.5)


@functools.lru_cache(maxsize=64)
def bands_rows(
    threshold: float = DEFAULT_THRESHOLD,
    num_perm: int = 256,
    false_positive_weight: float = DEFAULT_WEIGHTS[0],
    false_negative_weight: float = DEFAULT_WEIGHTS[1],
) -> tuple[int, int]:
    """(bands, rows) minimising the weighted false positive and negative probability mass (datasketch)."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    bands, rows = _optimal_param(threshold, num_perm, false_positive_weight, false_negative_weight)
    return int(bands), int(rows)


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
