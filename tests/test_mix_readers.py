"""The mix folder loads in every reader a training or analysis user would pick, with the call each one's
documentation gives (docs/mix.md lists them). The readers install with the dev extra (`make test`); Spark
is large and installs with `make test-spark` only: its test skips here when pyspark is absent."""
from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest

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
    datasets = pytest.importorskip("datasets")
    folder, docs, ids = mix
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    loaded = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path / "c"))
    assert loaded.num_rows == docs and keys(loaded) == ids
    assert json.loads(loaded[0]["meta"]) is not None and isinstance(loaded[0]["scores"], str)
    streamed = datasets.load_dataset("parquet", data_files=files, split="train", streaming=True)
    assert keys(streamed) == ids
    by_dir = datasets.load_dataset(str(folder), split="train", cache_dir=str(tmp_path / "d"))
    assert by_dir.num_rows == docs
    assert datasets.Dataset.from_parquet(files, cache_dir=str(tmp_path / "e")).num_rows == docs


def test_pandas_reads_the_folder(mix):
    pd = pytest.importorskip("pandas")
    folder, docs, ids = mix
    frame = pd.read_parquet(folder)
    assert len(frame) == docs and keys(frame.to_dict("records")) == ids


def test_polars_reads_the_shards(mix):
    pl = pytest.importorskip("polars")
    folder, docs, ids = mix
    frame = pl.read_parquet(f"{folder}/*/*.parquet")
    assert frame.height == docs and keys(frame.to_dicts()) == ids
    scanned = pl.scan_parquet(f"{folder}/**/*.parquet").select(pl.len()).collect().item()
    assert scanned == docs


def test_duckdb_queries_the_shards(mix):
    duckdb = pytest.importorskip("duckdb")
    folder, docs, ids = mix
    con = duckdb.connect()
    rows = con.execute(f"SELECT id, meta, json_extract_string(meta, '$.mix_copy') AS copy "
                       f"FROM read_parquet('{folder}/*/*.parquet')").fetchall()
    assert len(rows) == docs and keys({"id": r[0], "meta": r[1]} for r in rows) == ids
    con.close()


def test_spark_reads_the_folder(mix, tmp_path):
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (make test-spark installs it)")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime on PATH")
    from pyspark.sql import SparkSession

    folder, docs, ids = mix
    spark = (SparkSession.builder.master("local[1]").appName("codecorpus-mix")
             .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.sql.warehouse.dir", str(tmp_path / "wh")).getOrCreate())
    try:
        frame = spark.read.option("recursiveFileLookup", "true").parquet(str(folder))
        rows = [r.asDict() for r in frame.select("id", "meta", "text").collect()]
        assert len(rows) == docs and keys(rows) == ids
        assert pyspark.__version__
    finally:
        spark.stop()
