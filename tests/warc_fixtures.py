"""Small WARC and ARC files the tests write themselves (warcio for valid ones, raw bytes for broken ones)."""
from __future__ import annotations

import gzip
import io
from dataclasses import dataclass

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PAGE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{title} is described here in "
    "enough words for an extractor to keep it: the method, the reasons behind it and an example that a reader "
    "can check on their own machine.</p></article></body></html>"
)


@dataclass
class Fetch:
    url: str
    body: bytes
    status: str = "200 OK"
    content_type: str | None = "text/html; charset=utf-8"
    date: str = "2024-01-01T00:00:00Z"
    record_id: str = ""
    warc_type: str = "response"


def page(title: str) -> bytes:
    return PAGE.format(title=title).encode()


def warc_record(fetch: Fetch, *, gzip_member: bool = False) -> bytes:
    """One WARC/1.0 record as bytes (a gzip member of its own when asked)."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gzip_member)
    headers = [("Content-Type", fetch.content_type)] if fetch.content_type else []
    http = StatusAndHeaders(fetch.status, headers, protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": fetch.date, "WARC-Record-ID": fetch.record_id or f"<urn:test:{fetch.url}>"}
    if fetch.warc_type == "response":
        record = writer.create_warc_record(
            fetch.url, "response", payload=io.BytesIO(fetch.body), http_headers=http, warc_headers_dict=warc_headers
        )
    else:
        record = writer.create_warc_record(
            fetch.url, fetch.warc_type, payload=io.BytesIO(fetch.body), warc_headers_dict=warc_headers
        )
    writer.write_record(record)
    return buf.getvalue()


def warc_bytes(fetches: list[Fetch], *, gzipped: bool = True) -> bytes:
    return b"".join(warc_record(f, gzip_member=gzipped) for f in fetches)


def raw_record(version: str, headers: list[tuple[str, str]], block: bytes) -> bytes:
    """A WARC record written by hand (for old versions and broken headers)."""
    lines = [version] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def http_block(body: bytes, content_type: str = "text/html") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\r\n".encode() + body


def warc_017(url: str, body: bytes) -> bytes:
    """A WARC/0.17 response record (Heritrix 1.x, 2008)."""
    block = http_block(body)
    headers = [
        ("WARC-Type", "response"),
        ("WARC-Target-URI", url),
        ("WARC-Date", "2008-04-30T20:48:25Z"),
        ("WARC-Record-ID", f"<urn:uuid:0.17-{url}>"),
        ("Content-Type", "application/http; msgtype=response"),
        ("Content-Length", str(len(block))),
    ]
    return raw_record("WARC/0.17", headers, block)


def arc_file(pages: list[tuple[str, bytes, str]]) -> bytes:
    """An ARC v1 file: the filedesc header record, then one record per (url, body, content type)."""
    desc = b"1 0 Internet Archive\nURL IP-address Archive-date Content-type Archive-length\n"
    out = [f"filedesc://test.arc 0.0.0.0 20080430204825 text/plain {len(desc)}\n".encode() + desc + b"\n"]
    for url, body, content_type in pages:
        block = http_block(body, content_type)
        out.append(f"{url} 10.0.0.1 20080430204826 {content_type} {len(block)}\n".encode() + block + b"\n")
    return b"".join(out)


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)
