"""What a report reads: only files under a run's output directory, through Beam's FileSystems (so a gs://
output, or a Dataflow run copied down, reads the same). Every file but `stats/counts.json` is optional; an
absent one becomes a note in the report, never an error.

Files and formats read:
  stats/counts.json                    the funnel (pipeline/accounting.py)
  mix/manifest.json                    the mix (mixing/manifest.py; docs/output-contract.md)
  stats/mix_languages.json             {"languages": [{set, category, language, docs, tokens, bytes}]}
  stats/decontamination.json           the benchmark index summary (filters/decontaminate.py)
  stats/dedup_clusters.json            {"cluster_sizes": {"<size>": <number of clusters>, ...}}: near-duplicate
                                       clusters by size (members, the kept one included; sizes >= 2)
  recall/iter-<k>/score_histogram.json {"iteration": k, "classifiers": {"<name>": {"edges": [b0..bn],
                                       "counts": [c1..cn]}}}: classifier scores of all scored pages that
                                       iteration, n bins with n+1 edges
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from apache_beam.io.filesystems import FileSystems

from pipeline import layout
from pipeline.accounting import StageCounts, read_funnel

# The files read, by their names in `pipeline.layout` (the report imports no Beam transform or model).
COUNTS = layout.RUN_COUNTS
MANIFEST = layout.MANIFEST
LANGUAGES = layout.MIX_LANGUAGES
DECONTAMINATION = layout.DECONTAMINATION
DEDUP_CLUSTERS = layout.CLUSTER_SIZES
RECALL_HISTOGRAMS = layout.RECALL_HISTOGRAMS


@dataclass
class ScoreHistogram:
    iteration: int
    classifier: str
    edges: list[float]
    counts: list[int]


@dataclass
class RunData:
    output_dir: str
    funnel: list[StageCounts]
    manifest: dict[str, Any] | None = None
    languages: list[dict[str, Any]] = field(default_factory=list)
    decontamination: dict[str, Any] | None = None
    cluster_sizes: dict[int, int] = field(default_factory=dict)
    histograms: list[ScoreHistogram] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what is absent or unreadable, in words


def _read_json(path: str) -> Any:
    with FileSystems.open(path) as fh:
        return json.loads(fh.read().decode("utf-8"))


def _optional(run: RunData, rel: str) -> Any:
    path = f"{run.output_dir}/{rel}"
    if not FileSystems.exists(path):
        run.notes.append(f"{rel}: absent")
        return None
    try:
        return _read_json(path)
    except (ValueError, OSError) as err:
        run.notes.append(f"{rel}: unreadable ({err})")
        return None


def load_run(output_dir: str) -> RunData:
    """Everything a report shows, read from `output_dir`; raises FileNotFoundError without a funnel."""
    output_dir = output_dir.rstrip("/")
    if not FileSystems.exists(f"{output_dir}/{COUNTS}"):
        raise FileNotFoundError(f"{output_dir}/{COUNTS} not found: is {output_dir} the output of a finished run?")
    run = RunData(output_dir, read_funnel(output_dir))
    run.manifest = _optional(run, MANIFEST)
    languages = _optional(run, LANGUAGES)
    run.languages = languages.get("languages", []) if isinstance(languages, dict) else []
    run.decontamination = _optional(run, DECONTAMINATION)
    clusters = _optional(run, DEDUP_CLUSTERS)
    if isinstance(clusters, dict):
        run.cluster_sizes = {int(k): int(v) for k, v in clusters.get("cluster_sizes", {}).items()}
    run.histograms = _read_histograms(run)
    return run


def _read_histograms(run: RunData) -> list[ScoreHistogram]:
    paths = sorted(m.path for m in FileSystems.match([f"{run.output_dir}/{RECALL_HISTOGRAMS}"])[0].metadata_list)
    if not paths:
        run.notes.append(f"{RECALL_HISTOGRAMS}: absent")
    out = []
    for path in paths:
        try:
            doc = _read_json(path)
            iteration = int(doc.get("iteration", _iteration_of(path)))
            for name, h in sorted(doc["classifiers"].items()):
                if len(h["edges"]) != len(h["counts"]) + 1:
                    raise ValueError(f"classifier {name}: {len(h['edges'])} edges for {len(h['counts'])} bins")
                out.append(ScoreHistogram(iteration, name, [float(e) for e in h["edges"]], [int(c) for c in h["counts"]]))
        except (ValueError, KeyError, TypeError, OSError) as err:
            run.notes.append(f"{path}: unreadable ({err})")
    return sorted(out, key=lambda h: (h.classifier, h.iteration))


def _iteration_of(path: str) -> int:
    found = re.search(r"iter-(\d+)", path)
    return int(found.group(1)) if found else 0
