"""Files/s of the GitHub code path on a real repository, as ratios against a plain-Python baseline measured
in the same run (the machines are noisy; the ratio is the figure to compare).

    python benchmarks/bench_github_source.py REPO      # or CODECORPUS_BENCH_REPO=REPO
    python benchmarks/bench_github_source.py REPO --beam   # also the whole pipeline on the DirectRunner

REPO is a checkout or a bare git repository (e.g. a `fetch` mirror; it is exported with `git archive` to a
temporary folder first). Without a repository the benchmark prints why and exits 0.

Measured, each as files/s (median of `--rounds` rounds, the variants interleaved within a round):
- baselines: `os.walk` + `Path.read_bytes` + UTF-8 decode, the least any reader of a folder must do; and
  plain `tarfile` / `zipfile` iteration + read + decode for the archives;
- source (dir): `read_unit` on the folder (symlink, size, binary and decoding checks, Records with ids);
- source (tar.gz), source (zip): the same tree packed as a GitHub-style archive, streamed;
- code path: source (dir) -> language -> file rules, the plain steps the pipeline wires.
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pipeline.build import file_rules_step, language_step
from pipeline.config import FileRules
from pipeline.record import Drop
from pipeline.sources.github import ReadLimits, RepoUnit, is_bare_git_dir, read_unit

ENV_VAR = "CODECORPUS_BENCH_REPO"
MIN_SECONDS = 0.5  # each measurement repeats its pass until at least this long


def export_bare(bare: str, dest: Path) -> Path:
    """The HEAD tree of a bare repository written to `dest/<name>` with `git archive`."""
    out = dest / Path(bare.rstrip("/")).name.removesuffix(".git")
    out.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", bare, "archive", "--format=tar", "HEAD"], check=True, capture_output=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(out, filter="data")
    return out


def decode_count(blobs: Iterable[bytes]) -> int:
    """How many byte strings were read, each decoded as UTF-8 (failures ignored): the baselines' work."""
    n = 0
    for blob in blobs:
        try:
            blob.decode("utf-8")
        except UnicodeDecodeError:
            pass
        n += 1
    return n


def baseline_pass(root: Path) -> int:
    def blobs() -> Iterator[bytes]:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            for name in filenames:
                path = Path(dirpath, name)
                if not path.is_symlink():
                    yield path.read_bytes()

    return decode_count(blobs())


def tar_baseline_pass(path: Path) -> int:
    with tarfile.open(path, "r|gz") as tar:
        return decode_count(tar.extractfile(m).read() for m in tar if m.isreg())


def zip_baseline_pass(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return decode_count(zf.read(info) for info in zf.infolist() if not info.is_dir())


def source_pass(unit: RepoUnit, limits: ReadLimits) -> int:
    return sum(1 for _ in read_unit(unit, limits))


def code_path_pass(unit: RepoUnit, limits: ReadLimits, rules: dict) -> int:
    n = 0
    for item in read_unit(unit, limits):
        n += 1
        if isinstance(item, Drop):
            continue
        item = language_step(item)
        if not isinstance(item, Drop):
            file_rules_step(item, rules)
    return n


def rate(fn: Callable[[], int]) -> float:
    """Files per second of `fn` (a pass returning its file count), repeated for at least MIN_SECONDS."""
    files, start = 0, time.perf_counter()
    while True:
        files += fn()
        elapsed = time.perf_counter() - start
        if elapsed >= MIN_SECONDS:
            return files / elapsed


def pack(root: Path, dest: Path) -> tuple[Path, Path]:
    """The tree as GitHub lays out its archives: one top folder `<name>-main/`."""
    top = f"{root.name}-main"
    tgz, zpath = dest / f"{top}.tar.gz", dest / f"{top}.zip"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(root, arcname=top)
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                zf.write(path, f"{top}/{path.relative_to(root).as_posix()}")
    return tgz, zpath


def beam_rate(root: Path, work: Path) -> float:
    """Files/s of `codecorpus run` on the folder (DirectRunner, in-process), start-up included."""
    from pipeline.cli import main

    config = work / "bench.yaml"
    config.write_text(f"inputs:\n  github:\n    paths: ['{root}']\noutput:\n  num_shards: 1\n")
    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        stdout, sys.stdout = sys.stdout, sink
        try:
            code = main(["run", "--config", str(config), "--output", str(work / "out")])
        finally:
            sys.stdout = stdout
    if code != 0:
        raise SystemExit(f"codecorpus run failed with {code}")
    from pipeline.accounting import read_funnel

    return read_funnel(str(work / "out"))[0].n_in / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", nargs="?", default=os.environ.get(ENV_VAR, ""), help=f"or ${ENV_VAR}")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--beam", action="store_true", help="also time the whole pipeline on the DirectRunner")
    args = parser.parse_args()
    if not args.repo or not os.path.isdir(args.repo):
        print(f"bench_github_source: skipped: give a repository folder as argument or in ${ENV_VAR} "
              f"(got {args.repo!r}); e.g. a bare mirror from the `fetch` tool")
        return 0
    work = Path(tempfile.mkdtemp(prefix="codecorpus-bench-"))
    try:
        root = export_bare(args.repo, work / "tree") if is_bare_git_dir(args.repo) else Path(args.repo)
        tgz, zpath = pack(root, work)
        limits, rules = ReadLimits(), FileRules()
        variants: dict[str, Callable[[], int]] = {
            "baseline os.walk+read+decode": lambda: baseline_pass(root),
            "source (dir)": lambda: source_pass(RepoUnit("dir", str(root), root.name), limits),
            "baseline tarfile r|gz+read+decode": lambda: tar_baseline_pass(tgz),
            "source (tar.gz)": lambda: source_pass(RepoUnit("archive", str(tgz), tgz.name), limits),
            "baseline zipfile read+decode": lambda: zip_baseline_pass(zpath),
            "source (zip)": lambda: source_pass(RepoUnit("archive", str(zpath), zpath.name), limits),
            "code path (dir->language->rules)": lambda: code_path_pass(
                RepoUnit("dir", str(root), root.name), limits, rules
            ),
        }
        n_files = baseline_pass(root)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
        print(f"repository: {args.repo} ({n_files} files, {size / 1e6:.1f} MB); {args.rounds} rounds")
        results: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, fn in variants.items():
                results[name].append(rate(fn))
        base = statistics.median(results["baseline os.walk+read+decode"])
        print(f"{'variant':<36}{'files/s':>12}{'vs os.walk':>12}{'vs same-format baseline':>26}")
        tar_base, zip_base = "baseline tarfile r|gz+read+decode", "baseline zipfile read+decode"
        same_format = {"source (tar.gz)": tar_base, tar_base: tar_base, "source (zip)": zip_base, zip_base: zip_base}
        for name, rates in results.items():
            median = statistics.median(rates)
            own = statistics.median(results[same_format.get(name, "baseline os.walk+read+decode")])
            print(f"{name:<36}{median:>12,.0f}{median / base:>11.2f}x{median / own:>25.2f}x")
        if args.beam:
            beam = beam_rate(root, work)
            print(f"{'codecorpus run (DirectRunner)':<36}{beam:>12,.0f}{beam / base:>11.2f}x   (one run, start-up included)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
