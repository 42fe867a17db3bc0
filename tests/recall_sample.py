"""Helpers for the recall tests: the generated English/Chinese sample and a small trained model."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from classifiers.bpe_tokenizer import train_bpe
from classifiers.fasttext_model import FastTextParams, PageTokens, train_classifier

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("make_pages", REPO / "sample" / "recall" / "make_pages.py")
make_pages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_pages)

# Small data needs more passes than the paper's 3 epochs at lr 0.1 (see configs/local.yaml).
SMALL_DATA_PARAMS = FastTextParams(
    dim=32, lr=1.0, word_ngrams=3, min_count=1, epoch=25, bucket=10_000, thread=1, loss="softmax", seed=7
)


def labelled_pages(scale: float = 0.2, seed: int = 0) -> list[tuple[str, str, str]]:
    """(label, text, lang) of generated English and Chinese pages."""
    return [(p["meta"]["truth"], p["text"], p["meta"]["lang"]) for p in make_pages.generate_pages(
        seed=seed, scale=scale)]


def train_small_model(model_dir: Path, *, bpe: bool = True, scale: float = 0.2) -> Path:
    """A model trained on generated pages (EN and ZH), with a small BPE (or whitespace tokens)."""
    pages = labelled_pages(scale)
    tokenizer = train_bpe((t for _, t, _ in pages), vocab_size=600) if bpe else None
    train_classifier(
        [(label, text) for label, text, _ in pages],
        model_dir,
        tokens=PageTokens(tokenizer, max_chars=20_000),
        params=SMALL_DATA_PARAMS,
        context="test model",
    )
    return model_dir
