"""A fastText page classifier over BPE (or whitespace) tokens, saved with the tokenizer it was trained on.

DeepSeekMath §2.1 (SPEC §2): fastText supervised, dim 256, lr 0.1, wordNgrams 3, minCount 3, epoch 3, on
seed positives and random negatives; DeepSeek-Coder-V2 feeds it BPE tokens instead of space-split words.
A model directory holds `model.bin` (fastText), `folded.npz` (the same model folded into a small table, what
scoring reads: `classifiers.folded`), `tokenizer.json` (absent for whitespace tokens) and `classifier.json`
(labels, tokenization, the tokenizer's fingerprint, hyperparameters, example counts).
`TextClassifier.load` refuses a tokenizer whose fingerprint differs from the one the model was trained with.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import fasttext
import numpy as np
from tokenizers import Tokenizer

from classifiers.bpe_tokenizer import (
    fasttext_tokens_many,
    fasttext_vocabulary,
    fingerprint,
    load_tokenizer,
    whitespace_tokens,
)
from classifiers.folded import FOLDED_FILE, LABEL_PREFIX, FoldedModel, fasttext_words

BPE, WHITESPACE = "bpe", "whitespace"
MODEL_FILE, TOKENIZER_FILE, META_FILE = "model.bin", "tokenizer.json", "classifier.json"
FASTTEXT_PACKAGE = "fasttext-wheel"  # chosen by measurement: see pyproject.toml
MIN_EXAMPLES_PER_LABEL = 1


class TrainingError(RuntimeError):
    """fastText could not train (too little data, NaN); the message names the run and the data."""


class TokenizerMismatch(ValueError):
    """A model was asked to read pages with a tokenizer other than the one it was trained with."""


@dataclass(frozen=True)
class FastTextParams:
    """fastText hyperparameters (config `recall.fasttext`) and the seed that makes training repeatable."""

    dim: int
    lr: float
    word_ngrams: int
    min_count: int
    epoch: int
    bucket: int
    thread: int
    loss: str
    seed: int

    def as_fasttext_kwargs(self) -> dict:
        """Keyword arguments of `fasttext.train_supervised`; `seed` only where the build takes one (0.9.2
        seeds itself with a constant, so one-thread training is repeatable without it)."""
        seeded = "seed" in getattr(fasttext.FastText, "unsupervised_default", {})
        return {
            "dim": self.dim,
            "lr": self.lr,
            "wordNgrams": self.word_ngrams,
            "minCount": self.min_count,
            "epoch": self.epoch,
            "bucket": self.bucket,
            "thread": self.thread,
            "loss": self.loss,
            **({"seed": self.seed} if seeded else {}),
        }


class PageTokens:
    """Turns a page into fastText words: BPE tokens when a tokenizer is given, else whitespace words."""

    def __init__(self, tokenizer: Tokenizer | None, *, max_chars: int):
        self.tokenizer, self.max_chars = tokenizer, max_chars
        self.kind = BPE if tokenizer is not None else WHITESPACE
        self.fingerprint = fingerprint(tokenizer) if tokenizer is not None else ""
        # Words by token id, escaped once: escaping every token of every page took a quarter of the scoring.
        self.vocabulary = fasttext_vocabulary(tokenizer) if tokenizer is not None else None

    def __call__(self, text: str) -> list[str]:
        """The fastText words of the first `max_chars` characters of `text`."""
        return self.many([text])[0]

    def many(self, texts: list[str]) -> list[list[str]]:
        """`self(text)` for each of `texts`, encoded in one call."""
        return self._tokens([text[: self.max_chars] for text in texts])

    def many_ids(self, texts: list[str]) -> list[list[int]]:
        """The token ids of the first `max_chars` characters of each of `texts` (BPE only): what
        `TextClassifier.scores_of_ids` reads, without a string per token."""
        if self.tokenizer is None:
            raise ValueError("whitespace tokens have no ids: use many()")
        cut = [text[: self.max_chars] for text in texts]
        return [e.ids for e in self.tokenizer.encode_batch_fast(cut, add_special_tokens=False)]

    def count(self, text: str) -> int:
        """How many tokens the whole of `text` has (for a budget in tokens)."""
        return self.counts([text])[0]

    def counts(self, texts: list[str]) -> list[int]:
        """`count(text)` for each of `texts`, encoded in one call."""
        if self.tokenizer is None:
            return [len(whitespace_tokens(text)) for text in texts]
        return [len(e.ids) for e in self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)]

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        if self.tokenizer is None:
            return [whitespace_tokens(text) for text in texts]
        return fasttext_tokens_many(self.tokenizer, texts, vocabulary=self.vocabulary)


def training_line(label: str, tokens: list[str]) -> str:
    """One fastText training line: the label, then the tokens, space-separated, newline-terminated."""
    return f"{LABEL_PREFIX}{label} {' '.join(tokens)}\n"


def train_classifier(
    examples: Iterable[tuple[str, str]],
    model_dir: str | Path,
    *,
    tokens: PageTokens,
    params: FastTextParams,
    context: str = "training",
) -> dict:
    """Train on (label, text) pairs in the order given and save the model directory; returns its metadata.

    Raises TrainingError naming `context` when there are fewer than two labels, a label without examples,
    an empty vocabulary (minCount too high for the data) or a diverged run (NaN).
    """
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="fasttext-train-") as tmp:
        train_path = os.path.join(tmp, "train.txt")
        with open(train_path, "w", encoding="utf-8") as fh:
            first_line = ""
            for label, text in examples:
                counts[label] = counts.get(label, 0) + 1
                line = training_line(label, tokens(text))
                first_line = first_line or line.split(" ", 1)[-1]
                fh.write(line)
        described = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no examples"
        if len(counts) < 2 or min(counts.values()) < MIN_EXAMPLES_PER_LABEL:
            raise TrainingError(f"{context}: fastText needs examples of at least two labels, got {described}")
        try:
            model = fasttext.train_supervised(input=train_path, verbose=0, **params.as_fasttext_kwargs())
        except (RuntimeError, ValueError) as err:
            raise TrainingError(
                f"{context}: fastText failed on {sum(counts.values())} examples ({described}) with "
                f"{params}: {err} (NaN: lower lr; empty vocabulary: lower min_count or add seed pages)"
            ) from None
        if any(math.isnan(prob) for prob, _ in model.f.predict(first_line, -1, 0.0, "strict")):
            raise TrainingError(f"{context}: fastText produced NaN weights on {described}: lower lr")
        if not [w for w in model.words if w != "</s>"]:
            raise TrainingError(
                f"{context}: no token occurs min_count={params.min_count} times in {sum(counts.values())} "
                f"examples ({described}): the model would only learn label priors; lower min_count or add seeds"
            )
    model.save_model(str(model_dir / MODEL_FILE))
    FoldedModel.from_fasttext(model).save(model_dir)
    if tokens.tokenizer is not None:
        tokens.tokenizer.save(str(model_dir / TOKENIZER_FILE))
    meta = {
        "labels": sorted(counts),
        "examples": dict(sorted(counts.items())),
        "tokenization": tokens.kind,
        "tokenizer_sha256": tokens.fingerprint,
        "max_chars": tokens.max_chars,
        "params": params.__dict__,
        "fasttext_package": f"{FASTTEXT_PACKAGE} {metadata.version(FASTTEXT_PACKAGE)}",
    }
    (model_dir / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return meta


class TextClassifier:
    """A trained model directory, ready to score texts: `scores(text)` gives every label's probability.

    It reads the folded table (`folded.npz`), never fastText's matrix: a worker loads ~24 MB, not ~2 GB, and a
    token costs three small rows instead of three random 1 KB ones. A directory without the table (trained
    before it existed) is folded on load."""

    def __init__(self, folded: FoldedModel, tokens: PageTokens, meta: dict):
        self.folded, self.tokens, self.meta = folded, tokens, meta
        self.labels: list[str] = list(meta["labels"])
        # BPE: each vocabulary entry's dictionary id, hash and whether fastText reads it, looked up once here,
        # so a page's token ids index them (`scores_of_ids`).
        self._by_token_id: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if tokens.vocabulary is not None:
            read = set(fasttext_words(tokens.vocabulary))
            self._by_token_id = (*folded.word_arrays(tokens.vocabulary),
                                 np.fromiter((w in read for w in tokens.vocabulary), bool, len(tokens.vocabulary)))

    @classmethod
    def load(cls, model_dir: str | Path, tokenizer_path: str | Path | None = None) -> TextClassifier:
        """Load `model_dir`; with `tokenizer_path`, use that file, which must be the one trained with."""
        model_dir = Path(model_dir)
        meta_path = model_dir / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ValueError(f"{meta_path}: not a classifier directory ({err})") from None
        tokenizer = None
        if meta["tokenization"] == BPE:
            path = Path(tokenizer_path) if tokenizer_path else model_dir / TOKENIZER_FILE
            tokenizer = load_tokenizer(path)
            if fingerprint(tokenizer) != meta["tokenizer_sha256"]:
                raise TokenizerMismatch(
                    f"tokenizer {path} (sha256 {fingerprint(tokenizer)[:12]}) is not the one model {model_dir} "
                    f"was trained with (sha256 {meta['tokenizer_sha256'][:12]}): retrain or use its tokenizer.json"
                )
        elif tokenizer_path:
            raise TokenizerMismatch(f"model {model_dir} was trained on whitespace tokens, not on {tokenizer_path}")
        if (model_dir / FOLDED_FILE).exists():
            folded = FoldedModel.load(model_dir)
        else:  # what fasttext.load_model does, without the deprecation notice it prints on every load
            folded = FoldedModel.from_fasttext(fasttext.FastText._FastText(model_path=str(model_dir / MODEL_FILE)))
        return cls(folded, PageTokens(tokenizer, max_chars=meta["max_chars"]), meta)

    def _scores(self, probabilities: dict[str, float]) -> dict[str, float]:
        return {label: probabilities.get(label, 0.0) for label in self.labels}

    def scores_of_tokens(self, tokens: list[str]) -> dict[str, float]:
        """Every label's probability for already tokenized text (fastText's words: no whitespace inside)."""
        return self._scores(self.folded.probabilities(*self.folded.word_arrays(fasttext_words(tokens))))

    def scores_of_ids(self, ids: list[int]) -> dict[str, float]:
        """`scores_of_tokens` of BPE token ids (`PageTokens.many_ids`), without a string per token."""
        if self._by_token_id is None:
            raise ValueError("whitespace tokens have no ids: use scores_of_tokens()")
        word_ids, hashes, read = self._by_token_id
        ids_arr = np.asarray(ids, dtype=np.int64)
        ids_arr = ids_arr[read[ids_arr]]
        return self._scores(self.folded.probabilities(word_ids[ids_arr], hashes[ids_arr]))

    def scores(self, text: str) -> dict[str, float]:
        return self.scores_of_tokens(self.tokens(text))
