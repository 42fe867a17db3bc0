"""The folded classifier gives fastText's own probabilities (its `predict`) on every kind of line."""
from __future__ import annotations

import random

import fasttext
import numpy as np
import pytest
from recall_sample import SMALL_DATA_PARAMS, labelled_pages, train_small_model

from classifiers.fasttext_model import FOLDED_FILE, MODEL_FILE, PageTokens, TextClassifier, train_classifier
from classifiers.folded import LABEL_PREFIX, FoldedModel, _fold, fasttext_hash

TOLERANCE = 1e-6  # fastText sums float32 rows; the table is summed in float64: ~1e-7 apart


def fasttext_model(model_dir):
    return fasttext.FastText._FastText(model_path=str(model_dir / MODEL_FILE))


def fasttext_probabilities(model, line: str) -> dict[str, float]:
    return {label.removeprefix(LABEL_PREFIX): min(1.0, p) for p, label in model.f.predict(line + "\n", -1, 0.0, "strict")}


def random_lines(words: list[str], n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    unknown = ["never-seen", "ünbekannt", "未见过", "x" * 300, "\u2581__label__code", "__label__math", "__label__x", "😀"]
    pool = words + unknown
    return [[rng.choice(pool) for _ in range(rng.choice([0, 1, 2, 3, 5, 40, 400]))] for _ in range(n)]


@pytest.fixture(scope="module")
def bpe_dir(tmp_path_factory):
    return train_small_model(tmp_path_factory.mktemp("folded") / "bpe")


def test_hash_is_fasttexts_fnv1a_with_signed_bytes():
    assert fasttext_hash("") == 2166136261
    assert fasttext_hash("a") == 0xE40C292C  # FNV-1a of one ASCII byte
    # A byte >= 0x80 enters sign-extended (fastText casts it through int8): not the textbook FNV-1a.
    textbook = 2166136261
    for byte in "é".encode():
        textbook = ((textbook ^ byte) * 16777619) & 0xFFFFFFFF
    assert fasttext_hash("é") != textbook


@pytest.mark.parametrize("loss", ["softmax", "ova"])
def test_probabilities_are_fasttexts_on_random_lines(tmp_path, loss):
    params = SMALL_DATA_PARAMS.__class__(**{**SMALL_DATA_PARAMS.__dict__, "loss": loss, "bucket": 5_000})
    pages = labelled_pages(0.1)
    train_classifier([(label, text) for label, text, _ in pages], tmp_path, tokens=PageTokens(None, max_chars=2_000),
                     params=params)
    classifier = TextClassifier.load(tmp_path)
    words = sorted({w for _, text, _ in pages for w in text.split()})
    model = fasttext_model(tmp_path)
    worst = 0.0
    for line in random_lines(words, 300, seed=1):
        expected = fasttext_probabilities(model, " ".join(line))
        got = classifier.scores_of_tokens(line)
        assert set(got) == set(classifier.labels)
        worst = max(worst, *(abs(got[label] - expected.get(label, 0.0)) for label in got))
    assert worst < TOLERANCE


def test_bpe_ids_score_like_their_words_and_like_fasttext(bpe_dir):
    classifier = TextClassifier.load(bpe_dir)
    texts = [text for _, text, _ in labelled_pages(0.05, seed=3)] + ["", " ", "\n\n", "数学 $x^2$", "é" * 500]
    ids = classifier.tokens.many_ids(texts)
    words = classifier.tokens.many(texts)
    model = fasttext_model(bpe_dir)
    for text, page_ids, page_words in zip(texts, ids, words):
        by_ids = classifier.scores_of_ids(page_ids)
        assert by_ids == classifier.scores_of_tokens(page_words)
        expected = fasttext_probabilities(model, " ".join(page_words))
        assert max(abs(by_ids[k] - expected.get(k, 0.0)) for k in by_ids) < TOLERANCE, text[:40]


def test_the_table_round_trips_and_an_old_directory_is_folded_on_load(bpe_dir, tmp_path):
    saved = FoldedModel.load(bpe_dir)
    model = fasttext_model(bpe_dir)
    fresh = FoldedModel.from_fasttext(model)
    assert np.array_equal(saved.table, fresh.table) and saved.words == fresh.words and saved.labels == fresh.labels
    rows = np.asarray(model.f.getInputMatrix()).shape[0]  # words + buckets
    assert saved.table.shape == (rows, len(saved.labels)) and saved.table.dtype == np.float32
    old = tmp_path / "old"
    old.mkdir()
    for path in bpe_dir.iterdir():
        if path.name != FOLDED_FILE:
            (old / path.name).write_bytes(path.read_bytes())
    text = "def f(x):\n    return sorted(x, key=len)\n"
    assert TextClassifier.load(old).scores(text) == TextClassifier.load(bpe_dir).scores(text)


def test_folding_refuses_what_it_cannot_fold(tmp_path):
    lines = tmp_path / "train.txt"
    lines.write_text("__label__a x y z\n__label__b u v w\n" * 20)
    with_subwords = fasttext.train_supervised(input=str(lines), minn=2, maxn=4, dim=8, bucket=100, verbose=0, thread=1)
    with pytest.raises(ValueError, match="subwords"):
        FoldedModel.from_fasttext(with_subwords)
    hierarchical = fasttext.train_supervised(input=str(lines), loss="hs", dim=8, bucket=100, verbose=0, thread=1)
    with pytest.raises(ValueError, match="hs"):
        FoldedModel.from_fasttext(hierarchical)


def test_the_fold_adds_in_dimension_order_without_blas():
    rng = np.random.default_rng(3)
    wi = rng.normal(size=(1000, 24)).astype(np.float32)
    wo = rng.normal(size=(3, 24))
    reference = np.zeros((1000, 3))
    for k in range(24):  # the order the fold promises, in plain float64 operations
        reference += wi[:, k:k + 1].astype(np.float64) * wo[:, k]
    table = _fold(wi, wo, block=64)  # 1000 rows: blocks of 64 and a last block of 40
    assert table.dtype == np.float32 and np.array_equal(table, reference.astype(np.float32))
    assert np.allclose(table, wi.astype(np.float64) @ wo.T, rtol=1e-6, atol=1e-6)
