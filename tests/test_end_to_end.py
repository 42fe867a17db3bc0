"""`codecorpus run` on the bundled sample, through Beam, end to end."""
from __future__ import annotations

import pyarrow.parquet as pq

from pipeline.cli import main
from pipeline.funnel import accounting_errors, read_funnel


def test_run_on_sample_writes_parquet_and_balanced_funnel(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--config", "configs/local.yaml", "--output", str(out)]) == 0
    shards = sorted((out / "files").glob("part-*-of-*.parquet"))
    assert shards
    kept = sum(pq.read_table(s).num_rows for s in shards)
    funnel = read_funnel(str(out))
    assert accounting_errors(funnel) == []
    code = [s for s in funnel if not s.stage.startswith("web_")]  # the web branch is checked on its own
    assert code[-1].n_out == kept > 0
    assert code[0].n_in == code[-1].n_out + sum(sum(s.drops.values()) for s in code)
    assert "accounting" in capsys.readouterr().out
