"""The Parquet schema of the mix: flat columns every common reader loads.

Hugging Face `datasets` has no type for Arrow maps (and Spark/pandas disagree on them), so the open-ended
`scores` and `meta` of a record are JSON objects in string columns, keys sorted: `json.loads(row["meta"])`.
Everything else is a plain string or a nullable int64. Tested with datasets (also streaming), pandas,
polars, duckdb, pyarrow.dataset and Spark (tests/test_mix_readers.py).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from pipeline.schema import RECORD_FIELDS

JSON_COLUMNS = ("scores", "meta")  # JSON objects in string columns: score name -> float; string -> string
# The record's columns (`pipeline.schema`, their one list), flattened: maps become JSON strings, text a string.
MIX_SCHEMA = pa.schema(
    [(name, pa.string() if name in JSON_COLUMNS or kind == pa.large_string() else kind) for name, kind in RECORD_FIELDS]
)


def json_object(value: Mapping[str, Any]) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept, so equal dicts give equal bytes."""
    return json.dumps(dict(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


MIX_COPY = "mix_copy"  # meta key of a repeat: "1", "2", ... (the first copy has none)


def mix_table(rows: Sequence[Any]) -> pa.Table:
    """An Arrow table in MIX_SCHEMA from records (objects with an attribute per column, `scores`/`meta` as
    dicts), built column by column: no dict per row, and each column converted to Arrow in one call."""
    columns = []
    for field in MIX_SCHEMA:
        values = [getattr(row, field.name) for row in rows]
        if field.name in JSON_COLUMNS:
            values = [json_object(v) for v in values]
        columns.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(columns, schema=MIX_SCHEMA)


def copies_table(records: Sequence[Any], picks: Sequence[tuple[int, int]]) -> pa.Table:
    """The table of `picks` ((index into `records`, copy number) in row order): an upsampled record is written
    up to `max_repeats` times, so each record's columns are converted once and the rows taken from them (one
    allocation of the final size; building the copies' columns value by value cost ~3x); copies after the
    first carry `mix_copy` in their meta."""
    rows = mix_table(records).take(pa.array([i for i, _ in picks], type=pa.int64()))
    metas = [json_object({**records[i].meta, MIX_COPY: str(k)} if k else records[i].meta) for i, k in picks]
    at = MIX_SCHEMA.get_field_index("meta")
    return rows.set_column(at, MIX_SCHEMA.field(at), pa.array(metas, type=pa.string()))
