"""What a report reads: only files under a run's output directory, through Beam's FileSystems (so a gs://
output, or a Dataflow run copied down, reads the same). Every file but `stats/counts.json` is optional; an
absent one becomes a note in the report, never an error.

Files and formats read:
  stats/counts.json                    the funnel (pipeline/accounting.py)
  mix_manifest.json                    the mix (mixing/manifest.py; docs/mix.md)
  stats/mix_languages.json             {"languages": [{set, category, language, docs, tokens, bytes}]}
  stats/decontamination.json           the benchmark index summary (filters/decontaminate.py)
  stats/dedup_clusters.json            {"cluster_sizes": {"<size>": <number of clusters>, ...}}: near-duplicate
                                       clusters by size (members, the kept one included; sizes >= 2)
  recall/iter-<k>/score_histogram.json {"iteration": k, "classifiers": {"<name>": {"edges": [b0..bn],
                                       "counts": [c1..cn]}}}: classifier scores of all scored pages that
                                       iteration, n bins with n+1 edges
  stats/mix_off_target.json            {"tolerance", "on_off_target", "off_target": [message per group]}
  recall/summary.json, recall/iter-<k>/stats/{select,score}.json, recall/iter-<k>/validation.json
                                       the recall's iterations (train sizes, validation, pages, domains)
  stats/recall/skipped.txt             why the recall did not run (a line of text)
  logs/run.json                        how the run was made (pipeline/run_log.py)
  mix/<category>/*.parquet             a few documents per category, shown as samples
  rejects/<phase>/*.jsonl              a few dropped records per reason (with text when the run kept it)
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from apache_beam.io.filesystems import FileSystems

from pipeline import layout
from pipeline.accounting import StageCounts, read_funnel
from pipeline.files import read_json, read_text_if_exists

# The files read, by their names in `pipeline.layout` (the report imports no Beam transform or model).
COUNTS = layout.RUN_COUNTS
MANIFEST = layout.MANIFEST
LANGUAGES = layout.MIX_LANGUAGES
DECONTAMINATION = layout.DECONTAMINATION
DEDUP_CLUSTERS = layout.CLUSTER_SIZES
RECALL_HISTOGRAMS = layout.RECALL_HISTOGRAMS
RECALL_SUMMARY = layout.RECALL_SUMMARY
RUN_LOG = layout.RUN_LOG
OFF_TARGET = layout.MIX_OFF_TARGET
RECALL_SKIPPED = layout.RECALL_SKIPPED
SAMPLES_PER_GROUP = 3  # documents shown per mix category and per drop reason
SAMPLE_CHARS = 400  # characters of each shown document
REJECTS_HEAD_BYTES = 4 << 20  # bytes read from the start of each rejects file for samples


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
    recall_summary: dict[str, Any] | None = None
    recall_iterations: list[dict[str, Any]] = field(default_factory=list)  # {"iteration", "select", "score", ...}
    recall_skipped: str = ""  # why the recall did not run, when it was skipped
    off_target: dict[str, Any] | None = None  # the end-of-run check of the mix weights (pipeline/mix_check.py)
    run_log: dict[str, Any] | None = None
    samples: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # mix category -> documents
    rejects: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # "stage: reason" -> records
    notes: list[str] = field(default_factory=list)  # what is absent or unreadable, in words


def _optional(run: RunData, rel: str) -> Any:
    path = f"{run.output_dir}/{rel}"
    if not FileSystems.exists(path):
        run.notes.append(f"{rel}: absent")
        return None
    try:
        return read_json(path)
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
    run.recall_summary = _optional(run, RECALL_SUMMARY) if run.histograms else None
    run.recall_iterations = _read_recall_iterations(run)
    run.recall_skipped = read_text_if_exists(f"{output_dir}/{RECALL_SKIPPED}") or ""
    if run.manifest is not None:
        run.off_target = _optional(run, OFF_TARGET)
    run.run_log = _optional(run, RUN_LOG)
    run.samples = _read_mix_samples(run)
    run.rejects = _read_reject_samples(run)
    return run


def _matches(pattern: str) -> list[str]:
    return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)


def _read_recall_iterations(run: RunData) -> list[dict[str, Any]]:
    """Per iteration, every small JSON the recall wrote about it (stats/select, stats/score, validation)."""
    out = []
    for path in _matches(f"{run.output_dir}/recall/iter-*/stats/score.json"):
        base = path.rsplit("/stats/", 1)[0]
        doc: dict[str, Any] = {"iteration": _iteration_of(path)}
        for key, rel in (("select", "stats/select.json"), ("score", "stats/score.json"),
                         ("validation", "validation.json")):
            if FileSystems.exists(f"{base}/{rel}"):
                try:
                    doc[key] = read_json(f"{base}/{rel}")
                except (ValueError, OSError) as err:
                    run.notes.append(f"{base}/{rel}: unreadable ({err})")
        out.append(doc)
    return sorted(out, key=lambda d: d["iteration"])


def _clip(text: str) -> str:
    return text if len(text) <= SAMPLE_CHARS else text[:SAMPLE_CHARS] + " [...]"


def _read_mix_samples(run: RunData) -> dict[str, list[dict[str, str]]]:
    """The first documents of each category's first shard: the shards are shuffled by a seeded key, so these
    are a fair, reproducible sample."""
    import pyarrow.parquet as pq

    samples: dict[str, list[dict[str, str]]] = {}
    for category in sorted((run.manifest or {}).get("categories", {})):
        shards = _matches(f"{run.output_dir}/mix/{category}/*.parquet")
        if not shards:
            continue
        try:
            with FileSystems.open(shards[0]) as fh:
                table = pq.ParquetFile(fh).read_row_group(0, columns=["id", "text"])
        except Exception as err:  # noqa: BLE001 - an unreadable shard is a note, not a failed report
            run.notes.append(f"{shards[0]}: unreadable ({err})")
            continue
        rows = table.slice(0, SAMPLES_PER_GROUP).to_pylist()
        samples[category] = [{"id": r["id"], "text": _clip(r["text"] or "")} for r in rows]
    return samples


def _read_reject_samples(run: RunData) -> dict[str, list[dict[str, str]]]:
    """The first few rejects per (stage, reason), in file order, from the head of each rejects file (a run
    of billions of records has large rejects: the funnel counts them all, the report only shows some);
    `text` only when the run wrote it."""
    out: dict[str, list[dict[str, str]]] = {}
    for path in _matches(f"{run.output_dir}/rejects/*/*.jsonl"):
        with FileSystems.open(path) as fh:
            head = fh.read(REJECTS_HEAD_BYTES)
            for line in head.decode("utf-8", "replace").splitlines()[: -1 if len(head) == REJECTS_HEAD_BYTES else None]:
                try:
                    doc = json.loads(line)
                    key = f"{doc['stage']}: {doc['reason']}"
                except (ValueError, KeyError, TypeError):
                    continue
                shown = out.setdefault(key, [])
                if len(shown) < SAMPLES_PER_GROUP:
                    shown.append({"id": str(doc.get("id", "")), "detail": str(doc.get("detail", "")),
                                  "text": _clip(str(doc["text"])) if doc.get("text") else ""})
    return dict(sorted(out.items()))


def _read_histograms(run: RunData) -> list[ScoreHistogram]:
    paths = _matches(f"{run.output_dir}/{RECALL_HISTOGRAMS}")
    if not paths:
        run.notes.append(f"{RECALL_HISTOGRAMS}: absent")
    out = []
    for path in paths:
        try:
            doc = read_json(path)
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
