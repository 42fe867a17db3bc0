"""Mistakes caught before any work: `codecorpus validate`, and `run` refusing with exit 2 before collect."""
from __future__ import annotations

import os

import pytest
import yaml

from pipeline.cli import main
from tests.conftest import sample_config


def _config(tmp_path, edit) -> str:
    path = sample_config(tmp_path)
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _typo_in_benchmark(data):
    data["decontamination"]["benchmarks"][2]["paths"] = ["/nowhere/gsm8k/tset.jsonl"]


def _typo_in_tokenizer(data):
    data["tokenizer"]["path"] = "/nowhere/tokenizer.json"


def _not_a_tokenizer(data):
    data["tokenizer"]["path"] = os.path.abspath(__file__)  # a file that exists but is no tokenizer.json


def _typo_in_warc(data):
    data["inputs"]["web"]["paths"] = ["/nowhere/*.warc.gz"]


def _typo_in_seed_file(data):
    data["recall"]["categories"]["math"]["seed_files"] = ["/nowhere/seeds.jsonl"]


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (_typo_in_benchmark, "decontamination.benchmarks.2.paths"),
        (_typo_in_tokenizer, "tokenizer.path"),
        (_not_a_tokenizer, "tokenizer.path: cannot load tokenizer"),
        (_typo_in_warc, "inputs.web.paths.0"),
        (_typo_in_seed_file, "recall.categories.math.seed_files.0"),
    ],
)
def test_validate_and_run_name_the_key_before_any_work(tmp_path, capsys, edit, key):
    config = _config(tmp_path, edit)
    out = tmp_path / "out"
    assert main(["validate", "--config", config, "--output", str(out)]) == 2
    assert key in capsys.readouterr().err
    assert main(["run", "--config", config, "--output", str(out), "--progress", "never"]) == 2
    assert key in capsys.readouterr().err
    assert not out.exists()  # nothing was started


def test_output_that_is_a_file_or_unwritable(tmp_path, capsys):
    config = str(sample_config(tmp_path))
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    assert main(["run", "--config", config, "--output", str(a_file), "--progress", "never"]) == 2
    assert f"--output {a_file}: exists and is not a folder" in capsys.readouterr().err
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main(["validate", "--config", config, "--output", str(locked / "out")]) == 2
        assert "cannot write" in capsys.readouterr().err


def test_validate_accepts_the_bundled_config(tmp_path, capsys):
    assert main(["validate", "--config", str(sample_config(tmp_path)), "--output", str(tmp_path / "o")]) == 0
    assert "valid; every input found" in capsys.readouterr().out
    assert not (tmp_path / "o").exists()


def test_validate_checks_beam_options(tmp_path, capsys):
    config = str(sample_config(tmp_path))
    assert main(["validate", "--config", config, "--output", str(tmp_path / "o"), "--no_such_beam_option=1"]) == 2
    assert "no_such_beam_option" in capsys.readouterr().err
