"""Resumable runs: a run killed in a phase resumes from its completion markers to the same bytes."""
from __future__ import annotations

from pathlib import Path

import apache_beam as beam
import pytest
import yaml

import pipeline.build as build_module
from pipeline.cli import main
from pipeline.config import load_config, parse_config
from pipeline.layout import marker as marker_path
from pipeline.phases import PHASES, plan_phases
from tests.conftest import output_tree, sample_config


def _boom(record):
    raise RuntimeError("killed on purpose in the mix phase")


def _run(config: Path, out: Path, *extra: str) -> int:
    return main(["run", "--config", str(config), "--output", str(out), "--progress", "never", *extra])


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    return sample_config(tmp_path_factory.mktemp("resume-config"), iterations=1)


def test_a_run_killed_midway_resumes_to_the_bytes_of_an_uninterrupted_run(config, tmp_path, monkeypatch, capsys):
    reference = tmp_path / "reference"
    assert _run(config, reference) == 0

    out = tmp_path / "out"
    real = build_module.decontaminate

    def failing_decontaminate(inputs, *args, **kwargs):  # a stage of the mix phase that raises
        kept = dict(real(inputs, *args, **kwargs))
        kept["code"] = kept["code"] | "KillOnPurpose" >> beam.Map(_boom)
        return kept

    monkeypatch.setattr(build_module, "decontaminate", failing_decontaminate)
    with pytest.raises(Exception, match="killed on purpose"):
        _run(config, out)
    monkeypatch.undo()
    done = sorted(p.stem for p in (out / "stages" / "_complete").iterdir())
    assert done == ["collect", "recall"]  # the mix never finished
    capsys.readouterr()

    assert _run(config, out, "--resume") == 0
    said = capsys.readouterr().out
    assert "phase collect: complete in an earlier run with this config, skipped" in said
    assert "phase recall: complete in an earlier run with this config, skipped" in said
    assert output_tree(out) == output_tree(reference)


def test_a_changed_config_invalidates_the_phases_it_touches_and_those_after(config, tmp_path):
    out = str(tmp_path)
    base = load_config(config)
    upstream = ""
    for plan in plan_phases(base, out, resume=False):  # mark every phase complete for `base`
        Path(marker_path(out, plan.name)).parent.mkdir(parents=True, exist_ok=True)
        Path(marker_path(out, plan.name)).write_text(f'{{"phase": "{plan.name}", "fingerprint": "{plan.fingerprint}"}}')
        upstream = plan.fingerprint
    assert upstream

    def skipped(**changes) -> list[bool]:
        data = yaml.safe_load(Path(config).read_text())
        for section, values in changes.items():
            data[section] = {**data.get(section, {}), **values}
        return [p.skip for p in plan_phases(parse_config(data, str(config)), out, resume=True)]

    assert skipped() == [True, True, True]
    assert skipped(mix={"max_repeats": 3}) == [True, True, False]
    assert skipped(tokenizer={"vocab_size": 3000}) == [True, False, False]
    assert skipped(filters={"max_line_length": 999}) == [False, False, False]
    assert [p.skip for p in plan_phases(base, out, resume=False)] == [False] * len(PHASES)
