"""The DeepSeek-style BPE: pre-split categories, deterministic training, fingerprints, fastText tokens."""
from __future__ import annotations

import random

import pytest
from tokenizers import pre_tokenizers

from classifiers.bpe_tokenizer import (
    category_splits,
    deepseek_style_pre_tokenizer,
    fasttext_tokens,
    fasttext_vocabulary,
    fingerprint,
    load_tokenizer,
    train_bpe,
    whitespace_tokens,
)

TEXTS = [
    "def area(r):\n    return 3.14159 * r ** 2  # 计算圆的面积\n",
    "已知函数f(x)=x²+2x+1，求最小值。Hello, world!! 2024年",
    "The function returns a sorted list; 函数返回排序后的列表。",
] * 30


def pieces(text: str) -> list[str]:
    return [p for p, _ in deepseek_style_pre_tokenizer().pre_tokenize_str(text)]


def test_pre_split_keeps_categories_apart_and_digits_single():
    split = pieces("x=12;\n你好world，ok")
    # Byte-level alphabet: Ċ is the newline, Ġ the space; CJK bytes appear as Latin-1 stand-ins.
    assert "Ċ" in split  # the newline is a piece of its own
    assert "1" in split and "2" in split  # digits one by one
    assert "ä½łå¥½" in split  # the CJK run "你好" alone, not merged with "world"
    assert "world" in split and ";" in split  # letters apart from punctuation


@pytest.fixture(scope="module")
def tokenizer():
    return train_bpe(TEXTS, vocab_size=400)


def test_training_is_deterministic_and_merges_never_cross_categories(tokenizer):
    again = train_bpe(TEXTS, vocab_size=400)
    assert fingerprint(again) == fingerprint(tokenizer)
    tokens = tokenizer.encode("计算圆的面积 2024 area(r)\n").tokens
    decoded_pieces = [tokenizer.decoder.decode([t]) for t in tokens]
    for piece in decoded_pieces:
        has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in piece)
        has_latin = any(ch.isascii() and ch.isalnum() for ch in piece)
        assert not (has_cjk and has_latin), piece
        assert not (any(ch.isdigit() for ch in piece) and len(piece.strip()) > 1), piece
    assert any(len(p) > 1 and "\u4e00" <= p[0] <= "\u9fff" for p in decoded_pieces)  # CJK words do merge


def test_saved_file_has_the_same_fingerprint(tokenizer, tmp_path):
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))
    assert fingerprint(load_tokenizer(path)) == fingerprint(tokenizer)


def test_loading_a_bad_file_names_it(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="broken.json"):
        load_tokenizer(bad)


def test_fasttext_tokens_hold_no_separator_and_no_label(tokenizer):
    tokens = fasttext_tokens(tokenizer, "a\tb\nc  d __label__x 中文")
    assert tokens and all(not any(c in t for c in " \t\n\r\v\f\0") for t in tokens)
    assert not any(t.startswith("__label__") for t in tokens)
    assert whitespace_tokens("__label__x 函数 y") == ["\u2581__label__x", "函数", "y"]


def test_whitespace_tokens_keep_a_chinese_sentence_whole():
    assert whitespace_tokens("已知函数f(x)=x²，求最小值。 next") == ["已知函数f(x)=x²，求最小值。", "next"]


def test_words_by_id_equal_the_escaped_tokens(tokenizer):
    from tokenizers import Tokenizer, models

    rng = random.Random(5)
    alphabet = list("ab cd\t\n__label__x中文函数 ²=(){}#.,é\u00ad0123")
    texts = ["", "a\tb\nc  d __label__x 中文", *("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
                                                for _ in range(200))]
    odd = Tokenizer(models.WordLevel({"new york": 0, "[UNK]": 1}, unk_token="[UNK]"))
    for tok, extra in ((tokenizer, []), (odd, ["new york", "new york new"])):
        vocabulary = fasttext_vocabulary(tok)
        for text in texts + extra:
            assert fasttext_tokens(tok, text, vocabulary=vocabulary) == fasttext_tokens(tok, text), repr(text)
    assert fasttext_tokens(odd, "new york", vocabulary=fasttext_vocabulary(odd)) == ["new\u2581york"]


def _reference_pre_tokenizer():
    return pre_tokenizers.Sequence([category_splits(), pre_tokenizers.Digits(individual_digits=True),
                                    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])


def test_one_regex_pass_cuts_like_the_four_splits_on_every_kind_of_character():
    # The whole sweep (every code point in ten contexts) ran once by hand and took minutes; this checks the BMP
    # in three contexts, every 31st astral code point, and random strings of the characters that border.
    fast, reference = deepseek_style_pre_tokenizer(), _reference_pre_tokenizer()
    points = [c for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF] + list(range(0x10000, 0x110000, 31))
    for context in ("a", "中", " "):
        for start in range(0, len(points), 512):
            text = "".join(context + chr(c) + " " + chr(c) * 2 + context for c in points[start:start + 512])
            assert fast.pre_tokenize_str(text) == reference.pre_tokenize_str(text), hex(points[start])
    rng = random.Random(5)
    pool = list(" \n\r\t\u00a0abcXYZ019.,!?-_()[]$€²Ⅻ１中文字〇一二ひらカタ한국㋐゠・ー\u0301\u3099😀\U00011de0")
    for _ in range(5000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        assert fast.pre_tokenize_str(text) == reference.pre_tokenize_str(text), repr(text)
