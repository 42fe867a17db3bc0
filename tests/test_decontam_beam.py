"""Decontamination through Beam: the index as a file workers load in setup(), drops per benchmark naming the item."""
from __future__ import annotations

import json
import pickle

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to
from benchmark_files import GSM8K, HUMANEVAL, write_benchmarks

from pipeline.config import ConfigError, parse_config
from pipeline.decontam_transforms import INDEX_FILE, ContaminationStep, decontaminate, write_index
from pipeline.record import Record
from pipeline.stages import Funnel


def make_config(tmp_path, paths):
    return parse_config(
        {
            "decontamination": {
                "benchmarks": [
                    {"name": "humaneval", "paths": [str(paths["humaneval"])]},
                    {"name": "mbpp", "paths": [str(paths["mbpp"]), str(paths["mbpp_sanitized"])]},
                    {"name": "gsm8k", "paths": [str(tmp_path / "bench" / "test*.jsonl")]},
                    {"name": "math", "paths": [str(paths["math"])]},
                ]
            }
        }
    )


def test_drops_name_the_item_and_count_per_benchmark(tmp_path):
    paths = write_benchmarks(tmp_path / "bench")
    config = make_config(tmp_path, paths)
    code = [
        Record(id="c1", source="github", text="def ok():\n    return 1\n", category="code"),
        Record(id="c2", source="github", text="# copied\n" + HUMANEVAL[1]["prompt"], category="code"),
    ]
    text = [
        Record(id="t1", source="text", text="Bees dance to show where flowers are.", category="text"),
        Record(id="t2", source="text", text="Homework: " + GSM8K[1]["question"], category="text"),
        Record(id="t3", source="text", text="Write a function to reverse vowels only.", category="text"),
    ]
    funnel = Funnel()
    out_dir = tmp_path / "out"
    with BeamTestPipeline() as p:
        kept = decontaminate(
            {"code": p | "Code" >> beam.Create(code), "text": p | "Text" >> beam.Create(text)},
            funnel, config, str(out_dir),
        )
        assert_that(kept["code"] | "CodeIds" >> beam.Map(lambda r: r.id), equal_to(["c1"]), label="KeptCode")
        assert_that(kept["text"] | "TextIds" >> beam.Map(lambda r: r.id), equal_to(["t1"]), label="KeptText")
        drops = funnel.drops | beam.Flatten() | beam.Map(lambda sd: (sd[0], sd[1].reason, sd[1].id, sd[1].detail))
        assert_that(
            drops | beam.Map(lambda d: (d[0], d[1], d[2], d[3].split(" ")[0])),
            equal_to([
                ("decontaminate", "contaminated.humaneval", "c2", "humaneval:HumanEval/1"),
                ("decontaminate", "contaminated.gsm8k", "t2", "gsm8k:test/1"),
                ("decontaminate", "contaminated.mbpp", "t3", "mbpp:12"),
            ]),
            label="Drops",
        )
    summary = json.loads((out_dir / "stats" / "decontamination.json").read_text())
    assert summary["ngram"] == 10 and summary["benchmarks"]["mbpp"]["items"] == 3


def test_a_benchmark_path_matching_nothing_is_a_config_error(tmp_path):
    config = parse_config({"decontamination": {"benchmarks": [{"name": "gsm8k", "paths": [str(tmp_path / "no*")]}]}})
    with (
        pytest.raises(ConfigError, match=r"decontamination\.benchmarks\.0\.paths: .*matches no file"),
        BeamTestPipeline() as p,
    ):
        decontaminate({"text": p | beam.Create([])}, Funnel(), config, str(tmp_path))


def test_unknown_benchmarks_need_fields():
    with pytest.raises(ConfigError, match="give its `fields`"):
        parse_config({"decontamination": {"benchmarks": [{"name": "cmath", "paths": ["x.jsonl"]}]}})
    config = parse_config(
        {"decontamination": {"benchmarks": [{"name": "cmath", "paths": ["x"], "fields": ["question"]}]}}
    )
    spec = config.decontamination.benchmarks[0].field_spec()
    assert spec.fields == ("question",) and spec.exact_fields == () and spec.id_fields == ()


def test_index_file_is_reused_by_key_and_loaded_by_the_worker_not_pickled(tmp_path):
    paths = write_benchmarks(tmp_path / "bench")
    config = make_config(tmp_path, paths)
    out = tmp_path / "out"
    path = write_index(config, str(out))
    first = (out / INDEX_FILE).read_bytes()
    mtime = (out / INDEX_FILE).stat().st_mtime_ns
    assert write_index(config, str(out)) == path and (out / INDEX_FILE).stat().st_mtime_ns == mtime  # reused
    step = ContaminationStep(path)
    step.setup()
    shipped = pickle.dumps(step)
    assert len(shipped) < 1000 < len(first)  # the job graph carries the path, not the index
    worker = pickle.loads(shipped)
    worker.setup()
    assert worker(Record(id="x", source="text", text="Homework: " + GSM8K[1]["question"])).reason == "contaminated.gsm8k"
    paths["gsm8k"].write_text(paths["gsm8k"].read_text().replace("ferry", "barge"))  # benchmark changed: rebuilt
    write_index(config, str(out))
    assert (out / INDEX_FILE).read_bytes() != first


def test_a_new_output_folder_copies_the_cached_index_instead_of_building_it(tmp_path, monkeypatch):
    import filters.decontaminate

    monkeypatch.setenv("CODECORPUS_CACHE", str(tmp_path / "cache"))
    paths = write_benchmarks(tmp_path / "bench")
    config = make_config(tmp_path, paths)
    write_index(config, str(tmp_path / "a"))
    built = (tmp_path / "a" / INDEX_FILE).read_bytes()
    assert [p.read_bytes() for p in (tmp_path / "cache" / "decontamination").iterdir()] == [built]

    def no_build(*args, **kwargs):
        raise AssertionError("the index was built again")

    monkeypatch.setattr(filters.decontaminate.ContaminationIndex, "build", no_build)
    write_index(config, str(tmp_path / "b"))
    assert (tmp_path / "b" / INDEX_FILE).read_bytes() == built
    paths["gsm8k"].write_text(paths["gsm8k"].read_text().replace("ferry", "barge"))  # another key: built
    with pytest.raises(AssertionError, match="built again"):
        write_index(config, str(tmp_path / "c"))
    monkeypatch.undo()
    monkeypatch.setenv("CODECORPUS_CACHE", "none")
    write_index(config, str(tmp_path / "d"))
    assert len(list((tmp_path / "cache" / "decontamination").iterdir())) == 1  # the cache was off
