"""The layout of a run's output folder: every path a run writes, named once, relative to the output folder.

Plain names (no Beam), so the writers, the phases, `--resume` and the report agree on one spelling:

  stages/<handoff>/part-*.parquet   records a phase materializes for a later one (code, text, pages)
  stages/_complete/<phase>.json     a finished phase's fingerprint (`pipeline.phases`)
  stats/<phase>/counts.json         one phase's funnel; stats/counts.json joins them in phase order
  stats/*.json                      statistics of one stage (dedup clusters, decontamination, mix languages)
  rejects/<phase>/rejects-*.jsonl   every drop (output.write_rejects); errors-*.jsonl: only step errors
  recall/                           the recall's iterations and its classified pages (recall/pages/)
  mix/<category>/part-*.parquet     the training mix (only Parquet under mix/: readers open the folder)
  tokens/<format>/<category>/       its token ids (Megatron .bin/.idx, raw u32), as mix.tokens.formats asks
  mix_manifest.json                 the mix's manifest (schema mixing/manifest.schema.json)
  logs/mix_created.json             the manifest's creation time and sha256 (not byte-identical)
  logs/run.json                     how the run was made (times, host, versions): not byte-identical
"""
from __future__ import annotations

HANDOFFS = "stages"
MARKERS = "stages/_complete"
STATS = "stats"
REJECTS = "rejects"
RECALL = "recall"
RECALL_PAGES = "recall/pages"
MIX = "mix"
TOKENS = "tokens"
MANIFEST = "mix_manifest.json"
MIX_CREATED = "logs/mix_created.json"  # the manifest's creation time: under logs/, outside byte identity
MIX_OUTPUTS = (MIX, TOKENS, MANIFEST, MIX_CREATED)
RUN_COUNTS = "stats/counts.json"
CLUSTER_SIZES = "stats/dedup_clusters.json"
DECONTAMINATION = "stats/decontamination.json"
DECONTAMINATION_INDEX = "stats/decontamination_index.bin"  # built by the launcher, loaded by workers
MIX_LANGUAGES = "stats/mix_languages.json"
MIX_OFF_TARGET = "stats/mix_off_target.json"  # written at the end of every run (pipeline/mix_check.py)
RECALL_SKIPPED = "stats/recall/skipped.txt"
RECALL_HISTOGRAMS = "recall/iter-*/score_histogram.json"
RECALL_SUMMARY = "recall/summary.json"
RECALL_SCORE_COUNTS = "recall/iter-*/stats/score/counts.json"  # each iteration's scoring pipeline
# What varies from run to run (times, host, versions): the one folder byte identity does not cover.
LOGS = "logs"
RUN_LOG = "logs/run.json"

PARQUET_PARTS = "part-*.parquet"  # the shards `pipeline.sinks.WriteParquetShards` writes


def under(output_dir: str, rel: str) -> str:
    return f"{output_dir}/{rel}"


def handoff(name: str) -> str:
    """The folder (relative) of hand-off `name`."""
    return f"{HANDOFFS}/{name}"


def handoff_dir(output_dir: str, name: str) -> str:
    return under(output_dir, handoff(name))


def handoff_files(output_dir: str, name: str) -> str:
    return f"{handoff_dir(output_dir, name)}/{PARQUET_PARTS}"


def recall_pages_files(output_dir: str) -> str:
    return under(output_dir, f"{RECALL_PAGES}/{PARQUET_PARTS}")


def phase_stats(phase: str) -> str:
    return f"{STATS}/{phase}"


def phase_counts(output_dir: str, phase: str) -> str:
    return under(output_dir, f"{phase_stats(phase)}/counts.json")


def phase_rejects(phase: str) -> str:
    return f"{REJECTS}/{phase}"


def marker(output_dir: str, phase: str) -> str:
    return under(output_dir, f"{MARKERS}/{phase}.json")
