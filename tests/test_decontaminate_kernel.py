"""The compiled decontamination kernel (filters/_decontaminate.c) decides as the numpy path does, and its absence
is said, not hidden.

The numpy path (`document_tokens`, and `find` with the kernel switched off) is the reference: equal token
hashes on random Unicode (combining marks, compositions, soft hyphens, look-alikes, CJK, emoji, astral and
lone-surrogate code points, long documents cut in pieces) and the same first match (benchmark, label, gram,
exact flag) on random and planted documents. tests/test_decontaminate_match.py ties both to a reference that
compares token strings.
"""
from __future__ import annotations

import logging
import random
import re
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from benchmark_files import write_benchmarks
from test_decontaminate import load
from test_decontaminate_match import ReferenceIndex, as_tuple, random_documents

from filters import decontaminate
from filters.decontaminate import BenchmarkString, ContaminationIndex, document_hashes, document_tokens

# What makes the match form differ from the text: NFKC (ligatures, full width, NBSP, math letters, Kelvin,
# compositions `e` + U+0301, `<` + U+0338, Hangul jamo, Bengali and Tibetan vowel signs), case folding (ß, İ,
# final sigma), ignorables, marks out of canonical order, look-alikes, and code points the kernel does not
# cache (beyond U+2FFFF: tags, private use) or cannot fold alone (lone surrogates).
SPECIAL = [
    "\u0301", "\u0308", "\u0338", "\u0323", "\u0345", "\u00ad", "\u200b", "\u200d", "\ufe0f", "\u00a0", "\u2026",
    "ﬁ", "Ｆ", "ß", "İ", "ς", "Σ", "K", "æ", "а", "о", "Р", "中", "文", "한", "\u1100", "\u1161", "\u11a8", "\u09c7",
    "\u09be", "\u0f71", "\u0f72", "\u0f73", "\u0b47", "\u0b3e", "\u1b05", "\u1b35", "\u3099", "か", "😀", "\U0001d400",
    "\U0001d7d9", "\U000e0041", "\U000f0000", "\ud800", "\udfff", "²", "½", "\u2163", "\u0130", "\u1e9e", "\uff3f",
]
ASCII = list("aAbZ_09 \n\t.<=>(-")


def random_text(rng: random.Random, length: int) -> str:
    pools = [ASCII, SPECIAL, ASCII + SPECIAL, [chr(rng.randrange(0x80, 0x3000)) for _ in range(8)]]
    pool = rng.choice(pools)
    return "".join(rng.choice(pool) for _ in range(length))


def test_the_kernel_is_built_by_the_install():
    # setup.py builds it with `pip install` / `make install`; without a C compiler the install still works.
    assert decontaminate.kernel_available(), "filters._decontaminate is not built: run `make install` (needs gcc)"


def _assert_same_hashes(text: str) -> None:
    expected = document_tokens(text)[3]
    got = document_hashes(text)
    assert got.dtype == np.uint64 and np.array_equal(got, expected), repr(text[:300])


def test_kernel_hashes_equal_numpy_on_random_unicode():
    rng = random.Random(7)
    for _ in range(3000):
        _assert_same_hashes(random_text(rng, rng.randrange(0, 80)))
    for cp in list(range(0x80, 0x3000)) + list(range(0xFB00, 0xFFFF)) + [0x1D400, 0x1F600, 0xE0041, 0x10FFFF]:
        _assert_same_hashes(f"a{chr(cp)}b {chr(cp)}x\u0301 <{chr(cp)}")  # every BMP character, alone and next to text


def test_kernel_hashes_equal_numpy_on_long_documents_across_pieces():
    """Documents over 256K characters, which the numpy path folds in pieces cut after newlines."""
    rng = random.Random(8)
    lines = ["".join(rng.choice(ASCII + SPECIAL) for _ in range(rng.randrange(0, 120))) for _ in range(400)]
    for size in (300_000, 700_000):
        text = "\n".join(rng.choice(lines) for _ in range(size // 60))
        assert len(text) > 1 << 18
        _assert_same_hashes(text)
        _assert_same_hashes(text.replace("\n", " "))  # no newline: one piece
    _assert_same_hashes("x" * 600_000 + "\u00e9" + "\u0301" * 3)


def test_kernel_hashes_of_empty_and_ascii_texts():
    for text in ["", " ", "_", "a", "Hello, World_42!", "x" * 100_000, "\n" * 1000, "é", "\u0301"]:
        _assert_same_hashes(text)


def test_kernel_hashes_from_many_threads_at_once():
    """The kernel calls Python for each new code point, where another thread can enter it: each call must keep
    its own tokens (threads hash texts of code points no other test caches, so every thread calls back)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        texts = ["".join(f"w{i} {chr(0xA000 + (i * 37 + j) % 0x48C)}x{j} " for i in range(300)) for j in range(8)]
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(document_hashes, texts))
    finally:
        sys.setswitchinterval(interval)
    for text, hashes in zip(texts, got):
        assert np.array_equal(hashes, document_tokens(text)[3])


@pytest.fixture(scope="module")
def strings(tmp_path_factory):
    return load(write_benchmarks(tmp_path_factory.mktemp("bench")))


def evaded(text: str, rng: random.Random) -> str:
    """`text` with look-alikes, soft hyphens, combining marks and width forms that the match form undoes."""
    out = []
    for ch in text:
        r = rng.random()
        if r < 0.05 and ch in "aeopcx":
            ch = "аеорсх"["aeopcx".index(ch)]
        elif r < 0.1 and ch.isalpha():
            ch += "\u00ad"
        elif r < 0.13 and ch.isalpha():
            ch += "\u0301"
        elif r < 0.15 and "!" <= ch <= "~":
            ch = chr(ord(ch) + 0xFEE0)
        out.append(ch)
    return "".join(out)


def planted_documents(strings, count: int, seed: int) -> list[str]:
    """Random Unicode around benchmark text: whole strings, 10-token windows and shorter ones, some evaded,
    often several in one document (the first by position, then by length, must win)."""
    rng = random.Random(seed)
    docs = []
    for _ in range(count):
        parts = [random_text(rng, rng.randrange(0, 200)) for _ in range(rng.randrange(1, 4))]
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            s = rng.choice(strings)
            words = re.findall(r"\S+", s.text)
            start = rng.randrange(0, max(1, len(words)))
            window = " ".join(words[start : start + rng.randint(3, 12)] if rng.random() < 0.6 else words)
            parts.insert(rng.randrange(0, len(parts) + 1), evaded(window, rng) if rng.random() < 0.5 else window)
        docs.append(rng.choice([" ", "\n", "\u00a0", "\u3000"]).join(parts))
    return docs


def _verdicts_both_ways(index: ContaminationIndex, docs: list[str], monkeypatch) -> tuple[list, list]:
    with_kernel = [as_tuple(index.find(d)) for d in docs]
    monkeypatch.setattr(decontaminate, "_kernel", None)
    numpy_only = [as_tuple(index.find(d)) for d in docs]
    monkeypatch.undo()
    return with_kernel, numpy_only


@pytest.mark.parametrize("seed", [1, 2])
def test_find_with_the_kernel_decides_as_numpy_on_random_and_planted_documents(strings, monkeypatch, seed):
    index, reference = ContaminationIndex.build(strings), ReferenceIndex(strings)
    docs = planted_documents(strings, 800, seed) + random_documents(strings, 400, seed)
    with_kernel, numpy_only = _verdicts_both_ways(index, docs, monkeypatch)
    for doc, a, b in zip(docs, with_kernel, numpy_only):
        assert a == b, repr(doc[:300])
    assert with_kernel == [reference.find(d) for d in docs]
    assert sum(v is not None for v in with_kernel) > 200 and sum(v is None for v in with_kernel) > 200
    assert any(v and v[2] for v in with_kernel) and any(v and not v[2] for v in with_kernel)


def test_find_with_the_kernel_decides_as_numpy_among_many_short_strings(monkeypatch):
    """Several exact short strings of each length 3..9 and 10-token strings planted together in one document:
    the n-gram first, then the shortest length, then the first position (and the smallest entry) wins."""
    rng = random.Random(11)
    vocab = [f"w{i}" for i in range(40)] + ["Straße", "naïve", "ﬁx"]
    strings = [BenchmarkString("b", f"{k:03d}", "q", " ".join(rng.choice(vocab) for _ in range(length)), True)
               for k, length in enumerate([3, 3, 3, 4, 4, 5, 6, 7, 8, 9, 9, 12, 15] * 4)]
    strings += [BenchmarkString("b", "dup", "q", strings[0].text, True)]  # a shared gram: the smaller entry wins
    index, reference = ContaminationIndex.build(strings), ReferenceIndex(strings)
    docs = []
    for _ in range(600):
        plants = [evaded(rng.choice(strings).text, rng) for _ in range(rng.randrange(0, 5))]
        noise = [" ".join(rng.choice(vocab) for _ in range(rng.randrange(0, 8))) for _ in range(len(plants) + 1)]
        docs.append(" | ".join(x for pair in zip(noise, plants + [""]) for x in pair))
    with_kernel, numpy_only = _verdicts_both_ways(index, docs, monkeypatch)
    assert with_kernel == numpy_only == [reference.find(d) for d in docs]
    assert len({v[1].count(" ") for v in with_kernel if v and v[2]}) == 7  # every short length decided somewhere


def test_find_with_the_kernel_decides_as_numpy_on_the_real_benchmarks(shared_dir, monkeypatch):
    root = shared_dir / "data" / "benchmarks"
    paths = {"gsm8k": root / "gsm8k" / "test.jsonl", "mbpp": root / "mbpp" / "mbpp.jsonl",
             "humaneval": root / "humaneval" / "HumanEval.jsonl.gz", "math": root / "math" / "MATH_test.jsonl"}
    if not all(p.exists() for p in paths.values()):
        pytest.skip("the shared benchmark files are absent")
    strings = load(paths)
    index = ContaminationIndex.build(strings)
    docs = planted_documents(strings, 400, 9)
    docs.append("\n".join(docs) * 2)  # one long document crossing pieces, its first match decided by position
    with_kernel, numpy_only = _verdicts_both_ways(index, docs, monkeypatch)
    assert with_kernel == numpy_only
    assert sum(v is not None for v in with_kernel) > 100


def test_without_the_kernel_numpy_decides_and_the_log_says_so_once(strings, monkeypatch, caplog):
    index = ContaminationIndex.build(strings)
    text = strings[0].text
    expected = as_tuple(index.find(text))
    monkeypatch.setattr(decontaminate, "_kernel", None)
    monkeypatch.setattr(decontaminate, "_KERNEL_MISSING", "ImportError: test")
    decontaminate._warn_kernel_missing.cache_clear()
    with caplog.at_level(logging.WARNING, logger="filters.decontaminate"):
        assert as_tuple(index.find(text)) == expected
        index.find(text)
    warnings = [r for r in caplog.records if "filters._decontaminate" in r.getMessage()]
    assert len(warnings) == 1 and "ImportError: test" in warnings[0].getMessage()
    decontaminate._warn_kernel_missing.cache_clear()
