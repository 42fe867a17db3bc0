"""Wires plain steps into Beam with drop accounting: three shapes of step, each one self-counting node.

- A *per-record step* (kind "filter"): a plain function `Record -> Record | Drop`, applied by `Funnel.apply`.
- A *source* (kind "source"): `X -> Iterable[Record | Drop]`, one input (a repository, a WARC file) expanded
  into many records, also by `Funnel.apply(..., kind=SOURCE)`; its `units` (the Create of the configured
  entries, their expansion into files and the reshuffle that spreads them) sit inside the source's node.
- A *grouping step* (`GroupStep`, applied by `Funnel.group`): records meet by key (URL dedup, exact and near
  dedup, repository samples); kind "filter", or "merge" when it merges records into one.

A step object with a `setup()` method has it called once per worker in `DoFn.setup` (where models load).
A per-record step may also take records in batches (one call for many, e.g. one tokenizer call for many pages):
a `batch(records) -> [Record | Drop, ...]` method, one result per record in order, and `batch_records` /
`batch_chars` bounds (and no side inputs). Its stage buffers records up to either bound (so memory holds one batch) and at the end
of each bundle; a batch that raises is run again record by record, so a failure stays one record's drop.
Each stage is one labelled node of the job graph that routes drops to a side output, bumps a Beam counter per
reason (visible in the runner's UI), turns an exception on one record into an `error.<stage>` drop, and emits
per-bundle count totals that `Funnel.write_counts` sums into `stats/counts.json`. Counts are emitted per
bundle, so a retried bundle replaces its counts rather than adding to them.

Builders of stages take their arguments in one order: the input (pipeline or PCollections), the funnel, the
config or its section, other values, the output folder (`deduplicate(records, funnel, settings, seed)`);
builders of a whole phase's pipeline take (pipeline, config, ..., output folder).

`stats/counts.json` also lists, per stage, the stages whose kept records feed it (`inputs`, found by walking
the Beam graph back from the stage's input), so `pipeline.accounting.accounting_errors` can check that no record
is lost *between* stages either: a stage's `in` must equal the sum of its input stages' `out`.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import logging
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows

from pipeline import dofn_specs
from pipeline.accounting import ERROR_PREFIX, FILTER, FIRST_ERRORS, MERGE, SOURCE  # the kinds (re-exported)
from pipeline.config import Output
from pipeline.record import Drop, Record, repair_record, utf8_size
from pipeline.sinks import Gather, WriteJsonLinesShards, WriteTextFile

dofn_specs.install()  # see pipeline/dofn_specs.py
log = logging.getLogger(__name__)

COUNTS_TAG = "counts"
DROPS_TAG = "drops"

BYTES_PREFIX = "bytes."  # counters of text bytes (bytes.in, bytes.out): counts.json lists them apart


class StepError(RuntimeError):
    """A step raised: the message names the stage and the record or input it was working on."""


def error_drop(stage: str, element: Any, err: BaseException, limit: int = 2000) -> Drop:
    """The drop that stands for `element` when stage `stage` raised `err` on it: reason `error.<stage>`,
    id the record's (or the input's description), detail the exception and where it happened."""
    record_id = element.id if isinstance(element, Record) else describe_element(element, 200)
    text = f"{type(err).__name__}: {err}"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return Drop(f"{ERROR_PREFIX}{stage}", record_id, f"{text} (on {describe_element(element)})")


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


def with_text(drop: Drop, element: Any, chars: int) -> Drop:
    """`drop` carrying the first `chars` characters of the record it rejects (`output.rejects_text_chars`),
    when `element` is that record; unchanged otherwise (a source's input, a setting of 0)."""
    if chars <= 0 or drop.text or not isinstance(element, Record) or element.id != drop.id:
        return drop
    return dataclasses.replace(drop, text=element.text[:chars])


class _StepDoFn(CountingDoFn):
    def __init__(self, stage: str, kind: str, step: Callable[..., Any], text_chars: int = 0):
        super().__init__(stage)
        self.kind, self.step, self.text_chars = kind, step, text_chars
        self.batched = kind == FILTER and callable(getattr(step, "batch", None))

    def setup(self) -> None:
        # A step holding a model or tokenizer (e.g. the recall scorer) loads it here: once per worker.
        if callable(getattr(self.step, "setup", None)):
            self.step.setup()

    def start_bundle(self) -> None:
        super().start_bundle()
        self._batch: list[Any] = []
        self._batch_chars = 0

    def finish_bundle(self) -> Iterable[Any]:
        if self.batched:
            for out in self._flush():
                if isinstance(out, pvalue.TaggedOutput):
                    yield pvalue.TaggedOutput(out.tag, GlobalWindows.windowed_value(out.value))
                else:
                    yield GlobalWindows.windowed_value(out)
        yield from super().finish_bundle()  # the counts, after the batch's

    def teardown(self) -> None:
        if callable(getattr(self.step, "teardown", None)):
            self.step.teardown()

    def _results(self, element: Any, side_inputs: dict[str, Any]) -> Iterator[Any]:
        """The step's results; a source's generator stays lazy, so a big repository streams."""
        if self.kind == FILTER:
            yield self.step(element, **side_inputs)
        else:
            yield from self.step(element, **side_inputs)

    def process(self, element: Any, **side_inputs):  # unannotated: Beam type-checks annotated kwargs
        if self.kind == FILTER:
            self._bump("in")
            if isinstance(element, Record):
                self._bump("bytes.in", utf8_size(element.text))
        if self.batched:
            self._batch.append(element)
            self._batch_chars += len(element.text) if isinstance(element, Record) else 0
            if len(self._batch) >= self.step.batch_records or self._batch_chars >= self.step.batch_chars:
                yield from self._flush()
            return
        yield from self._outputs(element, self._results(element, side_inputs))

    def _flush(self) -> Iterator[Any]:
        """The buffered records' outputs, from one `batch` call (record by record if it raises)."""
        batch, self._batch, self._batch_chars = self._batch, [], 0
        if not batch:
            return
        try:
            results = self.step.batch(batch)
        except Exception:  # noqa: BLE001 - which record failed is found by running them one by one
            for element in batch:
                yield from self._outputs(element, self._results(element, {}))
            return
        if len(results) != len(batch):
            raise StepError(f"stage {self.stage}: the step's batch returned {len(results)} results for "
                            f"{len(batch)} records (one result per record, in order)")
        for element, result in zip(batch, results):
            yield from self._outputs(element, (result,))

    def _outputs(self, element: Any, results: Iterable[Any]) -> Iterator[Any]:
        """The kept records and tagged drops of `element`'s results, counted; an exception while they are
        made is the element's drop."""
        try:
            for result in results:
                if result is None:  # a step that forgot to return would pass None on as a record
                    message = f"stage {self.stage}: the step returned None for {describe_element(element)}"
                    log.error(message)
                    raise StepError(message + " (a step returns a Record or a Drop)")
                if isinstance(result, Drop):
                    if self.kind == SOURCE:
                        self._bump("in")
                    self._bump(f"dropped.{result.reason}")
                    yield pvalue.TaggedOutput(DROPS_TAG, (self.stage, with_text(result, element, self.text_chars)))
                else:
                    if self.kind == SOURCE:  # what enters the pipeline is made writable once, and counted
                        self._bump("in")
                        result, repairs = repair_record(result)
                        for repair in repairs:
                            self._bump(f"repaired.{repair}")
                    self._bump("out")
                    self._bump("bytes.out", utf8_size(result.text))
                    yield result
        except StepError:
            raise  # the step breaks its contract on every record: a bug to fix before any run
        except Exception as err:  # noqa: BLE001 - one record's failure is isolated: counted, kept in the rejects
            # A source's element is one input (a repository, a WARC file): what it yielded before the error
            # is kept; the rest of it is this one drop.
            if self.kind == SOURCE:
                self._bump("in")
            drop = error_drop(self.stage, element, err)
            log.warning("stage %s: %s", self.stage, drop.detail)
            self._bump(f"dropped.{drop.reason}")
            yield pvalue.TaggedOutput(DROPS_TAG, (self.stage, with_text(drop, element, self.text_chars)))


@dataclass(frozen=True)
class Merged:
    """A record a grouping step made of `n` of its input records (a repository sample of n files)."""

    record: Record
    n: int


@dataclass(frozen=True)
class GroupStep:
    """A grouping step: the records that share a key meet in one call (URL dedup, exact and near dedup,
    repository samples); its Beam half, `Grouping`, counts every record and isolates errors.

    `key(record)` names the record's group; None lets it pass unchanged (counted `passed` in a merging
    step) when the step `passes` records, else it is an error of that record. `resolve((key, records),
    **joined)` gives the group's results: Records (passed on as they are), `Merged` (a record made of n of them; only with `merges`) and Drops. `joins` names keyed collections met
    in the same grouping (dedup's verdicts, keyed like the records), given to `resolve` by name. Several
    `stages` decided by one grouping are counted in order (exact, then near dedup): a drop whose reason
    `drop_stage` maps to stage k passed the stages before k; a record passed on passed them all.
    """

    stages: tuple[str, ...]
    key: Callable[[Record], Hashable | None]
    resolve: Callable[..., Iterable[Record | Merged | Drop]]
    merges: bool = False
    # Whether `key` may give None. A step that never passes builds no Flatten of passed and grouped records:
    # Beam's in-process runner materializes every Flatten (each record encoded and decoded once more).
    passes: bool = False
    joins: tuple[str, ...] = ()
    drop_stage: Mapping[str, int] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return MERGE if self.merges else FILTER

    @property
    def name(self) -> str:
        """The job graph's node: the stage, or the stages one grouping decides ("exact_dedup+near_dedup")."""
        return "+".join(self.stages)


_PASSED, _RECORDS = "passed", "records"


class _GroupCountingDoFn(CountingDoFn):
    def __init__(self, step: GroupStep, text_chars: int = 0):
        super().__init__(step.stages[0])
        self.step, self.text_chars = step, text_chars

    def _through(self, n: int, size: int) -> None:
        """A record of `size` text bytes went in and out of the first `n` stages (its `in` at the first is
        counted on entry)."""
        for i, stage in enumerate(self.step.stages[:n]):
            if i:
                self._bump("in", stage=stage)
                self._bump("bytes.in", size, stage=stage)
            self._bump("out", stage=stage)
            self._bump("bytes.out", size, stage=stage)

    def _passed(self, record: Record) -> None:
        self._through(len(self.step.stages), utf8_size(record.text))
        if self.step.merges:
            self._bump("passed")

    def _drop(self, drop: Drop, size: int = 0, record: Record | None = None) -> pvalue.TaggedOutput:
        """Count `drop` at its stage, the record (of `size` bytes) having passed the stages before it; the
        drop keeps the head of `record`'s text when the run asks (`output.rejects_text_chars`)."""
        drop = with_text(drop, record, self.text_chars)
        k = self.step.drop_stage.get(drop.reason, 0)
        self._through(k, size)
        stage = self.step.stages[k]
        if k:
            self._bump("in", stage=stage)
            self._bump("bytes.in", size, stage=stage)
        self._bump(f"dropped.{drop.reason}", stage=stage)
        return pvalue.TaggedOutput(DROPS_TAG, (stage, drop))

    def _error(self, element: Any, err: Exception) -> pvalue.TaggedOutput:
        drop = error_drop(self.stage, element, err)
        log.warning("stage %s: %s", self.stage, drop.detail)
        return self._drop(drop, record=element if isinstance(element, Record) else None)


class _KeyDoFn(_GroupCountingDoFn):
    def process(self, record: Record) -> Iterable[Any]:
        self._bump("in")
        self._bump("bytes.in", utf8_size(record.text))
        try:
            key = self.step.key(record)
        except Exception as err:  # noqa: BLE001 - one record's failure is isolated: counted, kept in the rejects
            yield self._error(record, err)
            return
        if key is None and not self.step.passes:
            yield self._error(record, StepError(f"stage {self.step.name}: its key gave None (it passes no record)"))
        elif key is None:
            self._passed(record)
            yield pvalue.TaggedOutput(_PASSED, record)
        else:
            yield key, record


class _ResolveDoFn(_GroupCountingDoFn):
    def process(self, item: tuple[Any, Any]) -> Iterable[Any]:
        key, grouped = item
        records, joined = grouped, {}
        if self.step.joins:
            records, joined = grouped[_RECORDS], {tag: grouped[tag] for tag in self.step.joins}
        try:
            results = list(self.step.resolve((key, records), **joined))
        except Exception as err:  # noqa: BLE001 - the group's records are isolated: each an error drop
            for record in records:
                yield self._error(record, err)
            return
        # Text bytes of a record dropped at a later stage (its bytes went through the earlier ones).
        sizes = {r.id: utf8_size(r.text) for r in records} if len(self.step.stages) > 1 else {}
        by_id = {r.id: r for r in records} if self.text_chars else {}
        for result in results:
            if isinstance(result, Drop):
                yield self._drop(result, sizes.get(result.id, 0), by_id.get(result.id))
            elif isinstance(result, Merged) and self.step.merges:
                self._bump("merged", result.n)
                self._bump("samples")
                self._bump("out")
                self._bump("bytes.out", utf8_size(result.record.text))
                yield result.record
            elif isinstance(result, Record):
                self._passed(result)
                yield result
            else:  # a bug in the step, not in the data: fail before any run
                raise StepError(
                    f"stage {self.step.name}: the step gave {type(result).__name__} for group {key!r} "
                    f"(a Record, a Drop{', or Merged' if self.step.merges else ''})"
                )


class Grouping(beam.PTransform):
    """A grouping step as one composite: key every record (counted `in`), group by key (a CoGroupByKey with
    what `joined` computes from the same records, when the step `joins` it), resolve each group.

    Returns {"kept": the records passed on, "counts": ((stage, key), n), "drops": (stage, Drop), and any
    other output of `joined` (statistics, e.g. dedup's cluster sizes)}; an exception in `key` or `resolve`
    becomes `error.<first stage>` drops of the records concerned."""

    def __init__(self, step: GroupStep, joined: beam.PTransform | None = None, text_chars: int = 0):
        super().__init__()
        self.step, self.joined, self.text_chars = step, joined, text_chars

    def expand(self, records: beam.PCollection) -> dict[str, beam.PCollection]:
        step = self.step
        keyed = records | "Key" >> beam.ParDo(_KeyDoFn(step, self.text_chars)).with_outputs(COUNTS_TAG, DROPS_TAG, _PASSED, main="keyed")
        counts, extras = [keyed[COUNTS_TAG]], {}
        if self.joined is not None:
            side = records | "Join" >> self.joined
            counts += [side["counts"]] if "counts" in side else []
            extras = {name: out for name, out in side.items() if name not in (*step.joins, "counts")}
            groups = {_RECORDS: keyed.keyed, **{tag: side[tag] for tag in step.joins}} | "Group" >> beam.CoGroupByKey()
        else:
            groups = keyed.keyed | "Group" >> beam.GroupByKey()
        resolved = groups | "Resolve" >> beam.ParDo(_ResolveDoFn(step, self.text_chars)).with_outputs(COUNTS_TAG, DROPS_TAG, main="kept")
        return {
            "kept": [keyed[_PASSED], resolved.kept] | "Kept" >> beam.Flatten() if step.passes else resolved.kept,
            "counts": [*counts, resolved[COUNTS_TAG]] | "Counts" >> beam.Flatten(),
            "drops": [keyed[DROPS_TAG], resolved[DROPS_TAG]] | "Drops" >> beam.Flatten(),
            **extras,
        }


class _StageNode(beam.PTransform):
    """One stage's node when its step reads what plumbing made first (a source's entries expanded into units
    of work): the plumbing, then the step (`read` is what the step read, for the checks between stages)."""

    def __init__(self, units: Callable[[beam.pvalue.PValue], beam.PCollection], step_fn: beam.ParDo) -> None:
        super().__init__()
        self.units, self.step_fn = units, step_fn
        self.read: beam.PCollection | None = None

    def expand(self, pcoll: beam.pvalue.PValue) -> beam.pvalue.DoOutputsTuple:
        self.read = self.units(pcoll)
        return self.read | "Step" >> self.step_fn.with_outputs(COUNTS_TAG, DROPS_TAG, main="kept")


class Funnel:
    """Applies steps to PCollections and remembers every stage's counts and drops for the stats sink."""

    def __init__(self, output: Output | None = None) -> None:
        # Characters of a dropped record's text its drop keeps for the rejects (config output.rejects_text_chars;
        # no section: the section's default).
        self.rejects_text_chars = (output or Output()).rejects_text_chars
        self.counts: list[beam.PCollection] = []
        self.drops: list[beam.PCollection] = []
        self.stages: list[tuple[str, str]] = []
        # For the checks between stages: each stage's kept output (by PCollection identity, the object kept
        # alive beside it), each stage's main input, and stages whose input is another stage's inside a
        # composite (near dedup after exact dedup).
        self._outputs: dict[int, tuple[str, beam.PCollection]] = {}
        self._inputs: dict[str, beam.PCollection] = {}
        self._after: dict[str, tuple[str, ...]] = {}
        self._handoffs: dict[str, beam.PCollection] = {}
        # Statistics a composite stage adds for a stats file of its own, by name (e.g. dedup cluster sizes).
        self.stats: dict[str, list[tuple[str, beam.PCollection]]] = {}

    def apply(
        self,
        pcoll: beam.PCollection,
        stage: str,
        step: Callable[..., Any],
        kind: str = FILTER,
        side_inputs: dict[str, Any] | None = None,
        units: Callable[[beam.pvalue.PValue], beam.PCollection] | None = None,
    ):
        """Run `step` on every element of `pcoll` as stage `stage`; returns the kept records.

        `side_inputs` (name -> beam.pvalue.AsSingleton(...) etc.) reach the step as keyword arguments.
        `units` (a source's plumbing: `pcoll` -> the elements `step` reads) is applied inside the stage's node.
        """
        step_do_fn = _StepDoFn(stage, kind, step, self.rejects_text_chars)
        if step_do_fn.batched and side_inputs:
            raise ValueError(f"stage {stage}: a step taking records in batches takes no side inputs")
        step_fn = beam.ParDo(step_do_fn, **(side_inputs or {})).with_output_types(Record)
        if units is None:
            out = pcoll | stage >> step_fn.with_outputs(COUNTS_TAG, DROPS_TAG, main="kept")  # kept: RecordCoder
            read = pcoll
        else:
            node = _StageNode(units, step_fn)
            out = pcoll | stage >> node
            read = node.read
        self._register(stage, kind, out[COUNTS_TAG], out[DROPS_TAG], inputs=read, kept=out.kept)
        return out.kept

    def group(
        self, pcoll: beam.PCollection, step: GroupStep, joined: beam.PTransform | None = None
    ) -> dict[str, beam.PCollection]:
        """Run grouping step `step` on the records of `pcoll` as one named node (`Grouping`); registers its
        stages (in order, each fed by the one before), their counts and drops, and any statistics `joined`
        adds (by name, on `stats`). Returns the grouping's outputs: "kept" (the records passed on) and the
        statistics."""
        result = pcoll | step.name >> Grouping(step, joined, self.rejects_text_chars)
        first, *later = step.stages
        self._register(first, step.kind, result["counts"], result["drops"], inputs=pcoll)
        for before, stage in zip(step.stages, later):
            self._register(stage, step.kind, after=(before,))
        self._outputs[id(result["kept"])] = (step.stages[-1], result["kept"])
        for name, stats in result.items():
            if name not in ("kept", "counts", "drops"):
                self.stats.setdefault(name, []).append((step.stages[-1], stats))
        return result

    def _register(
        self,
        stage: str,
        kind: str,
        counts: beam.PCollection | None = None,
        drops: beam.PCollection | None = None,
        *,
        inputs: beam.PCollection | None = None,
        kept: beam.PCollection | None = None,
        after: tuple[str, ...] = (),
    ) -> None:
        """The one registration path: a stage's kind, its counts ((stage, key), n) and drops (stage, Drop),
        the records it reads (`inputs`) and passes on (`kept`), or the stages feeding it inside a composite
        (`after`), so the records between it and its neighbours are checked too."""
        if counts is not None:
            self.counts.append(counts)
        if drops is not None:
            self.drops.append(drops)
        self.stages.append((stage, kind))
        if inputs is not None:
            self._inputs[stage] = inputs
        if kept is not None:
            self._outputs[id(kept)] = (stage, kept)
        if after:
            self._after[stage] = tuple(after)

    def stage_inputs(self) -> dict[str, list[str]]:
        """Per stage, the stages whose kept records make up its whole input (checked: in == their outs).

        Found by walking the Beam graph back from the stage's main input through plain transforms (maps,
        flattens, shuffles, groupings) to the nearest stage outputs. A stage any of whose input comes from
        outside the funnel (files, a Create) gets an empty list: there is nothing to compare its count with.
        """
        return {stage: list(self._after.get(stage, ())) or self._feeding(stage) for stage, _ in self.stages}

    def hand_off(self, name: str, pcoll: beam.PCollection) -> None:
        """Name a PCollection this pipeline materializes for a later phase; `counts.json` then lists, under
        `handoffs`, the stages whose outs make it up, so the next phase's reading stage can be linked."""
        self._handoffs[name] = pcoll

    def _feeding(self, stage: str) -> list[str]:
        if stage not in self._inputs:
            return []
        return self._producers(self._inputs[stage])

    def _producers(self, start: beam.PCollection) -> list[str]:
        found: set[str] = set()
        seen: set[int] = set()
        todo = [start]
        while todo:
            pcoll = todo.pop()
            if id(pcoll) in seen:
                continue
            seen.add(id(pcoll))
            if id(pcoll) in self._outputs:
                found.add(self._outputs[id(pcoll)][0])
                continue
            producer = getattr(pcoll, "producer", None)
            parents = list(producer.main_inputs.values()) if producer is not None else []
            if not parents:  # a root (Impulse, a read): part of this input never went through a stage
                return []
            todo.extend(parents)
        return sorted(found)

    def write_counts(self, pipeline: beam.Pipeline, stats_dir: str) -> None:
        """Sum all stage counts into one JSON file, `stats_dir/counts.json`, with the first records (by id)
        each stage's step raised on, when there are any."""
        stages = list(self.stages)
        inputs = self.stage_inputs()
        handoffs = {name: self._producers(pcoll) for name, pcoll in sorted(self._handoffs.items())}
        first_errors = (
            self.drops
            | "FlattenDropsForErrors" >> beam.Flatten(pipeline=pipeline)
            | "ErrorsByStage" >> beam.FlatMapTuple(
                lambda stage, drop: [(stage, (drop.id, drop.detail))] if drop.reason.startswith(ERROR_PREFIX) else []
            )
            | "FirstErrors" >> beam.combiners.Top.SmallestPerKey(FIRST_ERRORS)
        )
        (
            self.counts
            | "FlattenCounts" >> beam.Flatten(pipeline=pipeline)
            | "SumCounts" >> beam.CombinePerKey(sum)
            | "CountsToJson"
            >> Gather(counts_json, stages, inputs, handoffs, errors=beam.pvalue.AsList(first_errors))
            | "WriteCounts"
            >> WriteTextFile(f"{stats_dir}/counts.json")
        )

    def write_rejects(self, pipeline: beam.Pipeline, rejects_dir: str, output: Output, everything: bool) -> None:
        """Write drops as JSON lines (stage, reason, id, detail), sorted in shards: every drop to
        `rejects-*.jsonl` when `everything` (config `output.write_rejects`), else only the records a step
        raised on, to `errors-*.jsonl` (the dead letters: never lost, whatever the config)."""
        (
            self.drops
            | "FlattenDrops" >> beam.Flatten(pipeline=pipeline)
            | "DropToJson" >> beam.FlatMapTuple(
                lambda stage, drop: [reject_line(stage, drop)] if everything or drop.reason.startswith(ERROR_PREFIX) else []
            )
            | "WriteRejects" >> WriteJsonLinesShards(
                f"{rejects_dir}/{'rejects' if everything else 'errors'}",
                output if everything else output.model_copy(update={"num_shards": 1}),
            )
        )


def reject_line(stage: str, drop: Drop) -> tuple[str, str]:
    """(id, JSON line) of one drop in the rejects; `text` only when the drop kept some."""
    row = {"stage": stage, "reason": drop.reason, "id": drop.id, "detail": drop.detail}
    if drop.text:
        row["text"] = drop.text
    line = json.dumps(row, sort_keys=True, ensure_ascii=False)
    return drop.id, line


def counts_json(
    items: list[tuple[tuple[str, str], int]],
    stages: list[tuple[str, str]],
    inputs: dict[str, list[str]] | None = None,
    handoffs: dict[str, list[str]] | None = None,
    errors: list[tuple[str, list[tuple[str, str]]]] | None = None,
) -> str:
    """The counts file: stages in pipeline order, each with its kind, its counters and its input stages;
    per materialized hand-off to a later phase, the stages that produced it; and, only when a step raised,
    per stage the first (id, detail) of the records it raised on."""
    by_stage: dict[str, dict[str, int]] = collections.defaultdict(dict)
    text_bytes: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for (stage, key), n in items:
        if key.startswith(BYTES_PREFIX):
            text_bytes[stage][key[len(BYTES_PREFIX):]] = n
        else:
            by_stage[stage][key] = n
    inputs = inputs or {}
    doc = {
        "stages": [
            {
                "stage": stage,
                "kind": kind,
                "counts": dict(sorted(by_stage.get(stage, {}).items())),
                "bytes": dict(sorted(text_bytes.get(stage, {}).items())),
                "inputs": sorted(inputs.get(stage, [])),
            }
            for stage, kind in stages
        ],
        "handoffs": handoffs or {},
    }
    if errors:
        doc["errors"] = {
            stage: [{"id": record_id, "detail": detail} for record_id, detail in sorted(rows)]
            for stage, rows in sorted(errors)
        }
    return json.dumps(doc, indent=1, sort_keys=True)


class Branch(beam.PTransform):
    """One named node of the job graph holding a branch of it (the code path, the web path, the statistics):
    `build(pipeline)` adds the branch's transforms, which nest under this node, so the runner's UI shows a
    handful of nodes, each unfolding into its stages (one named node per stage)."""

    def __init__(self, build: Callable[[beam.Pipeline], Any]):
        super().__init__()
        self.build = build

    def expand(self, pbegin: beam.pvalue.PBegin) -> Any:
        out = self.build(pbegin.pipeline)
        return out if out is not None else pvalue.PDone(pbegin.pipeline)


def read_handoff(p: beam.Pipeline, funnel: Funnel, pattern: str, stage: str) -> beam.PCollection:
    """The Records of the Parquet shards matching `pattern` (an earlier phase's hand-off), counted as funnel
    stage `stage` (in == out), so the funnel shows that what one phase wrote is what the next one read."""
    return funnel.apply(p, stage, Record.from_row, units=lambda begin: begin | "Read" >> beam.io.ReadFromParquet(pattern))
