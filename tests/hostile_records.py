"""Generated hostile records (issue 12) beside good ones, small enough to run twice in one test.

`write_record_corpus(root)` writes `root/corpus/...` and `root/configs/records.yaml` and returns what a run
must show. Each class of the issue is generated, not hand-picked: lone surrogates in every text field a
source reads (JSON text, URL, dump licence, repo URL), names that are not UTF-8 (text, WARC, dump files),
integers beyond int64 (JSONL `10**30`, Parquet uint64 stars), HTML-sniff comment runs, a corrupt gzip member
in the middle of a WARC, and two archives with the same file name in different folders.
"""
from __future__ import annotations

import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from archive_fixtures import tar_add
from warc_fixtures import Fetch, page, warc_record

from pipeline.sources.warc import SNIFF_BYTES

SURROGATES = ("\ud800", "\udfff", "\udc80", "\udbff\u0041")  # high, low, surrogateescape-range, high + letter
BAD_NAME_BYTES = (b"caf\xe9", b"\xff\xfe", b"na\xefve-\x80")  # not UTF-8: Latin-1, BOM-like, lone continuation
BIG_INTS = (2**63, 10**30, -(2**63) - 1)
COMMENT_RUNS = (40, 4_000)


@dataclass
class RecordCorpus:
    config: Path
    expected: dict[str, set[str]] = field(default_factory=dict)  # stage -> counters that must be non-zero
    good_text_ids: set[str] = field(default_factory=set)
    good_urls: set[str] = field(default_factory=set)
    archive_repos: set[str] = field(default_factory=set)


def _paragraph(i: int) -> str:
    words = ("river", "valley", "stone", "harbour", "lantern", "orchard", "meadow", "copper", "thistle")
    return " ".join(words[(i * 7 + k) % len(words)] + str(i) for k in range(40))


def write_record_corpus(root: Path) -> RecordCorpus:
    corpus = root / "corpus"
    result = RecordCorpus(config=root / "configs" / "records.yaml")
    _text(corpus / "text", result)
    _web(corpus / "web", result)
    _github(corpus / "github", result)
    result.config.parent.mkdir(parents=True)
    result.config.write_text(CONFIG)
    return result


CONFIG = """# Written by tests/hostile_records.py.
seed: 11
inputs:
  github:
    paths: [../corpus/github/*/*.tar.gz, ../corpus/github/dumps/*]
  web:
    paths: [../corpus/web/*]
  text:
    paths: [../corpus/text/*]
    id_field: id
    url_field: url
output:
  num_shards: 2
  write_rejects: true
mix:
  weights: {code: 0.5, math: 0.0, text: 0.5}
  target_shard_bytes: 4096
recall:
  enabled: false  # the hostile pages seed no classifier: they go to the mix as text (no recall pipelines to run)
"""


def _jsonl(rows: list[dict]) -> bytes:
    # ensure_ascii keeps a lone surrogate as its `\\udXXX` escape, as JSON producers write it
    return "".join(json.dumps(row) + "\n" for row in rows).encode("ascii")


def _text(folder: Path, result: RecordCorpus) -> None:
    folder.mkdir(parents=True)
    rows = []
    for i, bad in enumerate(SURROGATES):
        rows.append({"id": f"s{i}", "text": f"{_paragraph(i)} {bad} end", "url": f"https://t.example/{bad}{i}"})
    for i, big in enumerate(BIG_INTS):
        rows.append({"id": big, "text": _paragraph(10 + i), "url": big})
    (folder / "rows.jsonl").write_bytes(_jsonl(rows))
    result.good_text_ids.update(f"s{i}" for i in range(len(SURROGATES)))
    for i, name in enumerate(BAD_NAME_BYTES):
        path = os.fsencode(folder) + b"/" + name + b".jsonl"
        with open(path, "wb") as fh:
            fh.write(_jsonl([{"id": f"n{i}", "text": _paragraph(20 + i)}]))
        result.good_text_ids.add(f"n{i}")
    result.expected.setdefault("text_source", set()).add("repaired.lone_surrogate")


def _web(folder: Path, result: RecordCorpus) -> None:
    folder.mkdir(parents=True)
    members = []
    for n in COMMENT_RUNS:
        members.append(warc_record(Fetch(f"https://sniff.example/x{n}", b"<!---->" * n + b"x", content_type=None),
                                   gzip_member=True))
        html = b"<!---->" * n + page(f"Sniffed {n} {_paragraph(30 + n)}")
        members.append(warc_record(Fetch(f"https://sniff.example/html{n}", html, content_type=None), gzip_member=True))
        if len(b"<!---->" * n) < SNIFF_BYTES:  # beyond the sniffed head a body is not HTML: a mime drop
            result.good_urls.add(f"https://sniff.example/html{n}")
    (folder / "sniff.warc.gz").write_bytes(b"".join(members))
    resync = [warc_record(Fetch(f"https://resync.example/{i}", page(f"Resync {i} {_paragraph(40 + i)}")),
                          gzip_member=True) for i in range(4)]
    damaged = resync[1][:30] + bytes(range(200)) + resync[1][-20:]
    (folder / "resync.warc.gz").write_bytes(resync[0] + damaged + resync[2] + resync[3])
    result.good_urls.update(f"https://resync.example/{i}" for i in (0, 2, 3))
    for i, name in enumerate(BAD_NAME_BYTES):
        url = f"https://named.example/{i}"
        with open(os.fsencode(folder) + b"/" + name + b".warc.gz", "wb") as fh:
            fh.write(warc_record(Fetch(url, page(f"Named {i} {_paragraph(50 + i)}")), gzip_member=True))
        result.good_urls.add(url)
    result.expected.setdefault("web_source", set()).update({"dropped.mime", "dropped.warc_damaged"})


def _github(folder: Path, result: RecordCorpus) -> None:
    for side in ("x", "y"):  # same archive name, different folders and content
        (folder / side).mkdir(parents=True)
        with tarfile.open(folder / side / "proj-main.tar.gz", "w:gz") as tar:
            tar_add(tar, "proj-main/README.md", f"# proj from {side}\n\nThe {side} side of a name clash.\n".encode())
            body = f'"""Module of the {side} project."""\n\n\ndef {side}_value(n):\n    return n * {ord(side)}\n'
            tar_add(tar, "proj-main/lib/values.py", body.encode())
    result.archive_repos.update({"x/proj-main", "y/proj-main"})
    dumps = folder / "dumps"
    dumps.mkdir(parents=True)
    rows = []
    for i, (bad, big) in enumerate(zip(SURROGATES, BIG_INTS + (None,))):
        rows.append({"repo_name": f"dump/repo{i}", "path": f"pkg/mod{i}.py", "stars": big,
                     "license": f"MIT{bad}", "repo_url": f"https://github.com/dump/repo{i}{bad}",
                     "content": f'"""Dump module {i}."""\n\n\ndef value_{i}():\n    return {i * 31 + 7}\n'})
    (dumps / "files.jsonl").write_bytes(_jsonl(rows))
    table = pa.table({
        "repo_name": ["dump/big"], "path": ["big.py"], "content": ['"""Big stars."""\n\n\ndef big():\n    return 1\n'],
        "stars": pa.array([2**64 - 1], pa.uint64()),
    })
    with open(os.fsencode(dumps) + b"/" + BAD_NAME_BYTES[0] + b".parquet", "wb") as fh:
        pq.write_table(table, fh)
    result.expected.setdefault("github_source", set()).update({"repaired.lone_surrogate", "repaired.int_out_of_range"})
