"""The cost of a corpus: the whole pipeline on real data, CPU-seconds per MB per phase, CPU-hours per TB.

Two runs of `codecorpus run` (the CLI, in a subprocess, DirectRunner in-process), the paper's config
(configs/deepseek-coder-v2.yaml) with its inputs replaced:
- code: GitHub repositories (folders of checked-out repositories, fetched outside the repository:
  `--repos`, default /work/cache/bench-cost/repos) -> collect -> mix (decontamination against the real test
  sets of ../shared/data/benchmarks);
- web: WARC files of ordinary pages (`--warc`, default ../shared/data/warc/pages/trafilatura-test-pages.warc.gz)
  -> collect (extraction, URL and near dedup) -> recall (one iteration; seeds: the repositories' Markdown and
  reStructuredText pages for code, GSM8K's training questions for math, written to the work folder) -> mix.
CPU is `os.wait4`'s rusage of the CLI's process (user + system, its reaped children included). The cost per
phase comes from reruns with `--resume` into the same output: with every phase's completion marker present a
run only pays the fixed cost F; removing the mix marker reruns the mix (F + mix), removing recall's too reruns
recall and mix (F + recall + mix); so mix = M - F, recall = RM - M, collect = T - RM. Rounds interleave the
two paths; figures are medians. MB is input MB: source bytes of the repositories' files, WARC bytes as stored
(gzipped). CPU-hours per TB = CPU-s per MB * 1e6 / 3600.

The fixed cost per run is measured apart, in the same interleaved rounds: a whole run (fresh output folder) on
one record (one source file; the WARC's first page, recall off: one page trains no classifier) minus
`python -c "import apache_beam"` with the runner's modules (target: < 3 CPU-s beyond those imports).

At scale, what does not grow with the input is left out: a run's start (the one-record run) and, on the web
path, the recall's cost per run (training the BPE and fastText on the seeds, the select pipeline, each
pipeline's start, the model's load), which `benchmarks.recall_split` measures in the same round by rerunning
the recall of that round's web output in-process: its whole recall less the scoring of the pages. So
    at scale = (whole run - one-record run) / MB
    web at scale, recall per run out = (whole run - one-record run - the recall's per-run part) / MB
The one-record web run has the recall off, so nothing is subtracted twice. That column subtracts a rerun's
recall (its fastText training spreads by several CPU-seconds) from a whole run's; the next one has no training
in it: a web run with the recall off (collect and a mix of unclassified pages), less the one-record run, plus
the scoring of the pages measured by `recall_split`:
    web at scale, recall off + scoring = (recall-off run - one-record run + scoring the pages) / MB
The recall's per-run part is bounded by `max_seed_pages` and `negative_ratio`, not by the corpus; at the
paper's 500K seeds a category it is larger than here, but still paid once per iteration. It slightly
overstates what does not grow: the select pipeline and the score pipeline's reading and writing of the
pages also grow with the corpus (together at most ~4 CPU-s here, ~0.14 s/MB). The column subtracts a
rerun's recall from a whole run's: both spread by several CPU-seconds on a shared machine, so read it
across rounds, not to the unit.

Machines differ in what a CPU-second does (docs/measurements.md: nearly the same code on two machines of this
workplace hours apart, 1.6-1.8x), so each round also runs each path's yardstick on the same input
(`benchmarks.cost_reference`): trafilatura alone on the WARC's pages, datasketch alone on the repositories'
files. The path at scale as a multiple of its yardstick is the figure to compare across machines.

    make bench-cost          # or: .venv/bin/python -m benchmarks.bench_cost [--rounds 3] [--repos DIR] [--warc F...]
                             #     [--fixed-only]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
DEFAULT_REPOS = Path("/work/cache/bench-cost/repos")
DEFAULT_WARC = SHARED / "warc" / "pages" / "trafilatura-test-pages.warc.gz"
PHASES = ("collect", "recall", "mix")
YARDSTICKS = {"code": "datasketch MinHash.bulk alone on the same files", "web": "trafilatura.extract(fast=True) "
              "alone on the same pages"}


def write_seeds(repos: Path, work: Path) -> dict[str, str]:
    """Seed files for the recall: docs pages of the repositories (code), GSM8K training items (math)."""
    code = work / "seed-code.jsonl"
    with code.open("w", encoding="utf-8") as fh:
        for path in sorted(repos.rglob("*")):
            if path.suffix.lower() in (".md", ".rst") and path.is_file():
                fh.write(json.dumps({"text": path.read_text(encoding="utf-8", errors="replace")}) + "\n")
    math = work / "seed-math.jsonl"
    with (SHARED / "benchmarks" / "gsm8k" / "train.jsonl").open(encoding="utf-8") as src, math.open("w") as fh:
        for line in src:
            row = json.loads(line)
            fh.write(json.dumps({"text": row["question"] + "\n" + row["answer"]}) + "\n")
    return {"code": str(code), "math": str(math)}


def make_config(path: Path, *, repos: Path, warcs: list[Path], seeds: dict[str, str], recall_on: bool = True) -> Path:
    config = yaml.safe_load((REPO / "configs" / "deepseek-coder-v2.yaml").read_text())
    config["inputs"] = {"github": {"paths": [str(repos)]}}
    if warcs:
        config["inputs"] = {"web": {"paths": [str(w) for w in warcs]}}
    config["output"]["num_shards"] = 4
    for bench in config["decontamination"]["benchmarks"]:
        bench["paths"] = [str((REPO / "configs" / p).resolve()) for p in bench["paths"]]
    config["tokenizer"].update({"vocab_size": 8000, "train_max_docs": 5000})
    config["mix"]["on_off_target"] = "warn"  # a path holds some of the mix's groups only: measure, not judge
    recall = config["recall"]
    recall.update({"enabled": recall_on, "iterations": 1, "budget_unit": "tokens", "on_weak": "warn"})  # few seeds: measure, not judge
    for name, category in recall["categories"].items():
        category["seed_files"] = [seeds[name]]
        category["budget"] = 1e12  # keep every page above min_score: the cost, not the selection, is measured
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


BEAM_IMPORTS = [sys.executable, "-c", "import apache_beam; from apache_beam.runners.portability import fn_api_runner"]
# The runs keep Python's bytecode cache as a user's runs do: an environment that turns it off
# (PYTHONDONTWRITEBYTECODE, set on the machine these figures were first measured on) makes every run compile
# the project's modules again, a cost of that environment, not of the pipeline.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
PACKAGES = ["pipeline", "filters", "dedup", "classifiers", "mixing", "repos", "benchmarks"]


def one_record_inputs(work: Path, repos: list[Path], warc: Path) -> tuple[Path, Path]:
    """(a folder holding one repository of one source file, a WARC holding the first page of `warc`)."""
    from warcio.archiveiterator import ArchiveIterator

    source = next(p for r in repos for p in sorted(r.rglob("*.py")) if ".git" not in p.parts)
    repo = work / "one-record" / "repos" / "one"
    repo.mkdir(parents=True)
    (repo / source.name).write_bytes(source.read_bytes())
    with warc.open("rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            if record.rec_type == "response":
                start, length = records.get_record_offset(), records.get_record_length()
                break
        fh.seek(start)
        page = fh.read(length)
    one_warc = work / "one-record" / "one.warc.gz"
    one_warc.write_bytes(page)
    return repo.parent, one_warc


def cpu_of(cmd: list[str]) -> float:
    """CPU seconds (user + system) of `cmd`, its whole process tree (os.wait4)."""
    proc = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    return usage.ru_utime + usage.ru_stime


def cli_cpu(config: Path, out: Path, resume: bool) -> float:
    """CPU seconds (user + system) of one `codecorpus run`, its reaped children included."""
    return cpu_of([sys.executable, "-m", "pipeline.cli", "run", "--config", str(config), "--output", str(out),
                   "--progress", "never", "--runner=DirectRunner"] + (["--resume"] if resume else []))


def phase_costs(config: Path, out: Path) -> dict[str, float]:
    """CPU seconds of the fixed cost and of each phase (see the module doc)."""
    total = cli_cpu(config, out, resume=False)
    fixed = cli_cpu(config, out, resume=True)  # every phase complete: nothing reruns
    markers = out / "stages" / "_complete"
    index = out / "stats" / "decontamination_index.bin"  # reused by key: remove it so the mix pays its build
    (markers / "mix.json").unlink()
    index.unlink(missing_ok=True)
    m = cli_cpu(config, out, resume=True)
    for phase in ("recall", "mix"):
        (markers / f"{phase}.json").unlink(missing_ok=True)
    index.unlink(missing_ok=True)
    rm = cli_cpu(config, out, resume=True)
    return {"fixed": fixed, "collect": total - rm, "recall": rm - m, "mix": m - fixed, "total": total}


def module_json(module: str, *args: str) -> dict[str, Any]:
    """The JSON object that `python -m module args` prints on its last line (run in a subprocess)."""
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=ENV, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def recall_split(config: Path, out: Path) -> dict[str, float]:
    """The recall of finished web run `out` split into CPU-seconds per run and per page
    (`benchmarks.recall_split`, in a subprocess: it patches the recall's modules)."""
    return module_json("benchmarks.recall_split", str(config), str(out), "--json")


def input_mb(repos: list[Path], warcs: list[Path]) -> float:
    if warcs:
        return sum(w.stat().st_size for w in warcs) / 1e6
    return sum(p.stat().st_size for r in repos for p in r.rglob("*") if p.is_file() and ".git" not in p.parts) / 1e6


def reference_cpu(name: str, repos: Path, warcs: list[Path]) -> float:
    """CPU seconds of the yardstick of path `name` on the same input (`benchmarks.cost_reference`)."""
    args = [str(w) for w in warcs] if name == "web" else [str(repos)]
    return module_json("benchmarks.cost_reference", name, *args)["cpu_s"]


def at_scale(name: str, run: dict[str, float], one_run: float) -> float:
    """CPU seconds of one round's run of path `name` that grow with the input: the whole run less the
    one-record run; on the web path the recall-off run less it, plus scoring the pages (the module doc)."""
    if name == "web":
        return run["recall off"] - one_run + run["recall per page"]
    return run["total"] - one_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=Path, default=DEFAULT_REPOS, help="folder of checked-out repositories")
    parser.add_argument("--warc", type=Path, nargs="*", default=[DEFAULT_WARC])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fixed-only", action="store_true", help="only the one-record runs (the fixed cost)")
    args = parser.parse_args(argv)
    repos = sorted(p for p in args.repos.iterdir() if p.is_dir()) if args.repos.is_dir() else []
    missing = [str(p) for p in [*args.warc, SHARED / "benchmarks"] if not p.exists()]
    if not repos or missing:
        print(f"skipped: no repositories under {args.repos} (fetch some there) or missing {missing}")
        return 0
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=REPO, env=ENV, check=True)
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as tmp:
        work = Path(tmp)
        seeds = write_seeds(args.repos, work)
        paths = {
            "code": (make_config(work / "code.yaml", repos=args.repos, warcs=[], seeds=seeds), input_mb(repos, [])),
            "web": (make_config(work / "web.yaml", repos=args.repos, warcs=args.warc, seeds=seeds),
                    input_mb([], args.warc)),
        }
        one_repos, one_warc = one_record_inputs(work, repos, args.warc[0])
        web_off = make_config(work / "web-off.yaml", repos=args.repos, warcs=args.warc, seeds=seeds, recall_on=False)
        one = {
            "code": make_config(work / "one-code.yaml", repos=one_repos, warcs=[], seeds=seeds),
            "web": make_config(work / "one-web.yaml", repos=one_repos, warcs=[one_warc], seeds=seeds, recall_on=False),
        }
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
        fixed: dict[str, list[float]] = {"imports": [], **{name: [] for name in one}}
        for r in range(args.rounds):  # interleaved rounds
            fixed["imports"].append(cpu_of(BEAM_IMPORTS))
            for name, config in one.items():
                fixed[name].append(cli_cpu(config, work / f"one-{name}-{r}", resume=False))
            print(f"round {r + 1} one-record runs: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in fixed.items()), flush=True)
            for name, (config, _) in ({} if args.fixed_only else paths).items():
                runs[name].append(phase_costs(config, work / f"out-{name}-{r}"))
                runs[name][-1]["yardstick"] = reference_cpu(name, args.repos, args.warc)
                if name == "web":
                    split = recall_split(config, work / f"out-{name}-{r}")
                    runs[name][-1].update({"recall per run": split["per run"], "recall per page": split["per page"],
                                           "recall off": cli_cpu(web_off, work / f"out-web-off-{r}", resume=False)})
                print(f"round {r + 1} {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in runs[name][-1].items()),
                      flush=True)
    imports = statistics.median(fixed["imports"])
    print(f"\nFixed cost per run (medians of {args.rounds}): importing Beam {imports:.2f} CPU-s; one-record run, "
          + ", ".join(f"{k} {statistics.median(fixed[k]):.2f} ({statistics.median(fixed[k]) - imports:.2f} beyond)"
                      for k in one))
    if args.fixed_only:
        return 0
    print(f"\nCPU-seconds (medians of {args.rounds} interleaved rounds; fixed = a run whose phases are all done)")
    print(f"{'path':<6}{'input MB':>10}{'fixed s':>9}" + "".join(f"{p + ' s/MB':>14}" for p in PHASES)
          + f"{'total s/MB':>12}{'CPU-h/TB':>10}{'at scale':>10}{'less recall/run':>17}{'recall off + scoring':>22}")
    for name, (_, mb) in paths.items():
        med = {k: statistics.median(run[k] for run in runs[name]) for k in runs[name][0]}
        per_mb = {k: med[k] / mb for k in med}
        # At scale the cost of a run's start (the one-record run) vanishes: what is left grows with the input;
        # on the web path so does the recall's training and pipelines' start (its cost per run).
        marginal = (med["total"] - statistics.median(fixed[name])) / mb
        less_recall = recall_off = ""
        if "recall per run" in med:
            less_recall = f"{(marginal - per_mb['recall per run']) * 1e6 / 3600:>17.0f}"
            # Per round, then the median: no training in it (the module doc).
            off = statistics.median(at_scale(name, run, one_run) / mb
                                    for run, one_run in zip(runs[name], fixed[name]))
            recall_off = f"{off * 1e6 / 3600:>22.0f}"
        print(f"{name:<6}{mb:>10.1f}{med['fixed']:>9.1f}" + "".join(f"{per_mb[p]:>14.3f}" for p in PHASES)
              + f"{per_mb['total']:>12.3f}{per_mb['total'] * 1e6 / 3600:>10.0f}{marginal * 1e6 / 3600:>10.0f}"
              + less_recall + recall_off)
        if "recall per run" in med:
            print(f"{'':<6}recall: {med['recall per run']:.1f} CPU-s per run (training, pipelines, model loads), "
                  f"{med['recall per page']:.1f} scoring the pages ({per_mb['recall per page']:.3f} s/MB, "
                  f"{per_mb['recall per page'] * 1e6 / 3600:.0f} CPU-h/TB)")
        # The path at scale against its yardstick, per round (the same machine state), then the median.
        ratio = statistics.median(at_scale(name, run, one_run) / run["yardstick"]
                                  for run, one_run in zip(runs[name], fixed[name]))
        print(f"{'':<6}yardstick: {YARDSTICKS[name]} {med['yardstick']:.1f} CPU-s "
              f"({med['yardstick'] / mb * 1e6 / 3600:.0f} CPU-h/TB); the path at scale"
              f"{' (recall off + scoring)' if name == 'web' else ''} costs {ratio:.2f}x it")
    print("CPU-h/TB: every CPU-second of these runs per MB of input; at scale: less a one-record run's; "
          "less recall/run: also less the recall's cost per run; recall off + scoring: a recall-off run less a "
          "one-record run, plus scoring the pages (the module doc)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
