"""`codecorpus run` as three phases, each materialized and resumable: collect -> recall -> mix.

- collect (one Beam pipeline, `pipeline.build.build_collect`): sources, filters, dedup -> `stages/`.
- recall (a sequence of Beam pipelines, `pipeline.recall_driver.run_recall`): classifies the collected web
  pages -> `recall/pages/`. Skipped when there are no web inputs or `recall.enabled` is false.
- mix (one Beam pipeline, `pipeline.build.build_mix`): decontamination and the mix -> `mix/`.

A phase that finishes writes a completion marker `stages/_complete/<phase>.json` holding its fingerprint:
the sha256 of the config sections it reads and of the fingerprint of the phase before it. `--resume`
skips a phase whose marker matches and reruns the rest, so a changed config invalidates exactly the phases
it touches and every phase after them. Inputs themselves are not fingerprinted: resume assumes they did not
change (rerun without `--resume` when they did). Each phase's counts land in `stats/<phase>/counts.json`
and are joined, in phase order, into `stats/counts.json`.

The phases are data: `PHASES` lists each one's config sections, outputs (paths of `pipeline.layout`), links
to earlier phases' hand-offs and run function; `run_phases` and `--resume` walk that list. A new phase is
one entry.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from classifiers.fasttext_model import TrainingError
from pipeline import layout
from pipeline.accounting import FIRST_ERRORS, StageCounts, check_error_budget, first_errors, parse_stages
from pipeline.config import Config
from pipeline.files import read_bytes, write_bytes, write_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Link:
    """A stage of a later phase that reads hand-off `handoff` back: its input stages are the ones that
    produced the hand-off or, when stage `via` ran in between (the recall), that stage."""

    reader: str
    handoff: str
    via: str = ""


@dataclass
class PhaseRun:
    """What a phase's `run` function receives."""

    config: Config
    output_dir: str
    run_beam: Callable[[str, Callable], None]
    run_recall: Callable[[Config, str, str], dict]
    report: Callable[[str], None]


@dataclass(frozen=True)
class Phase:
    """One phase of a run: `run` and `--resume` walk `PHASES`, a list of these, in order."""

    name: str
    sections: tuple[str, ...]  # the config sections it reads: a change reruns it and every later phase
    outputs: tuple[str, ...]  # what it writes (relative to the output folder), removed before it reruns
    links: tuple[Link, ...]  # its stages that read an earlier phase's hand-offs
    run: Callable[[PhaseRun], None]


def _run_collect(ctx: PhaseRun) -> None:
    from pipeline.build import build_collect

    ctx.run_beam("collect", lambda p: build_collect(p, ctx.config, ctx.output_dir))


def _run_recall(ctx: PhaseRun) -> None:
    config, output_dir = ctx.config, ctx.output_dir
    pages_collected = layout.handoff_files(output_dir, "pages")
    if not (config.recall.enabled and _has_files(pages_collected) and parquet_rows(pages_collected)):
        _remove([layout.under(output_dir, layout.RECALL)])
        ctx.report("phase recall: no web pages collected or recall disabled; pages go to the mix as text")
        return
    try:
        ctx.run_recall(config, pages_collected, output_dir)
    except TrainingError as err:
        if ctx.config.recall.on_weak == "fail":  # no silent skip: the config asks to stop here
            raise
        # Seeds that match no collected page must not sink a run whose other data is good: say so
        # loudly, keep the reason beside the output, and mix the pages as text.
        _remove([layout.under(output_dir, layout.RECALL)])
        # The reason without the output folder's own path: output bytes must not depend on where it is.
        reason = str(err).replace(output_dir, "<output>")
        write_bytes(layout.under(output_dir, layout.RECALL_SKIPPED), f"{reason}\n".encode())
        ctx.report(f"phase recall: SKIPPED, the classifier could not be trained: {err}")
        ctx.report("phase recall: every collected page goes to the mix as text; fix the seeds and --resume")
    else:
        counts = _recall_counts(pages_collected, layout.recall_pages_files(output_dir), output_dir)
        write_bytes(layout.phase_counts(output_dir, "recall"), json.dumps(counts, indent=1).encode())


def _run_mix(ctx: PhaseRun) -> None:
    from pipeline.build import build_mix

    ctx.run_beam("mix", lambda p: build_mix(p, ctx.config, ctx.output_dir, _pages_for_mix(ctx.output_dir)))


PHASES: tuple[Phase, ...] = (
    Phase(
        "collect",
        sections=("seed", "inputs", "github", "filters", "repo_samples", "dedup", "web", "output"),
        outputs=(
            layout.handoff("code"), layout.handoff("text"), layout.handoff("pages"),
            layout.phase_stats("collect"), layout.phase_rejects("collect"), layout.CLUSTER_SIZES,
        ),
        links=(),
        run=_run_collect,
    ),
    Phase(
        "recall",
        sections=("seed", "tokenizer", "recall"),
        outputs=(layout.phase_stats("recall"),),  # run_recall rewrites recall/ itself
        links=(Link("recall", "pages"),),
        run=_run_recall,
    ),
    Phase(
        "mix",
        sections=("seed", "decontamination", "mix", "output", "tokenizer"),  # the mix counts with the tokenizer
        outputs=(
            *layout.MIX_OUTPUTS, layout.phase_stats("mix"), layout.phase_rejects("mix"),
            layout.DECONTAMINATION, layout.MIX_LANGUAGES,
        ),
        links=(Link("load_code", "code"), Link("load_text", "text"), Link("load_pages", "pages", via="recall")),
        run=_run_mix,
    ),
)


@dataclass(frozen=True)
class PhasePlan:
    phase: Phase
    fingerprint: str
    skip: bool  # resumed: a marker with this fingerprint exists

    @property
    def name(self) -> str:
        return self.phase.name


def phase_fingerprint(config: Config, phase: Phase, upstream: str) -> str:
    dumped = config.model_dump(mode="json")
    blob = json.dumps(
        {"phase": phase.name, "upstream": upstream, "config": {k: dumped[k] for k in phase.sections}},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def read_marker(output_dir: str, phase: str) -> str | None:
    """The fingerprint recorded by a finished phase, or None."""
    path = layout.marker(output_dir, phase)
    if not FileSystems.exists(path):
        return None
    try:
        return json.loads(read_bytes(path))["fingerprint"]
    except (ValueError, KeyError):
        return None  # a damaged marker is no marker


def plan_phases(config: Config, output_dir: str, resume: bool) -> list[PhasePlan]:
    """Every phase with its fingerprint, and whether `--resume` may skip it (only a prefix is skipped)."""
    plans, upstream, still_skipping = [], "", resume
    for phase in PHASES:
        fingerprint = phase_fingerprint(config, phase, upstream)
        still_skipping = still_skipping and read_marker(output_dir, phase.name) == fingerprint
        plans.append(PhasePlan(phase, fingerprint, still_skipping))
        upstream = fingerprint
    return plans


def _remove(paths: list[str]) -> None:
    existing = [p for p in paths if FileSystems.exists(p)]
    if existing:
        FileSystems.delete(existing)


def parquet_rows(pattern: str) -> int:
    """Rows in the Parquet files matching `pattern`, from their footers (no data page is read)."""
    total = 0
    for meta in FileSystems.match([pattern])[0].metadata_list:
        with FileSystems.open(meta.path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
            total += pq.ParquetFile(fh).metadata.num_rows
    return total


def _has_files(pattern: str) -> bool:
    return bool(FileSystems.match([pattern])[0].metadata_list)


def _recall_counts(pages_in: str, pages_out: str, output_dir: str) -> dict:
    """The recall as one funnel stage: every collected page comes out classified, or dropped by an iteration's
    scoring pipeline (a step that raised on it, within `max_error_fraction`): in == out + those drops, and
    the first of them named under `errors`, as a phase's own pipeline lists them."""
    counts = {"in": parquet_rows(pages_in), "out": parquet_rows(pages_out)}
    errors: list[dict[str, str]] = []
    for meta in FileSystems.match([layout.under(output_dir, layout.RECALL_SCORE_COUNTS)])[0].metadata_list:
        doc = json.loads(read_bytes(meta.path))
        for stage in doc["stages"]:
            for key, n in stage["counts"].items():
                if key.startswith("dropped.") and n:
                    counts[key] = counts.get(key, 0) + n
        errors += [row for rows in first_errors(doc).values() for row in rows]
    doc = {"stages": [{"stage": "recall", "kind": "filter", "counts": counts}]}
    if errors:  # named under the recall stage, where the funnel counts them
        doc["errors"] = {"recall": sorted(errors, key=lambda row: row["id"])[:FIRST_ERRORS]}
    return doc


def join_counts(output_dir: str) -> list[StageCounts]:
    """Concatenate the phases' `stats/<phase>/counts.json` into `stats/counts.json`; returns the funnel.

    The stages that read a phase's materialized output back are linked to the stages that produced it
    (the collect phase's `handoffs`), so the between-stage check spans phases too.
    """
    stages, handoffs, errors = [], {}, {}
    for phase in PHASES:
        path = layout.phase_counts(output_dir, phase.name)
        if FileSystems.exists(path):
            doc = json.loads(read_bytes(path))
            stages.extend(doc["stages"])
            handoffs.update(doc.get("handoffs", {}))
            errors.update(first_errors(doc))
    names = {s["stage"] for s in stages}
    links = {
        link.reader: [link.via] if link.via in names else handoffs.get(link.handoff, [])
        for phase in PHASES
        for link in phase.links
    }
    for s in stages:
        if s["stage"] in links and not s.get("inputs"):
            s["inputs"] = sorted(links[s["stage"]])
    doc = {"stages": stages, **({"errors": errors} if errors else {})}
    write_json(layout.under(output_dir, layout.RUN_COUNTS), doc)
    return parse_stages(doc)


def run_phases(
    config: Config,
    output_dir: str,
    run_beam: Callable[[str, Callable], None],
    run_recall: Callable[[Config, str, str], dict],
    resume: bool = False,
    report: Callable[[str], None] = print,
) -> list[StageCounts]:
    """Run (or resume) the phases; returns the joined funnel (`stats/counts.json`).

    `run_beam(phase, build)` runs one Beam pipeline whose graph `build(p)` adds; `run_recall(config,
    pages_pattern, output_dir)` runs the recall loop. What one phase wrote is checked against what the next
    read by the links `join_counts` adds between phases.
    """
    plans = plan_phases(config, output_dir, resume)
    if not resume:
        _remove([layout.under(output_dir, layout.MARKERS)])
    ctx = PhaseRun(config, output_dir, run_beam, run_recall, report)
    for plan in plans:
        if plan.skip:
            report(f"phase {plan.name}: complete in an earlier run with this config, skipped (--resume)")
            continue
        _remove([layout.marker(output_dir, plan.name)])
        _remove([layout.under(output_dir, rel) for rel in plan.phase.outputs])
        plan.phase.run(ctx)
        _check_phase_budget(output_dir, plan.name, config.max_error_fraction)
        write_bytes(
            layout.marker(output_dir, plan.name),
            json.dumps({"phase": plan.name, "fingerprint": plan.fingerprint}, indent=1).encode(),
        )
    return join_counts(output_dir)


def _check_phase_budget(output_dir: str, phase: str, max_error_fraction: float) -> None:
    """`check_error_budget` on the phase's counts; on failure the phase's completion marker is not written,
    so `--resume` reruns it after the fix."""
    path = layout.phase_counts(output_dir, phase)
    if FileSystems.exists(path):
        check_error_budget(json.loads(read_bytes(path)), f"phase {phase}", max_error_fraction)


def _pages_for_mix(output_dir: str) -> str | None:
    recall_pages = layout.recall_pages_files(output_dir)
    if _has_files(recall_pages):
        return recall_pages
    collected = layout.handoff_files(output_dir, "pages")
    return collected if _has_files(collected) else None
