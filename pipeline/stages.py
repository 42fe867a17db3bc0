"""Wires plain steps into Beam with drop accounting.

A *step* is a plain function `Record -> Record | Drop` (a filter or a map) or `X -> Iterable[Record | Drop]`
(a source that expands one input into many records); a step object with a `setup()` method has it called
once per worker in `DoFn.setup` (where models load). `Funnel` applies steps as labelled ParDos that route
drops to a side output, bump a Beam counter per reason (visible in the runner's UI), and emit per-bundle
count totals that `Funnel.write_counts` sums into `stats/counts.json`. Counts are emitted per bundle, so a
retried bundle replaces its counts rather than adding to them.
"""
from __future__ import annotations

import collections
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows

from pipeline.record import Drop, Record
from pipeline.sinks import WriteJsonLinesShards

log = logging.getLogger(__name__)

COUNTS_TAG = "counts"
DROPS_TAG = "drops"

# Stage kinds: a "filter" maps one record to one record or one drop, so in == out + drops must hold;
# a "source" expands inputs, so its "in" is what it emitted plus what it dropped; a "merge" joins many
# records into one (repository samples): in == passed + merged + drops and out == passed + samples.
FILTER, SOURCE, MERGE = "filter", "source", "merge"


class StepError(RuntimeError):
    """A step raised: the message names the stage and the record or input it was working on."""


def describe_element(element: Any, limit: int = 300) -> str:
    """The words that identify an element in an error: id and file or URL for a Record, else its repr."""
    if isinstance(element, Record):
        where = element.url or "/".join(p for p in (element.repo, element.path) if p)
        return f"record {element.id}" + (f" ({where})" if where else "")
    text = repr(element)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class CountingDoFn(beam.DoFn):
    """A DoFn that counts named events (of its stage, or of another one it names): a Beam counter each, and
    per-bundle totals emitted as ((stage, key), n) on the COUNTS_TAG output for `Funnel.write_counts`."""

    def __init__(self, stage: str):
        self.stage = stage
        self._counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self._metrics: dict[tuple[str, str], Any] = {}

    def _bump(self, key: str, n: int = 1, stage: str | None = None) -> None:
        name = (stage or self.stage, key)
        self._counts[name] += n
        if name not in self._metrics:
            self._metrics[name] = Metrics.counter(*name)
        self._metrics[name].inc(n)

    def start_bundle(self) -> None:
        self._counts = collections.Counter()

    def finish_bundle(self) -> Iterable[Any]:
        for name, n in sorted(self._counts.items()):
            yield pvalue.TaggedOutput(COUNTS_TAG, GlobalWindows.windowed_value((name, n)))
        self._counts = collections.Counter()


class _StepDoFn(CountingDoFn):
    def __init__(self, stage: str, kind: str, step: Callable[..., Any]):
        super().__init__(stage)
        self.kind, self.step = kind, step

    def setup(self) -> None:
        # A step holding a model or tokenizer (e.g. the recall scorer) loads it here: once per worker.
        if callable(getattr(self.step, "setup", None)):
            self.step.setup()

    def teardown(self) -> None:
        if callable(getattr(self.step, "teardown", None)):
            self.step.teardown()

    def _results(self, element: Any, side_inputs: dict[str, Any]) -> Iterator[Any]:
        """The step's results; a source's generator stays lazy, so a big repository streams."""
        try:
            if self.kind == FILTER:
                yield self.step(element, **side_inputs)
            else:
                yield from self.step(element, **side_inputs)
        except Exception as err:  # a step's bug or bad input: name the stage and the record, then fail
            message = f"stage {self.stage}: {type(err).__name__} on {describe_element(element)}: {err}"
            log.error(message)
            raise StepError(message) from err

    def process(self, element: Any, **side_inputs):  # unannotated: Beam type-checks annotated kwargs
        if self.kind == FILTER:
            self._bump("in")
        for result in self._results(element, side_inputs):
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


class Funnel:
    """Applies steps to PCollections and remembers every stage's counts and drops for the stats sink."""

    def __init__(self) -> None:
        self.counts: list[beam.PCollection] = []
        self.drops: list[beam.PCollection] = []
        self.stages: list[tuple[str, str]] = []

    def apply(
        self,
        pcoll: beam.PCollection,
        stage: str,
        step: Callable[..., Any],
        kind: str = FILTER,
        side_inputs: dict[str, Any] | None = None,
    ):
        """Run `step` on every element of `pcoll` as stage `stage`; returns the kept records.

        `side_inputs` (name -> beam.pvalue.AsSingleton(...) etc.) reach the step as keyword arguments.
        """
        out = pcoll | stage >> beam.ParDo(_StepDoFn(stage, kind, step), **(side_inputs or {})).with_outputs(
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

    def write_rejects(self, pipeline: beam.Pipeline, rejects_dir: str, num_shards: int) -> None:
        """Write every drop's stage, reason, id and detail as JSON lines (for audit), sorted in shards."""
        (
            self.drops
            | "FlattenDrops" >> beam.Flatten(pipeline=pipeline)
            | "DropToJson"
            >> beam.MapTuple(
                lambda stage, drop: (
                    drop.id,
                    json.dumps(
                        {"stage": stage, "reason": drop.reason, "id": drop.id, "detail": drop.detail},
                        sort_keys=True,
                        ensure_ascii=False,
                    ),
                )
            )
            | "WriteRejects" >> WriteJsonLinesShards(f"{rejects_dir}/rejects", num_shards)
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
