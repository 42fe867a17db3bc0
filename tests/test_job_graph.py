"""The job graph stays the same size whatever the input: files are listed at run time, on the workers.

Dataflow rejects job graphs over 10 MB; a graph that embedded one transform or one path per input file would
hit that on a real corpus. Here the pipeline is only built (never run) and its runner-API proto measured.
"""
from __future__ import annotations

from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.build import build_collect
from pipeline.config import parse_config

DATAFLOW_GRAPH_LIMIT = 10 * 1024 * 1024
GRAPH_JITTER_BYTES = 1024


def graph_size(paths: list[str], output: str) -> tuple[int, int]:
    """(serialized proto bytes, transform count) of the pipeline built for these input entries."""
    p = beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner"]))
    build_collect(p, parse_config({"inputs": {"github": {"paths": paths}}}), output)
    proto = p.to_runner_api()
    return len(proto.SerializeToString()), len(proto.components.transforms)


def _write_repos(root: Path, n_repos: int, files_per_repo: int) -> None:
    for r in range(n_repos):
        repo = root / f"repo{r:05d}"
        repo.mkdir(parents=True)
        for f in range(files_per_repo):
            (repo / f"mod{f:03d}.py").write_text(f"def f{r}_{f}():\n    return {f}\n")


def test_graph_does_not_grow_with_input_files(tmp_path):
    small, big = tmp_path / "aaaa", tmp_path / "bbbb"  # equal-length paths: equal bytes in the graph
    _write_repos(small, 1, 1)
    _write_repos(big, 1000, 1)
    size_one, transforms_one = graph_size([str(small)], str(tmp_path / "out"))
    size_many, transforms_many = graph_size([str(big)], str(tmp_path / "out"))
    assert transforms_many == transforms_one
    # Beam's pickles vary by a few dozen bytes from build to build; 1,000 listed paths would add ~20 KB.
    assert abs(size_many - size_one) < GRAPH_JITTER_BYTES


def test_graph_carries_config_entries_once_and_nothing_per_entry(tmp_path):
    # Entries must exist (a missing local path stops the run at build time), so make 1,000 empty folders.
    thousand = [str(tmp_path / f"owner{i:06d}" / f"name{i:06d}") for i in range(1000)]
    for path in thousand:
        Path(path).mkdir(parents=True)
    one_path = thousand[:1]
    size_1, transforms_1 = graph_size(one_path, str(tmp_path / "out"))
    size_1000, transforms_1000 = graph_size(thousand, str(tmp_path / "out"))
    assert transforms_1000 == transforms_1
    # The entries themselves travel in the graph (the Create's payload), at most once, and nothing else does.
    assert size_1000 - size_1 <= sum(len(p) for p in thousand) + GRAPH_JITTER_BYTES
    assert size_1000 < DATAFLOW_GRAPH_LIMIT / 10
