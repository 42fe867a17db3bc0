"""Scaling of the whole pipeline: the bundled sample replicated 1x, 4x and 16x, in-process and with
`multi_processing` (2 workers), one table: wall time, files/s, CPU time and peak memory per process.

Every copy of the sample is made distinct (identifiers renamed, seeded number comments added, bodies
repeated with fresh names up to a realistic file size) so near-dedup cannot collapse the copies. Each run is
`codecorpus run` in a child process that reports its own and its workers' peak RSS (ru_maxrss) and CPU time.
A start-up baseline (one copy) is measured in the same run, so per-file figures are also given net of it.

    .venv/bin/python benchmarks/bench_scale.py [--copies-per-x 1000] [--scales 1,4,16] [--body-repeats 20]
"""
from __future__ import annotations

import argparse
import json
import keyword
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample" / "github"
MODES = {
    "in_process": ["--runner=DirectRunner"],
    "multi_processing": ["--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2"],
}
IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
KEEP = set(keyword.kwlist) | set(dir(__builtins__))
# Acceptance from the issue: per-file time flat within 20% from 4x to 16x; memory not proportional to input.
FLAT_TOLERANCE = 0.20


def letters(n: int) -> str:
    """n in base 26 as lowercase letters: a suffix that keeps a file's alphabetic fraction."""
    out = ""
    while True:
        n, digit = divmod(n, 26)
        out = chr(ord("a") + digit) + out
        if n == 0:
            return out


def mutate(text: str, copy: int, rng: random.Random, body_repeats: int) -> str:
    """A distinct variant of a source file: the body repeated `body_repeats` times, every identifier renamed
    per copy and repetition (letters only), and a seeded number before each repetition (distinct even for
    files without identifiers, while files dropped for their alphabetic fraction stay dropped)."""
    parts = []
    for r in range(body_repeats):
        tag = f"{letters(copy)}x{letters(r)}"
        renamed = IDENTIFIER.sub(lambda m, tag=tag: m[0] if m[0] in KEEP else f"{m[0]}_{tag}", text)
        parts.append(f"# {rng.randrange(10**9)}\n{renamed.rstrip()}\n")
    return "\n".join(parts)


def make_corpus(
    root: Path, copies: int, body_repeats: int, num_shards: int, seed: int = 1234
) -> tuple[int, int]:
    """`copies` distinct copies of every sample repository under root/github, and a config writing
    `num_shards` shards; returns (files, bytes)."""
    files = total = 0
    sources = sorted(p for p in SAMPLE.rglob("*") if p.is_file())
    for copy in range(copies):
        for src in sources:
            rel = src.relative_to(SAMPLE)
            repo, rest = rel.parts[0], Path(*rel.parts[1:])
            dest = root / "github" / f"{repo}-{copy:06d}" / rest
            dest.parent.mkdir(parents=True, exist_ok=True)
            rng = random.Random(f"{seed}/{copy}/{rel.as_posix()}")
            data = mutate(src.read_text(encoding="utf-8"), copy, rng, body_repeats).encode("utf-8")
            dest.write_bytes(data)
            files, total = files + 1, total + len(data)
    config = yaml.safe_load((REPO / "configs" / "local.yaml").read_text())
    config["inputs"]["github"]["paths"] = ["github"]
    config["output"]["num_shards"] = num_shards
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    return files, total


@dataclass
class Run:
    mode: str
    scale: str
    files: int
    nbytes: int
    wall_s: float
    cpu_s: float
    rss_main_mb: float
    rss_workers_mb: float
    files_read: int


def run_pipeline(corpus: Path, mode: str, scale: str, files: int, nbytes: int) -> Run:
    """One `codecorpus run` in a child process; its peak RSS and CPU time come back as JSON."""
    out, report = corpus / f"out-{mode}", corpus / f"rusage-{mode}.json"
    shutil.rmtree(out, ignore_errors=True)
    argv = ["run", "--config", str(corpus / "config.yaml"), "--output", str(out), "--progress", "never"]
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--measure", str(report), "--", *argv, *MODES[mode]],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
    )
    wall = time.perf_counter() - start
    usage = json.loads(report.read_text())
    counts = json.loads((out / "stats" / "counts.json").read_text())
    files_read = next(s["counts"].get("in", 0) for s in counts["stages"] if s["stage"] == "github_source")
    return Run(mode, scale, files, nbytes, wall, usage["cpu_s"], usage["self_mb"], usage["children_mb"], files_read)


def measure_child(report: str, argv: list[str]) -> int:
    """Child side: run the CLI here, then record this process's and its reaped workers' peak RSS and CPU."""
    from pipeline.cli import main

    code = main(argv)
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(report).write_text(json.dumps({
        "self_mb": me.ru_maxrss / 1024, "children_mb": kids.ru_maxrss / 1024,
        "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
    }))
    return code


def print_table(runs: list[Run], baseline: dict[str, Run]) -> None:
    head = (
        f"{'mode':<17}{'scale':>6}{'files':>9}{'MB':>8}{'wall s':>8}{'files/s':>9}{'ms/file':>9}"
        f"{'net ms/file':>12}{'CPU s':>8}{'CPU s/MB':>9}{'RSS main MB':>12}{'RSS worker MB':>14}"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        base = baseline[r.mode]
        net = (r.wall_s - base.wall_s) / max(r.files - base.files, 1) * 1000 if r is not base else float("nan")
        print(
            f"{r.mode:<17}{r.scale:>6}{r.files:>9,}{r.nbytes / 1e6:>8.1f}{r.wall_s:>8.1f}{r.files / r.wall_s:>9,.0f}"
            f"{r.wall_s / r.files * 1000:>9.2f}{net:>12.2f}{r.cpu_s:>8.1f}{r.cpu_s / (r.nbytes / 1e6):>9.2f}"
            f"{r.rss_main_mb:>12.0f}{(f'{r.rss_workers_mb:.0f}' if r.rss_workers_mb else '-'):>14}"
        )


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def verdicts(runs: list[Run], baseline: dict[str, Run], low: str, high: str) -> list[str]:
    """The issue's two checks between scales `low` and `high`, for each mode.

    Per-file time is compared net of the start-up run (a fixed cost that would otherwise make bigger runs
    look cheaper per file), and judged on CPU time: on a shared machine wall time swings with the other
    tenants' load (printed with the table), CPU time does not. Memory is compared per process kind.
    """
    lines = []
    by = {(r.mode, r.scale): r for r in runs}
    for mode in MODES:
        a, b, base = by.get((mode, low)), by.get((mode, high)), baseline.get(mode)
        if not (a and b and base):
            continue
        grow = b.files / a.files

        def net(r: Run, field: str, base: Run = base) -> float:
            return (getattr(r, field) - getattr(base, field)) / (r.files - base.files)

        wall, cpu = _ratio(net(b, "wall_s"), net(a, "wall_s")), _ratio(net(b, "cpu_s"), net(a, "cpu_s"))
        flat = abs(cpu - 1) <= FLAT_TOLERANCE
        lines.append(
            f"{mode}: per-file time {high}/{low} net of start-up: CPU x{cpu:.2f}, wall x{wall:.2f} "
            f"(gross wall x{_ratio(b.wall_s / b.files, a.wall_s / a.files):.2f}) -> "
            f"CPU {'flat' if flat else 'NOT flat'} within {FLAT_TOLERANCE:.0%}"
        )
        kinds = [("runner+worker process", "rss_main_mb")] if mode == "in_process" else [
            ("runner process", "rss_main_mb"), ("largest worker", "rss_workers_mb")]
        for kind, field in kinds:
            above = _ratio(getattr(b, field) - getattr(base, field), getattr(a, field) - getattr(base, field))
            gross = _ratio(getattr(b, field), getattr(a, field))
            verdict = "not proportional" if gross < grow / 2 else "PROPORTIONAL"
            lines.append(
                f"    peak RSS, {kind}: x{gross:.2f} ({getattr(a, field):.0f} -> {getattr(b, field):.0f} MB; "
                f"above start-up x{above:.2f}) for x{grow:.0f} the input -> {verdict}"
            )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,4,16", help="replication factors (default 1,4,16)")
    parser.add_argument("--copies-per-x", type=int, default=1000, help="copies of the sample at scale 1")
    parser.add_argument("--body-repeats", type=int, default=20, help="renamed repetitions of each file body")
    parser.add_argument("--shards-per-x", type=int, default=2, help="output shards at scale 1 (grows with x)")
    parser.add_argument("--modes", default=",".join(MODES), help="in_process,multi_processing")
    parser.add_argument("--workdir", default=str(REPO / "bench-out" / "scale"))
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.measure:
        return measure_child(args.measure, [a for a in rest if a != "--"])
    scales = [int(s) for s in args.scales.split(",")]
    modes = args.modes.split(",")
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
          f"{os.getloadavg()[0]:.1f}; sample {SAMPLE.relative_to(REPO)} x {args.copies_per_x} copies per 1x, "
          f"bodies repeated {args.body_repeats}x, {args.shards_per_x} output shards per 1x")
    # Output shards grow with the input, as one sizes them in production: a shard is sorted in one worker.
    corpora = {"0": (workdir / "x0", *make_corpus(workdir / "x0", 1, args.body_repeats, args.shards_per_x))}
    for s in scales:
        corpus = make_corpus(workdir / f"x{s}", s * args.copies_per_x, args.body_repeats, s * args.shards_per_x)
        corpora[f"{s}x"] = (workdir / f"x{s}", *corpus)
    runs, baseline = [], {}
    for mode in modes:
        for scale, (path, files, nbytes) in corpora.items():
            run = run_pipeline(path, mode, scale, files, nbytes)
            assert run.files_read == files, f"{mode} {scale}: read {run.files_read} of {files} files"
            if scale == "0":
                baseline[mode] = run
            runs.append(run)
            print(f"  {mode} {scale}: {run.wall_s:.1f} s", file=sys.stderr)
    print_table(runs, baseline)
    print(f"(load average at the end {os.getloadavg()[0]:.1f}; net = minus the start-up run, scale 0)\n")
    for line in verdicts(runs, baseline, f"{scales[-2]}x", f"{scales[-1]}x") if len(scales) > 1 else []:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
