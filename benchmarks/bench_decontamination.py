"""Decontamination on real data: speed against a baseline, and false drops on text that holds no benchmark.

Index: the real HumanEval, MBPP, GSM8K and MATH test sets from ../shared/data/benchmarks.
Innocent documents: the Python standard library's own modules (code no benchmark copies) and the gold article
bodies of ../shared/data/html/scrapinghub-aeb (news prose). Every drop there is a false drop; the figures say
how often the literal rule, our trivial-gram rule, and an index without solutions drop innocent documents.
Speed is CPU time (medians of interleaved rounds), in MB per CPU-second and as a ratio to tokenisation alone\n(normalize_tokens: a regex over the match form) measured in the same run.

    .venv/bin/python benchmarks/bench_decontamination.py [--max-code-files N]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sysconfig
import time
from collections import Counter
from pathlib import Path

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-code-files", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (SHARED / FILES["humaneval"]).exists():
        print(f"skipped: {SHARED} is absent")
        return 0
    docs = innocent_documents(args.max_code_files)
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

    texts = [t for ts in docs.values() for t in ts]
    mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6
    index = variants["default (trivial grams skipped)"]
    index.find("warm up the prefilter")
    jobs = {"tokenisation alone (normalize_tokens)": normalize_tokens, "find()": index.find}
    cpu = {name: [] for name in jobs}
    for _ in range(args.rounds):  # interleaved rounds, CPU time of this process, medians
        for name, job in jobs.items():
            start = time.process_time()
            for t in texts:
                job(t)
            cpu[name].append(time.process_time() - start)
    base, full = (statistics.median(v) for v in cpu.values())
    print(f"\nspeed on {len(texts):,} docs ({mb:.1f} MB), median of {args.rounds} interleaved rounds, CPU time: "
          f"tokenisation alone {mb / base:.1f} MB/CPU-s; find() {mb / full:.1f} MB/CPU-s "
          f"({len(texts) / full:,.0f} docs/CPU-s) = {base / full:.2f}x the baseline's speed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
