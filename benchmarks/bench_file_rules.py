"""Throughput of language detection and the file rules, as ratios to a line-splitting baseline.

    python benchmarks/bench_file_rules.py                     # generated files (deterministic, seed 1234)
    python benchmarks/bench_file_rules.py --dir PATH [...]    # also every file under real checkouts

Each timing is the best of `--repeat` passes over the same files in memory (reading is not timed).
The baseline is splitting every file into lines, the least work any rule does; the other rows report
files/s, MB/s and their cost as a multiple of the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

from filters.code_rules import file_drop_reason
from filters.language import detect_language
from filters.lines import split_lines
from pipeline.config import FileRules

WORDS = [
    "self",
    "value",
    "index",
    "count",
    "name",
    "data",
    "result",
    "items",
    "node",
    "config",
    "path",
    "error",
    "size",
    "key",
    "list",
    "text",
]


def _code_line(rng: random.Random, style: str) -> str:
    indent = " " * (4 * rng.randint(0, 3))
    a, b, c = (rng.choice(WORDS) for _ in range(3))
    if style == "py":
        return indent + rng.choice(
            [f"{a} = {b}.{c}({rng.randint(0, 99)})", f"if {a} > {b}:", f"return {a}[{c}]"]
        )
    return indent + rng.choice([f"const {a} = {b}.{c}({rng.randint(0, 99)});", f"if ({a} > {b}) {{", "}"])


def generated_files(n: int, seed: int = 1234) -> list[tuple[str, str]]:
    """`n` (path, text) pairs: Python, JavaScript, C headers, HTML, JSON and Markdown of 0.5-20 KB."""
    rng = random.Random(seed)
    files = []
    for i in range(n):
        kind = rng.choices(["py", "js", "h", "html", "json", "md"], weights=[40, 20, 10, 10, 10, 10])[0]
        lines = max(5, int(rng.lognormvariate(4.5, 0.8)))
        if kind in ("py", "js", "h"):
            text = "\n".join(_code_line(rng, "py" if kind == "py" else "js") for _ in range(lines))
        elif kind == "html":
            body = "\n".join(f"<p>{' '.join(rng.choices(WORDS, k=12))}</p>" for _ in range(lines // 2))
            script = "\n".join(_code_line(rng, "js") for _ in range(lines // 2))
            text = f"<html><head><title>t</title></head><body>{body}<script>{script}</script></body></html>"
        elif kind == "json":
            text = (
                "{\n"
                + ",\n".join(f'  "{rng.choice(WORDS)}{j}": {rng.randint(0, 999)}' for j in range(lines))
                + "\n}"
            )
        else:
            text = "\n\n".join(" ".join(rng.choices(WORDS, k=15)) for _ in range(lines // 3))
        files.append((f"repo{i % 50}/src/file{i}.{kind}", text + "\n"))
    return files


def files_under(root: Path) -> list[tuple[str, str]]:
    """Every UTF-8 file under `root` (skipping .git), as (relative path, text)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            full = Path(dirpath) / name
            try:
                out.append((full.relative_to(root).as_posix(), full.read_bytes().decode("utf-8")))
            except (UnicodeDecodeError, OSError):
                continue
    return out


def best_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(label: str, files: list[tuple[str, str]], repeat: int) -> None:
    rules = FileRules()
    languages = [detect_language(path, text) for path, text in files]

    def baseline():
        for _, text in files:
            split_lines(text)

    def language():
        for path, text in files:
            detect_language(path, text)

    def file_rules():
        for (path, text), lang in zip(files, languages):
            if lang is not None:
                file_drop_reason(text, lang, path=path, settings=rules)

    def code_path():
        for path, text in files:
            lang = detect_language(path, text)
            if lang is not None:
                file_drop_reason(text, lang, path=path, settings=rules)

    megabytes = sum(len(text.encode("utf-8")) for _, text in files) / 1e6
    known = sum(lang is not None for lang in languages)
    print(f"\n{label}: {len(files)} files, {megabytes:.1f} MB, {known} with a language")
    print(f"{'step':<22}{'files/s':>12}{'MB/s':>10}{'x baseline time':>18}")
    base = best_time(baseline, repeat)
    for name, fn in [
        ("baseline (split)", baseline),
        ("language", language),
        ("file_rules", file_rules),
        ("language+file_rules", code_path),
    ]:
        seconds = base if fn is baseline else best_time(fn, repeat)
        print(f"{name:<22}{len(files) / seconds:>12,.0f}{megabytes / seconds:>10.1f}{seconds / base:>18.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=3000, help="how many generated files")
    parser.add_argument("--dir", type=Path, action="append", default=[], help="a real checkout to measure")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    measure("generated", generated_files(args.files), args.repeat)
    for root in args.dir:
        measure(str(root), files_under(root), args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
