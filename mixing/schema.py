"""The Parquet schema of the mix: flat columns every common reader loads.

Hugging Face `datasets` has no type for Arrow maps (and Spark/pandas disagree on them), so the open-ended
`scores` and `meta` of a record are JSON objects in string columns, keys sorted: `json.loads(row["meta"])`.
Everything else is a plain string or a nullable int64. Tested with datasets (also streaming), pandas,
polars, duckdb, pyarrow.dataset and Spark (tests/test_mix_readers.py).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

MIX_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("text", pa.string()),
        ("repo", pa.string()),
        ("path", pa.string()),
        ("repo_url", pa.string()),
        ("repo_created_at", pa.string()),
        ("repo_license", pa.string()),
        ("repo_stars", pa.int64()),
        ("url", pa.string()),
        ("domain", pa.string()),
        ("fetch_date", pa.string()),
        ("language", pa.string()),
        ("category", pa.string()),
        ("scores", pa.string()),  # JSON object: score name -> float
        ("tokens", pa.int64()),
        ("meta", pa.string()),  # JSON object: string -> string (fim, fim_psm, mix_copy, ...)
    ]
)
JSON_COLUMNS = ("scores", "meta")


def json_object(value: Mapping[str, Any]) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept, so equal dicts give equal bytes."""
    return json.dumps(dict(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def mix_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """An Arrow table in MIX_SCHEMA from record dicts (`scores`/`meta` as dicts)."""
    names = MIX_SCHEMA.names
    out = [
        {k: (json_object(row[k]) if k in JSON_COLUMNS else row[k]) for k in names}
        for row in rows
    ]
    return pa.Table.from_pylist(out, schema=MIX_SCHEMA)
