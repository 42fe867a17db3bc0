"""General-text inputs for the mix's `text` category: JSON lines (optionally .gz) or Parquet files.

`expand_text_input` turns a configured path or glob into files at run time; `read_text_file` streams one file
into Records (one per line or row) or Drops: a bad JSON line, a row without text, an unreadable file each
have their own counted reason, so one broken file never stops the run.
"""
from __future__ import annotations

import bz2
import functools
import gzip
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline.config import Config, ConfigError, TextInputs
from pipeline.json_lines import TOO_LONG, json_lines
from pipeline.record import Drop, Record, stable_id
from pipeline.sources.file_text import printable
from pipeline.sources.input_files import as_given, glob_base
from pipeline.stages import SOURCE, Funnel

_PARQUET_BATCH_ROWS = 1024  # rows per read batch: memory stays flat whatever the file size


@dataclass(frozen=True)
class TextFile:
    path: str
    name: str  # the path below the glob's fixed part: ids derive from it, not from where the data sits
    shown: str = ""  # how drop details name the file: as the config spells it (default: `path`)


def expand_text_input(entry: str, given: str = "") -> Iterator[TextFile]:
    """Every file matching `entry` (a path or glob; `given`: as written in the config), in sorted order."""
    base = glob_base(entry).rstrip("/")
    for path in sorted(m.path for m in FileSystems.match([entry])[0].metadata_list):
        name = path[len(base) + 1 :] if base and path.startswith(base + "/") else posixpath.basename(path)
        yield TextFile(path, printable(name), printable(as_given(path, entry, given) if given else path))


def is_parquet(path: str, fmt: str) -> bool:
    return fmt == "parquet" or (fmt == "auto" and path.endswith(".parquet"))


def read_text_file(unit: TextFile, inputs: TextInputs) -> Iterator[Record | Drop]:
    """One Record per row with a non-empty string in `inputs.text_field`; every other row is a counted Drop."""
    try:
        if is_parquet(unit.path, inputs.format):
            rows = _parquet_rows(unit.path)
        else:
            rows = _json_rows(unit.path, inputs.max_row_bytes)
        for rownum, row in rows:
            yield _row_record(unit, rownum, row, inputs.text_field, inputs.id_field, inputs.url_field)
    except Exception as err:  # noqa: BLE001 (an unreadable or truncated file of any kind is counted, named, and the run goes on)
        yield Drop("unreadable_file", stable_id("text", unit.name), f"{unit.shown or unit.path}: {type(err).__name__}: {err}")


def _open_lines(path: str) -> BinaryIO:
    """`path` decompressed by its extension. Beam's reader takes a gzip or bzip2 stream cut short for a clean
    end (the rest of the file would vanish without a count): those two are read with Python's modules, which
    raise on a missing end-of-stream marker."""
    kind = CompressionTypes.detect_compression_type(path)
    if kind in (CompressionTypes.GZIP, CompressionTypes.BZIP2):
        raw = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
        return gzip.GzipFile(fileobj=raw) if kind == CompressionTypes.GZIP else bz2.BZ2File(raw)
    return FileSystems.open(path)  # other compressions by extension (.zst, .deflate, ...) or none


def _json_rows(path: str, max_row_bytes: int) -> Iterator[tuple[int, Any]]:
    with _open_lines(path) as raw:
        for line in json_lines(raw, max_line_bytes=max_row_bytes, invalid_utf8="replace"):
            if line.problem == TOO_LONG:
                detail = f"{line.size} bytes, more than inputs.text.max_row_bytes ({max_row_bytes})"
                yield line.number - 1, _BadLine(detail, "row_too_large")
            else:
                yield line.number - 1, _BadLine(line.detail) if line.problem else line.value


def _parquet_rows(path: str) -> Iterator[tuple[int, Any]]:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        rownum = 0
        for batch in pq.ParquetFile(fh).iter_batches(batch_size=_PARQUET_BATCH_ROWS):
            for row in batch.to_pylist():
                yield rownum, row
                rownum += 1


@dataclass(frozen=True)
class _BadLine:
    error: str
    reason: str = "bad_json"


def _row_record(
    unit: TextFile, rownum: int, row: Any, text_field: str, id_field: str | None, url_field: str | None
) -> Record | Drop:
    where = f"{unit.shown or unit.path}:{rownum + 1}"
    if isinstance(row, _BadLine):
        return Drop(row.reason, stable_id("text", unit.name, str(rownum)), f"{where}: {row.error}")
    if not isinstance(row, dict):
        return Drop("bad_row", stable_id("text", unit.name, str(rownum)), f"{where}: not an object")
    key = row.get(id_field) if id_field else None
    rid = stable_id("text", unit.name, str(key)) if key not in (None, "") else stable_id("text", unit.name, str(rownum))
    text = row.get(text_field)
    if not isinstance(text, str) or not text.strip():
        return Drop("no_text", rid, f"{where}: field {text_field!r} missing, empty or not a string")
    url = row.get(url_field) if url_field else None
    return Record(
        id=rid,
        source="text",
        text=text,
        url=str(url) if url else "",
        category="text",
        meta={"input": unit.name},
    )


def read_text_inputs(p: beam.Pipeline, funnel: Funnel, config: Config) -> beam.PCollection:
    """The `inputs.text` files as Records (stage text_source); a path matching nothing stops the run early."""
    t = config.inputs.text
    entries = [(path.resolved, str(path)) for path in t.paths]  # (where to read, as written)
    for i, (entry, _) in enumerate(entries):
        if not FileSystems.match([entry])[0].metadata_list:
            raise ConfigError(f"config {config.source_file or '<dict>'}: inputs.text.paths.{i}: {entry} matches no file")
    def files(begin: beam.pvalue.PBegin) -> beam.PCollection:
        return (
            begin
            | "TextInputs" >> beam.Create(entries, reshuffle=False)
            | "ExpandTextFiles" >> beam.FlatMapTuple(expand_text_input)
            | "SpreadTextFiles" >> beam.Reshuffle()
        )

    read = functools.partial(read_text_file, inputs=t)
    return funnel.apply(p, "text_source", read, kind=SOURCE, units=files)
