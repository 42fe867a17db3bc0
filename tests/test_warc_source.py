"""The WARC/ARC reader on files the tests write (valid, old and broken) and on the shared real WARCs."""
from __future__ import annotations

import collections
import functools
import gzip
import http.server
import random
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warc_fixtures import Fetch, arc_file, gz, page, raw_record, warc_017, warc_bytes, warc_record

from pipeline.record import Drop, Record
from pipeline.sources.warc import (
    WarcFile,
    WarcInput,
    expand_warc_input,
    fetch_date,
    read_warc_file,
    read_warc_unit,
)

HTML = ("text/html", "application/xhtml+xml")


def read(path, max_record_bytes: int = 1_000_000) -> list[Record | Drop]:
    return list(read_warc_file(str(path), max_record_bytes=max_record_bytes, allowed_mime=HTML))


def reasons(items) -> collections.Counter:
    return collections.Counter("page" if isinstance(x, Record) else x.reason for x in items)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


MIXED = [
    Fetch("info", b"software: test\r\n", warc_type="warcinfo"),
    Fetch("https://a.example/req", b"GET / HTTP/1.1\r\n\r\n", warc_type="request"),
    Fetch("https://a.example/one", page("One"), date="2024-02-03T04:05:06Z", record_id="<urn:uuid:1>"),
    Fetch("https://a.example/gone", page("Gone"), status="404 Not Found"),
    Fetch("https://a.example/moved", b"", status="301 Moved Permanently"),
    Fetch("https://a.example/logo.png", b"\x89PNG....", content_type="image/png"),
    Fetch("https://a.example/x.xhtml", page("Xhtml"), content_type="application/xhtml+xml"),
    Fetch("https://a.example/sniffed", page("Sniffed"), content_type=None),
    Fetch("https://a.example/empty", b"   ", content_type="text/html"),
    Fetch("ftp://a.example/file.html", page("Ftp")),
]


@pytest.mark.parametrize("gzipped", [True, False])
def test_every_record_is_a_page_or_a_named_drop(tmp_path, gzipped):
    path = write(tmp_path, "mixed.warc.gz" if gzipped else "mixed.warc", warc_bytes(MIXED, gzipped=gzipped))
    items = read(path)
    assert len(items) == len(MIXED)
    assert reasons(items) == {
        "page": 3,
        "not_response": 2,
        "http_status": 2,
        "mime": 1,
        "empty_body": 1,
        "non_http": 1,
    }
    one = next(x for x in items if isinstance(x, Record) and x.url.endswith("/one"))
    assert one.source == "web" and one.domain == "a.example" and one.fetch_date == "2024-02-03T04:05:06Z"
    assert one.meta["warc_record_id"] == "<urn:uuid:1>" and one.meta["warc_file"] == str(path)
    assert one.meta["charset"] == "utf-8" and "<h1>One</h1>" in one.text
    # Ids come from the normalized URL, so the same page in any file has the same id.
    assert one.id == read(path)[2].id


def test_too_large_records_are_dropped_without_reading_them(tmp_path):
    big = page("Big") + b"<!--" + b"x" * 5000 + b"-->"
    path = write(tmp_path, "big.warc.gz", warc_bytes([Fetch("https://a.example/big", big), MIXED[2]]))
    assert reasons(read(path, max_record_bytes=2000)) == {"too_large": 1, "page": 1}


def test_gb2312_page_declared_in_meta_only(tmp_path):
    html = '<html><head><meta charset="gb2312"></head><body><p>中文网页的编码是国标。</p></body></html>'
    path = write(tmp_path, "zh.warc.gz", warc_bytes([Fetch("http://zh.example/", html.encode("gb2312"),
                                                           content_type="text/html")]))
    (record,) = read(path)
    assert "中文网页的编码是国标。" in record.text and record.meta["charset"] == "gb18030"


def test_undecodable_bytes_are_dropped(tmp_path):
    noise = bytes(range(128, 256)) * 40
    path = write(tmp_path, "noise.warc.gz", warc_bytes([Fetch("http://n.example/", b"<html>" + noise)]))
    assert reasons(read(path)) in ({"undecodable": 1}, {"page": 1})  # never a crash; detection may cope


# --- hostile files (issue 8) ------------------------------------------------------------------------------

def test_zero_byte_and_missing_files(tmp_path):
    assert reasons(read(write(tmp_path, "empty.warc.gz", b""))) == {"warc_empty": 1}
    (drop,) = read(tmp_path / "missing.warc.gz")
    assert drop.reason == "warc_unreadable" and "missing.warc.gz" in drop.detail


def test_gzip_truncated_mid_member_keeps_the_records_before(tmp_path):
    data = warc_bytes([Fetch(f"https://a.example/{i}", page(f"P{i}")) for i in range(3)])
    for cut in (len(data) - 40, len(data) - len(warc_record(Fetch("https://a.example/2", page("P2")),
                                                            gzip_member=True)) + 15):
        items = read(write(tmp_path, "cut.warc.gz", data[:cut]))
        assert [x.url for x in items if isinstance(x, Record)] == ["https://a.example/0", "https://a.example/1"]
        (damage,) = [x for x in items if isinstance(x, Drop)]
        assert damage.reason in ("warc_record_truncated", "warc_damaged") and "cut.warc.gz" in damage.detail


def test_corrupt_gzip_member_is_skipped_and_reading_resumes_at_the_next(tmp_path):
    first = warc_record(Fetch("https://a.example/0", page("P0")), gzip_member=True)
    second = warc_record(Fetch("https://a.example/1", page("P1")), gzip_member=True)
    items = read(write(tmp_path, "bad.warc.gz", first + second[:20] + b"\x00" * 40 + second))
    assert reasons(items) == {"page": 2, "warc_damaged": 1}
    (damage,) = [x for x in items if isinstance(x, Drop)]
    assert f"{len(first)} to {len(first) + 60}" in damage.detail and "60 damaged bytes" in damage.detail
    assert all(ch.isprintable() for ch in damage.detail)


@pytest.mark.parametrize("seed", range(6))
def test_every_intact_member_survives_damage_to_others(tmp_path, seed):
    """Generated: 12 one-record members, a random few corrupted (flipped bytes in the deflate data, or cut
    and padded with garbage): every other record comes out, each damage is one counted drop."""
    rng = random.Random(seed)
    members = [warc_record(Fetch(f"https://a.example/{i}", page(f"P{i}")), gzip_member=True) for i in range(12)]
    damaged = set(rng.sample(range(12), rng.randint(1, 4)))
    parts = []
    for i, member in enumerate(members):
        if i in damaged:
            broken = bytearray(member)
            if rng.random() < 0.5:
                for _ in range(8):
                    broken[rng.randrange(12, len(broken) - 8)] = rng.randrange(256)
            else:
                broken = broken[: rng.randrange(12, len(broken))] + bytes(rng.randrange(256) for _ in range(30))
            member = bytes(broken)
        parts.append(member)
    items = read(write(tmp_path, "damaged.warc.gz", b"".join(parts)))
    urls = {x.url for x in items if isinstance(x, Record)}
    assert {f"https://a.example/{i}" for i in range(12) if i not in damaged} <= urls
    assert 1 <= sum(isinstance(x, Drop) and x.reason == "warc_damaged" for x in items) <= len(damaged)


def test_malformed_headers(tmp_path):
    good = warc_record(Fetch("https://a.example/0", page("P0")))
    garbage = b"GARBAGE LINE\r\nFoo: bar\r\n\r\n"
    items = read(write(tmp_path, "garbage.warc", good + garbage + good))
    assert reasons(items) == {"page": 1, "warc_damaged": 1} and "garbage.warc" in items[-1].detail
    # An unparsable Content-Length makes an empty record (here without a URI); reading goes on after it.
    bad_length = raw_record("WARC/1.0", [("WARC-Type", "response"), ("Content-Length", "abc")], b"xyz")
    assert reasons(read(write(tmp_path, "badlen.warc", good + bad_length + good))) == {"page": 2, "non_http": 1}


def test_content_length_longer_than_the_record(tmp_path):
    records = [warc_record(Fetch(f"https://a.example/{i}", page(f"P{i}"))) for i in range(3)]
    # In its own gzip member the over-long record ends at the member's end: it is counted, the rest is read.
    members = [gz(r) for r in records]
    members[0] = gz(records[0].replace(b"Content-Length: ", b"Content-Length: 9", 1))
    assert reasons(read(write(tmp_path, "long.warc.gz", b"".join(members)))) == {
        "warc_record_truncated": 1,
        "page": 2,
    }
    # Uncompressed, the last record claiming more than the file holds is counted as truncated.
    last = records[2].replace(b"Content-Length: ", b"Content-Length: 9", 1)
    assert reasons(read(write(tmp_path, "long.warc", records[0] + records[1] + last))) == {
        "page": 2,
        "warc_record_truncated": 1,
    }


def test_whole_file_gzip_is_read(tmp_path):
    data = gz(warc_bytes([Fetch(f"https://a.example/{i}", page(f"P{i}")) for i in range(3)], gzipped=False))
    assert reasons(read(write(tmp_path, "single-member.warc.gz", data))) == {"page": 3}


def test_warc_017(tmp_path):
    data = warc_017("http://old.example/a", page("Old")) + warc_017("dns:old.example", b"1.2.3.4")
    for name, blob in (("old.warc", data), ("old.warc.gz", gz(data))):
        items = read(write(tmp_path, name, blob))
        assert reasons(items) == {"page": 1, "non_http": 1}
        assert items[0].fetch_date == "2008-04-30T20:48:25Z"


def test_arc_files_get_deterministic_record_ids(tmp_path):
    data = arc_file([("http://arc.example/a", page("A"), "text/html"), ("http://arc.example/b.png", b"\x89PNG", "image/png")])
    path = write(tmp_path, "old.arc.gz", gz(data))
    items = read(path)
    assert reasons(items) == {"not_response": 1, "page": 1, "mime": 1}
    first = items[1]
    assert first.fetch_date == "2008-04-30T20:48:26Z" and first.meta["warc_record_id"] == f"<arc:{path}#1>"
    assert read(path)[1].meta == first.meta  # warcio would make up a random id for ARC records


_FETCHES = [Fetch(f"https://m.example/{i}", page(f"M{i}")) for i in range(3)] + MIXED[:4]
_PLAIN = [warc_record(f) for f in _FETCHES]  # one WARC record each, uncompressed
_MEMBERS = [warc_record(f, gzip_member=True) for f in _FETCHES]  # one gzip member each (Common Crawl's layout)
_VALID = b"".join(_PLAIN)


def _outcome(item: Record | Drop) -> tuple[str, str]:
    return ("page", item.url) if isinstance(item, Record) else (item.reason, item.id)


def _read_named(path: Path) -> list[Record | Drop]:
    """Read under one fixed name, so drop ids (which derive from the file's name) compare across files."""
    return list(read_warc_file(str(path), name="fuzz.warc", max_record_bytes=10**6, allowed_mime=HTML))


def _check_mutation(tmp_path: Path, parts: list[bytes], flips, cut: int, whole_gzip: bool) -> None:
    """Apply byte flips and a cut to the concatenation of `parts`: nothing may raise, something is always
    reported, and every record lying wholly before the first damaged byte comes out exactly as it does from
    the undamaged file (each record is yielded or counted; damage never costs the records before it)."""
    clean = bytes(b"".join(parts))
    data = bytearray(clean)
    for offset, value in flips:
        data[offset % len(data)] = value
    blob = bytes(data[:cut])
    changed = [i for i in range(len(blob)) if blob[i] != clean[i]] + ([cut] if cut < len(clean) else [])
    damage = min(changed, default=len(clean))
    ends = [sum(map(len, parts[: k + 1])) for k in range(len(parts))]
    intact = sum(end <= damage for end in ends)
    path = write(tmp_path, "fuzz.warc.gz", gz(blob) if whole_gzip else blob)
    items = _read_named(path)
    assert items and all(isinstance(x, (Record, Drop)) for x in items)
    assert sum(isinstance(x, Drop) and x.reason in ("warc_damaged", "warc_empty") for x in items) <= len(flips) + 1
    assert [_outcome(x) for x in items[:intact]] == _CLEAN[whole_gzip, parts is _MEMBERS][:intact]


_CLEAN: dict[tuple[bool, bool], list[tuple[str, str]]] = {}


@pytest.fixture(scope="module", autouse=True)
def _clean_reads(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    for whole_gzip, parts in ((False, _PLAIN), (True, _PLAIN), (False, _MEMBERS)):
        data = b"".join(parts)
        _CLEAN[whole_gzip, parts is _MEMBERS] = [
            _outcome(x) for x in _read_named(write(tmp, "clean.warc.gz", gz(data) if whole_gzip else data))
        ]
        assert len(_CLEAN[whole_gzip, parts is _MEMBERS]) == len(parts)  # one outcome per record


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=6),
    st.integers(0, len(_VALID)),
    st.booleans(),
)
def test_mutated_warcs_never_raise(tmp_path, flips, cut, compress):
    _check_mutation(tmp_path, _PLAIN, flips, cut, compress)


_MEMBERS_LEN = len(b"".join(_MEMBERS))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.integers(0, _MEMBERS_LEN - 1), st.integers(0, 255)), max_size=4),
    st.integers(0, _MEMBERS_LEN),
)
def test_mutated_gzip_members_never_raise(tmp_path, flips, cut):
    _check_mutation(tmp_path, _MEMBERS, flips, cut, whole_gzip=False)


# --- input expansion ------------------------------------------------------------------------------------

def test_globs_and_paths_files_expand_at_run_time(tmp_path):
    for name in ("b.warc.gz", "a.warc.gz", "notes.txt"):
        write(tmp_path, name, b"")
    assert list(expand_warc_input(WarcInput("path", str(tmp_path / "*.warc.gz")))) == [
        WarcFile(str(tmp_path / "a.warc.gz"), str(tmp_path / "a.warc.gz")),
        WarcFile(str(tmp_path / "b.warc.gz"), str(tmp_path / "b.warc.gz")),
    ]
    assert list(expand_warc_input(WarcInput("path", str(tmp_path / "none-*.warc")))) == []
    listing = b"crawl-data/CC-MAIN-2024-10/segments/1/warc/x.warc.gz\n\n# comment\n/seg/y.warc.gz\n"
    write(tmp_path, "warc.paths.gz", gzip.compress(listing))
    entry = WarcInput("paths_file", str(tmp_path / "warc.paths.gz"), "s3://commoncrawl/")
    assert [f.path for f in expand_warc_input(entry)] == [
        "s3://commoncrawl/crawl-data/CC-MAIN-2024-10/segments/1/warc/x.warc.gz",
        "s3://commoncrawl/seg/y.warc.gz",
    ]
    with pytest.raises(OSError, match="inputs.web.paths_files"):
        list(expand_warc_input(WarcInput("paths_file", str(tmp_path / "nope.paths"))))


def test_files_are_named_as_the_config_spells_them(tmp_path):
    """Output names a WARC by the config's spelling (globs expanded), not by where it lies on disk."""
    (tmp_path / "crawl" / "2024").mkdir(parents=True)
    write(tmp_path / "crawl" / "2024", "a.warc.gz", warc_bytes(MIXED[2:3]))
    glob = WarcInput("path", str(tmp_path / "crawl" / "**" / "*.warc.gz"), given="../crawl/**/*.warc.gz")
    assert list(expand_warc_input(glob)) == [
        WarcFile(str(tmp_path / "crawl" / "2024" / "a.warc.gz"), "../crawl/2024/a.warc.gz")
    ]
    plain = WarcInput("path", str(tmp_path / "crawl" / "2024" / "a.warc.gz"), given="crawl/2024/a.warc.gz")
    (unit,) = expand_warc_input(plain)
    assert unit.name == "crawl/2024/a.warc.gz"
    (page,) = [x for x in read_warc_unit(unit, max_record_bytes=10**6, allowed_mime=HTML) if isinstance(x, Record)]
    assert page.meta["warc_file"] == "crawl/2024/a.warc.gz" and str(tmp_path) not in repr(page)
    write(tmp_path, "warc.paths", b"2024/a.warc.gz\n")
    listed = WarcInput("paths_file", str(tmp_path / "warc.paths"), str(tmp_path / "crawl"), "warc.paths", "crawl")
    assert list(expand_warc_input(listed)) == [WarcFile(str(tmp_path / "crawl" / "2024" / "a.warc.gz"), "crawl/2024/a.warc.gz")]


def test_http_inputs_stream(tmp_path):
    write(tmp_path, "remote.warc.gz", warc_bytes(MIXED[2:4]))
    write(tmp_path, "warc.paths", b"remote.warc.gz\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        (unit,) = expand_warc_input(WarcInput("paths_file", base + "warc.paths", base))
        assert reasons(read(unit.path)) == {"page": 1, "http_status": 1}
        assert reasons(read(base + "absent.warc.gz")) == {"warc_unreadable": 1}
    finally:
        server.shutdown()


def test_fetch_date_forms():
    assert fetch_date("2024-02-03T04:05:06.123456Z") == "2024-02-03T04:05:06Z"
    assert fetch_date("20080430204826") == "2008-04-30T20:48:26Z"
    assert fetch_date("2024-02-03") == "2024-02-03T00:00:00Z"
    assert fetch_date(None) == fetch_date("garbage") == ""


# --- the shared real WARCs (skipped when ../shared is absent) --------------------------------------------

def test_shared_real_warcs(shared_dir):
    warcs = shared_dir / "data" / "warc"
    totals: dict[str, collections.Counter] = {}
    for path in sorted(warcs.glob("*/*")):
        if path.suffix in (".gz", ".warc"):
            totals[f"{path.parent.name}/{path.name}"] = reasons(read(path, max_record_bytes=5_000_000))
    assert totals["resiliparse/clipped.warc.gz"] == {"warc_record_truncated": 1}  # the truncated one
    assert totals["aut/example.warc.gz"]["page"] == 94  # WARC/0.17
    assert totals["aut/example.arc.gz"]["page"] == 94  # the same crawl as ARC
    assert totals["pywb/dupes.warc.gz"]["revisit"] == 9
    assert totals["resiliparse/clueweb-quirk.warc.gz"]["page"] == 29
    assert totals["pages/trafilatura-test-pages.warc.gz"]["page"] >= 1000
    assert not any(c["warc_damaged"] for c in totals.values())
