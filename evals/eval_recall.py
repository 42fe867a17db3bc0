"""`make eval-recall`: the whole recall loop (3 iterations) on a labelled crawl, BPE vs whitespace tokens.

The crawl (assembled once into /work/cache/eval-recall, never into the repository):
- real pages: ../shared/data/warc/pages/trafilatura-test-pages.warc.gz (1,041 pages, mostly German and
  English news and blogs, some programming blogs and docs) and ../shared/data/html/scrapinghub-aeb (181 news
  pages). Their labels come from markup, not from any text classifier: a page is `math` when it carries
  MathJax/KaTeX/MathML or several LaTeX commands, `code` when it holds a multi-line <pre> block that looks
  like code or several <code> elements, else `other`;
- made pages: sample/recall/make_pages.py with another seed than the sample (English and Chinese Q&A, blogs
  and docs with code blocks and formulas, confusers, a portal mixing tech and news).
The seeds, in the layouts users download: OpenWebMath-layout Parquet from MATH and GSM8K problems with their
solutions; a StackExchange-layout JSONL (HTML Body) from MBPP and HumanEval; documentation sites as URL
prefixes; plus the URL patterns of the made Q&A sites.

After each iteration the collected label of every page is compared with its label: precision and recall
per category, English, Chinese and other languages apart, for BPE and whitespace tokens side by side.

    python evals/eval_recall.py [--cache /work/cache/eval-recall] [--iterations 3]
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
WARC = SHARED / "warc" / "pages" / "trafilatura-test-pages.warc.gz"
NEWS = SHARED / "html" / "scrapinghub-aeb" / "html"
BENCH = SHARED / "benchmarks"
CATEGORIES = ("code", "math")
MADE_SEED = 2024  # the bundled sample uses 0, its seed files 101

MATH_MARKUP = re.compile(r"mathjax|katex|<math[\s>]|\\begin\{(?:equation|align)|\$\$", re.IGNORECASE)
LATEX = re.compile(r"\\(?:frac|sum|int|alpha|beta|sqrt|mathbb|partial|infty|cdot|leq|geq)\b")
PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.DOTALL | re.IGNORECASE)
CODE_TAG = re.compile(r"<code[^>]*>", re.IGNORECASE)
CODEY = re.compile(r"[;{}=()\[\]]|\bdef |\bimport |\breturn\b|\$ |#include|function\b")
CJK = re.compile(r"[\u4e00-\u9fff]")
EN_WORDS = re.compile(r"\b(?:the|and|of|to|is|in|that|with|for|this)\b", re.IGNORECASE)


def markup_label(html: str) -> str:
    """`math`, `code` or `other` from the page's markup alone (see the module docstring)."""
    if MATH_MARKUP.search(html) or len(LATEX.findall(html)) >= 3:
        return "math"
    blocks = [b for b in PRE.findall(html) if b.count("\n") >= 2 and len(CODEY.findall(b)) >= 3]
    if blocks or len(CODE_TAG.findall(html)) >= 5:
        return "code"
    return "other"


def language(text: str) -> str:
    """`zh`, `en` or `other`, by CJK characters and English function words."""
    if not text:
        return "other"
    if len(CJK.findall(text)) > 0.2 * len(text.replace(" ", "")):
        return "zh"
    words = max(1, len(text.split()))
    return "en" if len(EN_WORDS.findall(text)) > 0.06 * words else "other"


def _extract(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False, include_formatting=False) or ""


def real_pages() -> list[dict]:
    from warcio.archiveiterator import ArchiveIterator

    out = []
    with WARC.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            html = record.content_stream().read().decode("utf-8", "replace")
            out.append((url, html, "trafilatura-pages"))
    for path in sorted(NEWS.glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        out.append((f"https://news.example/{path.name[:16]}", html, "scrapinghub-aeb"))
    pages = []
    for i, (url, html, origin) in enumerate(out):
        text = _extract(html)
        if len(text) < 200:
            continue
        pages.append({"id": f"real-{i:05d}", "source": "web", "url": url, "text": text,
                      "meta": {"truth": markup_label(html), "lang": language(text), "origin": origin}})
    return pages


def made_pages() -> list[dict]:
    spec = importlib.util.spec_from_file_location("make_pages", REPO / "sample" / "recall" / "make_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pages = module.generate_pages(seed=MADE_SEED, scale=1.0)
    for p in pages:
        p["meta"]["origin"] = "made"
        p.pop("domain", None)
    return pages


def write_seeds(folder: Path) -> None:
    """Seed corpora in the layouts users download, from public benchmark sets (outside the crawl)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(x) for x in (BENCH / "math" / "MATH_test.jsonl").read_text().splitlines() if x.strip()]
    texts = [f"{r['problem']}\n\n{r['solution']}" for r in rows]
    urls = [f"https://math.example/{i}" for i in range(len(rows))]
    gsm = [json.loads(x) for x in (BENCH / "gsm8k" / "test.jsonl").read_text().splitlines() if x.strip()]
    texts += [f"{r['question']}\n\n{r['answer']}" for r in gsm]
    urls += [f"https://gsm.example/{i}" for i in range(len(gsm))]
    pq.write_table(pa.table({"url": urls, "text": texts, "metadata": ["{}"] * len(texts)}),
                   folder / "owm-00000.parquet")
    with (folder / "posts.jsonl").open("w", encoding="utf-8") as fh:
        for i, line in enumerate((BENCH / "mbpp" / "mbpp.jsonl").read_text().splitlines()):
            r = json.loads(line)
            body = f"<p>{_esc(r['text'])}</p><pre><code>{_esc(r['code'])}</code></pre>"
            fh.write(json.dumps({"Id": i, "Body": body, "Url": f"https://so.example/q/{i}"}) + "\n")
        with gzip.open(BENCH / "humaneval" / "HumanEval.jsonl.gz", "rt") as he:
            for i, line in enumerate(he):
                r = json.loads(line)
                body = f"<pre><code>{_esc(r['prompt'] + r['canonical_solution'])}</code></pre>"
                fh.write(json.dumps({"Id": 10_000 + i, "Body": body, "Url": f"https://so.example/h/{i}"}) + "\n")
    (folder / "docs.urls").write_text("docs.python.org\ndocs.docker.com\npytorch.org/docs\ndocs.rs\n")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def assemble(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    crawl = cache / "crawl.jsonl"
    if not crawl.exists():
        pages = real_pages() + made_pages()
        with crawl.open("w", encoding="utf-8") as fh:
            for p in pages:
                fh.write(json.dumps(p, ensure_ascii=False) + "\n")
    write_seeds(cache / "seeds")
    return crawl


def eval_config(cache: Path, tokens: str, iterations: int) -> Path:
    seeds = cache / "seeds"
    data = {
        "seed": 1234,
        "output": {"num_shards": 2},
        "tokenizer": {"vocab_size": 8000, "max_chars": 20000},
        "recall": {
            "tokens": tokens,
            "iterations": iterations,
            "min_new_fraction": 0.0,
            "max_seed_pages": 1500,
            "budget_unit": "pages",
            "on_weak": "warn",
            "validation_fraction": 0.1,
            "categories": {
                "code": {"url_patterns": ["stackoverflow.com/questions", "segmentfault.com/q"],
                         "seed_files": [{"path": str(seeds / "posts.jsonl"), "text_column": "Body",
                                         "url_column": "Url", "html": True}, str(seeds / "docs.urls")],
                         "budget": 300, "output_category": "code_web"},
                "math": {"url_patterns": ["math.stackexchange.com", "mathoverflow.net/questions",
                                          "shuxue.example.cn/wenda"],
                         "seed_files": [str(seeds / "owm-*.parquet")], "budget": 300, "output_category": "math_web"},
            },
            "fasttext": {"lr": 0.5, "epoch": 10, "dim": 100, "bucket": 200000, "min_count": 2},
        },
    }
    path = cache / f"config-{tokens}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def pr(pairs: list[tuple[str, str]], label: str) -> dict:
    tp = sum(t == label and c == label for t, c in pairs)
    n_c = sum(c == label for _, c in pairs)
    n_t = sum(t == label for t, _ in pairs)
    return {"precision": round(tp / n_c, 3) if n_c else None, "recall": round(tp / n_t, 3) if n_t else None,
            "true": n_t, "collected": n_c}


def score_iteration(iter_dir: str, truth: dict[str, tuple[str, str]]) -> dict:
    from pipeline.recall_transforms import META_LABEL
    from pipeline.sinks import read_parquet_records

    pages = read_parquet_records(f"{iter_dir}/pages/*.parquet")
    out: dict[str, dict] = {}
    for group in ("all", "en", "zh", "other"):
        pairs = [(truth[p.id][0], p.meta[META_LABEL]) for p in pages
                 if p.id in truth and (group == "all" or truth[p.id][1] == group)]
        out[group] = {label: pr(pairs, label) for label in CATEGORIES}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", default="/work/cache/eval-recall")
    parser.add_argument("--iterations", type=int, default=3)
    args = parser.parse_args()
    if not WARC.exists() or not NEWS.is_dir() or not BENCH.is_dir():
        print(f"eval-recall: {SHARED} is absent; nothing to measure")
        return 0
    from pipeline.config import load_config
    from pipeline.recall_driver import run_recall

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    crawl = assemble(cache)
    rows = [json.loads(x) for x in crawl.read_text(encoding="utf-8").splitlines()]
    truth = {r["id"]: (r["meta"]["truth"], r["meta"]["lang"]) for r in rows}
    print("crawl:", len(rows), "pages;", dict(Counter((r["meta"]["origin"], r["meta"]["lang"], r["meta"]["truth"])
                                                       for r in rows)))
    results: dict[str, dict] = {}
    for tokens in ("bpe", "whitespace"):
        config = load_config(eval_config(cache, tokens, args.iterations))
        per_iter: dict[int, dict] = {}
        started = time.time()
        summary = run_recall(config, str(crawl), str(cache / f"out-{tokens}"), ["--runner=DirectRunner"],
                             progress=lambda line, t=tokens: print(f"[{t}] {line}"),
                             on_iteration=lambda k, d, store=per_iter: store.__setitem__(k, score_iteration(d, truth)))
        results[tokens] = {"iterations": per_iter, "validation": [r["validation"] for r in
                                                                  summary["per_iteration"]],
                           "weak": summary["weak"], "seconds": round(time.time() - started, 1)}
    print("\nprecision / recall of the collected pages against the labels (pages collected / true pages)")
    print(f"{'iter':>4} {'lang':<6}{'class':<6}" + "".join(f"{t:>26}" for t in results))
    for k in range(1, args.iterations + 1):
        for group in ("all", "en", "zh", "other"):
            for label in CATEGORIES:
                cells = []
                for t in results:
                    m = results[t]["iterations"].get(k, {}).get(group, {}).get(label)
                    if not m:
                        cells.append(f"{'-':>26}")
                        continue
                    p = "-" if m["precision"] is None else f"{m['precision']:.3f}"
                    r = "-" if m["recall"] is None else f"{m['recall']:.3f}"
                    cells.append(f"{p:>7} / {r:<5} ({m['collected']:>4}/{m['true']:>4})")
                print(f"{k:>4} {group:<6}{label:<6}" + "".join(cells))
    (cache / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True))
    print(f"\nfigures in {cache / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
