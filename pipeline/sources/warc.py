"""WARC and ARC inputs (Common Crawl, Internet Archive, wget, ...): one file is one unit of work.

`expand_warc_input` turns one configured entry (a path, a glob, or a Common Crawl `warc.paths.gz` with a
prefix) into file paths at run time, so the job graph does not grow with the number of files.
`read_warc_file` streams one file record by record (memory does not grow with the file) and yields a `Record`
per HTML page (text = the decoded HTML, extraction comes later) or a `Drop` naming why a record is not one.
A truncated or corrupt file yields the records before the damage and one `warc_damaged` drop naming the file.
Files are read through Beam's FileSystems (local, gs://, s3://, ...); http(s):// URLs are streamed directly.
Output names a file as the config spells it (a relative path stays relative, a glob is expanded, a paths
file's line is joined to its prefix as written), never by where it was found on disk: moving the input
folder together with its config changes no output byte.
"""
from __future__ import annotations

import gzip
import logging
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from filters.html_decode import decode_html, replacement_fraction
from filters.html_sniff import looks_like_html
from filters.url_normalize import normalize_url, url_domain
from pipeline.record import Drop, Record, stable_id
from pipeline.sources.file_text import printable
from pipeline.sources.input_files import as_given

log = logging.getLogger(__name__)

GLOB_CHARS = frozenset("*?[")
HTTP_TIMEOUT_S = 120
# A page whose decoded text is more than this share of U+FFFD could not be decoded.
MAX_REPLACEMENT_FRACTION = 0.05
# How much of a body without a Content-Type is looked at to recognise HTML.
SNIFF_BYTES = 1024
_NON_CHUNKED_GZIP = "non-chunked gzip"
GZIP_MAGIC = b"\x1f\x8b\x08"  # a gzip member header (deflate): where reading resumes after a damaged member
# Resynchronisations tried per file before the rest of it is given up (a hostile file can hold a false
# member header every few bytes; each try re-opens the file).
MAX_RESYNCS = 100


@dataclass(frozen=True)
class WarcInput:
    """One configured input: a file or glob (`kind="path"`), or a paths file whose lines join `prefix`."""

    kind: str  # "path" | "paths_file"
    location: str  # where to read it (relative config paths resolved)
    prefix: str = ""
    given: str = ""  # `location` as written in the config ("": the same)
    given_prefix: str | None = None  # `prefix` as written in the config (None: the same)


@dataclass(frozen=True)
class WarcFile:
    """One WARC/ARC file to read: where it is, and the name output calls it by."""

    path: str
    name: str



def open_input(path: str) -> BinaryIO:
    """A binary stream of `path` as stored (no decompression): Beam filesystems, or http(s) URLs."""
    if path.startswith(("http://", "https://")):
        return urllib.request.urlopen(path, timeout=HTTP_TIMEOUT_S)
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


def join_prefix(prefix: str, path: str) -> str:
    if not prefix or "://" in path:
        return path
    return prefix.rstrip("/") + "/" + path.lstrip("/")


def expand_warc_input(entry: WarcInput) -> Iterator[WarcFile]:
    """The WARC files one entry stands for. A paths file (gzipped or not) gives one path per non-empty line,
    joined to the entry's prefix; a glob gives its matches in sorted order; anything else is itself."""
    if entry.kind == "paths_file":
        try:
            with open_input(entry.location) as fh:
                data = fh.read()
        except Exception as err:  # noqa: BLE001 (any filesystem's error becomes one that names the key)
            raise OSError(f"inputs.web.paths_files: cannot read {entry.location}: {err}") from None
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        for line in data.decode("utf-8", "replace").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                given_prefix = entry.prefix if entry.given_prefix is None else entry.given_prefix
                yield WarcFile(join_prefix(entry.prefix, line), join_prefix(given_prefix, line))
    elif GLOB_CHARS.intersection(entry.location) and not entry.location.startswith(("http://", "https://")):
        matches = sorted(m.path for m in FileSystems.match([entry.location])[0].metadata_list)
        if not matches:
            log.warning("inputs.web.paths: %s matches no file", entry.location)
        for match in matches:
            yield WarcFile(match, printable(as_given(match, entry.location, entry.given)))
    else:
        yield WarcFile(entry.location, printable(entry.given or entry.location))


def fetch_date(value: str | None) -> str:
    """A WARC-Date (ISO 8601, any precision) or ARC date (14 digits) as `YYYY-MM-DDThh:mm:ssZ`; "" if none."""
    digits = re.sub(r"\D", "", value or "")[:14]
    if len(digits) < 8:
        return ""
    digits = digits.ljust(14, "0")
    d = digits
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}Z"


def _printable(message: str, limit: int = 300) -> str:
    """An error message safe for a counts/rejects file: escaped control bytes, bounded length."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in message[:limit])


def _mime(record, body_head: bytes) -> str:
    content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
    if not content_type:
        content_type = record.rec_headers.get_header("WARC-Identified-Payload-Type")
    if content_type:
        return content_type.split(";", 1)[0].strip().lower()
    return "text/html" if looks_like_html(body_head[:SNIFF_BYTES]) else ""


class _Damaged(Exception):
    """Reading a record failed in a way that leaves the rest of the file unreadable."""


class _EndsMidMember(EOFError):
    """The file ends inside a gzip member: it was cut short."""


class _CheckedArchiveIterator(ArchiveIterator):
    """warcio's iterator, remembering whether the file ended inside a gzip member (which warcio takes for
    a clean end of file: a WARC cut mid-member would otherwise lose its tail without a trace)."""

    ended_mid_member = False

    def close(self) -> None:
        decompressor = getattr(self.reader, "decompressor", None)
        if decompressor is not None and self.reader.num_read and not getattr(decompressor, "eof", True):
            self.ended_mid_member = True
        super().close()


class _Position:
    """Where the record being read starts in the file (the point to resynchronise from after damage)."""

    def __init__(self) -> None:
        self.reader: ArchiveIterator | None = None  # None: no resync possible (a whole-file gzip)
        self.base = 0

    def offset(self) -> int | None:
        return None if self.reader is None else self.base + self.reader.offset


def _skip_to(fh: BinaryIO, offset: int) -> None:
    """Move `fh` to byte `offset`: a seek where the stream allows it, else reading forward."""
    if offset == 0:
        return
    try:
        fh.seek(offset)
        return
    except (AttributeError, OSError, ValueError):
        pass
    while offset > 0:
        chunk = fh.read(min(offset, 1 << 20))
        if not chunk:
            return
        offset -= len(chunk)


def _iter_records(path: str, position: _Position, start: int = 0, first: int = 0) -> Iterator[tuple[int, object]]:
    """(index, warcio record) for every record of `path` from byte `start` on, numbered from `first`.
    A whole-file gzip (one member holding many records, which warcio refuses) is re-read through Python's
    gzip, skipping what was yielded. `position` tells where the current record starts."""
    done = first
    with open_input(path) as fh:
        _skip_to(fh, start)
        records = _CheckedArchiveIterator(fh)
        position.reader, position.base = records, start - records.offset  # offset is 0 on unseekable streams
        try:
            for record in records:
                yield done, record
                done += 1
            if records.ended_mid_member:
                raise _EndsMidMember("the file ends inside a gzip member (truncated)")
            return
        except ArchiveLoadFailed as err:
            if _NON_CHUNKED_GZIP not in str(err) or start:
                raise
    position.reader = None
    with open_input(path) as fh, gzip.GzipFile(fileobj=fh) as plain:
        for index, record in enumerate(ArchiveIterator(plain)):
            if index >= done:
                yield index, record


def next_gzip_member(path: str, start: int) -> int | None:
    """The offset of the first gzip member header (`1f 8b 08`) at or after byte `start`, or None."""
    carry, offset = b"", start
    with open_input(path) as fh:
        _skip_to(fh, start)
        while chunk := fh.read(1 << 20):
            data = carry + chunk
            found = data.find(GZIP_MAGIC)
            if found >= 0:
                return offset - len(carry) + found
            carry = data[-(len(GZIP_MAGIC) - 1):]
            offset += len(chunk)
    return None


def _page_or_drop(
    record, index: int, name: str, *, max_record_bytes: int, allowed_mime: frozenset[str]
) -> Record | Drop:
    """Classify one record of the file called `name`: an HTML page becomes a Record (text = decoded HTML),
    anything else a Drop."""
    headers = record.rec_headers
    is_arc = record.format == "arc"
    uri = (headers.get_header("uri") if is_arc else headers.get_header("WARC-Target-URI")) or ""
    record_key = f"{name}#{index}"
    drop_id = stable_id("warc-record", record_key)
    rec_type = record.rec_type
    if rec_type == "revisit":
        return Drop("revisit", drop_id, f"{record_key} {uri}")
    if rec_type != "response":
        return Drop("not_response", drop_id, f"{record_key} {rec_type}")
    if not uri.lower().startswith(("http://", "https://")) or record.http_headers is None:
        return Drop("non_http", drop_id, f"{record_key} {uri[:200]}")
    status = record.http_headers.get_statuscode()
    if status != "200":
        return Drop("http_status", drop_id, f"{record_key} {uri[:200]} status {status}")
    declared = record.length or 0
    if declared > max_record_bytes:
        return Drop("too_large", drop_id, f"{record_key} {uri[:200]} {declared} bytes")
    try:
        body = record.content_stream().read(max_record_bytes + 1)
    except Exception as err:  # noqa: BLE001 (a broken gzip/chunked HTTP body, or the file itself)
        raise _Damaged(f"record {index} ({uri[:200]}): {type(err).__name__}: {_printable(str(err))}") from None
    if len(body) > max_record_bytes:
        return Drop("too_large", drop_id, f"{record_key} {uri[:200]} > {max_record_bytes} bytes decoded")
    while record.raw_stream.read(65536):  # drain what the HTTP decoding left (e.g. after the last chunk)
        pass
    if getattr(record.raw_stream, "limit", 0) > 0:
        return Drop("warc_record_truncated", drop_id, f"{record_key} {uri[:200]}: {record.raw_stream.limit} "
                    "bytes short of its Content-Length")
    mime = _mime(record, body)
    if mime not in allowed_mime:
        return Drop("mime", drop_id, f"{record_key} {uri[:200]} {mime or '(none)'}")
    if not body.strip():
        return Drop("empty_body", drop_id, f"{record_key} {uri[:200]}")
    content_type = record.http_headers.get_header("Content-Type")
    decoded = decode_html(body, content_type)
    if replacement_fraction(decoded.text) > MAX_REPLACEMENT_FRACTION:
        return Drop("undecodable", drop_id, f"{record_key} {uri[:200]} as {decoded.charset}")
    warc_id = f"<arc:{record_key}>" if is_arc else (headers.get_header("WARC-Record-ID") or f"<{record_key}>")
    date = headers.get_header("archive-date") if is_arc else headers.get_header("WARC-Date")
    return Record(
        id=stable_id("web", normalize_url(uri)),
        source="web",
        text=decoded.text,
        url=uri,
        domain=url_domain(uri),
        fetch_date=fetch_date(date),
        meta={
            "charset": decoded.charset,
            "charset_source": decoded.source,
            "mime": mime,
            "warc_file": name,
            "warc_record_id": warc_id,
        },
    )


def read_warc_file(
    path: str, *, name: str = "", max_record_bytes: int, allowed_mime: tuple[str, ...] | frozenset[str]
) -> Iterator[Record | Drop]:
    """Every record of one WARC/ARC file (gzipped or not) as a page Record or a counted Drop. Ids, details
    and `meta.warc_file` name the file `name` (default: `path`).

    Never raises for bad input: an unreadable file is one `warc_unreadable` drop, a file without records one
    `warc_empty` drop, and damage (truncation, corrupt gzip, malformed headers) is one `warc_damaged` drop
    naming the bytes lost. In a gzipped file reading resumes at the next gzip member header after the damage
    (WARC members are independent streams; at most MAX_RESYNCS times); elsewhere damage ends the file.
    """
    allowed = frozenset(m.lower() for m in allowed_mime)
    name = name or path
    file_id = stable_id("warc-file", name)
    seen, start, resyncs = 0, 0, 0
    item: Record | Drop | None = None
    while True:
        position = _Position()
        try:
            for index, record in _iter_records(path, position, start, seen):
                seen = index + 1
                item = _page_or_drop(record, index, name, max_record_bytes=max_record_bytes, allowed_mime=allowed)
                yield item
            break
        except _EndsMidMember as err:
            if not (isinstance(item, Drop) and item.reason == "warc_record_truncated"):  # else already counted
                yield Drop("warc_damaged", file_id, f"{name}: after {seen} records: {err}")
            return
        except Exception as err:  # noqa: BLE001 (warcio's parse errors, anything a hostile file provokes)
            unreadable = seen == 0 and isinstance(err, OSError) and not isinstance(err, gzip.BadGzipFile)
            if unreadable and start == 0:
                yield Drop("warc_unreadable", file_id, f"{name}: {type(err).__name__}: {_printable(str(err))}")
                return
            message = str(err) if isinstance(err, _Damaged) else f"{type(err).__name__}: {_printable(str(err))}"
            damaged_at = position.offset()
            resume = None
            if damaged_at is not None and resyncs < MAX_RESYNCS and _is_gzip(path):
                damaged_at = max(damaged_at, start)  # warcio's offset inside a member can lag: always progress
                resume = next_gzip_member(path, damaged_at + 1)
            drop_id = file_id if resyncs == 0 else stable_id("warc-damage", f"{name}@{damaged_at}")
            if resume is None:
                yield Drop("warc_damaged", drop_id, f"{name}: after {seen} records: {message}")
                return
            resyncs += 1
            # Members are independent gzip streams: the records after the damaged one are still readable.
            yield Drop("warc_damaged", drop_id,
                       f"{name}: after {seen} records: {resume - damaged_at} damaged bytes skipped "
                       f"(offset {damaged_at} to {resume}): {message}")
            start = resume
    if seen == 0 and resyncs == 0:
        yield Drop("warc_empty", file_id, name)


def _is_gzip(path: str) -> bool:
    with open_input(path) as fh:
        return fh.read(2) == GZIP_MAGIC[:2]


def read_warc_unit(unit: WarcFile, **limits) -> Iterator[Record | Drop]:
    """`read_warc_file` on an expanded input (the Beam source step)."""
    return read_warc_file(unit.path, name=unit.name, **limits)
