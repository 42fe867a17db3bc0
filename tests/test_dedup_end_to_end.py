"""`codecorpus run` with repository samples and dedup on the bundled calc repository and its fork."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import yaml

from pipeline.accounting import StageCounts, accounting_errors, format_funnel, read_funnel
from pipeline.cli import main
from tests.conftest import REPO


def test_fork_is_a_near_duplicate_sample_and_readme_an_exact_one(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({
        "inputs": {"github": {"paths": [str(REPO / "sample/github/calc"), str(REPO / "sample/github/calc-fork")]}},
        "repo_samples": {"mode": "dependency"},
        "dedup": {"enabled": True, "max_rounds": 3},
        "output": {"num_shards": 1, "write_rejects": True},
    }))
    out = tmp_path / "out"
    assert main(["run", "--config", str(config), "--output", str(out)]) == 0
    funnel = {s.stage: s for s in read_funnel(str(out))}
    assert accounting_errors(list(funnel.values())) == []
    samples = funnel["repo_samples"]
    assert (samples.n_in, samples.counts["merged"], samples.counts["samples"], samples.n_out) == (8, 6, 2, 4)
    assert funnel["exact_dedup"].drops == {"exact_duplicate": 1}
    assert funnel["near_dedup"].drops == {"near_duplicate": 1}
    assert "6 records merged into 2" in format_funnel(list(funnel.values()))

    rows = pq.read_table(next((out / "stages" / "code").glob("*.parquet"))).to_pylist()
    sample = next(r for r in rows if r["language"] == "Python")
    assert [line for line in sample["text"].splitlines() if line.startswith("# calc/")] == [
        "# calc/ops.py", "# calc/__init__.py", "# calc/cli.py",
    ]
    rejects = [json.loads(line) for f in (out / "rejects").glob("*/*.jsonl") for line in f.read_text().splitlines()]
    kept_ids = {r["id"] for r in rows}
    assert {r["reason"] for r in rejects} == {"exact_duplicate", "near_duplicate"}
    assert all(r["detail"].removeprefix("survivor=") in kept_ids for r in rejects)


def test_merge_stage_accounting_catches_a_lost_file():
    ok = StageCounts("repo_samples", "merge", {"in": 10, "passed": 2, "merged": 8, "samples": 3, "out": 5})
    lost = StageCounts("repo_samples", "merge", {"in": 10, "passed": 2, "merged": 7, "samples": 3, "out": 5})
    assert accounting_errors([ok]) == [] and ok.absorbed == 5
    (error,) = accounting_errors([lost])
    assert "in 10 must equal passed 2 + merged 7 + dropped 0" in error
    assert StageCounts("x", "filter", {"in": 3, "out": 2}).imbalance() == "stage x: in 3 != out 2 + dropped 0"
