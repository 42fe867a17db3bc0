"""Memory per record is bounded (issue 12): JSON lines are read within `inputs.text.max_row_bytes`, tar
extension headers within `github.max_tar_header_bytes`, paths (archive members, dump rows' repo and path)
within `github.max_path_chars`; each breach is a named drop and the rest of the input goes on."""
from __future__ import annotations

import io
import json
import tarfile

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import TextInputs
from pipeline.json_lines import bounded_lines
from pipeline.record import Drop, Record
from pipeline.sources.github import ReadLimits, RepoUnit, read_unit
from pipeline.sources.text import TextFile, read_text_file


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=8),
       st.booleans(), st.integers(1, 20), st.integers(1, 40))
def test_bounded_lines_are_the_lines_or_the_length_of_a_long_one(lines, final_newline, max_bytes, chunk):
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    parts = data.split(b"\n")
    reference = [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    expected = [line if len(line) <= max_bytes else len(line) for line in reference]
    assert list(bounded_lines(io.BytesIO(data), max_bytes, chunk)) == expected


def test_a_huge_json_line_is_a_drop_and_the_rows_after_it_are_read(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"id": "a", "text": "first row"}, {"id": "huge", "text": "x" * 3_000_000}, {"id": "b", "text": "last"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = list(read_text_file(TextFile(str(path), "rows.jsonl"),
                                 TextInputs(id_field="id", max_row_bytes=1_000_000)))
    assert [x.text for x in items if isinstance(x, Record)] == ["first row", "last"]
    (drop,) = [x for x in items if isinstance(x, Drop)]
    assert drop.reason == "row_too_large" and "rows.jsonl:2" in drop.detail and "max_row_bytes" in drop.detail


def _tar(path, members: list[tuple[tarfile.TarInfo, bytes]], fmt: int) -> None:
    with tarfile.open(path, "w:gz", format=fmt) as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _member(name: str, **pax: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.pax_headers = pax
    return info


def _reasons(path, limits: ReadLimits) -> list[str]:
    unit = RepoUnit("archive", str(path), "proj")
    return [x.reason if isinstance(x, Drop) else f"file:{x.path}" for x in read_unit(unit, limits)]


def test_a_huge_tar_header_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "proj.tar.gz"
    _tar(path, [(_member("proj/ok.py"), b"x = 1\n"), (_member("proj/big.py", comment="c" * 3_000_000), b"y = 2\n")],
         tarfile.PAX_FORMAT)
    reasons = _reasons(path, ReadLimits(max_tar_header_bytes=1_000_000))
    assert reasons == ["file:ok.py", "archive_header_too_large"]
    assert _reasons(path, ReadLimits(max_tar_header_bytes=10_000_000)) == ["file:ok.py", "file:big.py"]


def test_a_long_member_name_is_a_path_too_long_drop(tmp_path):
    path = tmp_path / "proj.tar.gz"
    long_name = "proj/" + "d/" * 3000 + "deep.py"
    _tar(path, [(_member(long_name), b"z = 3\n"), (_member("proj/ok.py"), b"x = 1\n")], tarfile.GNU_FORMAT)
    assert _reasons(path, ReadLimits(max_path_chars=4096)) == ["path_too_long", "file:ok.py"]
    assert _reasons(path, ReadLimits(max_tar_header_bytes=1024)) == ["archive_header_too_large"]


@settings(max_examples=10, deadline=None)
@given(st.sampled_from(["jsonl", "parquet"]), st.sampled_from(["repo_name", "path"]), st.integers(1, 3_000))
def test_a_long_name_in_a_dump_row_is_a_path_too_long_drop(tmp_path_factory, kind, column, extra):
    import pyarrow as pa
    import pyarrow.parquet as pq

    cap = 1000
    rows = [{"repo_name": "o/r", "path": "ok.py", "content": "x = 1\n"},
            {"repo_name": "o/r", "path": "edge.py".rjust(cap, "e"), "content": "y = 2\n"},
            {"repo_name": "o/r", "path": "after.py", "content": "z = 3\n"}]
    rows.insert(1, {**rows[0], column: "n" * (cap + extra), "content": "w = 4\n"})
    folder = tmp_path_factory.mktemp("dump")
    path = folder / f"files.{kind}"
    if kind == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    unit = RepoUnit(kind, str(path), part=0 if kind == "parquet" else -1)
    items = list(read_unit(unit, ReadLimits(max_path_chars=cap)))
    assert [x.path for x in items if isinstance(x, Record)] == ["ok.py", rows[2]["path"], "after.py"]
    (drop,) = [x for x in items if isinstance(x, Drop)]
    assert drop.reason == "path_too_long" and f"({cap + extra} characters)" in drop.detail
    assert len(drop.detail) < 600 and "max_path_chars" in drop.detail
