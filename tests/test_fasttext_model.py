"""The fastText classifier: training on English and Chinese pages, the tokenizer check, robust errors."""
from __future__ import annotations

import json

import pytest
from recall_sample import SMALL_DATA_PARAMS, train_small_model

from classifiers.bpe_tokenizer import train_bpe
from classifiers.fasttext_model import (
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    PageTokens,
    TextClassifier,
    TokenizerMismatch,
    TrainingError,
    train_classifier,
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return train_small_model(tmp_path_factory.mktemp("model") / "bpe")


def test_model_directory_holds_model_tokenizer_and_metadata(model_dir):
    meta = json.loads((model_dir / META_FILE).read_text())
    assert (model_dir / MODEL_FILE).is_file() and (model_dir / TOKENIZER_FILE).is_file()
    assert meta["labels"] == ["code", "math", "other"] and meta["tokenization"] == "bpe"
    assert meta["params"]["dim"] == SMALL_DATA_PARAMS.dim and len(meta["tokenizer_sha256"]) == 64


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("How do I sort a list of dicts in Python? I keep getting KeyError: 'id'.\n\ndef f(xs):\n    return sorted(xs)",
         "code"),
        ("Find all real numbers $x$ satisfying $x^2 - 5x + 6 = 0$. By the AM-GM inequality we have", "math"),
        ("我在用Python遍历字典列表的时候，总是报错。下面是能复现问题的最小代码，运行后输出为空。", "code"),
        ("已知函数f(x)=x²+2x+1，求f(x)在区间[1,3]上的最小值。解：由题意可知，函数在区间内单调递增。", "math"),
        ("据报道，上海今年5月份的社会消费品零售总额同比增长3%。周末的音乐节门票已经售罄。", "other"),
        ("Preheat the oven and bake the bread. The home team won 2 to 1 after a late goal.", "other"),
    ],
)
def test_scores_every_label_and_ranks_the_right_one_first(model_dir, text, label):
    scores = TextClassifier.load(model_dir).scores(text)
    assert set(scores) == {"code", "math", "other"}
    assert abs(sum(scores.values()) - 1) < 1e-3
    assert max(scores, key=scores.get) == label


def test_a_different_tokenizer_is_refused(model_dir, tmp_path):
    other = tmp_path / "other.json"
    train_bpe(["completely different text", "另一段文字"] * 5, vocab_size=300).save(str(other))
    with pytest.raises(TokenizerMismatch, match="other.json"):
        TextClassifier.load(model_dir, other)
    assert TextClassifier.load(model_dir, model_dir / TOKENIZER_FILE).labels == ["code", "math", "other"]


def test_a_tampered_tokenizer_file_is_refused(model_dir, tmp_path):
    copy = tmp_path / "model"
    copy.mkdir()
    for name in (MODEL_FILE, META_FILE):
        (copy / name).write_bytes((model_dir / name).read_bytes())
    train_bpe(["some other corpus"] * 5, vocab_size=300).save(str(copy / TOKENIZER_FILE))
    with pytest.raises(TokenizerMismatch):
        TextClassifier.load(copy)


def test_whitespace_model_needs_no_tokenizer_and_refuses_one(tmp_path, model_dir):
    ws = train_small_model(tmp_path / "ws", bpe=False)
    assert not (ws / TOKENIZER_FILE).exists()
    assert TextClassifier.load(ws).tokens.kind == "whitespace"
    with pytest.raises(TokenizerMismatch):
        TextClassifier.load(ws, model_dir / TOKENIZER_FILE)


def test_training_is_byte_identical_on_one_thread(tmp_path):
    examples = [("code", "def f(x): return x"), ("other", "the weather is fine"), ("math", "x^2 + y^2 = z^2")] * 20
    for name in ("a", "b"):
        train_classifier(examples, tmp_path / name, tokens=PageTokens(None, max_chars=100),
                         params=SMALL_DATA_PARAMS)
    for name in (MODEL_FILE, META_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_tiny_data_trains_with_the_pinned_build(tmp_path):
    # The NaN reported for fasttext-numpy2 on toy sets: six lines and the paper's settings must train.
    params = SMALL_DATA_PARAMS.__class__(**{**SMALL_DATA_PARAMS.__dict__, "lr": 0.1, "epoch": 3, "dim": 256, "bucket": 100_000})
    examples = [("code", "int main ( ) { }"), ("other", "a sunny day at the beach")] * 3
    train_classifier(examples, tmp_path / "m", tokens=PageTokens(None, max_chars=100), params=params)
    assert TextClassifier.load(tmp_path / "m").scores("int main")["code"] > 0


def test_training_errors_name_the_run(tmp_path):
    tokens = PageTokens(None, max_chars=100)
    with pytest.raises(TrainingError, match="iteration 2.*two labels.*code: 3"):
        train_classifier([("code", "x y z")] * 3, tmp_path / "m", tokens=tokens, params=SMALL_DATA_PARAMS,
                         context="recall iteration 2")
    high = SMALL_DATA_PARAMS.__class__(**{**SMALL_DATA_PARAMS.__dict__, "min_count": 1000})
    with pytest.raises(TrainingError, match="iteration 3.*min_count"):
        train_classifier([("code", "x"), ("other", "y")], tmp_path / "m", tokens=tokens, params=high,
                         context="recall iteration 3")
    diverging = SMALL_DATA_PARAMS.__class__(**{**SMALL_DATA_PARAMS.__dict__, "lr": 1000.0, "dim": 64})
    examples = [("code", " ".join(f"w{i % 97}" for i in range(j, j + 40))) for j in range(300)]
    examples += [("other", " ".join(f"v{i % 89}" for i in range(j, j + 40))) for j in range(300)]
    with pytest.raises(TrainingError, match="iteration 4.*NaN"):
        train_classifier(examples, tmp_path / "m", tokens=tokens, params=diverging, context="recall iteration 4")
