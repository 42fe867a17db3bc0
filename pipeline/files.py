"""Whole files on any Beam filesystem (local, gs://, s3://, ...): the one reader and writer of bytes and of
the small JSON documents a run writes beside its data (summaries, counts, manifests). Beam-free apart from
`FileSystems`, so the report and the checks read a run without importing transforms."""
from __future__ import annotations

import errno
import json
import os
import shutil
import uuid
from collections.abc import Callable
from typing import Any, BinaryIO

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems


def write_bytes(path: str, data: bytes) -> int:
    """Write `data` to `path` (any Beam filesystem) through a temporary file renamed into place.

    The temporary name is unique per attempt: a retried or speculative duplicate of the same shard never
    writes into another attempt's half-written file, and the last rename leaves the same bytes.
    """
    _write_renamed(path, lambda fh: fh.write(data))
    return len(data)


def _write_renamed(path: str, write: Callable[[BinaryIO], object]) -> None:
    """`write` into a temporary file beside `path`, renamed onto `path`; the temporary is gone on failure."""
    directory, name = FileSystems.split(path)
    tmp = FileSystems.join(directory, f".tmp-{uuid.uuid4().hex}-{name}")
    try:
        with FileSystems.create(tmp) as fh:
            write(fh)
        if FileSystems.exists(path):
            FileSystems.delete([path])
        FileSystems.rename([tmp], [path])
    finally:
        if FileSystems.exists(tmp):
            FileSystems.delete([tmp])


def move_local_file(source: str, path: str) -> int:
    """Move the local file `source` to `path` (any Beam filesystem); returns its size. A rename when `path`
    is local and on the same filesystem (a 2 GB fastText model is not copied), else a streamed copy through
    a temporary name renamed into place (never the whole file in memory), then `source` is removed."""
    size = os.path.getsize(source)
    if FileSystems.get_scheme(path) is None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        try:
            os.replace(source, path)
            return size
        except OSError as err:
            if err.errno != errno.EXDEV:
                raise
    with open(source, "rb") as src:
        _write_renamed(path, lambda dst: shutil.copyfileobj(src, dst, 16 << 20))
    os.remove(source)
    return size


def read_bytes(path: str) -> bytes:
    """A file's bytes exactly as stored (no decompression), from any Beam filesystem."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
        return fh.read()


def json_text(doc: Any) -> str:
    """The run's spelling of a JSON document: indent 1, sorted keys, a final newline (same doc, same bytes)."""
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def write_json(path: str, doc: Any) -> int:
    """Write `doc` to `path` as `json_text`, through `write_bytes` (no half-written file on a full disk)."""
    return write_bytes(path, json_text(doc).encode("utf-8"))


def read_json(path: str) -> Any:
    """The parsed JSON document at `path` (raises FileNotFoundError/OSError or ValueError, naming nothing)."""
    with FileSystems.open(path) as fh:
        return json.loads(fh.read().decode("utf-8"))


def read_text_if_exists(path: str) -> str | None:
    """The UTF-8 text at `path`, stripped, or None when there is no such file."""
    return read_bytes(path).decode("utf-8", errors="replace").strip() if FileSystems.exists(path) else None


def read_json_if_exists(path: str) -> Any | None:
    """`read_json(path)`, or None when there is no such file."""
    return read_json(path) if FileSystems.exists(path) else None
