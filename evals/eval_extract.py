"""Extraction quality against the scrapinghub article-extraction benchmark (181 pages with gold text).

    .venv/bin/python evals/eval_extract.py            (make eval-extract)

Token-level precision, recall and F1 of each system's text against the gold article body, macro-averaged
over pages as the benchmark does (mean precision, mean recall, F1 of the two); also on word 4-gram
shingles, the benchmark's own unit. Systems run in the same process on the same decoded HTML:
codecorpus's extraction with the config defaults, plain `trafilatura.extract` defaults, and trafilatura with
the options datatrove's `Trafilatura` step passes. A seeded paired bootstrap gives the F1 difference to the
defaults with a 95% interval. Exits 1 if codecorpus is worse in token F1 than the defaults.
Skips (exit 0) when ../shared is absent. Writes bench-out/eval-extract.json.
"""
from __future__ import annotations

import collections
import functools
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from filters.html_decode import decode_html
from filters.web_extract import extract_text
from pipeline.config import WebExtraction
from pipeline.web_transforms import _EXTRACT_OPTIONS

DATA = REPO.parent / "shared" / "data" / "html" / "scrapinghub-aeb"
PAGES_WARC = REPO.parent / "shared" / "data" / "warc" / "pages" / "trafilatura-test-pages.warc.gz"
OUT = REPO / "bench-out" / "eval-extract.json"
BOOTSTRAP_ROUNDS = 1000
BOOTSTRAP_SEED = 1234
_TOKEN = re.compile(r"\w+")

Counts = tuple[float, float, float]  # normalised (tp, fp, fn) of one page


def page_counts(gold: str, predicted: str, n: int = 1) -> Counts:
    """tp/fp/fn of word n-grams (multisets), normalised to sum 1 so every page weighs the same."""

    def grams(text: str) -> collections.Counter:
        tokens = _TOKEN.findall(text or "")
        return collections.Counter(tuple(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1)))

    g, p = grams(gold), grams(predicted)
    tp = sum((g & p).values())
    fp, fn = sum(p.values()) - tp, sum(g.values()) - tp
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def scores(pages: list[Counts]) -> dict[str, float]:
    """Macro precision and recall over pages, F1 of the two (the benchmark's aggregation)."""

    def precision(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (tp / (tp + fp) if tp + fp else 0.0)

    def recall(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else (tp / (tp + fn) if tp + fn else 0.0)

    p = statistics.mean(precision(*c) for c in pages)
    r = statistics.mean(recall(*c) for c in pages)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def paired_bootstrap(a: list[Counts], b: list[Counts], rounds: int = BOOTSTRAP_ROUNDS) -> tuple[float, float, float]:
    """F1(a) - F1(b) and its 95% interval over pages resampled with a fixed seed."""
    rng = random.Random(BOOTSTRAP_SEED)
    n = len(a)
    diffs = []
    for _ in range(rounds):
        idx = [rng.randrange(n) for _ in range(n)]
        diffs.append(scores([a[i] for i in idx])["f1"] - scores([b[i] for i in idx])["f1"])
    diffs.sort()
    return scores(a)["f1"] - scores(b)["f1"], diffs[int(0.025 * rounds)], diffs[int(0.975 * rounds) - 1]


def load_pages(data: Path = DATA) -> tuple[dict[str, str], dict[str, str]]:
    gold = {k: v.get("articleBody", "") for k, v in json.loads((data / "ground-truth.json").read_text()).items()}
    html = {}
    for key in sorted(gold):
        with gzip.open(data / "html" / f"{key}.html.gz", "rb") as fh:
            html[key] = decode_html(fh.read(), "text/html").text
    return gold, html


def systems() -> dict[str, Callable[[str], str]]:
    import trafilatura

    defaults = WebExtraction()
    ours = functools.partial(extract_text, **{name: getattr(defaults, name) for name in _EXTRACT_OPTIONS})
    return {
        "codecorpus (config defaults)": ours,
        "codecorpus without code/math rewrites": functools.partial(ours, keep_code=False, keep_math=False),
        "trafilatura.extract defaults": lambda h: trafilatura.extract(h) or "",
        "trafilatura as datatrove calls it": lambda h: trafilatura.extract(
            h, favor_precision=True, include_comments=False, deduplicate=True
        )
        or "",
    }


def rewrite_effect(warc: Path = PAGES_WARC) -> dict[str, int]:
    """What the code/math rewrites change on real pages (the gold set has no code or math to score):
    pages whose text changes, formulas gained (LaTeX delimiters), blank lines gained."""
    from pipeline.record import Record
    from pipeline.sources.warc import read_warc_file

    defaults = WebExtraction()
    options = {name: getattr(defaults, name) for name in _EXTRACT_OPTIONS}
    effect = collections.Counter()
    pages = read_warc_file(str(warc), max_record_bytes=10**7, allowed_mime=("text/html", "application/xhtml+xml"))
    for page in pages:
        if not isinstance(page, Record):
            continue
        data = page.text.encode("utf-8", "surrogatepass")
        with_rewrites = extract_text(data, **options)
        without = extract_text(data, **{**options, "keep_code": False, "keep_math": False})
        effect["pages"] += 1
        effect["pages_changed"] += with_rewrites != without
        effect["formulas_gained"] += sum(with_rewrites.count(d) - without.count(d) for d in ("\\(", "\\["))
        effect["blank_lines_gained"] += with_rewrites.count("\n\n") - without.count("\n\n")
    return dict(effect)


def main() -> int:
    if not DATA.is_dir():
        print(f"eval-extract: skipped, {DATA} is absent")
        return 0
    import trafilatura

    gold, html = load_pages()
    keys = sorted(gold)
    runs = {}
    for name, fn in systems().items():
        fn(html[keys[0]])  # warm caches and imports outside the clock
        start = time.process_time()
        predicted = {k: fn(html[k]) for k in keys}
        seconds = time.process_time() - start
        runs[name] = {
            "tokens": [page_counts(gold[k], predicted[k]) for k in keys],
            "shingles": [page_counts(gold[k], predicted[k], n=4) for k in keys],
            "pages_per_cpu_s": len(keys) / seconds,
        }
    base = "trafilatura.extract defaults"
    print(f"scrapinghub article-extraction benchmark: {len(keys)} pages; trafilatura {trafilatura.__version__}")
    print(f"{'system':<40}{'P':>7}{'R':>7}{'F1':>7}   {'F1 (4-gram)':>11}   {'F1 - defaults [95% CI]':>26}{'pages/s':>9}")
    report = {}
    for name, run in runs.items():
        tok, shi = scores(run["tokens"]), scores(run["shingles"])
        diff, lo, hi = paired_bootstrap(run["tokens"], runs[base]["tokens"])
        print(
            f"{name:<40}{tok['precision']:7.3f}{tok['recall']:7.3f}{tok['f1']:7.3f}   {shi['f1']:11.3f}   "
            f"{diff:+9.3f} [{lo:+.3f}, {hi:+.3f}]{run['pages_per_cpu_s']:9.1f}"
        )
        report[name] = {"tokens": tok, "shingles_4": shi, "f1_minus_defaults": [diff, lo, hi],
                        "pages_per_cpu_s": run["pages_per_cpu_s"]}
    if PAGES_WARC.exists():
        effect = rewrite_effect()
        report["code_math_rewrites_on_" + PAGES_WARC.name] = effect
        print(f"\ncode/math rewrites on {PAGES_WARC.name}: {effect['pages_changed']} of {effect['pages']} pages "
              f"changed, {effect['formulas_gained']} formulas and {effect['blank_lines_gained']} blank code lines "
              "kept that plain trafilatura loses")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(report, indent=1, sort_keys=True))
    ours_f1 = report["codecorpus (config defaults)"]["tokens"]["f1"]
    base_f1 = report[base]["tokens"]["f1"]
    verdict = "not worse" if ours_f1 >= base_f1 else "WORSE"
    print(f"\ncodecorpus token F1 {ours_f1:.3f} vs trafilatura defaults {base_f1:.3f}: {verdict}; wrote {OUT}")
    return 0 if ours_f1 >= base_f1 else 1


if __name__ == "__main__":
    sys.exit(main())
