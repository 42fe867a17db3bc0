"""The funnel of a finished run, read back from `stats/counts.json`: per stage in, out and drops by reason.

Plain code over the output directory (through Beam's FileSystems, so a Dataflow run's gs:// output works),
used by `codecorpus run` at the end of a run and by the report.

The accounting invariant, checked by `accounting_errors`:
- inside every stage: in == out + drops (filter, source), or in == passed + merged + drops and
  out == passed + samples (merge);
- between stages: a stage's in == the sum of the outs of the stages feeding it (`inputs` in counts.json),
  which also catches a step that swallows records between two stages, or a source-kind step (whose in is
  what it emitted) fed by another stage;
- the whole run then adds up by itself (when no stage's output feeds two stages): the records the sources
  read == the outs of the last stages + every drop + the records merged into others; `run_totals` gives
  those four numbers for the report.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from apache_beam.io.filesystems import FileSystems

from pipeline.files import read_json

# Stage kinds: a "filter" maps one record to one record or one drop, so in == out + drops must hold;
# a "source" expands inputs, so its "in" is what it emitted plus what it dropped; a "merge" joins many
# records into one (repository samples): in == passed + merged + drops and out == passed + samples.
FILTER, SOURCE, MERGE = "filter", "source", "merge"
KINDS = (FILTER, SOURCE, MERGE)
# An exception in a step on one record is the drop reason error.<stage> (`pipeline.stages.error_drop`).
ERROR_PREFIX = "error."
FIRST_ERRORS = 5  # records named per stage in counts.json's `errors` (the rest are in the rejects)


@dataclass
class StageCounts:
    stage: str
    kind: str
    counts: dict[str, int] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)  # the stages whose outs make up this stage's in
    # UTF-8 bytes of the records' text that came in and went out ("in", "out"), where the stage counts them
    text_bytes: dict[str, int] = field(default_factory=dict)

    @property
    def n_in(self) -> int:
        return self.counts.get("in", 0)

    @property
    def n_out(self) -> int:
        return self.counts.get("out", 0)

    @property
    def drops(self) -> dict[str, int]:
        return {k.split(".", 1)[1]: v for k, v in self.counts.items() if k.startswith("dropped.")}

    @property
    def absorbed(self) -> int:
        """Records that left this stage inside another (a merge stage's merged files minus samples made)."""
        return self.counts.get("merged", 0) - self.counts.get("samples", 0) if self.kind == MERGE else 0

    @property
    def errors(self) -> int:
        """Records this stage's step raised on (isolated as `error.<stage>` drops)."""
        return sum(n for reason, n in self.drops.items() if reason.startswith(ERROR_PREFIX))

    def imbalance(self) -> str:
        """Why this stage's counts do not add up, or "" when they do."""
        if self.kind not in KINDS:
            return f"stage {self.stage}: unknown kind {self.kind!r} (one of {', '.join(KINDS)}): cannot be checked"
        dropped = sum(self.drops.values())
        if self.kind == MERGE:
            passed, merged, samples = (self.counts.get(k, 0) for k in ("passed", "merged", "samples"))
            if self.n_in == passed + merged + dropped and self.n_out == passed + samples:
                return ""
            return (
                f"stage {self.stage} (merge): in {self.n_in} must equal passed {passed} + merged {merged} + "
                f"dropped {dropped}, and out {self.n_out} must equal passed {passed} + samples {samples}"
            )
        if self.n_in == self.n_out + dropped:
            return ""
        return f"stage {self.stage}: in {self.n_in} != out {self.n_out} + dropped {dropped}"

    def balanced(self) -> bool:
        return not self.imbalance()


def read_counts(output_dir: str) -> dict:
    """The parsed `stats/counts.json` of a finished run."""
    return read_json(f"{output_dir}/stats/counts.json")


def read_funnel(output_dir: str) -> list[StageCounts]:
    return parse_stages(read_counts(output_dir))


def read_first_errors(output_dir: str) -> dict[str, list[dict[str, str]]]:
    """Per stage, the first records its step raised on (empty when none did, or when there is no run)."""
    if not FileSystems.exists(f"{output_dir}/stats/counts.json"):
        return {}
    return first_errors(read_counts(output_dir))


def parse_stages(doc: dict) -> list[StageCounts]:
    """The stages of a parsed counts.json document."""
    return [
        StageCounts(s["stage"], s["kind"], s["counts"], list(s.get("inputs", [])), dict(s.get("bytes", {})))
        for s in doc["stages"]
    ]


def link_errors(funnel: list[StageCounts]) -> list[str]:
    """Records lost (or made up) between stages: a stage whose in differs from its input stages' outs."""
    by_name = {s.stage: s for s in funnel}
    errors = []
    for s in funnel:
        if not s.inputs:
            continue
        missing = [name for name in s.inputs if name not in by_name]
        if missing:
            errors.append(f"stage {s.stage}: its input stages {missing} are not in the funnel")
            continue
        fed = sum(by_name[name].n_out for name in s.inputs)
        if s.n_in != fed:
            what = "lost" if s.n_in < fed else "appeared"
            errors.append(
                f"stage {s.stage}: in {s.n_in} != out {fed} of its input stages ({', '.join(s.inputs)}): "
                f"{abs(fed - s.n_in)} records {what} between stages without a reason"
            )
    return errors


@dataclass(frozen=True)
class RunTotals:
    """The whole run in four numbers: read by the sources = out of the last stages + dropped + merged."""

    read: int  # records that entered a stage no other stage feeds
    final_out: int  # out of the stages no other stage reads
    dropped: int
    merged: int  # records that went into another record (absorbed by merge stages)
    fan_out: bool  # some stage's output feeds two stages: the four numbers do not sum


def run_totals(funnel: list[StageCounts]) -> RunTotals:
    consumers: dict[str, int] = {}
    for s in funnel:
        for name in s.inputs:
            consumers[name] = consumers.get(name, 0) + 1
    return RunTotals(
        read=sum(s.n_in for s in funnel if not s.inputs),
        final_out=sum(s.n_out for s in funnel if s.stage not in consumers),
        dropped=sum(sum(s.drops.values()) for s in funnel),
        merged=sum(s.absorbed for s in funnel),
        fan_out=any(n > 1 for n in consumers.values()),
    )


def accounting_errors(funnel: list[StageCounts]) -> list[str]:
    """Every way the counts fail to add up, inside a stage or between stages (each message names the stage).
    When there is none, the whole run adds up too (summing the stages' equations gives `run_totals`')."""
    return [s.imbalance() for s in funnel if not s.balanced()] + link_errors(funnel)


def format_accounting(funnel: list[StageCounts]) -> list[str]:
    """The invariant's result as report lines: what was checked, and every mismatch."""
    errors = accounting_errors(funnel)
    links = sum(len(s.inputs) for s in funnel)
    totals = run_totals(funnel)
    head = "MISMATCH: records lost without a reason" if errors else "balanced: every record written or counted"
    lines = [
        f"{head}; checked {len(funnel)} stages and {links} links between stages",
        f"whole run: {totals.read:,} read by the sources "
        f"{'=' if totals.read == totals.final_out + totals.dropped + totals.merged else '!='} "
        f"{totals.final_out:,} out of the last stages + "
        f"{totals.dropped:,} dropped + {totals.merged:,} merged"
        + (" (not summed: a stage feeds two others)" if totals.fan_out else ""),
    ]
    return lines + [f"  ! {e}" for e in errors]


FUNNEL_WIDTH = 80  # columns: fits a default terminal


def format_funnel(funnel: list[StageCounts]) -> str:
    """A plain-text funnel table, 80 columns: one row per stage, then one indented row per drop reason; a
    merge stage says how many records went into how many (they are not drops, and not lost)."""
    name, num = FUNNEL_WIDTH - 3 * 14, 14
    lines = [f"{'stage':<{name}}{'in':>{num}}{'out':>{num}}{'dropped':>{num}}", "-" * FUNNEL_WIDTH]
    for s in funnel:
        drops = s.drops
        lines.append(f"{s.stage[:name - 1]:<{name}}{s.n_in:>{num},}{s.n_out:>{num},}{sum(drops.values()):>{num},}")
        if s.kind == MERGE:
            merged, samples = s.counts.get("merged", 0), s.counts.get("samples", 0)
            lines.append(f"  ~ {merged:,} records merged into {samples:,} (not dropped: out includes them)")
        for reason, n in sorted(drops.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"{('  - ' + reason)[:name + 2 * num - 1]:<{name + 2 * num}}{n:>{num},}")
    return "\n".join(lines)


def first_errors(doc: dict) -> dict[str, list[dict[str, str]]]:
    """Per stage, the first records (by id) its step raised on, as counts.json lists them (`errors`)."""
    return {stage: list(rows) for stage, rows in doc.get("errors", {}).items()}


def error_budget_problems(
    funnel: list[StageCounts], first: dict[str, list[dict[str, str]]], max_error_fraction: float
) -> list[str]:
    """One message per stage whose step raised on more than `max_error_fraction` of its input records,
    naming the first failing records; empty when the run may go on."""
    problems = []
    for s in funnel:
        if s.errors and s.errors > max_error_fraction * max(s.n_in, 1):
            named = "; ".join(f"{row['id']}: {row['detail']}" for row in first.get(s.stage, [])[:3])
            problems.append(
                f"stage {s.stage}: {s.errors:,} of {s.n_in:,} records raised an exception "
                f"({s.errors / max(s.n_in, 1):.2%} > max_error_fraction {max_error_fraction:g}); first: {named}"
            )
    return problems


class ErrorBudgetExceeded(RuntimeError):
    """A pipeline's steps raised on more records than `max_error_fraction` allows: a bug, not bad luck."""


def check_error_budget(doc: dict, where: str, max_error_fraction: float) -> None:
    """Raise `ErrorBudgetExceeded` when a stage of counts document `doc` (of `where`: a phase, a recall
    pipeline) raised on more than `max_error_fraction` of its records, naming the stage and its first failing
    records; fewer errors stay counted drops. Every Beam pipeline of a run is checked against the same budget."""
    problems = error_budget_problems(parse_stages(doc), first_errors(doc), max_error_fraction)
    if problems:
        raise ErrorBudgetExceeded(f"{where}: too many records raised an exception:\n  " + "\n  ".join(problems))


def format_errors(funnel: list[StageCounts], first: dict[str, list[dict[str, str]]]) -> list[str]:
    """The summary's error lines: per stage with errors, the count and the first records (empty: none)."""
    lines = []
    for s in funnel:
        if s.errors:
            lines.append(f"stage {s.stage}: {s.errors:,} records raised an exception (error.{s.stage} drops)")
            lines.extend(f"  - {row['id']}: {row['detail']}" for row in first.get(s.stage, []))
    return lines
