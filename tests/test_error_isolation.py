"""Error isolation: a step that raises on one record costs that record (an `error.<stage>` drop with the
exception in the rejects), not the run; past `max_error_fraction` the run fails naming the first records."""
from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from pipeline import build
from pipeline.accounting import (
    StageCounts,
    accounting_errors,
    error_budget_problems,
    first_errors,
    format_errors,
    parse_stages,
)
from pipeline.cli import main
from pipeline.config import Output
from pipeline.record import Drop, Record
from pipeline.sources.github import RepoUnit
from pipeline.stages import FILTER, SOURCE, Funnel
from tests.conftest import sample_config

REPO = Path(__file__).resolve().parent.parent


def _records(n: int = 6) -> list[Record]:
    return [Record(id=f"r{i}", source="github", text="x", repo="octo/repo", path=f"{i}.py") for i in range(n)]


def _explode_on_3(record: Record) -> Record | Drop:
    if record.path == "3.py":
        raise ValueError("bad byte at 7")
    return record


def _source_failing_after_one(unit: RepoUnit):
    yield Record(id="1", source="github", text="ok", repo=unit.name, path="a.py")
    raise OSError(f"cannot read {unit.location}/broken.py")


def _run_funnel(tmp_path: Path, build_graph, write_rejects: bool = True) -> tuple[dict, list[dict]]:
    with TestPipeline() as p:
        funnel = Funnel()
        build_graph(p, funnel)
        funnel.write_counts(p, str(tmp_path / "stats"))
        funnel.write_rejects(p, str(tmp_path / "rejects"), Output(num_shards=1), write_rejects)
    doc = json.loads((tmp_path / "stats" / "counts.json").read_text())
    lines = [json.loads(line) for f in sorted((tmp_path / "rejects").glob("*.jsonl")) for line in f.read_text().splitlines()]
    return doc, lines


def test_a_filter_step_raising_on_one_record_drops_only_that_record(tmp_path):
    def graph(p, funnel):
        kept = funnel.apply(p | beam.Create(_records()), "file_rules", _explode_on_3)
        funnel.apply(kept, "after", lambda r: r)

    doc, rejects = _run_funnel(tmp_path, graph)
    stages = {s.stage: s for s in parse_stages(doc)}
    assert stages["file_rules"].counts == {"in": 6, "out": 5, "dropped.error.file_rules": 1}
    assert stages["after"].n_in == 5 and accounting_errors(list(stages.values())) == []
    assert doc["errors"] == {
        "file_rules": [{"id": "r3", "detail": "ValueError: bad byte at 7 (on record r3 (octo/repo/3.py))"}]
    }
    assert rejects == [
        {"stage": "file_rules", "reason": "error.file_rules", "id": "r3",
         "detail": "ValueError: bad byte at 7 (on record r3 (octo/repo/3.py))"}
    ]


def test_a_source_raising_midway_keeps_what_it_read_and_counts_one_error(tmp_path):
    def graph(p, funnel):
        units = p | beam.Create([RepoUnit("dir", "/data/repos/octo", "octo")])
        funnel.apply(units, "github_source", _source_failing_after_one, kind=SOURCE)

    doc, rejects = _run_funnel(tmp_path, graph)
    (source,) = parse_stages(doc)
    assert source.counts == {"in": 2, "out": 1, "dropped.error.github_source": 1} and source.balanced()
    assert "OSError: cannot read /data/repos/octo/broken.py" in rejects[0]["detail"]


def test_without_write_rejects_errors_still_reach_a_dead_letter_file(tmp_path):
    def graph(p, funnel):
        funnel.apply(p | beam.Create(_records()), "file_rules", _explode_on_3)

    _, rejects = _run_funnel(tmp_path, graph, write_rejects=False)
    assert [r["id"] for r in rejects] == ["r3"]
    assert [f.name for f in (tmp_path / "rejects").iterdir()] == ["errors-00000-of-00001.jsonl"]


def test_no_errors_key_when_no_step_raised(tmp_path):
    def graph(p, funnel):
        funnel.apply(p | beam.Create(_records()), "keep", lambda r: r)

    doc, _ = _run_funnel(tmp_path, graph)
    assert "errors" not in doc


def test_error_budget_names_the_stage_and_first_records():
    funnel = [StageCounts("language", FILTER, {"in": 1000, "out": 998, "dropped.error.language": 2})]
    first = {"language": [{"id": "a", "detail": "KeyError: 'x'"}, {"id": "b", "detail": "KeyError: 'y'"}]}
    assert error_budget_problems(funnel, first, 0.002) == []
    (problem,) = error_budget_problems(funnel, first, 0.001)
    assert "stage language: 2 of 1,000 records raised" in problem and "a: KeyError: 'x'; b: KeyError: 'y'" in problem
    assert format_errors(funnel, first)[0].startswith("stage language: 2 records raised an exception")
    assert first_errors({"stages": []}) == {}


# --- `codecorpus run` with a deliberately failing step --------------------------------------------------------


def _github_config(tmp_path: Path, **top: object) -> Path:
    config = tmp_path / "github.yaml"
    lines = [
        f"inputs:\n  github:\n    paths: [{REPO / 'sample' / 'github'}]",
        "recall:\n  enabled: false",
        "output:\n  num_shards: 1\n  write_rejects: false",
    ] + [f"{key}: {value}" for key, value in top.items()]
    config.write_text("\n".join(lines) + "\n")
    return config


@pytest.fixture
def language_fails_on_ops(monkeypatch):
    real = build.language_step

    def language_step(record: Record) -> Record | Drop:
        if record.path.endswith("ops.py"):
            raise RuntimeError(f"deliberate failure on {record.path}")
        return real(record)

    monkeypatch.setattr(build, "language_step", language_step)


@pytest.mark.slow
def test_run_isolates_a_failing_step_within_the_budget(tmp_path, capsys, language_fails_on_ops):
    out = tmp_path / "out"
    code = main(["run", "--config", str(_github_config(tmp_path, max_error_fraction=0.5)), "--output", str(out),
                 "--progress", "never"])
    printed = capsys.readouterr().out
    assert code == 0
    doc = json.loads((out / "stats" / "counts.json").read_text())
    language = {s["stage"]: s for s in doc["stages"]}["language"]
    assert language["counts"]["dropped.error.language"] == 2  # calc/ops.py and calc-fork/calc/ops.py
    assert accounting_errors(parse_stages(doc)) == []
    assert [row["detail"].split(" (on ")[0] for row in doc["errors"]["language"]] == [
        "RuntimeError: deliberate failure on calc/ops.py"
    ] * 2
    dead = [json.loads(line) for line in (out / "rejects" / "collect" / "errors-00000-of-00001.jsonl").read_text().splitlines()]
    assert {d["reason"] for d in dead} == {"error.language"} and len(dead) == 2
    assert "errors (records a step raised on" in printed and "stage language: 2 records raised" in printed


@pytest.mark.slow
def test_run_fails_past_max_error_fraction_naming_the_records(tmp_path, capsys, language_fails_on_ops):
    out = tmp_path / "out"
    code = main(["run", "--config", str(_github_config(tmp_path, max_error_fraction=0)), "--output", str(out),
                 "--progress", "never"])
    err = capsys.readouterr().err
    assert code == 4
    assert "phase collect: too many records raised an exception" in err
    assert "stage language: 2 of" in err and "deliberate failure on calc/ops.py" in err
    assert not (out / "stages" / "_complete" / "collect.json").exists()  # --resume reruns it


@pytest.fixture
def scoring_fails_on_some_pages(monkeypatch):
    from pipeline.recall_transforms import ScorePages

    real = ScorePages.batch

    def score(self, records: list[Record]) -> list[Record]:
        for record in records:  # a batch fails whole; its stage then scores its pages one by one
            if record.id.startswith("0"):  # about one page in sixteen, the same ones on every run
                raise RuntimeError(f"deliberate scoring failure on {record.url}")
        return real(self, records)

    monkeypatch.setattr(ScorePages, "batch", score)


def _sample_config_with_budget(tmp_path: Path, max_error_fraction: float) -> Path:
    config = sample_config(tmp_path, iterations=1)
    config.write_text(config.read_text() + f"max_error_fraction: {max_error_fraction}\n")
    return config


@pytest.mark.slow
def test_recall_scoring_errors_are_counted_within_the_budget(tmp_path, scoring_fails_on_some_pages):
    out = tmp_path / "out"
    code = main(["run", "--config", str(_sample_config_with_budget(tmp_path, 0.5)), "--output", str(out),
                 "--progress", "never"])
    assert code == 0
    doc = json.loads((out / "stats" / "counts.json").read_text())
    recall = {s["stage"]: s for s in doc["stages"]}["recall"]
    failed = recall["counts"]["dropped.error.recall_score"]
    assert failed > 0 and recall["counts"]["in"] == recall["counts"]["out"] + failed
    assert accounting_errors(parse_stages(doc)) == []
    assert doc["errors"]["recall"][0]["detail"].startswith("RuntimeError: deliberate scoring failure on ")


@pytest.mark.slow
def test_recall_scoring_errors_past_the_budget_exit_4_naming_the_stage(tmp_path, capsys, scoring_fails_on_some_pages):
    out = tmp_path / "out"
    code = main(["run", "--config", str(_sample_config_with_budget(tmp_path, 0)), "--output", str(out),
                 "--progress", "never"])
    err = capsys.readouterr().err
    assert code == 4
    assert "too many records raised an exception" in err and "stage recall_score:" in err
    assert "deliberate scoring failure on" in err
    assert not (out / "stages" / "_complete" / "recall.json").exists()  # --resume reruns it
