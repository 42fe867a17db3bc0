"""The recall phase split into its cost per run and its cost per page.

`make bench-cost` counts the whole recall phase per input MB, but most of it is paid once per run whatever
the corpus size: training the BPE and fastText (the paper's dim 256 with 2M buckets: a ~2 GB model made,
saved and loaded) on a training set bounded by `max_seed_pages` and `negative_ratio`. This reruns the recall
of a collected output in-process (`codecorpus run --resume` with the recall and mix markers removed) and
times its parts by process CPU (user + system, every thread): the whole recall (`run_recall`), the select and
score pipelines, the training, and the scoring of the pages inside the score pipeline (`ScorePages`: BPE
encoding of each page's first `max_chars` characters and fastText predict), the part that grows with the
corpus. The cost per run is the whole recall less that per-page part: the pipelines' start, the training, the
model's load in each worker and the driver's files.

    python -m benchmarks.recall_split CONFIG OUTPUT [WARC_MB] [--json]

OUTPUT is a finished run of CONFIG with web inputs and the recall on (e.g. one made by hand with
`codecorpus run`); WARC_MB (default: the sizes of CONFIG's web inputs) turns seconds into CPU-h per TB.
`--json` prints the CPU-seconds as one JSON object instead (what `benchmarks.bench_cost` reads).
"""
from __future__ import annotations

import collections
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

PARTS = ("recall", "select pipeline", "training", "score pipeline", "per page", "per run")


def _timed(totals: collections.Counter, calls: collections.Counter, label: str, fn: Callable, clock: Callable) -> Callable:
    def run(*args, **kwargs):
        start = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[label] += clock() - start
            calls[label] += 1
    return run


def recall_parts(config: str, output: str) -> tuple[dict[str, float], dict[str, int]]:
    """Rerun the recall (and the mix after it) of finished run `output` of `config` in this process:
    ({part: CPU-seconds} for every name of PARTS, {part: calls}). Patches the recall's modules: call once
    per process."""
    import pipeline.recall_driver as driver
    import pipeline.recall_transforms as transforms
    from pipeline import cli

    output = output.rstrip("/")
    totals: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    run_pipeline = driver._run_pipeline

    def pipeline_by_kind(build, beam_args, stats_path, max_error_fraction):
        kind = "select pipeline" if "/select/" in stats_path else "score pipeline"
        return _timed(totals, calls, kind, run_pipeline, time.process_time)(build, beam_args, stats_path,
                                                                             max_error_fraction)

    driver._run_pipeline = pipeline_by_kind
    driver.run_recall = _timed(totals, calls, "recall", driver.run_recall, time.process_time)  # cli imports it late
    driver.train_iteration = _timed(totals, calls, "training", driver.train_iteration, time.process_time)
    # Process CPU, not the thread's: the tokenizer encodes a batch of pages on threads of its own.
    transforms.ScorePages.batch = _timed(totals, calls, "per page", transforms.ScorePages.batch, time.process_time)
    for phase in ("recall", "mix"):
        Path(f"{output}/stages/_complete/{phase}.json").unlink(missing_ok=True)
    code = cli.main(["run", "--config", config, "--output", output, "--progress", "never", "--runner=DirectRunner",
                     "--resume"])
    if code != 0 or not calls["recall"]:
        raise RuntimeError(f"codecorpus run --resume of {output} exited {code} (recall ran {calls['recall']} times)")
    totals["per run"] = totals["recall"] - totals["per page"]
    return {part: totals[part] for part in PARTS}, {part: calls[part] for part in PARTS}


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    argv = [a for a in argv if a != "--json"]
    config, output = argv[0], argv[1].rstrip("/")
    if len(argv) > 2:
        mb = float(argv[2])
    else:
        paths = yaml.safe_load(Path(config).read_text())["inputs"]["web"]["paths"]
        mb = sum(os.path.getsize(p) for p in paths) / 1e6
    with contextlib.redirect_stdout(sys.stderr if as_json else sys.stdout):  # the run's tables: not the JSON
        totals, calls = recall_parts(config, output)
    if as_json:
        print(json.dumps(totals))
        return 0
    print(f"recall of {output} ({mb:.1f} MB of WARC), CPU-seconds (per page: calls are batches of pages):")
    for label in PARTS:
        print(f"{totals[label]:8.2f}  {label}" + (f" ({calls[label]} calls)" if calls[label] else ""))
    per_page = totals["per page"]
    print(f"per page: {per_page / mb:.3f} CPU-s per WARC MB = {per_page / mb * 1e6 / 3600:.0f} CPU-h per TB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
