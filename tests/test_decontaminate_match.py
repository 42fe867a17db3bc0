"""The fast matcher against an independent reference, and the match form that defeats evasion (issue 12).

The reference below knows nothing of hashes, prefilters or code-point arrays: it compares tuples of token
strings (`normalize_tokens`, a regex over `match_form`). The matcher must give the same verdict, the same
benchmark entry and the same matched text on random documents, planted ones and near misses.
"""
from __future__ import annotations

import random
import re
import unicodedata

import numpy as np
import pytest
from benchmark_files import GSM8K, write_benchmarks
from test_decontaminate import load

from filters import decontaminate
from filters.decontaminate import (
    NGRAM,
    BenchmarkString,
    ContaminationIndex,
    document_tokens,
    is_trivial_token,
    match_code_points,
    match_form,
    normalize_tokens,
    text_pieces,
    token_hashes,
    token_spans,
)


class ReferenceIndex:
    """Benchmark grams as tuples of token strings; the first match by the documented rule, by brute force."""

    def __init__(self, strings: list[BenchmarkString], n: int = NGRAM, min_exact: int = 3):
        self.n = n
        self.long: dict[tuple, str] = {}
        self.short: dict[int, dict[tuple, str]] = {}
        for s in sorted(strings, key=lambda s: s.label):  # the smallest label wins a shared gram
            tokens = tuple(normalize_tokens(s.text))
            if len(tokens) >= n:
                for i in range(len(tokens) - n + 1):
                    gram = tokens[i : i + n]
                    if not all(is_trivial_token(t) for t in gram):
                        self.long.setdefault(gram, s.label)
            elif s.exact and len(tokens) >= min_exact and not all(is_trivial_token(t) for t in tokens):
                self.short.setdefault(len(tokens), {}).setdefault(tokens, s.label)

    def find(self, text: str) -> tuple[str, str, bool] | None:
        tokens = tuple(normalize_tokens(text))
        for length, table, exact in [(self.n, self.long, False)] + [
            (k, self.short[k], True) for k in sorted(self.short)
        ]:
            for i in range(len(tokens) - length + 1):
                label = table.get(tokens[i : i + length])
                if label is not None:
                    return label, " ".join(tokens[i : i + length]), exact
        return None


def as_tuple(match) -> tuple[str, str, bool] | None:
    return None if match is None else (match.label, match.gram, match.exact)


@pytest.fixture(scope="module")
def strings(tmp_path_factory) -> list[BenchmarkString]:
    return load(write_benchmarks(tmp_path_factory.mktemp("bench")))


def random_documents(strings: list[BenchmarkString], count: int, seed: int) -> list[str]:
    """Documents of benchmark words (so near misses are frequent), some with a planted window or a short string,
    in random case, spacing and punctuation, with non-ASCII words mixed in."""
    rng = random.Random(seed)
    vocab = sorted({t for s in strings for t in re.findall(r"\w+", s.text)}) + ["Straße", "naïve", "中文", "λx", "x²"]
    seps = [" ", "\n", ", ", "(", ")\n    ", "\t", ". ", " - ", "__", "·"]
    docs = []
    for _ in range(count):
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 120))]
        if rng.random() < 0.7:
            s = rng.choice(strings)
            toks = re.findall(r"\S+", s.text)
            start = rng.randint(0, max(0, len(toks) - 1)) if rng.random() < 0.6 else 0
            # A window of 3..14 words, often near 9 or 10 tokens (the edge of the rule), or a whole string.
            window = toks[start : start + rng.randint(3, 14)] if rng.random() < 0.8 else toks
            at = rng.randint(0, len(words))
            words[at:at] = window
        text = "".join(w + rng.choice(seps) for w in words)
        docs.append(text.upper() if rng.random() < 0.2 else text)
    return docs


@pytest.mark.parametrize("piece_chars", [None, 40])  # 40: grams cross the pieces a long document is cut in
def test_matcher_agrees_with_the_reference_on_random_and_planted_documents(strings, monkeypatch, piece_chars):
    if piece_chars:
        monkeypatch.setattr(decontaminate, "_PIECE_CHARS", piece_chars)
    index, reference = ContaminationIndex.build(strings), ReferenceIndex(strings)
    docs = random_documents(strings, 1500, seed=3)
    verdicts = [as_tuple(index.find(d)) for d in docs]
    assert verdicts == [reference.find(d) for d in docs]
    assert sum(v is not None for v in verdicts) > 200 and sum(v is None for v in verdicts) > 200
    assert any(v and v[2] for v in verdicts) and any(v and not v[2] for v in verdicts)  # both kinds seen


def test_matcher_agrees_with_the_reference_on_the_real_benchmarks(shared_dir):
    root = shared_dir / "data" / "benchmarks"
    paths = {"gsm8k": root / "gsm8k" / "test.jsonl", "mbpp": root / "mbpp" / "mbpp.jsonl"}
    if not all(p.exists() for p in paths.values()):
        pytest.skip("the shared benchmark files are absent")
    strings = load(paths)
    index, reference = ContaminationIndex.build(strings), ReferenceIndex(strings)
    docs = random_documents(strings, 300, seed=4)
    assert [as_tuple(index.find(d)) for d in docs] == [reference.find(d) for d in docs]


def test_token_spans_are_the_regex_tokens_of_any_text():
    rng = random.Random(1)
    alphabet = [chr(c) for c in range(0x20, 0x3000, 7)] + ["\u00ad", "\u0301", "\U0001d400", "_", " ", "\ud800"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        form = match_form(text)
        starts, ends, hashes = token_spans(match_code_points(text))
        tokens = [form[a:b] for a, b in zip(starts, ends)]
        assert tokens == re.findall(r"\w+", form)
        assert np.array_equal(hashes, token_hashes(tokens))


def test_a_document_in_pieces_has_the_tokens_of_the_whole(monkeypatch):
    """Pieces cut after newlines fold and tokenise to the whole text's code points and tokens, also when a
    piece starts with combining marks, ignorables or expansions."""
    monkeypatch.setattr(decontaminate, "_PIECE_CHARS", 8)
    rng = random.Random(2)
    alphabet = list("ab_9 \n\n\r") + ["\u0301", "\u0308", "\u00ad", "\u200b", "æ", "ﬁ", "İ", "ß", "한", "\u1161", "а"]
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        assert "".join(text_pieces(text)) == text
        pieces, starts, ends, hashes = document_tokens(text)
        whole = match_code_points(text)
        assert np.array_equal(np.concatenate([c.astype(np.uint32) for c in pieces]), whole.astype(np.uint32))
        for got, expected in zip((starts, ends, hashes), token_spans(whole)):
            assert np.array_equal(got, expected), repr(text)


def test_token_hashes_are_stable_across_processes_and_distinguish_tokens():
    # A known value pins the hash across processes and machines (the index is built on one, used on others).
    assert int(token_hashes(["a"])[0]) == 0xDD52F8C966B266FC
    words = [f"w{i}" for i in range(20000)] + ["ab", "ba", "aab", "a"]
    assert len(set(token_hashes(words).tolist())) == len(words)


def test_match_form_folds_what_hides_text_and_leaves_ascii_alone():
    assert match_form("ex\u00adam\u200bple") == "example"  # soft hyphen, zero-width space
    assert match_form("cafe\u0301 naïve") == "cafe naive"  # combining and precomposed accents
    assert match_form("Сар") == "cap"  # Cyrillic Es, a, Er
    assert match_form("Ｆｕｌｌ") == "full"  # NFKC
    ascii_text = "x = 10 | l1 I0 rn m `q`"
    assert match_form(ascii_text) == ascii_text.casefold()  # ASCII prototypes (1 -> l, m -> rn) are not applied


def test_match_code_points_is_the_per_character_fold():
    """The numpy splice (deletions, expansions, one-for-one folds at once) equals folding character by
    character, on random mixes of ASCII, marks, ignorables, expansions and other scripts."""
    from filters.decontaminate import fold_char

    pool = list("ab c_9\n") + ["\u00ad", "\u0301", "\u200b", "æ", "œ", "ǁ", "ß", "İ", "Ｆ", "ﬁ", "а", "ä", "中",
                                 "\U0001d400", "\ud800", "ं", "ि"]
    rng = random.Random(5)
    for _ in range(400):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 60)))
        folded = unicodedata.normalize("NFKC", text).casefold()
        expected = "".join(c if c.isascii() else fold_char(c) for c in folded)
        assert match_form(text) == expected, repr(text)


def test_evasions_of_a_gsm8k_question_are_caught(tmp_path):
    question = GSM8K[0]["question"]
    index = ContaminationIndex.build(load({"gsm8k": write_benchmarks(tmp_path)["gsm8k"]}))
    words = question.split(" ")
    evasions = {
        "soft hyphens": " ".join(w[:2] + "\u00ad" + w[2:] if len(w) > 3 else w for w in words),
        "zero-width joiners": " ".join("\u200d".join(w) for w in words),
        "combining accents": " ".join(unicodedata.normalize("NFD", w[0] + "\u0301" + w[1:]) for w in words),
        "Cyrillic look-alikes": question.translate(str.maketrans("aceopxyACEHKMOPTX", "асеорхуАСЕНКМОРТХ")),
        "Greek look-alikes": question.translate(str.maketrans("oABEHIKMNOPTXYZ", "οΑΒΕΗΙΚΜΝΟΡΤΧΥΖ")),
        "all at once": " ".join(
            "\u00ad".join(w.translate(str.maketrans("aeo", "аео"))) + "\u0308" for w in words
        ),
    }
    for name, text in evasions.items():
        assert text != question
        match = index.find(f"Homework.\n{text}\nThanks!")
        assert match is not None and match.item == "gsm8k:test/0", name
