"""Decontamination on real data: speed against a baseline, and false drops on text that holds no benchmark.

Index: the real HumanEval, MBPP, GSM8K and MATH test sets from ../shared/data/benchmarks.
Innocent documents: the Python standard library's own modules (code no benchmark copies), the gold article
bodies of ../shared/data/html/scrapinghub-aeb (news prose) and, when the WARC is present, the text the project's
extractor (`filters.web_extract.extract_text`, the pipeline's default options) gets from the 1,041 real pages of
../shared/data/warc/pages/trafilatura-test-pages.warc.gz (web pages; `--web-texts PATH` keeps the extracted
texts in a JSON file outside the repository and reads them from there next time). Every drop there is a false
drop; the figures say how often the literal rule, our trivial-gram rule, and an index without solutions drop
innocent documents.
Speed, per corpus: CPU time of this process (medians of interleaved rounds), in MB per CPU-second, of
`find()`, of `find()` on the numpy path (the implementation before the compiled kernel, now its fallback),
and of tokenisation alone (normalize_tokens: a regex over the match form), all measured in the same run.

    .venv/bin/python benchmarks/bench_decontamination.py [--max-code-files N] [--rounds N] [--web-texts PATH]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import statistics
import sysconfig
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from filters import decontaminate
from filters.decontaminate import (
    KNOWN_BENCHMARKS,
    ContaminationIndex,
    benchmark_strings,
    normalize_tokens,
    read_benchmark_rows,
)

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FILES = {
    "humaneval": "benchmarks/humaneval/HumanEval.jsonl.gz",
    "mbpp": "benchmarks/mbpp/mbpp.jsonl",
    "gsm8k": "benchmarks/gsm8k/test.jsonl",
    "math": "benchmarks/math/MATH_test.jsonl",
}
SOLUTIONS = {"canonical_solution", "code", "answer", "solution"}
WARC = SHARED / "warc" / "pages" / "trafilatura-test-pages.warc.gz"


def strings(without_solutions: bool = False):
    out = []
    for name, rel in FILES.items():
        spec = KNOWN_BENCHMARKS[name]
        fields = [f for f in spec.fields if not (without_solutions and f in SOLUTIONS)]
        rows = read_benchmark_rows(str(SHARED / rel))
        out += benchmark_strings(name, rows, fields, spec.exact_fields, spec.id_fields, source=rel,
                                 row_prefix="test/", require_all_fields=False)
    return out


def innocent_documents(max_code_files: int) -> dict[str, list[str]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    code = [p.read_text(errors="replace") for p in sorted(stdlib.rglob("*.py"))[:max_code_files]]
    truth = json.loads((SHARED / "html" / "scrapinghub-aeb" / "ground-truth.json").read_text())
    prose = [v["articleBody"] for v in truth.values() if v.get("articleBody")]
    return {"stdlib code": code, "news prose": prose}


def web_page_texts(cache: Path | None) -> list[str]:
    """The extracted text of every page of WARC (none when it is absent), read from `cache` when it exists."""
    if cache and cache.exists():
        return json.loads(cache.read_text())
    if not WARC.exists():
        return []
    from filters.web_extract import extract_text
    from pipeline.config import WebExtraction, WebSource
    from pipeline.record import Record
    from pipeline.sources.warc import read_warc_file
    from pipeline.web_transforms import extract_options

    source, options = WebSource(), extract_options(WebExtraction())
    pages = read_warc_file(str(WARC), max_record_bytes=source.max_record_bytes, allowed_mime=tuple(source.allowed_mime))
    texts = [extract_text(p.text, p.url, **options) for p in pages if isinstance(p, Record)]
    texts = [t for t in texts if t]
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(texts))
    return texts


@contextlib.contextmanager
def numpy_path() -> Iterator[None]:
    """`find` as it ran before the compiled kernel: its numpy fallback (the log's warning about a missing
    kernel is silenced: here it is switched off on purpose)."""
    kernel, decontaminate._kernel = decontaminate._kernel, None
    logger = logging.getLogger(decontaminate.__name__)
    level, logger.level = logger.level, logging.ERROR
    try:
        yield
    finally:
        decontaminate._kernel, logger.level = kernel, level


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-code-files", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--web-texts", type=Path, help="JSON file keeping the WARC's extracted texts between runs")
    args = parser.parse_args()
    if not (SHARED / FILES["humaneval"]).exists():
        print(f"skipped: {SHARED} is absent")
        return 0
    docs = innocent_documents(args.max_code_files)
    web = web_page_texts(args.web_texts)
    if web:
        docs["web pages"] = web
    else:
        print(f"web pages: skipped, {WARC} is absent")
    variants = {
        "default (trivial grams skipped)": ContaminationIndex.build(strings()),
        "literal (trivial grams indexed)": ContaminationIndex.build(strings(), index_trivial_grams=True),
        "no solutions, trivial skipped": ContaminationIndex.build(strings(without_solutions=True)),
    }
    print(f"{'index':<34}{'grams':>10}" + "".join(f"{k + ' false drops':>26}" for k in docs))
    for label, index in variants.items():
        cells = []
        for kind, texts in docs.items():
            hits = [index.find(t) for t in texts]
            n = sum(h is not None for h in hits)
            cells.append(f"{n:>6} / {len(texts):<6} ({n / len(texts):6.2%})")
            if label.startswith("default"):
                by_field = Counter(h.label.split(" ")[1] for h in hits if h)
                examples = [h.describe() for h in hits if h][:3]
                print(f"  [{kind}] matched fields {dict(by_field)}; e.g. {examples}")
        print(f"{label:<34}{len(index):>10,}" + "".join(f"{c:>26}" for c in cells))

    index = variants["default (trivial grams skipped)"]
    index.find("warm up the prefilter")
    with numpy_path():
        index.find("warm up the prefilter")
    jobs = {"find()": index.find, "find(), numpy path": index.find, "tokenisation alone": normalize_tokens}
    cpu = {(kind, name): [] for kind in docs for name in jobs}
    for _ in range(args.rounds):  # interleaved rounds, CPU time of this process, medians
        for kind, texts in docs.items():
            for name, job in jobs.items():
                with numpy_path() if "numpy" in name else contextlib.nullcontext():
                    start = time.process_time()
                    for t in texts:
                        job(t)
                    cpu[kind, name].append(time.process_time() - start)
    kernel = "compiled kernel" if decontaminate.kernel_available() else "kernel NOT built: find() is numpy too"
    print(f"\nspeed ({kernel}), median of {args.rounds} interleaved rounds, CPU time, MB/CPU-s "
          "(ratio: find()'s speed over the other's)")
    print(f"{'corpus':<14}{'docs':>6}{'MB':>7}" + "".join(f"{name:>22}" for name in jobs) + f"{'x numpy':>9}"
          f"{'x tokens':>10}")
    for kind, texts in docs.items():
        mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6
        secs = {name: statistics.median(cpu[kind, name]) for name in jobs}
        speeds = {name: mb / sec for name, sec in secs.items()}
        print(f"{kind:<14}{len(texts):>6}{mb:>7.1f}" + "".join(f"{v:>22.1f}" for v in speeds.values())
              + f"{speeds['find()'] / speeds['find(), numpy path']:>8.2f}x"
              + f"{speeds['find()'] / speeds['tokenisation alone']:>9.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
