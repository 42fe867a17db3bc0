"""The shared JSON Lines reader: numbering, blank lines, the cap, bad lines in both modes, cut streams."""
from __future__ import annotations

import gzip
import io
import json

import pytest

from pipeline.json_lines import NOT_JSON, TOO_LONG, JsonLine, json_lines


def _read(data: bytes, cap: int | None = 100, mode: str = "not_json") -> list[JsonLine]:
    return list(json_lines(io.BytesIO(data), max_line_bytes=cap, invalid_utf8=mode))


def test_lines_are_numbered_with_blank_lines_counted_and_skipped():
    lines = _read(b'{"a": 1}\n\n  \n[2]\n"x"')
    assert [(x.number, x.value, x.problem) for x in lines] == [(1, {"a": 1}, ""), (4, [2], ""), (5, "x", "")]


def test_a_long_line_is_reported_by_its_length_and_reading_goes_on():
    long = b'{"t": "' + b"y" * 200 + b'"}\n'
    first, second = _read(long + b'{"b": 2}\n')
    assert (first.problem, first.size, first.number) == (TOO_LONG, len(long), 1)
    assert second.value == {"b": 2}
    assert [x.value for x in _read(long, cap=None)] == [{"t": "y" * 200}]


@pytest.mark.parametrize(("mode", "expected"), [("replace", {"t": "a\ufffdb"}), ("not_json", None)])
def test_invalid_utf8_is_replaced_or_a_bad_line(mode, expected):
    (line,) = _read(b'{"t": "a\xffb"}\n', mode=mode)
    assert line.value == expected and line.problem == ("" if expected else NOT_JSON)


def test_bad_json_and_deep_nesting_are_bad_lines_not_errors():
    bad, deep, good = _read(b"{nope\n" + b"[" * 100_000 + b"\n1\n", cap=None)
    assert bad.problem == deep.problem == NOT_JSON and bad.detail and good.value == 1


def test_lines_before_a_cut_in_a_gzip_stream_come_before_its_error():
    rows = "".join(json.dumps({"i": i, "pad": "v" * 200}) + "\n" for i in range(5000)).encode()
    whole = gzip.compress(rows)
    read = []
    with pytest.raises(EOFError):
        for line in json_lines(gzip.GzipFile(fileobj=io.BytesIO(whole[: len(whole) // 2])), max_line_bytes=1000,
                               invalid_utf8="not_json"):
            read.append(line.value["i"])
    assert read and read == list(range(len(read)))
