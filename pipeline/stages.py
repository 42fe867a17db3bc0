"""Wires plain steps into Beam with drop accounting.

A *step* is a plain function `Record -> Record | Drop` (a filter or a map) or `X -> Iterable[Record | Drop]`
(a source that expands one input into many records). `Funnel` applies steps as labelled ParDos that route
drops to a side output, bump a Beam counter per reason (visible in the runner's UI), and emit per-bundle
count totals that `Funnel.write_counts` sums into `stats/counts.json`. Counts are emitted per bundle, so a
retried bundle replaces its counts rather than adding to them.
"""
from __future__ import annotations

import collections
import json
import logging
from typing import Any, Callable, Iterable

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows

from pipeline.record import Drop, Record

log = logging.getLogger(__name__)

COUNTS_TAG = "counts"
DROPS_TAG = "drops"

# Stage kinds: a "filter" maps one record to one record or one drop, so in == out + drops must hold;
# a "source" expands inputs, so its "in" is what it emitted plus what it dropped.
FILTER, SOURCE = "filter", "source"


class _StepDoFn(beam.DoFn):
    def __init__(self, stage: str, kind: str, step: Callable[[Any], Any]):
        self.stage, self.kind, self.step = stage, kind, step
        self._counts: collections.Counter[str] = collections.Counter()
        self._metrics: dict[str, Any] = {}

    def _bump(self, key: str) -> None:
        self._counts[key] += 1
        if key not in self._metrics:
            self._metrics[key] = Metrics.counter(self.stage, key)
        self._metrics[key].inc()

    def start_bundle(self) -> None:
        self._counts = collections.Counter()

    def process(self, element: Any) -> Iterable[Any]:
        if self.kind == FILTER:
            self._bump("in")
            results = [self.step(element)]
        else:
            results = self.step(element)
        for result in results:
            if isinstance(result, Drop):
                if self.kind == SOURCE:
                    self._bump("in")
                self._bump(f"dropped.{result.reason}")
                yield pvalue.TaggedOutput(DROPS_TAG, (self.stage, result))
            else:
                if self.kind == SOURCE:
                    self._bump("in")
                self._bump("out")
                yield result

    def finish_bundle(self) -> Iterable[Any]:
        for key, n in sorted(self._counts.items()):
            yield pvalue.TaggedOutput(COUNTS_TAG, GlobalWindows.windowed_value(((self.stage, key), n)))
        self._counts = collections.Counter()


class Funnel:
    """Applies steps to PCollections and remembers every stage's counts and drops for the stats sink."""

    def __init__(self) -> None:
        self.counts: list[beam.PCollection] = []
        self.drops: list[beam.PCollection] = []
        self.stages: list[tuple[str, str]] = []

    def apply(self, pcoll: beam.PCollection, stage: str, step: Callable[[Any], Any], kind: str = FILTER):
        """Run `step` on every element of `pcoll` as stage `stage`; returns the kept records."""
        out = pcoll | stage >> beam.ParDo(_StepDoFn(stage, kind, step)).with_outputs(
            COUNTS_TAG, DROPS_TAG, main="kept"
        )
        self.counts.append(out[COUNTS_TAG])
        self.drops.append(out[DROPS_TAG])
        self.stages.append((stage, kind))
        return out.kept

    def add_counts(self, stage: str, kind: str, counts: beam.PCollection) -> None:
        """Register counts ((stage, key), n) produced by a composite stage (e.g. dedup)."""
        self.counts.append(counts)
        self.stages.append((stage, kind))

    def write_counts(self, pipeline: beam.Pipeline, stats_dir: str) -> None:
        """Sum all stage counts into one JSON file, `stats_dir/counts.json`."""
        stages = list(self.stages)
        (
            self.counts
            | "FlattenCounts" >> beam.Flatten(pipeline=pipeline)
            | "SumCounts" >> beam.CombinePerKey(sum)
            | "CountsToList" >> beam.combiners.ToList()
            | "CountsToJson" >> beam.Map(lambda items: counts_json(items, stages))
            | "WriteCounts"
            >> beam.io.WriteToText(f"{stats_dir}/counts", file_name_suffix=".json", shard_name_template="")
        )

    def write_rejects(self, pipeline: beam.Pipeline, rejects_dir: str) -> None:
        """Write every drop's stage, reason, id and detail as JSON lines (for audit)."""
        (
            self.drops
            | "FlattenDrops" >> beam.Flatten(pipeline=pipeline)
            | "DropToJson"
            >> beam.Map(
                lambda sd: json.dumps(
                    {"stage": sd[0], "reason": sd[1].reason, "id": sd[1].id, "detail": sd[1].detail},
                    sort_keys=True,
                    ensure_ascii=False,
                )
            )
            | "WriteRejects" >> beam.io.WriteToText(f"{rejects_dir}/rejects", file_name_suffix=".jsonl")
        )


def counts_json(items: list[tuple[tuple[str, str], int]], stages: list[tuple[str, str]]) -> str:
    """The counts file: stages in pipeline order, each with its kind and its counters."""
    by_stage: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for (stage, key), n in items:
        by_stage[stage][key] = n
    doc = {
        "stages": [
            {"stage": stage, "kind": kind, "counts": dict(sorted(by_stage.get(stage, {}).items()))}
            for stage, kind in stages
        ]
    }
    return json.dumps(doc, indent=1, sort_keys=True)
