"""The recall phase split into its cost per run and its cost per page.

`make bench-cost` counts the whole recall phase per input MB, but most of it is paid once per run whatever
the corpus size: training the BPE and fastText (the paper's dim 256 with 2M buckets: a ~2 GB model made,
saved and loaded) on a training set bounded by `max_seed_pages` and `negative_ratio`. This reruns the recall
of a collected output in-process (`codecorpus run --resume` with the recall and mix markers removed) and
times its parts: process CPU of the select and score pipelines and of the training; thread CPU of the
scoring step on every page (`ScorePages`: BPE encoding of the page's first `max_chars` characters and
fastText predict), the part that grows with the corpus.

    python -m benchmarks.recall_split CONFIG OUTPUT [WARC_MB]

OUTPUT is a finished run of CONFIG with web inputs and the recall on (e.g. one made by hand with
`codecorpus run`); WARC_MB (default: the sizes of CONFIG's web inputs) turns seconds into CPU-h per TB.
"""
from __future__ import annotations

import collections
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml


def _timed(totals: collections.Counter, calls: collections.Counter, label: str, fn: Callable, clock: Callable) -> Callable:
    def run(*args, **kwargs):
        start = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[label] += clock() - start
            calls[label] += 1
    return run


def main(argv: list[str]) -> int:
    import pipeline.recall_driver as driver
    import pipeline.recall_transforms as transforms
    from pipeline import cli

    config, output = argv[0], argv[1].rstrip("/")
    if len(argv) > 2:
        mb = float(argv[2])
    else:
        paths = yaml.safe_load(Path(config).read_text())["inputs"]["web"]["paths"]
        mb = sum(os.path.getsize(p) for p in paths) / 1e6
    totals: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    run_pipeline = driver._run_pipeline

    def pipeline_by_kind(build, beam_args, stats_path, max_error_fraction):
        kind = "select pipeline" if "/select/" in stats_path else "score pipeline"
        return _timed(totals, calls, kind, run_pipeline, time.process_time)(build, beam_args, stats_path,
                                                                             max_error_fraction)

    driver._run_pipeline = pipeline_by_kind
    driver.train_iteration = _timed(totals, calls, "training", driver.train_iteration, time.process_time)
    transforms.ScorePages.__call__ = _timed(totals, calls, "per page (ScorePages)", transforms.ScorePages.__call__,
                                            time.thread_time)
    for phase in ("recall", "mix"):
        Path(f"{output}/stages/_complete/{phase}.json").unlink(missing_ok=True)
    cli.main(["run", "--config", config, "--output", output, "--progress", "never", "--runner=DirectRunner",
              "--resume"])
    print(f"recall of {output} ({mb:.1f} MB of WARC), CPU-seconds:")
    for label in ("select pipeline", "training", "score pipeline", "per page (ScorePages)"):
        print(f"{totals[label]:8.2f}  {label} ({calls[label]} calls)")
    per_page = totals["per page (ScorePages)"]
    print(f"per page: {per_page / mb:.3f} CPU-s per WARC MB = {per_page / mb * 1e6 / 3600:.0f} CPU-h per TB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
