"""Nothing lost: the accounting invariant inside every stage kind, between stages and for the whole run, and
a lossy step injected on purpose is caught (in a TestPipeline and by `codecorpus run`, which then fails)."""
from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from pipeline import web_transforms
from pipeline.accounting import (
    KINDS,
    StageCounts,
    accounting_errors,
    format_accounting,
    read_funnel,
    run_totals,
)
from pipeline.cli import main
from pipeline.record import Drop, Record
from pipeline.stages import FILTER, MERGE, SOURCE, Funnel, GroupStep, StepError

REPO = Path(__file__).resolve().parent.parent



def _rec(i: int, key: str = "") -> Record:
    return Record(id=f"r{i}", source="test", text=f"text {i}", repo=key or f"repo{i % 3}", path=f"f{i}.py")


def _keep(record: Record) -> Record | Drop:
    return record


def _drop_sevens(record: Record) -> Record | Drop:
    return Drop("seven", record.id, record.path) if record.id.endswith("7") else record


# --- the invariant on counts ---------------------------------------------------------------------------------


def test_every_stage_kind_is_checked():
    ok = [
        StageCounts("src", SOURCE, {"in": 10, "out": 8, "dropped.bad": 2}),
        StageCounts("rules", FILTER, {"in": 8, "out": 5, "dropped.x": 3}, ["src"]),
        StageCounts("samples", MERGE, {"in": 5, "passed": 1, "merged": 4, "samples": 2, "out": 3}, ["rules"]),
    ]
    assert accounting_errors(ok) == []
    assert run_totals(ok).read == 10 and run_totals(ok).final_out == 3 and run_totals(ok).merged == 2
    assert set(KINDS) == {s.kind for s in ok}
    bad = [
        StageCounts("rules", FILTER, {"in": 8, "out": 5, "dropped.x": 2}),
        StageCounts("samples", MERGE, {"in": 5, "passed": 1, "merged": 4, "samples": 2, "out": 4}),
        StageCounts("odd", "map", {"in": 1, "out": 1}),
    ]
    errors = accounting_errors(bad)
    assert len(errors) == 3
    assert errors[0].startswith("stage rules: in 8 != out 5 + dropped 2")
    assert errors[1].startswith("stage samples (merge)") and "unknown kind 'map'" in errors[2]


def test_records_lost_or_made_up_between_stages_are_named():
    funnel = [
        StageCounts("a", SOURCE, {"in": 5, "out": 5}),
        StageCounts("b", SOURCE, {"in": 3, "out": 3}),
        StageCounts("joined", FILTER, {"in": 7, "out": 7}, ["a", "b"]),
        StageCounts("after", FILTER, {"in": 9, "out": 9}, ["joined"]),
    ]
    errors = accounting_errors(funnel)
    assert errors == [
        "stage joined: in 7 != out 8 of its input stages (a, b): 1 records lost between stages without a reason",
        "stage after: in 9 != out 7 of its input stages (joined): 2 records appeared between stages without a reason",
    ]
    lines = format_accounting(funnel)
    assert lines[0].startswith("MISMATCH") and "checked 4 stages and 3 links" in lines[0]
    assert any("stage joined" in line for line in lines)


# --- the invariant through Beam -------------------------------------------------------------------------------


def _run_funnel(tmp_path, build) -> list[StageCounts]:
    with TestPipeline() as p:
        funnel = Funnel()
        build(p, funnel)
        funnel.write_counts(p, str(tmp_path / "stats"))
    return read_funnel(str(tmp_path))


def test_a_transform_that_swallows_records_between_stages_is_caught(tmp_path):
    def build(p, funnel):
        first = funnel.apply(p | beam.Create([_rec(i) for i in range(20)]), "first", _drop_sevens)
        leaky = first | "SilentlyLoseOne" >> beam.Filter(lambda r: r.id != "r3")  # no Drop, no count
        funnel.apply(leaky | beam.Map(lambda r: r), "second", _keep)

    funnel = _run_funnel(tmp_path, build)
    by_stage = {s.stage: s for s in funnel}
    assert by_stage["first"].inputs == [] and by_stage["second"].inputs == ["first"]
    assert [s.balanced() for s in funnel] == [True, True]  # each stage adds up on its own...
    assert accounting_errors(funnel) == [  # ...the link between them does not
        "stage second: in 17 != out 18 of its input stages (first): 1 records lost between stages without a reason"
    ]


def _first_per_group(group):
    """A lossy regrouping step: keeps one record per key and forgets the others (should Drop them)."""
    _, records = group
    yield min(records, key=lambda r: r.id)


def test_a_source_kind_step_that_forgets_records_is_caught(tmp_path):
    """A source-kind step counts what it emits as its `in`, so only the link to the stage feeding it shows the
    loss (why grouping steps are `GroupStep`s, counted on entry, and no longer source-kind steps)."""

    def build(p, funnel):
        kept = funnel.apply(p | beam.Create([_rec(i) for i in range(9)]), "read", _keep)
        grouped = kept | beam.Map(lambda r: (r.repo, r)) | beam.GroupByKey()
        funnel.apply(grouped, "dedup_repo", _first_per_group, kind=SOURCE)

    funnel = _run_funnel(tmp_path, build)
    assert [s.balanced() for s in funnel] == [True, True]
    (error,) = accounting_errors(funnel)
    assert error.startswith("stage dedup_repo: in 3 != out 9 of its input stages (read): 6 records lost")


def test_stages_fed_from_outside_the_funnel_are_not_linked(tmp_path):
    def build(p, funnel):
        first = funnel.apply(p | "A" >> beam.Create([_rec(i) for i in range(4)]), "first", _keep)
        extra = p | "B" >> beam.Create([_rec(i) for i in range(10, 12)])
        funnel.apply((first, extra) | beam.Flatten(), "mixed", _keep)

    funnel = _run_funnel(tmp_path, build)
    assert [s.inputs for s in funnel] == [[], []] and accounting_errors(funnel) == []


def test_a_grouping_stage_links_through_its_input_and_output(tmp_path):
    """A grouping step deciding two stages (like exact then near dedup): the first is fed by the stage before
    it, the second by the first, and the next stage reads the second's kept records."""

    def build(p, funnel):
        first = funnel.apply(p | beam.Create([_rec(i) for i in range(6)]), "first", _keep)
        step = GroupStep(("composite", "inner"), key=lambda r: r.id, resolve=lambda group: iter(group[1]))
        kept = funnel.group(first, step)["kept"]
        funnel.apply(kept, "last", _keep)

    funnel = {s.stage: s for s in _run_funnel(tmp_path, build)}
    assert funnel["composite"].inputs == ["first"] and funnel["inner"].inputs == ["composite"]
    assert funnel["last"].inputs == ["inner"]  # the grouping's kept output is what `last` reads
    assert accounting_errors(list(funnel.values())) == []


def test_a_grouping_step_that_raises_isolates_the_group_and_counts_every_stage(tmp_path):
    def resolve(group):
        key, records = group
        if key == "r3":
            raise ValueError("bad group")
        for record in records:
            yield Drop("late", record.id) if key == "r4" else record

    def build(p, funnel):
        first = funnel.apply(p | beam.Create([_rec(i) for i in range(6)]), "first", _keep)
        step = GroupStep(("a", "b"), key=lambda r: r.id, resolve=resolve, drop_stage={"late": 1})
        funnel.apply(funnel.group(first, step)["kept"], "last", _keep)

    funnel = {s.stage: s for s in _run_funnel(tmp_path, build)}
    assert funnel["a"].counts == {"in": 6, "out": 5, "dropped.error.a": 1}
    assert funnel["b"].counts == {"in": 5, "out": 4, "dropped.late": 1}
    assert funnel["a"].kind == funnel["b"].kind == FILTER
    assert accounting_errors(list(funnel.values())) == []


def test_a_grouping_key_of_none_passes_the_record_only_in_a_step_that_passes(tmp_path):
    """`passes` steps (repository samples: files of other languages) let a record without a key through;
    in any other step (dedup, whose kept output then needs no Flatten) it is an error drop of that record."""

    def build(p, funnel):
        records = p | beam.Create([_rec(i) for i in range(4)])
        key = lambda r: None if r.id == "r1" else r.id
        funnel.group(records, GroupStep(("passing",), key=key, resolve=lambda g: iter(g[1]), passes=True))
        funnel.group(records, GroupStep(("strict",), key=key, resolve=lambda g: iter(g[1])))

    funnel = {s.stage: s for s in _run_funnel(tmp_path, build)}
    assert funnel["passing"].counts["out"] == 4
    assert funnel["strict"].counts == {"in": 4, "out": 3, "dropped.error.strict": 1}
    assert accounting_errors(list(funnel.values())) == []


def test_a_filter_step_returning_none_fails_naming_the_stage():
    def forgetful(record):
        if record.id != "r2":
            return record

    with pytest.raises(Exception, match=r"stage forgetful: the step returned None for record r2") as err, \
            TestPipeline() as p:
        Funnel().apply(p | beam.Create([_rec(i) for i in range(4)]), "forgetful", forgetful)
    assert isinstance(err.value, StepError) or "StepError" in str(err.value)


# --- `codecorpus run` fails loudly ---------------------------------------------------------------------------


def _web_config(tmp_path):
    config = tmp_path / "web.yaml"
    config.write_text(
        f"inputs:\n  web:\n    paths: [{REPO / 'sample' / 'web' / 'sample.warc.gz'}]\n"
        "recall:\n  enabled: false\noutput:\n  num_shards: 1\n"
    )
    return config


def test_run_with_a_lossy_stage_exits_non_zero_naming_the_stage(tmp_path, monkeypatch, capsys):
    real = web_transforms.pick_url_survivor

    def survivor_without_drops(group):  # URL dedup that forgets to count the duplicates it removes
        for item in real(group):
            if isinstance(item, Record):
                yield item

    monkeypatch.setattr(web_transforms, "pick_url_survivor", survivor_without_drops)
    out = tmp_path / "out"
    assert main(["run", "--config", str(_web_config(tmp_path)), "--output", str(out), "--progress", "never"]) == 3
    err = capsys.readouterr().err
    # A grouping step counts every record on entry, so the loss shows inside the stage itself.
    assert "ACCOUNTING MISMATCH" in err and "stage web_url_dedup: in 7 != out 6 + dropped 0" in err
    doc = json.loads((out / "stats" / "counts.json").read_text())
    assert {s["stage"]: s["inputs"] for s in doc["stages"]}["web_url_dedup"] == ["web_extract"]
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    report = capsys.readouterr().out
    assert "MISMATCH: records lost without a reason" in report and "stage web_url_dedup" in report
