"""Funnel steps under Beam: errors name the stage and the record; models load in setup(), on the worker."""
from __future__ import annotations

import logging
import pickle

import apache_beam as beam
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.record import Drop, Record
from pipeline.sources.github import RepoUnit
from pipeline.stages import SOURCE, Funnel, describe_element


def _explode_on_b(record: Record) -> Record | Drop:
    if record.path == "b.py":
        raise ValueError("bad byte at 7")
    return record


def _source_failing_after_one(unit: RepoUnit):
    yield Record(id="1", source="github", text="ok", repo=unit.name, path="a.py")
    raise OSError(f"cannot read {unit.location}/broken.py")


def _records() -> list[Record]:
    return [Record(id=i, source="github", text="x", repo="octo/repo", path=f"{i}.py") for i in ("a", "b")]


def test_step_error_names_stage_record_and_file(caplog):
    # The error is isolated (tests/test_error_isolation.py); the log line names the stage, record and file.
    with caplog.at_level(logging.WARNING, logger="pipeline.stages"), test_pipeline.TestPipeline() as p:
        kept = Funnel().apply(p | beam.Create(_records()), "file_rules", _explode_on_b)
        assert_that(kept, equal_to([_records()[0]]))
    assert any(
        "stage file_rules" in r.getMessage() and "record b (octo/repo/b.py)" in r.getMessage()
        and "bad byte at 7" in r.getMessage()
        for r in caplog.records
    )


def test_source_error_names_stage_and_input_location(caplog):
    with caplog.at_level(logging.WARNING, logger="pipeline.stages"), test_pipeline.TestPipeline() as p:
        units = p | beam.Create([RepoUnit("dir", "/data/repos/octo", "octo")])
        Funnel().apply(units, "github_source", _source_failing_after_one, kind=SOURCE)
    message = " ".join(r.getMessage() for r in caplog.records)
    assert "stage github_source" in message and "/data/repos/octo" in message and "broken.py" in message


def test_describe_element_for_web_records_uses_the_url():
    record = Record(id="9", source="web", text="", url="https://example.org/a")
    assert describe_element(record) == "record 9 (https://example.org/a)"


class _ModelStep:
    """A step with a model: loaded in setup() on the worker, never pickled with the job graph."""

    def __init__(self) -> None:
        self.model = None

    def __getstate__(self) -> dict:
        assert self.model is None, "the model must not travel in the job graph"
        return self.__dict__

    def setup(self) -> None:
        self.model = {"x": "code"}  # stands for a fastText model read from disk

    def __call__(self, record: Record) -> Record | Drop:
        return record.replace(category=self.model[record.text])


def test_step_with_setup_loads_its_model_on_the_worker():
    pickle.dumps(_ModelStep())  # picklable before setup
    with test_pipeline.TestPipeline() as p:
        kept = Funnel().apply(p | beam.Create(_records()), "classify", _ModelStep())
        assert_that(kept | beam.Map(lambda r: (r.id, r.category)), equal_to([("a", "code"), ("b", "code")]))


class _BatchStep:
    """A step taking records in batches; its batch fails whole when one record is bad."""

    batch_records, batch_chars = 3, 1_000

    def __call__(self, record: Record) -> Record | Drop:
        return self.batch([record])[0]

    def batch(self, records: list[Record]) -> list[Record | Drop]:
        if any(r.text == "bad" for r in records):
            raise ValueError("bad record in the batch")
        return [r.replace(category=f"n{len(records)}") if r.text != "drop" else Drop("dropped", r.id) for r in records]


def test_batched_step_flushes_by_count_and_at_bundle_end_and_isolates_a_failure():
    texts = ["x"] * 7 + ["drop", "bad"] + ["y" * 600, "z" * 600]  # the last two: over the characters bound
    records = [Record(id=f"{i:02d}", source="web", text=t) for i, t in enumerate(texts)]
    with test_pipeline.TestPipeline() as p:
        funnel = Funnel()
        kept = funnel.apply(p | beam.Create(records), "classify", _BatchStep())
        counts = funnel.counts[0] | beam.CombinePerKey(sum)
        assert_that(kept | beam.Map(lambda r: r.id), equal_to([r.id for r in records if r.text not in ("bad", "drop")]),
                    label="kept")
        assert_that(counts | beam.Filter(lambda kv: kv[0][1] in ("in", "out", "dropped.dropped", "dropped.error.classify")),
                    equal_to([(("classify", "in"), 11), (("classify", "out"), 9), (("classify", "dropped.dropped"), 1),
                              (("classify", "dropped.error.classify"), 1)]), label="counts")
        # However the runner bundles them, no batch is over the bounds (3 records, 1,000 characters).
        assert_that(kept | beam.Map(lambda r: r.category in ("n1", "n2", "n3") and (len(r.text) < 600 or r.category != "n3")),
                    equal_to([True] * 9), label="bounded")
