"""Deterministic sharded Parquet output, shards sized by bytes.

The number of shards of a table is `max(min_shards, ceil(total text bytes / shard_bytes))`, computed from the
data (a global sum), so no writer ever holds more than about `shard_bytes` whatever the input size. Records
are assigned to a shard by a hash of their id and sorted by id inside it, so the same records give
byte-identical files whatever the runner, bundling or arrival order. Each shard is written to a temporary
name and renamed into place: a retried bundle rewrites the same bytes, never a second copy.
"""
from __future__ import annotations

import io
import operator
from collections.abc import Callable, Iterable
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipeline.config import Output
from pipeline.files import read_bytes, write_bytes  # noqa: F401 - re-exported: the sinks write through them
from pipeline.record import ARROW_SCHEMA, Record, records_to_table
from pipeline.seeded import shard_of


def shard_count(total_bytes: int, min_shards: int, shard_bytes: int) -> int:
    """Shards for `total_bytes`: at least `min_shards`, each holding about `shard_bytes` or less."""
    return max(min_shards, -(-total_bytes // shard_bytes))


def record_bytes(record: Record) -> int:
    """What a record weighs in a shard: its UTF-8 text (the bulk of a row)."""
    return len(record.text.encode("utf-8", "surrogatepass"))


def shard_path(prefix: str, index: int, num_shards: int) -> str:
    return f"{prefix}/part-{index:05d}-of-{num_shards:05d}.parquet"


def parquet_bytes(table: pa.Table, compression: str = "zstd") -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=compression)
    return buf.getvalue()


def write_table(table: pa.Table, path: str, compression: str = "zstd") -> int:
    """Write `table` to `path` as Parquet, atomically; returns bytes written."""
    return write_bytes(path, parquet_bytes(table, compression))


class GroupIntoShards(beam.PTransform):
    """((shard index, shard count), items) for every shard, empty ones included. The count comes from the
    items' total size (`shard_count`); an item goes to the shard of the hash of `key(item)`, so the grouping
    is the same whatever the runner or the arrival order."""

    def __init__(self, min_shards: int, shard_bytes: int, key: Callable[[Any], str], size: Callable[[Any], int]):
        super().__init__()
        self.min_shards, self.shard_bytes, self.key, self.size = min_shards, shard_bytes, key, size

    def expand(self, items: beam.PCollection) -> beam.PCollection:
        key = self.key
        count = (
            items
            | "Bytes" >> beam.Map(self.size)
            | "TotalBytes" >> beam.CombineGlobally(sum)
            | "ShardCount" >> beam.Map(shard_count, self.min_shards, self.shard_bytes)
        )
        keyed = items | "KeyByShard" >> beam.Map(
            lambda item, n: ((shard_of(key(item), n), n), item), n=beam.pvalue.AsSingleton(count)
        )
        every = count | "AllShards" >> beam.FlatMap(lambda n: [((i, n), None) for i in range(n)])
        return (
            {"items": keyed, "present": every}
            | "GroupShards" >> beam.CoGroupByKey()
            | "ShardItems" >> beam.MapTuple(lambda shard, groups: (shard, groups["items"]))
        )


def _write_shard(item: tuple[tuple[int, int], Iterable[Record]], prefix: str) -> str:
    (index, num_shards), records = item
    records = sorted(records, key=lambda r: r.id)
    path = shard_path(prefix, index, num_shards)
    write_table(records_to_table(records) if records else ARROW_SCHEMA.empty_table(), path)
    return path


class WriteParquetShards(beam.PTransform):
    """Write Records as `prefix/part-NNNNN-of-MMMMM.parquet`, every shard present even when empty; at least
    `output.num_shards`, more as the text exceeds `output.shard_bytes` per shard."""

    def __init__(self, prefix: str, output: Output):
        super().__init__()
        self.prefix, self.min_shards, self.shard_bytes = prefix, output.num_shards, output.shard_bytes

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        return (
            records
            | "Shards" >> GroupIntoShards(self.min_shards, self.shard_bytes, operator.attrgetter("id"), record_bytes)
            | "WriteShard" >> beam.Map(_write_shard, self.prefix)
        )


def read_parquet_records(pattern: str) -> list[Record]:
    """Read every shard matching `pattern` back into Records (for tests and small tools)."""
    out: list[Record] = []
    for match in sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list):
        with FileSystems.open(match) as fh:
            table = pq.read_table(io.BytesIO(fh.read()))
        out.extend(Record.from_row(row) for row in table.to_pylist())
    return out


def _write_lines_shard(item: tuple[tuple[int, int], Iterable[tuple[str, str]]], prefix: str) -> str:
    (index, num_shards), pairs = item
    path = f"{prefix}-{index:05d}-of-{num_shards:05d}.jsonl"
    write_bytes(path, "".join(f"{line}\n" for line in sorted(line for _, line in pairs)).encode("utf-8"))
    return path


def _line_bytes(pair: tuple[str, str]) -> int:
    return len(pair[1].encode("utf-8", "surrogatepass"))


def _write_text(text: str, path: str, newline: bool) -> str:
    write_bytes(path, (text + "\n" if newline else text).encode("utf-8"))
    return path


class WriteTextFile(beam.PTransform):
    """Write the one string of a PCollection (a stats table) to the file `path`, with a trailing newline
    unless told not to, as one step: Beam's WriteToText is 11 transforms of a sharded write, a cost of every
    run (graph, stages, bundles) for one small file."""

    def __init__(self, path: str, newline: bool = True):
        super().__init__()
        self.path, self.newline = path, newline

    def expand(self, text: beam.PCollection) -> beam.PCollection:
        return text | "WriteFile" >> beam.Map(_write_text, self.path, self.newline)


class WriteJsonLinesShards(beam.PTransform):
    """Write (key, line) pairs as `prefix-NNNNN-of-MMMMM.jsonl`, every shard present even when empty; at
    least `output.num_shards`, more as the lines exceed `output.shard_bytes` per shard.

    A line goes to the shard of its key's hash and lines are sorted inside a shard, so the files are
    byte-identical whatever the runner or the arrival order (Beam's WriteToText keeps arrival order).
    """

    def __init__(self, prefix: str, output: Output):
        super().__init__()
        self.prefix, self.min_shards, self.shard_bytes = prefix, output.num_shards, output.shard_bytes

    def expand(self, keyed_lines: beam.PCollection) -> beam.PCollection:
        return (
            keyed_lines
            | "Shards" >> GroupIntoShards(self.min_shards, self.shard_bytes, operator.itemgetter(0), _line_bytes)
            | "WriteShard" >> beam.Map(_write_lines_shard, self.prefix)
        )
