"""Seed corpora from files, selection by rank, validation per iteration, no silent failure, the mix check."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from classifiers.recall_selection import budget_cut, is_collected, score_bin
from pipeline import layout
from pipeline.cli import _check_mix, main
from pipeline.config import ConfigError, load_config, parse_config
from pipeline.mix_check import off_target
from pipeline.recall_driver import (
    collection_weakness,
    run_recall,
    seed_weakness,
    validation_weakness,
)
from pipeline.recall_transforms import RecallRules, build_select_pipeline
from pipeline.record import Record
from pipeline.sinks import read_parquet_records
from tests.recall_sample import make_pages

FAST = ["--runner=DirectRunner"]  # run in this process on the FnApiRunner (Beam 2.62 knows no --runner=FnApiRunner)


def _config(folder: Path, **recall: object) -> Path:
    data = {
        "seed": 3,
        "output": {"num_shards": 1},
        "tokenizer": {"vocab_size": 600},
        "recall": {
            "iterations": 1,
            "on_weak": "warn",
            "min_seed_pages": 5,
            "categories": {
                "code": {"url_patterns": ["stackoverflow.com/questions"], "budget": 40, "output_category": "code_web",
                         "seed_files": [{"path": "seeds/posts.jsonl", "text_column": "Body", "url_column": "Url",
                                         "html": True}, "seeds/docs.urls"]},
                "math": {"seed_files": ["seeds/owm/*.parquet"], "budget": 40, "output_category": "math_web"},
            },
            "fasttext": {"lr": 1.0, "epoch": 25, "dim": 32, "bucket": 10000},
            **recall,
        },
    }
    seeds = folder / "seeds"
    (seeds / "owm").mkdir(parents=True, exist_ok=True)
    pages = make_pages.generate_pages(seed=77, scale=0.3)
    math = [p for p in pages if p["meta"]["truth"] == "math"][:40]
    # OpenWebMath's shard layout: url, text, metadata (a JSON string); one row without text.
    pq.write_table(pa.table({
        "url": [p["url"] for p in math] + ["https://x.example/empty"],
        "text": [p["text"] for p in math] + [None],
        "metadata": ["{}"] * (len(math) + 1),
    }), seeds / "owm" / "part-0.parquet")
    code = [p for p in pages if p["meta"]["truth"] == "code"][:30]
    with (seeds / "posts.jsonl").open("w", encoding="utf-8") as fh:
        for i, p in enumerate(code):  # a StackExchange export: the text is HTML in Body
            fh.write(json.dumps({"Id": i, "Body": f"<p>{p['text'][:40]}</p><pre><code>x = [1, 2]\n</code></pre>"
                                 f"<p>{p['text'][40:]}</p>", "Url": p["url"]}) + "\n")
        fh.write(json.dumps({"Id": 99, "Title": "no body"}) + "\n")
        fh.write("{not json\n")
    (seeds / "docs.urls").write_text("# documentation sites\ndocs.python.org/3\n", encoding="utf-8")
    path = folder / "recall.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crawl")
    make_pages.write_sample(folder, scale=0.25)
    return folder / "pages.jsonl"


def test_seed_files_in_the_layouts_users_download(crawl, tmp_path):
    config = load_config(_config(tmp_path))
    with beam.Pipeline(argv=FAST) as p:
        build_select_pipeline(p, config, str(crawl), str(tmp_path / "iter-1"))
    counts = json.loads((tmp_path / "iter-1" / "stats" / "select.json").read_text())
    lines = [json.loads(x) for x in crawl.read_text(encoding="utf-8").splitlines()]
    on_seed_sites = {
        "code": sum(p["domain"] in ("stackoverflow.com", "docs.python.org") for p in lines),
        "math": 0,
    }
    # 30 posts and 40 OpenWebMath rows; the pages under the seed URL patterns and documentation prefixes.
    assert counts["seed_pages_found"] == {"code": on_seed_sites["code"] + 30, "math": 40}
    stages = {s["stage"]: s for s in json.loads((tmp_path / "iter-1" / "stats" / "select" / "counts.json")
                                                .read_text())["stages"]}
    assert stages["recall_seed_file_code_0"]["counts"] == {"in": 32, "out": 30, "dropped.bad_seed_row": 2}  # no Body; not JSON
    assert stages["recall_seed_file_math_0"]["counts"] == {"in": 41, "out": 40, "dropped.bad_seed_row": 1}  # null text
    examples = read_parquet_records(str(tmp_path / "iter-1" / "train" / "*.parquet"))
    posts = [e for e in examples if e.source == "seed" and e.category == "code"]
    assert posts and not any("<p>" in e.text or "<pre>" in e.text for e in posts)
    assert any("x = [1, 2]" in e.text for e in posts)


def test_seed_file_config_shorthand_formats_and_errors():
    recall = parse_config({"recall": {"categories": {"math": {
        "seed_files": ["a/owm.parquet", "b/posts.jsonl.gz", {"path": "c.tsv", "format": "text"}, "d/sites.urls"],
        "output_category": "math_web"}}}}).recall
    assert [f.resolved_format() for f in recall.categories["math"].seed_files] == [
        "parquet", "jsonl", "text", "url_prefixes"]
    with pytest.raises(ConfigError, match="seed_files") as err:
        parse_config({"recall": {"categories": {"math": {"seed_files": ["x.csv"], "output_category": "math_web"}}}})
    assert "x.csv" in str(err.value)
    with pytest.raises(ConfigError, match="on_weak"):
        parse_config({"recall": {"on_weak": "ignore"}})


def test_selection_ranks_pages_with_an_optional_floor(tmp_path):
    # A model that scores every page about 1/3 (too few seeds) still ranks them: the top ones fill the budget.
    scores = [0.330 + i / 10_000 for i in range(30)]
    hist: dict[int, float] = {}
    for s in scores:
        hist[score_bin(s)] = hist.get(score_bin(s), 0) + 1
    cut = budget_cut(hist, 10)
    kept = [s for s in scores if is_collected(s, cut, 0.5, min_score=0.0)]
    assert kept == scores[-10:]
    assert not [s for s in scores if is_collected(s, cut, 0.5, min_score=0.5)]  # a floor, when asked, still holds
    # A category without a budget keeps only the pages it wins.
    rules = RecallRules(load_config(_config(tmp_path, categories={
        "code": {"output_category": "code_web"}, "math": {"output_category": "math_web", "budget": 5}})))
    page = Record(id="p", source="web", text="t", url="https://a.example/x",
                  scores={"recall_code": 0.4, "recall_math": 0.1, "recall_other": 0.5})
    assert rules.collect(page, {"code": (-1, 1.0), "math": (score_bin(0.9), 0.0)})[0].category == "text"
    won = page.replace(scores={"recall_code": 0.6, "recall_math": 0.1, "recall_other": 0.3})
    assert rules.collect(won, {"code": (-1, 1.0), "math": (score_bin(0.9), 0.0)})[0].category == "code_web"


def test_weakness_reasons_name_the_class_and_the_key(tmp_path):
    config = load_config(_config(tmp_path, min_seed_pages=50, min_validation_precision=0.8,
                                 min_validation_recall=0.6))
    assert seed_weakness(config, {"seed_pages_found": {"code": 60, "math": 4}}) == [
        ("category math: 4 seed examples, fewer than recall.min_seed_pages=50 (add seed_files or url_patterns "
        "that match the crawl)")]
    reasons = validation_weakness(config, {
        "code": {"precision": 0.9, "recall": 0.5, "support": 10}, "math": {"precision": 0, "recall": 0, "support": 0}})
    assert reasons == [("category code: validation recall 0.500 below recall.min_validation_recall=0.6 (10 held-out "
                       "seeds)"), "category math: no held-out seed examples to validate on"]
    assert collection_weakness(config, {"pages": {"code": 3, "other": 9}}) == ["category math: no page collected"]


@pytest.mark.slow
def test_a_weak_recall_fails_loudly_or_warns_as_configured(crawl, tmp_path, capsys):
    strict = _config(tmp_path / "strict", on_weak="fail", min_seed_pages=1000)
    assert main(["recall", "--config", str(strict), "--pages", str(crawl), "--output", str(tmp_path / "a"),
                 *FAST]) == 6
    err = capsys.readouterr().err
    assert "recall iteration 1 is weak" in err and "recall.min_seed_pages=1000" in err and "on_weak: fail" in err

    said: list[str] = []
    summary = run_recall(load_config(_config(tmp_path / "lax", min_seed_pages=1000, validation_fraction=0.25)),
                         str(crawl), str(tmp_path / "b"), FAST, progress=said.append)
    assert summary["on_weak"] == "warn" and [w.split(",")[0] for w in summary["weak"][:2]] == [
        "iteration 1: category code: 47 seed examples", "iteration 1: category math: 40 seed examples"]
    assert any(line.startswith("WARNING: the recall is weak") for line in said)
    row = summary["per_iteration"][0]
    assert set(row) >= {"train", "validation", "collected", "new_fraction", "domains", "annotations", "weak"}
    validation = json.loads((tmp_path / "b" / "recall" / "iter-1" / "validation.json").read_text())
    assert set(validation["classes"]) == {"code", "math", "other"}
    held_out = sum(m["support"] for m in validation["classes"].values())
    assert held_out == validation["examples"] > 0
    # The held-out examples were not trained on.
    trained = json.loads((tmp_path / "b" / "recall" / "iter-1" / "model" / "classifier.json").read_text())
    counts = json.loads((tmp_path / "b" / "recall" / "iter-1" / "stats" / "select.json").read_text())
    assert sum(trained["examples"].values()) + held_out == sum(counts["examples"].values())
    # Within budget by rank: each category collects its budget (40 pages) at most.
    assert 0 < row["collected"]["code"] <= 40 and 0 < row["collected"]["math"] <= 40


def _fake_run(out: Path, achieved_math: float, *, skipped: str = "", collected_math: int | None = None) -> None:
    (out / layout.MANIFEST).parent.mkdir(parents=True, exist_ok=True)
    weights = {
        "code": {"asked": 0.6, "achieved": 0.6 + (0.1 - achieved_math) / 2, "status": "upsampled", "available_tokens": 9},
        "math": {"asked": 0.1, "achieved": achieved_math, "status": "missing" if not achieved_math else "complete",
                 "available_tokens": 0 if not achieved_math else 5},
        "text": {"asked": 0.3, "achieved": 0.3 + (0.1 - achieved_math) / 2, "status": "upsampled", "available_tokens": 3},
    }
    (out / layout.MANIFEST).write_text(json.dumps({"weights": weights}))
    if skipped:
        (out / "stats" / "recall").mkdir(parents=True)
        (out / "stats" / "recall" / "skipped.txt").write_text(skipped + "\n")
    if collected_math is not None:
        (out / "recall").mkdir()
        (out / "recall" / "summary.json").write_text(json.dumps({"collected": {"math": collected_math}, "weak": []}))


def test_off_target_mix_says_why_and_exits_when_asked(tmp_path, capsys):
    config = parse_config({})
    _fake_run(tmp_path / "a", 0.0, skipped="recall iteration 1: fastText needs examples of at least two labels")
    messages = off_target(config, str(tmp_path / "a"))
    assert [m.split(":")[0] for m in messages] == ["mix group code", "mix group math", "mix group text"]
    assert "written 0.0%, asked 10.0%" in messages[1] and "the recall was skipped: recall iteration 1" in messages[1]
    assert "recall" not in messages[0]  # code is over its weight: the recall is not why
    _fake_run(tmp_path / "b", 0.0, collected_math=0)
    assert "the recall collected no math page" in off_target(config, str(tmp_path / "b"))[1]
    _fake_run(tmp_path / "c", 0.095)
    assert off_target(config, str(tmp_path / "c")) == []  # within the 2% tolerance

    run_log = SimpleNamespace(warnings=[])
    assert _check_mix(config, str(tmp_path / "a"), run_log) == 0  # default: warn
    assert "WARNING: mix group math" in capsys.readouterr().err and run_log.warnings == messages
    strict = parse_config({"mix": {"on_off_target": "fail", "weight_tolerance": 0.01}})
    assert _check_mix(strict, str(tmp_path / "a"), SimpleNamespace(warnings=[])) == 5
    assert json.loads((tmp_path / "a" / "stats" / "mix_off_target.json").read_text())["on_off_target"] == "fail"


def test_the_sample_run_records_every_iteration_and_is_on_target(sample_run):
    summary = json.loads((sample_run / "recall" / "summary.json").read_text())
    assert summary["weak"] == [] and summary["on_weak"] == "fail"
    assert [r["iteration"] for r in summary["per_iteration"]] == list(range(1, summary["iterations"] + 1))
    for row in summary["per_iteration"]:
        assert row["collected"]["code"] > 0 and row["collected"]["math"] > 0
        for label in ("code", "math"):
            assert row["validation"][label]["support"] > 0
        assert (sample_run / "recall" / f"iter-{row['iteration']}" / "validation.json").is_file()
    assert json.loads((sample_run / "stats" / "mix_off_target.json").read_text())["off_target"] == []
