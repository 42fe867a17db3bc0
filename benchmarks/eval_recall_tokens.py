"""`make eval-classifier`: does tokenizing with BPE instead of splitting on spaces improve fastText recall?

DeepSeek-Coder-V2 §2 (SPEC §2) says it "significantly improves the recall accuracy", because Chinese has no
spaces. One run: generate the bundled sample (sample/recall/make_pages.py) for several seeds, select the
training set with the real select pipeline (seed URL patterns + random negatives, configs/local.yaml), train
a BPE model and a whitespace model on the same examples, and score every page that was not trained on:
pages of code/math sites the seed does not name, and other pages. Reported per language: recall at fixed
precision of code and of math. Also measured on the same data: one multi-class model (softmax) against one
binary model per category (fastText `ova`), and the paper's lr 0.1 / 3 epochs at this size. When
../shared/data is present, the models trained on the sample are also scored on real English text (GSM8K and
MATH problems, HumanEval and MBPP code, news articles): a transfer test, not an in-domain one.

    python benchmarks/eval_recall_tokens.py [--out DIR] [--seeds N]
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import importlib.util
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import apache_beam as beam

from classifiers.bpe_tokenizer import train_bpe
from classifiers.eval import recall_at_precision
from classifiers.fasttext_model import FastTextParams, PageTokens, TextClassifier, train_classifier
from pipeline.config import bundled_config_path, load_config
from pipeline.recall_driver import training_examples
from pipeline.recall_transforms import build_select_pipeline

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
PRECISIONS = (0.9, 0.95)
CATEGORIES = ("code", "math")
REAL_PER_SOURCE = 150


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_pages", REPO / "sample" / "recall" / "make_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recall_figures(model: TextClassifier, pages: list[dict]) -> dict:
    """{category: {precision: recall}} over `pages` (each with text and truth)."""
    scores = [model.scores(p["text"]) for p in pages]
    return {
        c: {str(p): recall_at_precision([s[c] for s in scores], [pg["truth"] == c for pg in pages], p)
            for p in PRECISIONS}
        for c in CATEGORIES
    }


def real_english_pages(rnd: random.Random) -> list[dict]:
    """Real English texts from ../shared/data (absent: empty): math problems, code, news."""
    if not SHARED.is_dir():
        return []
    bench = SHARED / "benchmarks"

    def jsonl(path: Path) -> list[dict]:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def sample(rows: list, n: int = REAL_PER_SOURCE) -> list:
        return rnd.sample(rows, min(n, len(rows)))

    pages = [{"text": r["question"] + "\n" + r["answer"], "truth": "math"}
             for r in sample(jsonl(bench / "gsm8k" / "test.jsonl"))]
    pages += [{"text": r["problem"] + "\n" + r["solution"], "truth": "math"}
              for r in sample(jsonl(bench / "math" / "MATH500_test.jsonl"))]
    pages += [{"text": r["prompt"] + r["canonical_solution"], "truth": "code"}
              for r in sample(jsonl(bench / "humaneval" / "HumanEval.jsonl.gz"))]
    pages += [{"text": r["text"] + "\n" + r["code"], "truth": "code"}
              for r in sample(jsonl(bench / "mbpp" / "mbpp.jsonl"))]
    truth = json.loads((SHARED / "html" / "scrapinghub-aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    pages += [{"text": v["articleBody"], "truth": "other"} for v in truth.values() if v.get("articleBody")]
    return pages


def run_seed(seed: int, config_path: Path, work: Path, generator) -> dict:
    """Select, train both tokenizations (and the variants) on sample `seed`, and score held-out pages."""
    sample_dir = work / f"sample-{seed}"
    pages_path, _ = generator.write_sample(sample_dir, seed=seed)
    config = load_config(config_path)
    iter_dir = str(work / f"select-{seed}")
    with beam.Pipeline(argv=["--runner=DirectRunner"]) as p:
        build_select_pipeline(p, config, str(pages_path), iter_dir)
    examples = [(label, text) for _, label, text in training_examples(f"{iter_dir}/train")]
    trained_ids = {i.split("-", 1)[1] for i, _, _ in training_examples(f"{iter_dir}/train")}
    held_out = [
        {"text": p["text"], "truth": p["meta"]["truth"], "lang": p["meta"]["lang"]}
        for p in map(json.loads, pages_path.read_text(encoding="utf-8").splitlines())
        if p["id"] not in trained_ids
    ]
    params = FastTextParams(**config.recall.fasttext.model_dump(), seed=config.seed)
    max_chars = config.tokenizer.max_chars
    bpe = train_bpe((t for _, t in examples), vocab_size=config.tokenizer.vocab_size)
    variants = {
        "bpe": (bpe, params),
        "whitespace": (None, params),
        "bpe_ova": (bpe, dataclasses.replace(params, loss="ova")),
        "bpe_paper_lr_epochs": (bpe, dataclasses.replace(params, lr=0.1, epoch=3)),
    }
    out = {"trained_on": {k: sum(label == k for label, _ in examples) for k in ("code", "math", "other")}}
    for name, (tokenizer, variant_params) in variants.items():
        model_dir = work / f"model-{seed}-{name}"
        train_classifier(examples, model_dir, tokens=PageTokens(tokenizer, max_chars=max_chars),
                         params=variant_params, context=f"eval seed {seed} {name}")
        model = TextClassifier.load(model_dir)
        out[name] = {lang: recall_figures(model, [p for p in held_out if p["lang"] == lang]) for lang in ("en", "zh")}
        out[name]["held_out"] = {lang: {c: sum(p["truth"] == c and p["lang"] == lang for p in held_out)
                                        for c in ("code", "math", "other")} for lang in ("en", "zh")}
        real = real_english_pages(random.Random(seed))
        if real:
            out[name]["real_en"] = recall_figures(model, real)
    return out


def mean_table(runs: list[dict]) -> list[str]:
    lines = [f"{'model':<22}{'lang':<9}" + "".join(f"{c + ' R@P' + str(p):>14}" for c in CATEGORIES
                                                    for p in PRECISIONS)]
    for name in ("bpe", "whitespace", "bpe_ova", "bpe_paper_lr_epochs"):
        for lang in ("en", "zh", "real_en"):
            if lang not in runs[0][name]:
                continue
            cells = []
            for c in CATEGORIES:
                for p in PRECISIONS:
                    values = [r[name][lang][c][str(p)] for r in runs]
                    cells.append(f"{statistics.mean(values):>8.3f}±{statistics.pstdev(values):.2f}")
            lines.append(f"{name:<22}{lang:<9}" + "".join(f"{cell:>14}" for cell in cells))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="writes OUT/eval-classifier.json")
    parser.add_argument("--seeds", type=int, default=3, help="sample seeds to average over")
    parser.add_argument("--config", default=str(bundled_config_path("local.yaml")))
    args = parser.parse_args()
    generator = _load_generator()
    start = time.time()
    with tempfile.TemporaryDirectory(prefix="eval-recall-") as tmp:
        runs = [run_seed(seed, Path(args.config), Path(tmp), generator) for seed in range(args.seeds)]
    print(f"trained on (seed 0): {runs[0]['trained_on']}; held out (seed 0): {runs[0]['bpe']['held_out']}")
    print("recall at fixed precision on held-out pages (mean ± sd over sample seeds):")
    print("\n".join(mean_table(runs)))
    if "real_en" not in runs[0]["bpe"]:
        print("(../shared/data absent: no real-text transfer rows)")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    report = Path(args.out) / "eval-classifier.json"
    report.write_text(json.dumps(runs, indent=1, sort_keys=True))
    print(f"figures in {report}; {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
