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
from apache_beam.transforms.window import GlobalWindows

from pipeline.config import Output
from pipeline.files import read_bytes, write_bytes  # noqa: F401 - re-exported: the sinks write through them
from pipeline.record import ARROW_SCHEMA, Record, records_to_table, utf8_size
from pipeline.seeded import shard_of


def shard_count(total_bytes: int, min_shards: int, shard_bytes: int) -> int:
    """Shards for `total_bytes`: at least `min_shards`, each holding about `shard_bytes` or less."""
    return max(min_shards, -(-total_bytes // shard_bytes))


def record_bytes(record: Record) -> int:
    """What a record weighs in a shard: its UTF-8 text (the bulk of a row)."""
    return utf8_size(record.text)


def shard_path(prefix: str, index: int, num_shards: int) -> str:
    return f"{prefix}/part-{index:05d}-of-{num_shards:05d}.parquet"


def parquet_bytes(table: pa.Table, compression: str = "zstd") -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=compression)
    return buf.getvalue()


def write_table(table: pa.Table, path: str, compression: str = "zstd") -> int:
    """Write `table` to `path` as Parquet, atomically; returns bytes written."""
    return write_bytes(path, parquet_bytes(table, compression))


class _BundleBytes(beam.DoFn):
    """The total size of a bundle's items, once per bundle: a side input adds these few partial sums up into
    the shard count, where a global combine would be ~8 more transforms that every run pays for."""

    def __init__(self, size: Callable[[Any], int]):
        self.size = size

    def start_bundle(self) -> None:
        self._total = 0

    def process(self, item: Any) -> Iterable[Any]:
        self._total += self.size(item)
        return ()  # nothing per item (an explicit empty result: Beam warns on a process that returns None)

    def finish_bundle(self) -> Iterable[Any]:
        yield GlobalWindows.windowed_value(self._total)


class _KeyByShard(beam.DoFn):
    """item -> ((shard index, shard count), item); the count from the bundles' byte totals (`shard_count`),
    summed once per bundle."""

    def __init__(self, key: Callable[[Any], str], min_shards: int, shard_bytes: int):
        self.key, self.min_shards, self.shard_bytes = key, min_shards, shard_bytes

    def start_bundle(self) -> None:
        self._n: int | None = None

    def process(self, item, bundle_bytes):  # unannotated: Beam type-checks annotated side inputs
        if self._n is None:
            self._n = shard_count(sum(bundle_bytes), self.min_shards, self.shard_bytes)
        yield (shard_of(self.key(item), self._n), self._n), item


def _write_one(item: tuple[tuple[int, int], Iterable[Any]], prefix: str, path: Callable[..., str],
               write: Callable[[Iterable[Any], str], None]) -> str:
    (index, count), items = item
    out = path(prefix, index, count)
    write(items, out)
    return out


def _write_missing(
    _: bytes, bundle_bytes: list[int], written: list[str], prefix: str, path: Callable[..., str],
    write: Callable[[Iterable[Any], str], None], min_shards: int, shard_bytes: int,
) -> Iterable[str]:
    """Write every shard no item fell into, empty (after the others: `written` is a side input); yields the
    path of every shard, in order."""
    count = shard_count(sum(bundle_bytes), min_shards, shard_bytes)
    done = set(written)
    for index in range(count):
        out = path(prefix, index, count)
        if out not in done:
            write((), out)
        yield out


class WriteShards(beam.PTransform):
    """Write items as `path(prefix, index, count)` files, every shard present even when empty; `write(items,
    path)` writes one shard (its items in any order: it sorts them). The count comes from the items' total
    size (`shard_count`); an item goes to the shard of the hash of `key(item)`, so the files are the same
    whatever the runner or the arrival order. Returns the paths of all shards.

    Six transforms (a global combine, a CoGroupByKey with the list of shards and Beam's ToList would be 20):
    every run pays for each transform (graph, runner stages, bundles), records or not."""

    def __init__(
        self, prefix: str, output: Output, *, key: Callable[[Any], str], size: Callable[[Any], int],
        path: Callable[[str, int, int], str], write: Callable[[Iterable[Any], str], None],
    ):
        super().__init__()
        self.prefix, self.key, self.size, self.path, self.write = prefix, key, size, path, write
        self.min_shards, self.shard_bytes = output.num_shards, output.shard_bytes

    def expand(self, items: beam.PCollection) -> beam.PCollection:
        bundle_bytes = beam.pvalue.AsList(items | "Bytes" >> beam.ParDo(_BundleBytes(self.size)))
        written = (
            items
            | "KeyByShard" >> beam.ParDo(_KeyByShard(self.key, self.min_shards, self.shard_bytes), bundle_bytes)
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShard" >> beam.Map(_write_one, self.prefix, self.path, self.write)
        )
        # The paths come from the last step alone: the Flink job server (Beam 2.62) fails on a PCollection read
        # both as a side input and by a Flatten.
        return (
            items.pipeline
            | "Impulse" >> beam.Impulse()
            | "WriteEmpty" >> beam.FlatMap(
                _write_missing, bundle_bytes, beam.pvalue.AsList(written), self.prefix, self.path, self.write,
                self.min_shards, self.shard_bytes,
            )
        )


def _write_records(records: Iterable[Record], path: str) -> None:
    records = sorted(records, key=lambda r: r.id)
    write_table(records_to_table(records) if records else ARROW_SCHEMA.empty_table(), path)


class WriteParquetShards(beam.PTransform):
    """Write Records as `prefix/part-NNNNN-of-MMMMM.parquet`, every shard present even when empty; at least
    `output.num_shards`, more as the text exceeds `output.shard_bytes` per shard. Records are sorted by id
    inside a shard."""

    def __init__(self, prefix: str, output: Output):
        super().__init__()
        self.prefix, self.output = prefix, output

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        return records | "Shards" >> WriteShards(
            self.prefix, self.output, key=operator.attrgetter("id"), size=record_bytes, path=shard_path,
            write=_write_records,
        )


def read_parquet_records(pattern: str) -> list[Record]:
    """Read every shard matching `pattern` back into Records (for tests and small tools)."""
    out: list[Record] = []
    for match in sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list):
        with FileSystems.open(match) as fh:
            table = pq.read_table(io.BytesIO(fh.read()))
        out.extend(Record.from_row(row) for row in table.to_pylist())
    return out


def lines_shard_path(prefix: str, index: int, num_shards: int) -> str:
    return f"{prefix}-{index:05d}-of-{num_shards:05d}.jsonl"


def _write_lines(pairs: Iterable[tuple[str, str]], path: str) -> None:
    write_bytes(path, "".join(f"{line}\n" for line in sorted(line for _, line in pairs)).encode("utf-8"))


def _line_bytes(pair: tuple[str, str]) -> int:
    return utf8_size(pair[1])


def _apply_to_list(_, fn, args, items, **side):  # unannotated: Beam type-checks annotated side inputs
    return fn(list(items), *args, **side)


class Gather(beam.PTransform):
    """`fn(list of every element, *args, **side inputs)` as the one element of the output, also when the
    input is empty: for small collections only (counts, shard descriptions), read whole as a side input by
    one step after an Impulse. Two transforms where Beam's ToList is nine (a global combine and the default
    of an empty input), a cost of every run. The list's order is arbitrary: `fn` must not depend on it."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **side: Any):
        super().__init__()
        self.fn, self.args, self.side = fn, args, side

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection:
        return (
            pcoll.pipeline
            | "Impulse" >> beam.Impulse()
            | "Apply" >> beam.Map(_apply_to_list, self.fn, self.args, items=beam.pvalue.AsList(pcoll), **self.side)
        )


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
        self.prefix, self.output = prefix, output

    def expand(self, keyed_lines: beam.PCollection) -> beam.PCollection:
        return keyed_lines | "Shards" >> WriteShards(
            self.prefix, self.output, key=operator.itemgetter(0), size=_line_bytes, path=lines_shard_path,
            write=_write_lines,
        )
