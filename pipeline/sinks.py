"""Deterministic sharded Parquet output.

Records are assigned to a shard by a hash of their id and sorted by id inside it, so the same records give
byte-identical files whatever the runner, bundling or arrival order. Each shard is written to a temporary
name and renamed into place: a retried bundle rewrites the same bytes, never a second copy.
"""
from __future__ import annotations

import hashlib
import io
from typing import Iterable

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipeline.record import ARROW_SCHEMA, Record, records_to_table


def shard_of(record_id: str, num_shards: int) -> int:
    return int.from_bytes(hashlib.sha1(record_id.encode("utf-8")).digest()[:8], "big") % num_shards


def shard_path(prefix: str, index: int, num_shards: int) -> str:
    return f"{prefix}/part-{index:05d}-of-{num_shards:05d}.parquet"


def write_table(table: pa.Table, path: str, compression: str = "zstd") -> int:
    """Write `table` to `path` (any Beam filesystem) atomically; returns bytes written."""
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=compression)
    data = buf.getvalue()
    tmp = f"{path}.tmp"
    with FileSystems.create(tmp) as fh:
        fh.write(data)
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([tmp], [path])
    return len(data)


def _write_shard(item: tuple[int, dict[str, Iterable]], prefix: str, num_shards: int) -> str:
    index, groups = item
    records = sorted(groups["records"], key=lambda r: r.id)
    path = shard_path(prefix, index, num_shards)
    write_table(records_to_table(records) if records else ARROW_SCHEMA.empty_table(), path)
    return path


class WriteParquetShards(beam.PTransform):
    """Write Records as `prefix/part-NNNNN-of-MMMMM.parquet`, every shard present even when empty."""

    def __init__(self, prefix: str, num_shards: int):
        super().__init__()
        self.prefix, self.num_shards = prefix, num_shards

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        n = self.num_shards
        keyed = records | "KeyByShard" >> beam.Map(lambda r: (shard_of(r.id, n), r))
        every = records.pipeline | "AllShards" >> beam.Create([(i, None) for i in range(n)])
        return (
            {"records": keyed, "present": every}
            | "GroupShards" >> beam.CoGroupByKey()
            | "WriteShard" >> beam.Map(_write_shard, self.prefix, n)
        )


def read_parquet_records(pattern: str) -> list[Record]:
    """Read every shard matching `pattern` back into Records (for tests and small tools)."""
    out: list[Record] = []
    for match in sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list):
        with FileSystems.open(match) as fh:
            table = pq.read_table(io.BytesIO(fh.read()))
        out.extend(Record.from_row(row) for row in table.to_pylist())
    return out
