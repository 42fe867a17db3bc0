"""Shingling, MinHash (equal to datasketch's for the same permutations and hash function) and LSH banding."""
from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash

from dedup.lsh import band_keys, bands_rows, candidate_probability
from dedup.minhash import EMPTY_VALUE, MinHasher, jaccard
from dedup.shingles import ShingleHasher, shingle_hash, shingles, token_hash, tokens

CODE = '''import numpy as np

def area(radius: float) -> float:
    """Área of a circle — unicode in a docstring."""
    return np.pi * radius ** 2  # π r²

class Shape:
    def __init__(self, name):
        self.name = name
'''


def _random_code(rng: random.Random, n_lines: int) -> str:
    words = ["def", "return", "self", "x", "y_1", "for", "in", "range", "if", "else", "None", "ñandú", "é"]
    long_token = "a" * rng.randint(300, 700)  # longer than the initial power table
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 8))) + rng.choice([":", "(", ")", ""])
             for _ in range(n_lines)]
    lines.insert(rng.randrange(len(lines) + 1), long_token)
    return "\n".join(lines)


def test_tokens_split_on_non_word_characters_and_skip_empty_tokens():
    assert tokens("a.b  c__d(e1)ñx") == [b"a", b"b", b"c__d", b"e1", b"x"]
    assert tokens(" ;; ") == []


def test_vectorised_token_and_shingle_hashes_equal_the_reference():
    hasher = ShingleHasher(ngram=5)
    data = CODE.encode("utf-8")
    assert hasher.token_hashes(data).tolist() == [token_hash(t) for t in tokens(CODE)]
    assert hasher.hashes(CODE).tolist() == [shingle_hash(s) for s in shingles(CODE, 5)]


def test_short_documents_have_one_shingle_and_empty_ones_none():
    hasher = ShingleHasher(ngram=5)
    assert shingles("a b c", 5) == [(b"a", b"b", b"c")]
    assert hasher.hashes("a b c").tolist() == [shingle_hash([b"a", b"b", b"c"])]
    assert hasher.hashes("  ;;; ").size == 0
    assert (MinHasher(num_perm=16, seed=1, ngram=5).signature("  ;;; ") == EMPTY_VALUE).all()


@pytest.mark.parametrize("num_perm,seed,ngram", [(256, 1234, 5), (128, 1, 3), (64, 7, 1)])
def test_signature_equals_datasketch_minhash_for_same_permutations_and_hash(num_perm, seed, ngram):
    rng = random.Random(seed)
    hasher = MinHasher(num_perm=num_perm, seed=seed, ngram=ngram)
    for text in [CODE, "one two", *(_random_code(rng, rng.randint(1, 80)) for _ in range(8))]:
        expected = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda s: shingle_hash(s.split(b" ")))
        expected.update_batch([b" ".join(s) for s in shingles(text, ngram)])
        assert np.array_equal(hasher.signature(text), expected.hashvalues)


def test_signature_estimates_jaccard():
    rng = random.Random(3)
    words = [f"w{i}" for i in range(4000)]
    a = [rng.choice(words) for _ in range(2000)]
    b = list(a)
    for i in rng.sample(range(len(b)), 60):
        b[i] = "changed"
    hasher = MinHasher(num_perm=256, seed=5, ngram=5)
    sa, sb = hasher.shingler.hash_set(" ".join(a)), hasher.shingler.hash_set(" ".join(b))
    true = jaccard(sa, sb)
    estimate = float(np.mean(hasher.from_hashes(sa) == hasher.from_hashes(sb)))
    assert 0.6 < true < 0.9 and abs(estimate - true) < 0.08


def test_jaccard_of_sets():
    a, b = np.array([1, 2, 3], np.uint32), np.array([2, 3, 4, 5], np.uint32)
    assert jaccard(a, b) == pytest.approx(2 / 5)
    assert jaccard(np.array([], np.uint32), np.array([], np.uint32)) == 1.0


def test_bands_rows_follow_bigcode_and_datasketch():
    assert bands_rows(0.7, 256, 0.5, 0.5) == (25, 10)
    bands, rows = bands_rows(0.85, 256, 0.5, 0.5)
    assert bands * rows <= 256
    assert candidate_probability(0.9, 25, 10) > 0.99
    assert candidate_probability(0.3, 25, 10) < 0.01
    with pytest.raises(ValueError):
        bands_rows(1.0, 256, 0.5, 0.5)


@pytest.mark.parametrize("num_perm", [16, 128, 256])
def test_bands_rows_equal_datasketch_optimal_param(num_perm):
    from datasketch.lsh import _optimal_param

    for threshold in np.arange(0.1, 0.91, 0.1):
        for weights in ((0.5, 0.5), (0.3, 0.7), (0.9, 0.1)):
            expected = _optimal_param(float(threshold), num_perm, *weights)
            assert bands_rows(float(threshold), num_perm, *weights) == tuple(expected), (threshold, weights)


def test_pipeline_import_loads_neither_datasketch_nor_scipy():
    # Every run and every worker pays its imports: datasketch pulls scipy (~0.6 CPU-s) for nothing it needs.
    code = "import sys, pipeline.build, pipeline.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'datasketch'" not in loaded and "'scipy'" not in loaded


def test_band_keys_match_only_equal_bands():
    sig = np.arange(256, dtype=np.uint32)
    other = sig.copy()
    other[15] += 1  # in band 1 of 25 x 10
    keys, other_keys = band_keys(sig, 25, 10), band_keys(other, 25, 10)
    assert len(keys) == 25 and len(set(keys)) == 25
    assert [a == b for a, b in zip(keys, other_keys)] == [i != 1 for i in range(25)]


def test_batched_signatures_equal_one_document_at_a_time():
    """Many documents per numpy call (small, large, empty, shorter than a shingle, non-ASCII, more hashes
    than one chunk) give each document's own signature, row for row."""
    rng = random.Random(5)
    texts = ["", " ,; ", "one", "two words", "é ü ß", "a\nb\nc", CODE, CODE * 40]
    texts += [" ".join(f"w{rng.randrange(500)}" for _ in range(rng.randrange(0, 900))) for _ in range(60)]
    rng.shuffle(texts)
    hasher = MinHasher(num_perm=32, seed=9, ngram=5)
    batched = hasher.signatures(texts)
    assert np.array_equal(batched, np.stack([hasher.signature(t) for t in texts]))
    flat, sizes = hasher.shingler.hashes_many(texts)
    assert np.array_equal(flat, np.concatenate([hasher.shingler.hashes(t) for t in texts]))
    assert sizes.tolist() == [hasher.shingler.hashes(t).size for t in texts]
