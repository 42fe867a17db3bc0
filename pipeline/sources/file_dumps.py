"""File-level dumps, one row per source file with repository, path and content columns (how The Stack and
StarCoderData ship): Parquet (one unit of work per row group, read in batches) and JSON Lines (optionally
gzipped, read line by line with a cap on line length). Memory stays flat in the size of the dump.

Columns are found by candidate names, first present wins (`DumpColumns`); repository metadata columns
(URL, creation date, stars, licence) are optional.
"""
from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

from pipeline.json_lines import NOT_JSON, TOO_LONG, json_lines
from pipeline.sources.input_files import open_input
from pipeline.sources.repo_metadata import RepoMeta, meta_from_fields
from pipeline.sources.tree_entries import READ_ERRORS, Skipped

PARQUET_SUFFIXES = (".parquet",)
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
DUMP_BATCH_ROWS = 1024
# A JSON-escaped string takes at most 6 bytes per input byte (\u00XX); plus room for the other fields.
JSON_ESCAPE_FACTOR = 6
JSON_LINE_SLACK = 64 * 1024
REQUIRED = ("repo", "path", "content")


@dataclass(frozen=True)
class DumpColumns:
    """Candidate column names per field, first present wins (defaults: The Stack v1/v2, StarCoderData)."""

    repo: tuple[str, ...] = ("repo_name", "max_stars_repo_name", "repository_name", "repo")
    path: tuple[str, ...] = ("path", "max_stars_repo_path", "file_path")
    content: tuple[str, ...] = ("content", "text", "code")
    url: tuple[str, ...] = ("repo_url",)
    created_at: tuple[str, ...] = ("repo_created_at", "gha_created_at", "created_at")
    stars: tuple[str, ...] = ("max_stars_count", "star_events_count", "repo_stars", "stars")
    license: tuple[str, ...] = ("max_stars_repo_licenses", "detected_licenses", "repo_license", "license")

    def resolve(self, available: list[str]) -> dict[str, str]:
        """field -> the column that serves it, for every field some candidate of which is present."""
        present = set(available)
        found = {}
        for f in fields(self):
            column = next((c for c in getattr(self, f.name) if c in present), None)
            if column is not None:
                found[f.name] = column
        return found

    def missing(self, resolved: dict[str, str]) -> list[str]:
        return [f"{name} (one of {', '.join(getattr(self, name))})" for name in REQUIRED if name not in resolved]


@dataclass(frozen=True)
class DumpRow:
    """One file from a dump; `where` locates the row for drop details."""

    where: str
    repo: str
    path: str
    content: str | bytes
    meta: RepoMeta


def dump_kind(location: str) -> str | None:
    lower = location.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if lower.endswith(JSONL_SUFFIXES):
        return "jsonl"
    return None


def _row(where: str, values: dict[str, Any]) -> DumpRow | Skipped:
    """A dump row from its field values (field name -> value; absent fields are unknown)."""
    get = values.get
    repo, path, content = get("repo"), get("path"), get("content")
    for name, value in (("repo", repo), ("path", path)):
        if not isinstance(value, str) or not value:
            return Skipped(where, "dump_bad_row", f"{name} is {type(value).__name__}, not a name")
    if not isinstance(content, (str, bytes)):
        return Skipped(where, "dump_bad_row", f"content is {type(content).__name__}")
    meta = meta_from_fields(get("url"), get("created_at"), get("stars"), get("license"))
    return DumpRow(where, repo, path, content, meta)


def parquet_row_groups(location: str) -> int:
    """How many row groups a Parquet file holds (each becomes one unit of work)."""
    import pyarrow.parquet as pq

    with open_input(location) as fh:
        return pq.ParquetFile(fh).metadata.num_row_groups


def read_parquet_rows(
    location: str, row_group: int, columns: DumpColumns, *, batch_rows: int = DUMP_BATCH_ROWS
) -> Iterator[DumpRow | Skipped]:
    """The rows of one row group, `batch_rows` at a time. A file without the required columns is one
    `dump_missing_columns`; a file that cannot be read is one `unreadable` (after the rows read so far)."""
    import pyarrow.parquet as pq

    try:
        with open_input(location) as fh:
            parquet = pq.ParquetFile(fh)
            resolved = columns.resolve(parquet.schema_arrow.names)
            missing = columns.missing(resolved)
            if missing:
                yield Skipped("", "dump_missing_columns", f"no column for {'; '.join(missing)}", fatal=True)
                return
            first = sum(parquet.metadata.row_group(i).num_rows for i in range(row_group))
            names = list(dict.fromkeys(resolved.values()))
            batches = parquet.iter_batches(
                batch_size=batch_rows, row_groups=[row_group], columns=names, use_threads=False
            )
            for batch in batches:
                data = {name: batch.column(name).to_pylist() for name in names}
                for i in range(batch.num_rows):
                    where = f"{location}:row {first + i}"
                    yield _row(where, {key: data[column][i] for key, column in resolved.items()})
                first += batch.num_rows
    except READ_ERRORS as err:
        yield Skipped("", "unreadable", f"cannot read Parquet: {err}", fatal=True)


def json_line_limit(max_file_bytes: int) -> int:
    """The longest JSON line that can hold a file of `max_file_bytes`."""
    return max_file_bytes * JSON_ESCAPE_FACTOR + JSON_LINE_SLACK


def read_jsonl_rows(location: str, columns: DumpColumns, *, max_line_bytes: int) -> Iterator[DumpRow | Skipped]:
    """The rows of a JSON Lines file (`.gz` decompressed as a stream). Lines that are not JSON objects
    are `dump_bad_row`, lines over `max_line_bytes` are `too_large`, a truncated file ends in `unreadable`."""
    try:
        with open_input(location) as raw:
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if location.lower().endswith(".gz") else raw
            resolved: dict[str, str] | None = None
            for line in json_lines(stream, max_line_bytes=max_line_bytes, invalid_utf8="not_json"):
                where, obj = f"{location}:line {line.number}", line.value
                if line.problem == TOO_LONG:
                    yield Skipped(where, "too_large", f"line longer than {max_line_bytes} bytes")
                    continue
                if line.problem == NOT_JSON:
                    yield Skipped(where, "dump_bad_row", f"not JSON: {line.detail}")
                    continue
                if not isinstance(obj, dict):
                    yield Skipped(where, "dump_bad_row", "not a JSON object")
                    continue
                if resolved is None:  # the first row names the columns, like a header
                    resolved = columns.resolve(list(obj))
                    missing = columns.missing(resolved)
                    if missing:
                        yield Skipped("", "dump_missing_columns", f"no field for {'; '.join(missing)}", fatal=True)
                        return
                yield _row(where, {key: obj.get(column) for key, column in resolved.items()})
    except READ_ERRORS as err:
        yield Skipped("", "unreadable", f"cannot read JSON Lines: {err}", fatal=True)
