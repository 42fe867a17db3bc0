"""The columns of a record, defined once and Beam-free: the stages' Parquet hand-offs (`pipeline.record`'s
ARROW_SCHEMA) and the mix's flat Parquet (`mixing.schema.MIX_SCHEMA`) are both made from this list."""
from __future__ import annotations

import pyarrow as pa

# (name, Arrow type in the stages' hand-offs), in column order.
RECORD_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("id", pa.string()),
    ("source", pa.string()),
    ("text", pa.large_string()),
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
    ("scores", pa.map_(pa.string(), pa.float64())),  # score name -> float
    ("tokens", pa.int64()),
    ("meta", pa.map_(pa.string(), pa.string())),
)
