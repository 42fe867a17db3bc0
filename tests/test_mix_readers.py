"""The mix folder loads in every reader a training or analysis user would pick, with the call each one's
documentation gives (docs/mix.md lists them). pandas, polars and duckdb install with the dev extra; Hugging
Face `datasets` (dill conflict with Beam 2.62) and Spark (~500 MB) run in `.venv-readers`, which `make test`
builds and names in CODECORPUS_READERS_PYTHON, so there they fail rather than skip when missing."""
from __future__ import annotations

import json
import sys

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from mix_sample import READERS_DEFAULT, READERS_PYTHON, read_elsewhere

from mixing.schema import MIX_SCHEMA


def expected(out) -> tuple[int, set[str]]:
    m = json.loads((out / "mix_manifest.json").read_text())
    ids = set()
    for info in m["categories"].values():
        for shard in info["shards"]:
            ids |= {f"{r['id']}/{json.loads(r['meta']).get('mix_copy', '0')}"
                    for r in pq.read_table(out / shard["path"], columns=["id", "meta"]).to_pylist()}
    return m["totals"]["docs"], ids


def keys(rows) -> set[str]:
    return {f"{r['id']}/{json.loads(r['meta']).get('mix_copy', '0')}" for r in rows}


@pytest.fixture(scope="module")
def mix(sample_run):
    docs, ids = expected(sample_run)
    assert docs > 0 and len(ids) == docs
    return sample_run / "mix", docs, ids


def test_pyarrow_dataset_opens_the_folder(mix):
    import pyarrow.dataset as ds

    folder, docs, ids = mix
    table = ds.dataset(folder, format="parquet").to_table()
    assert table.schema.equals(MIX_SCHEMA) and table.num_rows == docs and keys(table.to_pylist()) == ids
    assert all(p.suffix == ".parquet" for p in folder.rglob("*") if p.is_file())


def test_huggingface_datasets_loads_it_also_streaming(mix, tmp_path):
    """In `.venv-readers` (datasets cannot install beside Beam 2.62): data_files, streaming, folder, from_parquet."""
    folder, docs, ids = mix
    got = read_elsewhere(READERS_PYTHON, "datasets", folder, tmp_path, default=READERS_DEFAULT)
    assert got["features"] == {f.name: str(f.type) for f in MIX_SCHEMA}
    for way in ("data_files", "streaming", "folder", "from_parquet"):
        rows = got[way]
        assert len(rows) == docs and keys({"id": i, "meta": m} for i, m, _ in rows) == ids, way
        assert all(isinstance(json.loads(m), dict) and isinstance(json.loads(s), dict) for _, m, s in rows)


def test_pandas_reads_the_folder(mix):
    folder, docs, ids = mix
    frame = pd.read_parquet(folder)
    assert len(frame) == docs and keys(frame.to_dict("records")) == ids


def test_polars_reads_the_shards(mix):
    folder, docs, ids = mix
    frame = pl.read_parquet(f"{folder}/*/*.parquet")
    assert frame.height == docs and keys(frame.to_dicts()) == ids
    scanned = pl.scan_parquet(f"{folder}/**/*.parquet").select(pl.len()).collect().item()
    assert scanned == docs


def test_duckdb_queries_the_shards(mix):
    folder, docs, ids = mix
    con = duckdb.connect()
    rows = con.execute(f"SELECT id, meta, json_extract_string(meta, '$.mix_copy') AS copy "
                       f"FROM read_parquet('{folder}/*/*.parquet')").fetchall()
    assert len(rows) == docs and keys({"id": r[0], "meta": r[1]} for r in rows) == ids
    con.close()


def test_spark_reads_the_folder(mix, tmp_path):
    """In `.venv-readers` (pyspark is ~500 MB): a local[1] session, recursiveFileLookup on the mix folder."""
    folder, docs, ids = mix
    got = read_elsewhere(READERS_PYTHON, "spark", folder, tmp_path, default=READERS_DEFAULT)
    assert got["schema"] == {f.name: {"string": "string", "int64": "bigint"}[str(f.type)] for f in MIX_SCHEMA}
    assert len(got["rows"]) == docs and keys({"id": i, "meta": m} for i, m, _ in got["rows"]) == ids


def test_a_reader_venv_named_by_make_test_must_run(monkeypatch, tmp_path):
    """`make test` sets CODECORPUS_READERS_PYTHON: a missing venv or reader package fails instead of skipping."""
    monkeypatch.setenv(READERS_PYTHON, str(tmp_path / "absent" / "python"))
    with pytest.raises(pytest.fail.Exception, match="must run"):
        read_elsewhere(READERS_PYTHON, "datasets", tmp_path, tmp_path)
    monkeypatch.setenv(READERS_PYTHON, sys.executable)  # the Beam venv: no `datasets` (exit code UNUSABLE)
    with pytest.raises(pytest.fail.Exception, match="datasets is not installed"):
        read_elsewhere(READERS_PYTHON, "datasets", tmp_path, tmp_path)
    monkeypatch.delenv(READERS_PYTHON)
    with pytest.raises(pytest.skip.Exception, match="CODECORPUS_READERS_PYTHON"):
        read_elsewhere(READERS_PYTHON, "datasets", tmp_path, tmp_path, default=tmp_path / "absent")
