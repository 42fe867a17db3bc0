"""General-text inputs: JSON lines (plain and gzipped) and Parquet, with every bad row counted."""
from __future__ import annotations

import bz2
import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.config import TextInputs
from pipeline.record import Drop, Record
from pipeline.sources.text import expand_text_input, read_text_file

ROWS = [{"id": "a", "text": "First document.", "url": "https://x.org/a"}, {"id": "b", "text": "Second one."}]


def read_all(pattern: str, **kw) -> list[Record | Drop]:
    return [r for unit in expand_text_input(pattern) for r in read_text_file(unit, TextInputs(**kw))]


def test_jsonl_gzip_and_parquet_give_the_same_records(tmp_path):
    for sub in ("j", "g", "p"):
        (tmp_path / sub).mkdir()
    (tmp_path / "j" / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    with gzip.open(tmp_path / "g" / "docs.jsonl.gz", "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in ROWS)
    pq.write_table(pa.Table.from_pylist(ROWS), tmp_path / "p" / "docs.parquet")
    results = {}
    for sub in ("j", "g", "p"):
        records = read_all(str(tmp_path / sub / "docs*"), id_field="id", url_field="url")
        assert all(isinstance(r, Record) for r in records)
        results[sub] = [(r.text, r.url, r.category, r.source) for r in records]
    assert results["j"] == results["g"] == results["p"] == [
        ("First document.", "https://x.org/a", "text", "text"), ("Second one.", "", "text", "text")
    ]


def test_ids_depend_on_the_name_below_the_glob_not_on_where_the_data_sits(tmp_path):
    for root in ("one", "two"):
        (tmp_path / root / "set").mkdir(parents=True)
        (tmp_path / root / "set" / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    ids_one = [r.id for r in read_all(str(tmp_path / "one" / "*" / "docs.jsonl"))]
    ids_two = [r.id for r in read_all(str(tmp_path / "two" / "*" / "docs.jsonl"))]
    assert ids_one == ids_two and len(set(ids_one)) == 2
    with_field = [r.id for r in read_all(str(tmp_path / "one" / "*" / "docs.jsonl"), id_field="id")]
    assert with_field != ids_one  # an id column, when configured, names the record


def test_bad_rows_and_broken_files_are_counted_drops(tmp_path):
    (tmp_path / "mixed.jsonl").write_text(
        '{"text": "good"}\n{"text": \n[1, 2]\n{"body": "no text field"}\n{"text": "   "}\n\n{"text": 5}\n'
    )
    results = read_all(str(tmp_path / "mixed.jsonl"))
    assert [r.reason if isinstance(r, Drop) else "ok" for r in results] == [
        "ok", "bad_json", "bad_row", "no_text", "no_text", "no_text"
    ]
    assert "mixed.jsonl:2" in results[1].detail and "'text'" in results[3].detail
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    (drop,) = read_all(str(tmp_path / "broken.parquet"))
    assert isinstance(drop, Drop) and drop.reason == "unreadable_file" and "broken.parquet" in drop.detail


@pytest.mark.parametrize(("suffix", "compress"), [(".gz", gzip.compress), (".bz2", bz2.compress)])
def test_a_compressed_file_cut_short_is_a_counted_drop(tmp_path, suffix, compress):
    """Cut at a line boundary inside the stream, or just before the trailer, a file would otherwise end
    quietly and lose its tail without a count."""
    rows = "".join(json.dumps({"text": f"row {i} " + "abc" * i}) + "\n" for i in range(100)).encode()
    data = compress(rows)
    for cut in (len(data) // 2, len(data) - 4):
        (tmp_path / f"cut{suffix}").write_bytes(data[:cut])
        results = read_all(str(tmp_path / f"cut{suffix}"))
        drops = [r for r in results if isinstance(r, Drop) and r.reason != "bad_json"]
        assert [d.reason for d in drops] == ["unreadable_file"] and f"cut{suffix}" in drops[0].detail
        assert sum(isinstance(r, Record) for r in results) <= 100  # bzip2 yields nothing of a cut block


def test_format_can_be_forced(tmp_path):
    pq.write_table(pa.Table.from_pylist([{"body": "x y z"}]), tmp_path / "data.bin")
    (record,) = read_all(str(tmp_path / "data.bin"), format="parquet", text_field="body")
    assert record.text == "x y z"


def test_a_text_path_matching_nothing_stops_the_run_with_the_key(tmp_path, capsys):
    from pipeline.cli import main

    config = tmp_path / "c.yaml"
    config.write_text(f"inputs:\n  text:\n    paths: [{tmp_path}/none/*.jsonl]\n")
    assert main(["run", "--config", str(config), "--output", str(tmp_path / "out")]) == 2
    assert "inputs.text.paths.0" in capsys.readouterr().err
