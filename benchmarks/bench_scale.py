"""Scaling of the whole pipeline: the bundled sample's code replicated 4x, 8x and 16x, in-process, with
`multi_processing` (2 workers) and on a local Flink cluster (2 slots), one table: wall time, CPU time per
record and the peak memory of each process kind (per worker).

Every copy of the sample is made distinct (identifiers renamed, seeded number comments added, bodies
repeated with fresh names up to a realistic file size) so near-dedup cannot collapse the copies. Each run is
`codecorpus run` in a child process that reports its own and its workers' peak RSS (ru_maxrss) and CPU time.
A start-up baseline (one copy) is measured in the same run, so per-file figures are also given net of it.

    make bench-scale        (installs Flink and the job server first; see `make flink`)
    .venv/bin/python -m benchmarks.bench_scale [--copies-per-x 1] [--scales 4,8,16] [--body-repeats 2] \
        [--modes in_process,multi_processing,flink --flink-home DIR --job-server-jar JAR]

Stage shards are sized by bytes (`output.shard_bytes`, small here so the shard count grows with the input
as it does in production), so every writer holds one bounded shard whatever the scale.
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
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from tools.flink.cluster import FlinkCluster, exit_on_signals, process_rss_mb

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample" / "github"
MODES = {
    "in_process": ["--runner=DirectRunner"],
    "multi_processing": ["--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2"],
    "flink": [],  # filled in main() with the cluster's address
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
    root: Path, copies: int, body_repeats: int, shard_bytes: int, seed: int = 1234
) -> tuple[int, int]:
    """`copies` distinct copies of every sample repository under root/github, and a config (the bundled one,
    code only, its paths made absolute) writing shards of `shard_bytes`; returns (files, bytes)."""
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
    text = (REPO / "configs" / "local.yaml").read_text().replace("../sample/", f"{REPO}/sample/")
    config = yaml.safe_load(text)
    config["inputs"] = {"github": {"paths": ["github"]}}  # code only: the scaled part
    config["output"].update(num_shards=1, shard_bytes=shard_bytes)
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
    rss_workers_mb: float  # the largest worker process (multi_processing) or the TaskManager (Flink)
    files_read: int


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PeakRss(threading.Thread):
    """Polls a process's resident memory (the TaskManager JVM is not our child: no rusage for it)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self.done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.peak_mb = max(self.peak_mb, process_rss_mb(self.pid))


def run_pipeline(corpus: Path, mode: str, scale: str, files: int, nbytes: int, worker_pid: int | None = None) -> Run:
    """One `codecorpus run` in a child process; its peak RSS and CPU time come back as JSON. With
    `worker_pid` (Flink's TaskManager), that process's CPU and polled peak RSS are added as the worker's."""
    out, report = corpus / f"out-{mode}", corpus / f"rusage-{mode}.json"
    shutil.rmtree(out, ignore_errors=True)
    argv = ["run", "--config", str(corpus / "config.yaml"), "--output", str(out), "--progress", "never"]
    poll = PeakRss(worker_pid) if worker_pid else None
    worker_cpu = _cpu_s(worker_pid) if worker_pid else 0.0
    if poll:
        poll.start()
    start = time.perf_counter()
    log = corpus / f"log-{mode}.txt"
    with open(log, "w") as fh:
        code = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_scale", "--measure", str(report), "--", *argv, *MODES[mode]],
            stdout=fh, stderr=subprocess.STDOUT, cwd=REPO, check=False,
        ).returncode
    wall = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{mode} {scale}: codecorpus run exited {code}; see {log}")
    usage = json.loads(report.read_text())
    workers_mb = usage["children_mb"]
    cpu = usage["cpu_s"]
    if poll:
        poll.done.set()
        poll.join()
        workers_mb, cpu = poll.peak_mb, cpu + _cpu_s(worker_pid) - worker_cpu
    counts = json.loads((out / "stats" / "counts.json").read_text())
    files_read = next(s["counts"].get("in", 0) for s in counts["stages"] if s["stage"] == "github_source")
    return Run(mode, scale, files, nbytes, wall, cpu, usage["self_mb"], workers_mb, files_read)


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
        f"{'mode':<17}{'scale':>6}{'files':>8}{'MB':>7}{'wall s':>8}{'CPU s':>8}{'CPU ms/file':>12}"
        f"{'net CPU ms/file':>16}{'RSS launcher MB':>16}{'RSS worker MB':>14}"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        base = baseline[r.mode]
        net = (r.cpu_s - base.cpu_s) / max(r.files - base.files, 1) * 1000 if r is not base else float("nan")
        print(
            f"{r.mode:<17}{r.scale:>6}{r.files:>8,}{r.nbytes / 1e6:>7.1f}{r.wall_s:>8.1f}{r.cpu_s:>8.1f}"
            f"{r.cpu_s / r.files * 1000:>12.2f}{net:>16.2f}{r.rss_main_mb:>16.0f}"
            f"{(f'{r.rss_workers_mb:.0f}' if r.rss_workers_mb else '-'):>14}"
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
            ("launcher process", "rss_main_mb"),
            ("TaskManager" if mode == "flink" else "largest worker", "rss_workers_mb")]
        for kind, field in kinds:
            above = _ratio(getattr(b, field) - getattr(base, field), getattr(a, field) - getattr(base, field))
            gross = _ratio(getattr(b, field), getattr(a, field))
            verdict = f"flat within {FLAT_TOLERANCE:.0%}" if abs(gross - 1) <= FLAT_TOLERANCE else (
                "grows, not proportional" if gross < grow / 2 else "PROPORTIONAL")
            lines.append(
                f"    peak RSS, {kind}: x{gross:.2f} ({getattr(a, field):.0f} -> {getattr(b, field):.0f} MB; "
                f"above start-up x{above:.2f}) for x{grow:.0f} the input -> {verdict}"
            )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="4,8,16", help="replication factors (default 4,8,16)")
    parser.add_argument("--copies-per-x", type=int, default=1, help="copies of the sample at scale 1")
    parser.add_argument("--body-repeats", type=int, default=2, help="renamed repetitions of each file body")
    parser.add_argument("--shard-bytes", type=int, default=2**20, help="output.shard_bytes of the runs")
    parser.add_argument("--modes", default=",".join(MODES), help="in_process,multi_processing,flink")
    parser.add_argument("--flink-home", type=Path, help="the pyflink folder (make flink prints it)")
    parser.add_argument("--job-server-jar", type=Path, help="Beam's Flink job server (make flink prints it)")
    parser.add_argument("--workdir", default=str(REPO / "bench-out" / "scale"))
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.measure:
        return measure_child(args.measure, [a for a in rest if a != "--"])
    exit_on_signals()
    scales = [int(s) for s in args.scales.split(",")]
    modes = args.modes.split(",")
    if "flink" in modes and not (args.flink_home and args.job_server_jar):
        parser.error("the flink mode needs --flink-home and --job-server-jar (make bench-scale passes them)")
    workdir = Path(args.workdir).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
          f"{os.getloadavg()[0]:.1f}; sample {SAMPLE.relative_to(REPO)} x {args.copies_per_x} copies per 1x, "
          f"bodies repeated {args.body_repeats}x, shards of {args.shard_bytes:,} text bytes")
    corpora = {"0": (workdir / "x0", *make_corpus(workdir / "x0", 1, args.body_repeats, args.shard_bytes))}
    for s in scales:
        corpus = make_corpus(workdir / f"x{s}", s * args.copies_per_x, args.body_repeats, args.shard_bytes)
        corpora[f"{s}x"] = (workdir / f"x{s}", *corpus)
    runs, baseline = [], {}
    cluster = None
    try:
        for mode in modes:
            worker_pid = None
            if mode == "flink":
                cluster = FlinkCluster(args.flink_home, workdir / "flink-cluster", slots=2)
                cluster.start()
                worker_pid = cluster.procs[1].pid  # taskmanager.sh execs the TaskManager JVM
                MODES["flink"] = ["--runner-profile", "flink", f"--flink_master={cluster.master}",
                                  f"--flink_job_server_jar={args.job_server_jar}", "--environment_type=LOOPBACK",
                                  "--parallelism=2", "--job_server_jvm_properties=-Xss64m"]
            for scale, (path, files, nbytes) in corpora.items():
                run = run_pipeline(path, mode, scale, files, nbytes, worker_pid)
                assert run.files_read == files, f"{mode} {scale}: read {run.files_read} of {files} files"
                if scale == "0":
                    baseline[mode] = run
                runs.append(run)
                print(f"  {mode} {scale}: {run.wall_s:.1f} s", file=sys.stderr, flush=True)
    finally:
        if cluster:
            cluster.stop()
    print_table(runs, baseline)
    print(f"(load average at the end {os.getloadavg()[0]:.1f}; net = minus the start-up run, scale 0)\n")
    for line in verdicts(runs, baseline, f"{scales[0]}x", f"{scales[-1]}x") if len(scales) > 1 else []:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
