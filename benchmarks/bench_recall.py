"""Recall scoring speed: pages scored per second per core, and where the time goes.

Trains a model on the generated sample (configs/local.yaml settings; BPE and whitespace), then scores a
page set one page at a time on one thread, timing each part: BPE encoding, turning tokens into a fastText
line, fastText predict; and, in the same run, the whitespace baseline (split + predict) and the whole
`ScorePages` step (what the Beam DoFn calls). Pages: real English news articles from ../shared/data when
present, and generated English and Chinese pages (sample/recall/make_pages.py). CPU time is reported as
well as wall time, so other load on the machine counts less.

    python benchmarks/bench_recall.py [--pages N] [--repeat R]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

from classifiers.bpe_tokenizer import fasttext_safe, fasttext_tokens, train_bpe, whitespace_tokens
from classifiers.fasttext_model import FastTextParams, PageTokens, TextClassifier, train_classifier
from pipeline.config import bundled_config_path, load_config
from pipeline.recall_transforms import ScorePages
from pipeline.record import Record

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO.parent / "shared" / "data" / "html" / "scrapinghub-aeb" / "ground-truth.json"


def _generator():
    spec = importlib.util.spec_from_file_location("make_pages", REPO / "sample" / "recall" / "make_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(fn, items, repeat: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `fn` over every item, best of `repeat` runs."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        for item in items:
            fn(item)
        best = min(best, (time.perf_counter() - w, time.process_time() - c))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=600, help="pages per page set")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = load_config(bundled_config_path("local.yaml"))
    generator = _generator()
    train = generator.generate_pages(seed=0)
    examples = [(p["meta"]["truth"], p["text"]) for p in train]
    params = FastTextParams(**config.recall.fasttext.model_dump(), seed=config.seed)
    page_sets = {
        "generated en": [p["text"] for p in generator.generate_pages(seed=1) if p["meta"]["lang"] == "en"],
        "generated zh": [p["text"] for p in generator.generate_pages(seed=1) if p["meta"]["lang"] == "zh"],
    }
    if ARTICLES.is_file():
        page_sets["real en news"] = [v["articleBody"] for v in json.loads(ARTICLES.read_text()).values()
                                     if v.get("articleBody")]
    with tempfile.TemporaryDirectory(prefix="bench-recall-") as tmp:
        tokenizer = train_bpe((t for _, t in examples), vocab_size=config.tokenizer.vocab_size)
        max_chars = config.tokenizer.max_chars
        train_classifier(examples, f"{tmp}/bpe", tokens=PageTokens(tokenizer, max_chars=max_chars), params=params)
        train_classifier(examples, f"{tmp}/ws", tokens=PageTokens(None, max_chars=max_chars), params=params)
        t = time.perf_counter()
        bpe, ws = TextClassifier.load(f"{tmp}/bpe"), TextClassifier.load(f"{tmp}/ws")
        load_s = (time.perf_counter() - t) / 2
        step = ScorePages(f"{tmp}/bpe")
        step.setup()
        print(f"model: vocab {tokenizer.get_vocab_size()}, dim {params.dim}, bucket {params.bucket}; "
              f"load {load_s * 1000:.0f} ms (once per worker, in setup)")
        for name, texts in page_sets.items():
            texts = (texts * (args.pages // max(1, len(texts)) + 1))[: args.pages]
            kb = sum(len(t.encode()) for t in texts) / len(texts) / 1024
            encoded = [tokenizer.encode(t[:max_chars], add_special_tokens=False) for t in texts]
            lines = [fasttext_tokens(tokenizer, t[:max_chars]) for t in texts]
            ws_lines = [whitespace_tokens(t[:max_chars]) for t in texts]
            encode = timed(lambda t: tokenizer.encode(t[:max_chars], add_special_tokens=False), texts, args.repeat)
            predict = timed(bpe.scores_of_tokens, lines, args.repeat)
            full = timed(lambda t: bpe.scores(t), texts, args.repeat)
            ws_full = timed(lambda t: ws.scores(t), texts, args.repeat)
            ws_predict = timed(ws.scores_of_tokens, ws_lines, args.repeat)
            records = [Record(id=str(i), source="web", text=t) for i, t in enumerate(texts)]
            dofn = timed(step, records, args.repeat)
            n = len(texts)
            tokens_per_page = sum(len(e.tokens) for e in encoded) / n
            escape = timed(lambda e: fasttext_safe(e.tokens), encoded, args.repeat)
            parts = {"BPE encode": encode[1], "folded fastText scores of the words": predict[1]}
            total = sum(parts.values())
            print(f"\n{name}: {n} pages, {kb:.1f} KB and {tokens_per_page:.0f} BPE tokens per page")
            print(f"  ScorePages step (BPE + predict): {n / dofn[1]:,.0f} pages/s per core (CPU), "
                  f"{n / dofn[0]:,.0f} wall")
            print(f"  TextClassifier.scores, BPE:      {n / full[1]:,.0f} pages/s per core")
            print(f"  TextClassifier.scores, whitespace (baseline): {n / ws_full[1]:,.0f} pages/s per core; "
                  f"BPE costs {ws_full[1] / full[1]:.2f}x its speed")
            print("  where the time goes (BPE path, CPU): " + ", ".join(
                f"{k} {v / total:.0%}" for k, v in parts.items()) + f"; whitespace predict alone "
                f"{n / ws_predict[1]:,.0f} pages/s; escaping tokens (skipped for a byte-level vocabulary) would "
                f"add {escape[1] / total:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
