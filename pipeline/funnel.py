"""The funnel of a finished run, read back from `stats/counts.json`: per stage in, out and drops by reason.

Plain code over the output directory (through Beam's FileSystems, so a Dataflow run's gs:// output works),
used by `codecorpus run` at the end of a run and by the report.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from apache_beam.io.filesystems import FileSystems

from pipeline.stages import MERGE


@dataclass
class StageCounts:
    stage: str
    kind: str
    counts: dict[str, int] = field(default_factory=dict)

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

    def imbalance(self) -> str:
        """Why this stage's counts do not add up, or "" when they do."""
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


def read_funnel(output_dir: str) -> list[StageCounts]:
    with FileSystems.open(f"{output_dir}/stats/counts.json") as fh:
        doc = json.loads(fh.read().decode("utf-8"))
    return [StageCounts(s["stage"], s["kind"], s["counts"]) for s in doc["stages"]]


def accounting_errors(funnel: list[StageCounts]) -> list[str]:
    """Every way the counts fail to add up: a stage whose in != out + drops (or a merge's own invariant)."""
    return [s.imbalance() for s in funnel if not s.balanced()]


def format_funnel(funnel: list[StageCounts], width: int = 100) -> str:
    """A plain-text funnel table: one row per stage, then one indented row per drop reason."""
    lines = [f"{'stage':<40}{'in':>14}{'out':>14}{'dropped':>14}", "-" * min(width, 82)]
    for s in funnel:
        drops = s.drops
        lines.append(f"{s.stage:<40}{s.n_in:>14,}{s.n_out:>14,}{sum(drops.values()):>14,}")
        if s.kind == MERGE:
            merged, samples = s.counts.get("merged", 0), s.counts.get("samples", 0)
            lines.append(f"  ~ {merged:,} records merged into {samples:,}")
        for reason, n in sorted(drops.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"{'  - ' + reason:<40}{'':>28}{n:>14,}")
    return "\n".join(lines)
