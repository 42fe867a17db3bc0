"""The one record schema that flows from every source to every sink.

A `Record` is a document (a source file, a repository sample, a web page, a text). A `Drop` is what a step
returns instead when it rejects one: the reason is a short stable name that becomes a counter and a row in
the funnel, so "nothing is lost silently" can be checked by arithmetic.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
import pyarrow as pa

from pipeline.schema import CATEGORIES, RECORD_FIELDS  # noqa: F401 - CATEGORIES re-exported (the config checks it)
from pipeline.utf8 import UTF8_MEMO_MIN_CHARS, _utf8, utf8_bytes, utf8_size  # noqa: F401 - re-exported


@dataclass
class Record:
    """One document and its typed metadata. Empty string / None means "not known"."""

    id: str
    source: str  # "github" | "web" | "text"
    text: str
    # Code provenance.
    repo: str = ""
    path: str = ""
    repo_url: str = ""
    repo_created_at: str = ""  # ISO date
    repo_license: str = ""
    repo_stars: int | None = None
    # Web provenance.
    url: str = ""
    domain: str = ""
    fetch_date: str = ""
    # What it is.
    language: str = ""
    category: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    tokens: int = 0
    # Open-ended, string-valued extras (e.g. dedup survivor id, charset); kept small.
    meta: dict[str, str] = field(default_factory=dict)

    def replace(self, **changes: Any) -> Record:
        return dataclasses.replace(self, **changes)

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        # Pickled as its packed bytes: Beam pickles records wherever a PCollection's type is not declared
        # (its fallback coder) and every stage boundary copies those bytes several times.
        return unpack_record, (pack_record(self),)

    def to_row(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        # Parquet maps are lists of pairs; sorted so equal records give equal bytes.
        row["scores"] = sorted(self.scores.items())
        row["meta"] = sorted(self.meta.items())
        return row

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Record:
        row = dict(row)
        for key in ("scores", "meta"):
            value = row.get(key) or {}
            if isinstance(value, str):  # the mix stores them as JSON strings (mixing/schema.py), stages as maps
                value = json.loads(value)
            row[key] = dict(value) if not isinstance(value, dict) else value
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in row.items() if k in names})




@dataclass(frozen=True)
class Drop:
    """A rejected record: `reason` names the rule, `detail` says what was seen (a file name, a value), `text`
    the head of the record's text when the run keeps it for the rejects (`output.rejects_text_chars`)."""

    reason: str
    id: str
    detail: str = ""
    text: str = ""


ARROW_SCHEMA = pa.schema(RECORD_FIELDS)

# Arrow strings are UTF-8: a lone surrogate (a JSON `\\ud800` escape, a name decoded with surrogateescape)
# cannot be written. Integers beyond int64 (stars read from uint64 Parquet or a JSONL `1e30`) neither.
_SURROGATE = re.compile("[\ud800-\udfff]")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
LONE_SURROGATE, INT_OUT_OF_RANGE = "lone_surrogate", "int_out_of_range"


def valid_text(value: str) -> str:
    """`value` with every lone surrogate replaced by U+FFFD (unchanged, and not copied, when valid)."""
    if value.isascii() or _utf8(value) is not None:
        return value
    return _SURROGATE.sub("\ufffd", value)


def repair_record(record: Record) -> tuple[Record, tuple[str, ...]]:
    """`record` made writable to Arrow/Parquet, and what was repaired: lone surrogates in any text field
    (`lone_surrogate`) and integers outside int64 (`int_out_of_range`, the value becomes null/0)."""
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, str) and valid_text(value) is not value:
            changes[f.name] = valid_text(value)
    fixed_meta = {valid_text(k): valid_text(v) for k, v in record.meta.items()}
    if fixed_meta != record.meta or len(fixed_meta) != len(record.meta):
        changes["meta"] = fixed_meta
    fixed_scores = {valid_text(k): v for k, v in record.scores.items()}
    if fixed_scores != record.scores:
        changes["scores"] = fixed_scores
    reasons = (LONE_SURROGATE,) if changes else ()
    stars, tokens = record.repo_stars, record.tokens
    if stars is not None and not (isinstance(stars, int) and INT64_MIN <= stars <= INT64_MAX):
        changes["repo_stars"] = None
        reasons += (INT_OUT_OF_RANGE,)
    if not INT64_MIN <= tokens <= INT64_MAX:
        changes["tokens"] = 0
        reasons += () if INT_OUT_OF_RANGE in reasons else (INT_OUT_OF_RANGE,)
    return (record.replace(**changes) if changes else record), reasons


def records_to_table(records: Iterable[Record]) -> pa.Table:
    """The records as one Arrow table, the rows `to_row` gives, built column by column from `_values`:
    `to_row`'s `dataclasses.asdict` deep-copies every record (0.55x the CPU on 388 real repository samples)."""
    rows = [_values(r) for r in records]
    return pa.Table.from_pydict({name: [row[i] for row in rows] for i, name in enumerate(_FIELDS)}, schema=ARROW_SCHEMA)


def stable_id(*parts: str) -> str:
    """A content-independent id from provenance parts (repo + path, or URL): 16 hex chars of sha1."""
    h = hashlib.sha1()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


_FIELDS = tuple(f.name for f in dataclasses.fields(Record))
_MAPS = ("scores", "meta")


_PACK_CODEC = pa.Codec("lz4_frame")  # ~700 MB/s in, ~3 GB/s out per core; code shrinks ~3.6x
_PACK_MIN = 1024  # smaller records are not worth a compressor call


def _values(record: Record) -> tuple[Any, ...]:
    """The record's field values in field order, maps as sorted pairs: what `_values_bytes` pickles."""
    d = record.__dict__
    return tuple(tuple(sorted(d[name].items())) if name in _MAPS else d[name] for name in _FIELDS)


def _values_bytes(values: tuple[Any, ...]) -> bytes:
    """The pickled tuple of a record's field values (`_values`), the pickler's memo off: equal records give
    equal bytes (a memo would depend on which strings happen to be one object); lone surrogates pass; it costs
    no more than pickling the dataclass (measured 0.94x)."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    pickler.fast = True  # no memo: the bytes depend on the values only
    pickler.dump(values)
    return buf.getvalue()


def _from_values_bytes(data: bytes, packed: bytes | None = None) -> Record:
    values = pickle.loads(data)
    record = object.__new__(Record)  # the values were a Record's: no __init__ to re-run
    record.__dict__.update(zip(_FIELDS, values))
    record.scores, record.meta = dict(record.scores), dict(record.meta)
    if packed is not None:
        record.__dict__[_PACKED] = (packed, values)
    return record


# A record remembers the bytes it was packed to or unpacked from, with the values they hold (`_PACKED` in its
# __dict__, never a field: equality, `replace`, `to_row` ignore it). Most stages pass a record on unchanged,
# and Beam encodes an element of an untyped collection twice (its size estimate, then the bytes): the memo
# makes each crossing after the first an unpack only. It is used only while every field still holds the
# object it was packed from and the maps the same items, so a record changed in place is packed anew.
_PACKED = "_packed"


def _memo(record: Record) -> bytes | None:
    memo = record.__dict__.get(_PACKED)
    if memo is None:
        return None
    packed, values = memo
    d = record.__dict__
    for name, value in zip(_FIELDS, values):
        current = d[name]
        same = tuple(sorted(current.items())) == value if name in _MAPS else current is value
        if not same:
            return None
    return packed


def pack_record(record: Record) -> bytes:
    """`record` as bytes: its values (`_values_bytes`), lz4-compressed from `_PACK_MIN` bytes on. What a record
    weighs between stages: each crossing copies it several times (the runner's buffers, a grouping runner's
    decode and re-encode), so fewer bytes than characters (code: ~0.3 per character) instead of one or more.
    Deterministic; remembered on the record (`_PACKED`)."""
    packed = _memo(record)
    if packed is not None:
        return packed
    values = _values(record)
    raw = _values_bytes(values)
    if len(raw) < _PACK_MIN:
        packed = b"\0" + raw
    else:
        packed = b"\1" + len(raw).to_bytes(8, "little") + _PACK_CODEC.compress(raw, asbytes=True)
    record.__dict__[_PACKED] = (packed, values)
    return packed


def unpack_record(blob: bytes) -> Record:
    if blob[:1] == b"\0":
        return _from_values_bytes(blob[1:], blob)
    size = int.from_bytes(blob[1:9], "little")
    return _from_values_bytes(_PACK_CODEC.decompress(blob[9:], decompressed_size=size, asbytes=True), blob)


class RecordCoder(beam.coders.Coder):
    """Records between stages (PCollections typed Record) as `pack_record`'s bytes, the same as a Record
    pickles to where Beam falls back to pickling."""

    def encode(self, record: Record) -> bytes:
        return pack_record(record)

    def decode(self, data: bytes) -> Record:
        return unpack_record(data)

    def estimate_size(self, record: Record) -> int:
        # Beam sizes every element it outputs for its metrics; the default would encode (compress) it again.
        return utf8_size(record.text) + 64

    def is_deterministic(self) -> bool:
        return True

    def to_type_hint(self) -> type:
        return Record


beam.coders.registry.register_coder(Record, RecordCoder)
