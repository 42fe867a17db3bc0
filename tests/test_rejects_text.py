"""Opt-in rejects with text (`output.rejects_text_chars`): a user reading why a rule dropped a record sees the
head of the record, and only when asked, since the rejects then grow with the corpus."""
from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline

from pipeline.config import Output
from pipeline.record import Drop, Record
from pipeline.stages import Funnel, GroupStep, with_text


def _drop_long(record: Record) -> Record | Drop:
    return Drop("too_long", record.id, f"{len(record.text)} chars") if len(record.text) > 3 else record


def _explode(record: Record) -> Record:
    raise ValueError("boom")


def _rejects(tmp_path: Path, chars: int, step) -> list[dict]:
    records = [Record(id=f"r{i}", source="text", text="abcdefgh"[: 2 + i]) for i in range(4)]
    with TestPipeline() as p:
        funnel = Funnel(Output(rejects_text_chars=chars))
        funnel.apply(p | beam.Create(records), "rule", step)
        funnel.write_rejects(p, str(tmp_path / "rejects"), Output(num_shards=1), everything=True)
    return [json.loads(line) for f in sorted((tmp_path / "rejects").glob("*.jsonl")) for line in f.read_text().splitlines()]


def test_rejects_keep_the_head_of_the_text_when_asked(tmp_path):
    rejects = _rejects(tmp_path, 4, _drop_long)
    assert [(r["id"], r["text"]) for r in rejects] == [("r2", "abcd"), ("r3", "abcd")]


def test_rejects_have_no_text_by_default(tmp_path):
    rejects = _rejects(tmp_path, 0, _drop_long)
    assert [r["id"] for r in rejects] == ["r2", "r3"] and all("text" not in r for r in rejects)


def test_a_step_error_keeps_the_text_of_the_record_it_raised_on(tmp_path):
    rejects = _rejects(tmp_path, 100, _explode)
    assert {r["id"]: r["text"] for r in rejects} == {"r0": "ab", "r1": "abc", "r2": "abcd", "r3": "abcde"}


def test_a_drop_of_another_id_or_a_source_input_gets_no_text():
    record = Record(id="a", source="text", text="hello")
    assert with_text(Drop("x", "b"), record, 10).text == ""  # a source's drop names another record
    assert with_text(Drop("x", "a"), "repo.tar.gz", 10).text == ""
    assert with_text(Drop("x", "a"), record, 2).text == "he"


def _first_per_text(group):
    _, records = group
    first, *rest = sorted(records, key=lambda r: r.id)
    yield first
    yield from (Drop("duplicate", r.id, f"same text as {first.id}") for r in rest)


def test_a_grouping_steps_drops_keep_the_text_too(tmp_path):
    records = [Record(id=f"r{i}", source="text", text=f"text {i % 2}") for i in range(4)]
    with TestPipeline() as p:
        funnel = Funnel(Output(rejects_text_chars=5))
        funnel.group(p | beam.Create(records), GroupStep(("dedup",), key=lambda r: r.text, resolve=_first_per_text))
        funnel.write_rejects(p, str(tmp_path / "rejects"), Output(num_shards=1), everything=True)
    rejects = [json.loads(line) for f in sorted((tmp_path / "rejects").glob("*.jsonl")) for line in f.read_text().splitlines()]
    assert sorted((r["id"], r["text"]) for r in rejects) == [("r2", "text "), ("r3", "text ")]
