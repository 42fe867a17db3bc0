"""The compiled MinHash kernel (dedup/_minhash.c) equals the numpy reference, and its absence is said, not hidden.

`MinHasher.sign` / `sign_keeping_hashes` run the kernel; `MinHasher.sign_numpy` is the reference they must
equal value for value, signatures and shingle hashes (tests/test_minhash.py ties both to datasketch's).
"""
from __future__ import annotations

import logging
import random
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import minhash
from dedup.minhash import EMPTY_VALUE, MinHasher


def test_the_kernel_is_built_by_the_install():
    # setup.py builds it with `pip install` / `make install`; without a C compiler the install still works.
    assert minhash.kernel_available(), "dedup._minhash is not built: run `make install` (needs gcc)"


def _assert_equal_paths(hasher: MinHasher, texts: list[str]) -> None:
    sig, sizes = hasher.sign(texts)
    kept_sig, kept_sizes, hashes = hasher.sign_keeping_hashes(texts)
    ref_sig, ref_sizes, ref_hashes = hasher.sign_numpy(texts)
    assert sig.dtype == np.uint32 and sig.shape == (len(texts), hasher.num_perm)
    assert sizes.tolist() == ref_sizes.tolist() == kept_sizes.tolist()
    for i in range(len(texts)):  # the first differing text, not a wall of numbers
        assert np.array_equal(sig[i], ref_sig[i]), (i, texts[i][:200])
    assert np.array_equal(kept_sig, sig)
    assert hashes.dtype == np.uint32 and np.array_equal(hashes, ref_hashes)


def _random_text(rng: random.Random) -> str:
    alphabet = ["a", "Z", "_", "0", "9", " ", "\n", "\t", ".", "(", "é", "ß", "中", "😀", "\x00", "\ud800", "-"]
    words = ["def", "x", "return", "self", "é", "a" * rng.randint(200, 1200), "q1_2"]
    parts = [rng.choice(alphabet) if rng.random() < 0.5 else rng.choice(words) for _ in range(rng.randrange(60))]
    return "".join(parts) if rng.random() < 0.5 else " ".join(parts)


@pytest.mark.parametrize("num_perm,seed,ngram", [(256, 1234, 5), (1, 3, 1), (33, 7, 3), (100, 11, 16), (64, 5, 2)])
def test_kernel_equals_numpy_on_random_documents(num_perm, seed, ngram):
    """Random Unicode (lone surrogates, NUL, astral characters, tokens longer than any table), short,
    empty and separator-only documents; permutation counts that are and are not multiples of a block."""
    rng = random.Random(seed)
    texts = ["", " ", ";;\n", "one", "a b", "x y z w", "é", "\ud800x"] + [_random_text(rng) for _ in range(300)]
    rng.shuffle(texts)
    _assert_equal_paths(MinHasher(num_perm=num_perm, seed=seed, ngram=ngram), texts)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=()), max_size=80), max_size=6),
       st.integers(1, 16))
def test_kernel_equals_numpy_on_any_text(texts, ngram):
    _assert_equal_paths(MinHasher(num_perm=33, seed=ngram, ngram=ngram), texts)


def test_kernel_equals_numpy_on_real_code_files():
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))[:400]
    texts = [f.read_text(encoding="utf-8", errors="surrogateescape") for f in files]
    assert len(texts) >= 100
    _assert_equal_paths(MinHasher(num_perm=256, seed=42, ngram=5), texts)


def test_kernel_on_empty_batches_empty_documents_and_a_huge_document():
    hasher = MinHasher(num_perm=128, seed=1, ngram=5)
    sig, sizes = hasher.sign([])
    assert sig.shape == (0, 128) and sizes.shape == (0,)
    sig, sizes = hasher.sign(["", " \n;; ", "\x00"])
    assert (sig == EMPTY_VALUE).all() and sizes.tolist() == [0, 0, 0]
    assert hasher.sign_keeping_hashes(["", "\x00"])[2].size == 0
    # The most shingles per byte: one-byte tokens, one separator each (the room the kernel is given).
    _assert_equal_paths(hasher, ["a", "a b", "a b c d e f", "a " * 999 + "a", "ab" * 7])
    rng = random.Random(2)
    huge = " ".join(f"w{rng.randrange(5000)}" for _ in range(1_200_000))  # ~7 MB, 1.2M shingles
    _assert_equal_paths(hasher, [huge, "small one here now", huge[: len(huge) // 3]])


def test_kernel_rejects_what_it_cannot_sign():
    with pytest.raises(TypeError, match="docs\\[1\\]"):
        minhash._kernel.signatures([b"a", "b"], minhash._WORD_TABLE, 1, np.ones(1, np.uint64),
                                   np.ones(4, np.uint32), np.ones(4, np.uint32), np.empty((2, 4), np.uint32),
                                   np.empty(2, np.int64))
    with pytest.raises(ValueError, match="hashes: room for 2"):
        minhash._kernel.signatures([b"a b"], minhash._WORD_TABLE, 1, np.ones(1, np.uint64),
                                   np.ones(4, np.uint32), np.ones(4, np.uint32), np.empty((1, 4), np.uint32),
                                   np.empty(1, np.int64), np.empty(1, np.uint32))
    with pytest.raises(ValueError, match="out"):
        minhash._kernel.signatures([b"a"], minhash._WORD_TABLE, 1, np.ones(1, np.uint64),
                                   np.ones(4, np.uint32), np.ones(4, np.uint32), np.empty((1, 3), np.uint32),
                                   np.empty(1, np.int64))


def test_without_the_kernel_numpy_signs_and_the_log_says_so_once(monkeypatch, caplog):
    texts = ["import os\nprint(os.name)", "", "a b c d e f g"]
    expected = MinHasher(num_perm=64, seed=3, ngram=5).sign(texts)
    monkeypatch.setattr(minhash, "_kernel", None)
    monkeypatch.setattr(minhash, "_KERNEL_MISSING", "ImportError: test")
    minhash._warn_kernel_missing.cache_clear()
    with caplog.at_level(logging.WARNING, logger="dedup.minhash"):
        first, second = MinHasher(num_perm=64, seed=3, ngram=5), MinHasher(num_perm=64, seed=3, ngram=5)
    assert [r.getMessage() for r in caplog.records if "compiled MinHash kernel" in r.getMessage()] and len(
        caplog.records) == 1
    assert "ImportError: test" in caplog.records[0].getMessage()
    for hasher in (first, second):
        sig, sizes = hasher.sign(texts)
        assert np.array_equal(sig, expected[0]) and np.array_equal(sizes, expected[1])
        assert np.array_equal(hasher.sign_keeping_hashes(texts)[0], expected[0])
