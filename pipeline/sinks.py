"""Deterministic sharded Parquet output.

Records are assigned to a shard by a hash of their id and sorted by id inside it, so the same records give
byte-identical files whatever the runner, bundling or arrival order. Each shard is written to a temporary
name and renamed into place: a retried bundle rewrites the same bytes, never a second copy.
"""
from __future__ import annotations

import hashlib
import io
import operator
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline.record import ARROW_SCHEMA, Record, records_to_table


def shard_of(record_id: str, num_shards: int) -> int:
    return int.from_bytes(hashlib.sha1(record_id.encode("utf-8")).digest()[:8], "big") % num_shards


def shard_path(prefix: str, index: int, num_shards: int) -> str:
    return f"{prefix}/part-{index:05d}-of-{num_shards:05d}.parquet"


def write_bytes(path: str, data: bytes) -> int:
    """Write `data` to `path` (any Beam filesystem) through a temporary file renamed into place.

    The temporary name is unique per attempt: a retried or speculative duplicate of the same shard never
    writes into another attempt's half-written file, and the last rename leaves the same bytes.
    """
    directory, name = FileSystems.split(path)
    tmp = FileSystems.join(directory, f".tmp-{uuid.uuid4().hex}-{name}")
    try:
        with FileSystems.create(tmp) as fh:
            fh.write(data)
        if FileSystems.exists(path):
            FileSystems.delete([path])
        FileSystems.rename([tmp], [path])
    finally:
        if FileSystems.exists(tmp):
            FileSystems.delete([tmp])
    return len(data)


def parquet_bytes(table: pa.Table, compression: str = "zstd") -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=compression)
    return buf.getvalue()


def write_table(table: pa.Table, path: str, compression: str = "zstd") -> int:
    """Write `table` to `path` as Parquet, atomically; returns bytes written."""
    return write_bytes(path, parquet_bytes(table, compression))


def read_bytes(path: str) -> bytes:
    """A file's bytes exactly as stored (no decompression), from any Beam filesystem."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        return fh.read()


class GroupIntoShards(beam.PTransform):
    """(shard index, items) for every shard 0..n-1, empty ones included: an item goes to the shard of the
    hash of `key(item)`, so the grouping is the same whatever the runner or the arrival order."""

    def __init__(self, num_shards: int, key: Callable[[Any], str]):
        super().__init__()
        self.num_shards, self.key = num_shards, key

    def expand(self, items: beam.PCollection) -> beam.PCollection:
        n, key = self.num_shards, self.key
        keyed = items | "KeyByShard" >> beam.Map(lambda item: (shard_of(key(item), n), item))
        every = items.pipeline | "AllShards" >> beam.Create([(i, None) for i in range(n)])
        return (
            {"items": keyed, "present": every}
            | "GroupShards" >> beam.CoGroupByKey()
            | "ShardItems" >> beam.MapTuple(lambda index, groups: (index, groups["items"]))
        )


def _write_shard(item: tuple[int, Iterable[Record]], prefix: str, num_shards: int) -> str:
    index, records = item
    records = sorted(records, key=lambda r: r.id)
    path = shard_path(prefix, index, num_shards)
    write_table(records_to_table(records) if records else ARROW_SCHEMA.empty_table(), path)
    return path


class WriteParquetShards(beam.PTransform):
    """Write Records as `prefix/part-NNNNN-of-MMMMM.parquet`, every shard present even when empty."""

    def __init__(self, prefix: str, num_shards: int):
        super().__init__()
        self.prefix, self.num_shards = prefix, num_shards

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        return (
            records
            | "Shards" >> GroupIntoShards(self.num_shards, operator.attrgetter("id"))
            | "WriteShard" >> beam.Map(_write_shard, self.prefix, self.num_shards)
        )


def read_parquet_records(pattern: str) -> list[Record]:
    """Read every shard matching `pattern` back into Records (for tests and small tools)."""
    out: list[Record] = []
    for match in sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list):
        with FileSystems.open(match) as fh:
            table = pq.read_table(io.BytesIO(fh.read()))
        out.extend(Record.from_row(row) for row in table.to_pylist())
    return out


def _write_lines_shard(item: tuple[int, Iterable[tuple[str, str]]], prefix: str, num_shards: int) -> str:
    index, pairs = item
    path = f"{prefix}-{index:05d}-of-{num_shards:05d}.jsonl"
    write_bytes(path, "".join(f"{line}\n" for line in sorted(line for _, line in pairs)).encode("utf-8"))
    return path


class WriteJsonLinesShards(beam.PTransform):
    """Write (key, line) pairs as `prefix-NNNNN-of-MMMMM.jsonl`, every shard present even when empty.

    A line goes to the shard of its key's hash and lines are sorted inside a shard, so the files are
    byte-identical whatever the runner or the arrival order (Beam's WriteToText keeps arrival order).
    """

    def __init__(self, prefix: str, num_shards: int):
        super().__init__()
        self.prefix, self.num_shards = prefix, num_shards

    def expand(self, keyed_lines: beam.PCollection) -> beam.PCollection:
        return (
            keyed_lines
            | "Shards" >> GroupIntoShards(self.num_shards, operator.itemgetter(0))
            | "WriteShard" >> beam.Map(_write_lines_shard, self.prefix, self.num_shards)
        )
