"""The tokenizer the recall classifier reads pages with: a Hugging Face `tokenizer.json` or a trained BPE.

DeepSeek-Coder-V2 (§2, SPEC §2) tokenizes pages with the DeepSeek-V2 BPE tokenizer before fastText, because
Chinese has no spaces to split on. That file cannot be downloaded here, so `load_tokenizer` reads any
`tokenizer.json` by path, and `train_bpe` trains a byte-level BPE of the same shape on the seed corpus:
the pre-tokenizer keeps tokens of different character categories apart (newlines, punctuation, CJK, letters)
and splits numbers into single digits (DeepSeek LLM §2.1, DeepSeek-V2 §3.1). Inside a run of CJK characters
BPE may merge, as DeepSeek's tokenizer does, so Chinese words become tokens.

`fasttext_tokens` turns a text into the space-free tokens fastText reads; `whitespace_tokens` is the
baseline the paper improves on. `fingerprint` identifies a tokenizer, so a model refuses any other.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

from classifiers.folded import LABEL_PREFIX

MIN_FREQUENCY = 2

# Character categories that are never merged with each other. The definition: four splits in turn, each
# isolating its matches inside the pieces the one before left: newlines, CJK runs, punctuation/symbol runs
# (with one leading space), letter runs (with one leading space); then each digit alone.
NEWLINE = r"[\r\n]"
CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
CJK_RUN = rf"[{CJK}]+"
PUNCTUATION_RUN = r" ?[\p{P}\p{S}]+"
LETTER_RUN = r" ?[\p{L}\p{M}]+"
# The same pieces from one regex pass (issue 19: four passes were most of the BPE encoding's time): a CJK run
# is cut by the later splits only where it holds punctuation, symbols or digits, and no run crosses from CJK
# to other characters, so each alternative keeps to one side. Equal to the four splits on every code point
# in ten contexts, 100K random strings and 1,031 real pages (tests/test_bpe_tokenizer.py checks a sample).
CATEGORY_RUNS = (
    rf"{NEWLINE}"
    rf"|[[{CJK}]&&[\p{{P}}\p{{S}}]]+"
    rf"|[[{CJK}]&&[\p{{L}}\p{{M}}]]+"
    rf"| ?[[\p{{P}}\p{{S}}]&&[^{CJK}]]+"
    rf"| ?[[\p{{L}}\p{{M}}]&&[^{CJK}]]+"
)

# fastText splits words on these bytes; a token must not contain them (ByteLevel tokens never do, but a
# loaded tokenizer.json may): they are replaced by visible stand-ins.
_FASTTEXT_SEPARATORS = str.maketrans({" ": "\u2581", "\t": "\u2409", "\n": "\u240a", "\r": "\u240d",
                                      "\v": "\u240b", "\f": "\u240c", "\0": "\u2400"})


def deepseek_style_pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    """Newlines, CJK runs, punctuation runs and letter runs become separate pre-tokens; digits one by one
    (`CATEGORY_RUNS`; `category_splits` is the definition it equals)."""
    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CATEGORY_RUNS), behavior="isolated"),
            # Digits stay a step of their own: Rust's notion of a digit knows newer Unicode than the regex
            # engine's \p{N} (130 code points apart, e.g. U+11DE0..).
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )


def category_splits() -> pre_tokenizers.PreTokenizer:
    """The four splits `CATEGORY_RUNS` stands for, in turn (the reference the tests compare it with)."""
    return pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(r), behavior="isolated") for r in (NEWLINE, CJK_RUN, PUNCTUATION_RUN, LETTER_RUN)]
    )


def train_bpe(texts: Iterable[str], *, vocab_size: int, min_frequency: int = MIN_FREQUENCY) -> Tokenizer:
    """A byte-level BPE trained on `texts` with DeepSeek's pre-split; the same texts give the same tokenizer."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = deepseek_style_pre_tokenizer()
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def load_tokenizer(path: str | Path) -> Tokenizer:
    """A tokenizer from a Hugging Face `tokenizer.json`; the error names the file when it is not one."""
    try:
        return Tokenizer.from_file(str(path))
    except Exception as err:  # noqa: BLE001 (tokenizers raises a bare Exception for any unreadable file)
        raise ValueError(f"cannot load tokenizer {path}: {err}") from None


def fingerprint(tokenizer: Tokenizer) -> str:
    """sha256 of the tokenizer's canonical JSON: equal for a saved file and the tokenizer it was saved from."""
    return hashlib.sha256(tokenizer.to_str().encode("utf-8")).hexdigest()


def fasttext_safe(tokens: list[str]) -> list[str]:
    """Tokens safe to join with spaces into a fastText line: no separator inside, none read as a label."""
    out = [t.translate(_FASTTEXT_SEPARATORS) for t in tokens]
    return [("\u2581" + t) if t.startswith(LABEL_PREFIX) else t for t in out]


def fasttext_vocabulary(tokenizer: Tokenizer) -> list[str]:
    """Token id -> its fastText word (`fasttext_safe` applied once per vocabulary entry, not per page)."""
    words = [""] * tokenizer.get_vocab_size(with_added_tokens=True)
    for token, i in tokenizer.get_vocab(with_added_tokens=True).items():
        words[i] = token
    return fasttext_safe(words)


def fasttext_tokens(tokenizer: Tokenizer, text: str, *, vocabulary: list[str] | None = None) -> list[str]:
    """The tokenizer's tokens of `text`, safe to join with spaces into a fastText line.

    With `vocabulary` (`fasttext_vocabulary(tokenizer)`) the text is encoded by ids without offsets
    (`encode_batch_fast`) and each id names an existing string: 1.3x faster on real pages than `.tokens`,
    which computes offsets and builds a new string per token (issue 19); the words are the same."""
    return fasttext_tokens_many(tokenizer, [text], vocabulary=vocabulary)[0]


def fasttext_tokens_many(tokenizer: Tokenizer, texts: list[str], *,
                         vocabulary: list[str] | None = None) -> list[list[str]]:
    """`fasttext_tokens` of each of `texts`, in one call of the tokenizer (the same words as one by one)."""
    if vocabulary is None:
        return [fasttext_safe(e.tokens) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
    return [[vocabulary[i] for i in e.ids] for e in tokenizer.encode_batch_fast(texts, add_special_tokens=False)]


def whitespace_tokens(text: str) -> list[str]:
    """The baseline: fastText's own split on whitespace (Chinese text stays one token per sentence)."""
    return fasttext_safe(text.split())
