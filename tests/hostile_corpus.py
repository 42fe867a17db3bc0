"""A corpus of broken and hostile input beside good data, and a config that reads all of it (issue 8).

`write_hostile_corpus(root)` writes `root/corpus/...` and `root/configs/hostile.yaml` (paths relative to the
config) and returns what a run must show: the drop reason each hostile case must produce, per stage, and
the good files, pages and text lines that must arrive in the output. Everything is generated here; nothing
comes from outside the repository.
"""
from __future__ import annotations

import gzip
import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from archive_fixtures import add_zeros, tar_add
from warc_fixtures import Fetch, arc_file, gz, page, raw_record, warc_017, warc_bytes, warc_record

# The extraction time limit of the run: a normal page takes ~15 ms, the spinning page tens of seconds.
EXTRACT_TIMEOUT_S = 2
MANY_FILES = 20_000  # tiny files in one repository...
MAX_FILES_PER_REPO = 10_000  # ...of which the run reads this many (a limit set in the config)
MINIFIED_HUGE_BYTES = 20 * 1024 * 1024  # a single-line minified bundle, far above max_file_bytes
MINIFIED_SMALL_BYTES = 900_000  # one line under max_file_bytes: the file rules must handle it
BOMB_BYTES = 50_000_000  # zeros behind ~50 KB of gzip
MAX_ARCHIVE_BYTES = 20_000_000
SPIN_PARAGRAPHS = 100_000  # trafilatura spends tens of seconds on this page (~2.6 MB)
PLANTED_QUESTION = (
    "Marguerite plants seventeen tulip bulbs along the crooked garden fence every autumn; how many "
    "bulbs does she plant in nine autumns?"
)

GOOD_CODE = {
    "good/geometry/shapes.py": '''"""Plane shapes with an area and a perimeter."""
import math


class Circle:
    def __init__(self, radius: float) -> None:
        self.radius = radius

    def area(self) -> float:
        return math.pi * self.radius ** 2

    def perimeter(self) -> float:
        return 2 * math.pi * self.radius
''',
    "good/geometry/report.py": '''"""Print a table of shapes and their measures."""
from geometry.shapes import Circle


def describe(shapes):
    for shape in shapes:
        print(f"{type(shape).__name__}: area {shape.area():.2f}, perimeter {shape.perimeter():.2f}")


if __name__ == "__main__":
    describe([Circle(1.0), Circle(2.5)])
''',
    "good/src/main/java/org/example/Greeter.java": '''package org.example;

/** Greets people by name, politely. */
public final class Greeter {
    private final String greeting;

    public Greeter(String greeting) {
        this.greeting = greeting;
    }

    public String greet(String name) {
        return greeting + ", " + name + "!";
    }
}
''',
    "good/cmd/wordcount/main.go": '''package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// main counts the words read from standard input.
func main() {
	scanner := bufio.NewScanner(os.Stdin)
	words := 0
	for scanner.Scan() {
		words += len(strings.Fields(scanner.Text()))
	}
	fmt.Println(words)
}
''',
}

GOOD_TEXT = [
    {"id": "t1", "text": "Rivers carve valleys over thousands of years, carrying sediment from mountains to the sea."},
    {"id": "t2", "text": "A good bread dough needs time: the yeast works slowly, and patience gives the crumb its air."},
    {"id": "t3", "text": "Lighthouses once guided ships with oil lamps and mirrors before electric lights replaced them."},
]

CHINESE = "快速排序是一种常用的排序算法。它选择一个基准元素，把数组分成两部分，然后递归地排序。" * 3
FRENCH = "Une crème brûlée et un café noir pour la naïve cliente du bistrot, servis avec le sourire du patron."


@dataclass
class HostileCorpus:
    config: Path
    # stage -> reasons that must be counted there (each hostile case names the reason it must produce)
    expected_drops: dict[str, set[str]] = field(default_factory=dict)
    good_files: set[tuple[str, str]] = field(default_factory=set)  # (repo, path) that must reach files/
    good_pages: dict[str, str] = field(default_factory=dict)  # url -> text that must be in the page
    good_text: set[str] = field(default_factory=set)  # text ids that must reach the mix


def write_hostile_corpus(root: Path) -> HostileCorpus:
    corpus = root / "corpus"
    expected: dict[str, set[str]] = {}
    result = HostileCorpus(config=root / "configs" / "hostile.yaml", expected_drops=expected)
    _write_repositories(corpus / "github", expected, result)
    _write_archives(corpus / "archives", expected, result)
    _write_warcs(corpus / "web", expected, result)
    _write_text(corpus / "text", corpus / "benchmarks", expected, result)
    result.config.parent.mkdir(parents=True)
    result.config.write_text(CONFIG)
    return result


CONFIG = f"""# Written by tests/hostile_corpus.py: every input below is broken on purpose, beside good data.
seed: 7
inputs:
  github:
    paths: [../corpus/github, ../corpus/archives/*.tar.gz]
  web:
    paths: [../corpus/web/*]
  text:
    paths: [../corpus/text/*]
    id_field: id
github:
  max_files_per_repo: {MAX_FILES_PER_REPO}
  max_archive_bytes: {MAX_ARCHIVE_BYTES}
web:
  extraction:
    engine: trafilatura  # the engine the spinning page spins (Resiliparse reads it in milliseconds)
    timeout_s: {EXTRACT_TIMEOUT_S}
dedup:
  max_rounds: 8
output:
  num_shards: 2
  write_rejects: true
decontamination:
  benchmarks:
    - {{name: planted, paths: [../corpus/benchmarks/planted.jsonl], fields: [question], exact_fields: [question]}}
mix:
  weights: {{code: 0.5, math: 0.0, text: 0.5}}
  target_shard_bytes: 4096
recall:
  on_weak: warn   # the hostile pages seed no classifier: the recall is skipped loudly, the pages mixed as text
"""


def _expect(expected: dict[str, set[str]], stage: str, *reasons: str) -> None:
    expected.setdefault(stage, set()).update(reasons)


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _minified_js(size: int) -> bytes:
    chunk = b"function f(a,b){return a*b+1};var x=f(2,3);"
    return (chunk * (size // len(chunk) + 1))[:size]


def _write_repositories(github: Path, expected: dict[str, set[str]], result: HostileCorpus) -> None:
    # A folder is one repository when a file lies at its top (else it is read as a folder of repositories).
    _write(github / "good" / "README.md", "# good\n\nSmall programs that every rule keeps.\n")
    for rel, text in GOOD_CODE.items():
        _write(github / rel, text)
        repo, path = rel.split("/", 1)
        result.good_files.add((repo, path))

    hostile = github / "hostile"
    _write(hostile / "README.md", "# hostile\n\nFiles no reader should trust.\n")
    _write(hostile / "empty.py", b"")
    _write(hostile / "invalid_utf8.py", b"name = 'caf\xe9 cr\xe8me br\xfbl\xe9e'\nprint(name)\n")
    _write(hostile / "utf16_nobom.py", "value = 'no byte order mark'\n".encode("utf-16-le"))
    _write(hostile / "binary.py", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8)
    _write(hostile / "dist" / "bundle.min.js", _minified_js(MINIFIED_HUGE_BYTES))
    _write(hostile / "static" / "app.js", _minified_js(MINIFIED_SMALL_BYTES))
    utf16 = "# -*- coding: utf-16 -*-\ndef greeting():\n    return 'grüß dich, ça va'\n"
    _write(hostile / "utf16_bom.py", utf16.encode("utf-16"))  # with a BOM: decoded, and kept
    result.good_files.add(("hostile", "utf16_bom.py"))
    os.symlink(".", hostile / "loop")  # a folder that contains itself
    os.symlink("b.py", hostile / "a.py")  # a file loop
    os.symlink("a.py", hostile / "b.py")
    _expect(expected, "github_source", "empty_file", "undecodable", "binary", "too_large", "symlink_in_repo",
            "symlink_broken")
    _expect(expected, "file_rules", "minified")

    many = github / "many"
    _write(many / "README.md", "# many\n\nTwenty thousand tiny files.\n")
    for d in range(MANY_FILES // 200):
        folder = many / f"d{d:03d}"
        folder.mkdir(parents=True)
        for f in range(200):
            fd = os.open(folder / f"f{f:03d}.py", os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, b"x = 1\n")
            os.close(fd)
    _expect(expected, "github_source", "too_many_files")
    _expect(expected, "file_rules", "alpha_fraction")  # "x = 1": 1 letter in 6 characters


def _write_archives(archives: Path, expected: dict[str, set[str]], result: HostileCorpus) -> None:
    archives.mkdir(parents=True)
    good = "def fine():\n    return 'this archive member is fine'\n"
    with tarfile.open(archives / "evil-main.tar.gz", "w:gz", compresslevel=1) as tar:
        tar_add(tar, "evil-main", type=tarfile.DIRTYPE)
        tar_add(tar, "evil-main/fine.py", good.encode())
        tar_add(tar, "evil-main/../../escape.py", b"import os\n")
        tar_add(tar, "/etc/cron.d/evil", b"* * * * * root sh\n")
        tar_add(tar, "evil-main/link_out", type=tarfile.SYMTYPE, linkname="../../../etc/passwd")
        add_zeros(tar, "evil-main/bomb.py", BOMB_BYTES)
        tar_add(tar, "evil-main/after_bomb.py", b"never = 'read'\n")
    result.good_files.add(("evil-main", "fine.py"))
    _expect(expected, "github_source", "unsafe_path", "symlink_outside_repo", "archive_too_large", "too_large")

    whole = archives / "whole.tar.gz"
    with tarfile.open(whole, "w:gz") as tar:
        for i in range(40):
            body = "".join(f"value_{i}_{j} = {j * 7919 % 104729}\n" for j in range(300)).encode()
            tar_add(tar, f"cut/file_{i:02d}.py", body)
    data = whole.read_bytes()
    whole.unlink()
    (archives / "cut.tar.gz").write_bytes(data[: len(data) // 2])  # ends inside the gzip member
    _expect(expected, "github_source", "unreadable")


def _spinning_page() -> bytes:
    return b"<html><body><article>" + b"<p>word word word word</p>" * SPIN_PARAGRAPHS + b"</article></body></html>"


def _write_warcs(web: Path, expected: dict[str, set[str]], result: HostileCorpus) -> None:
    web.mkdir(parents=True)
    good = [Fetch(f"https://good.example/{name}", page(name.capitalize())) for name in ("alpha", "beta", "gamma")]
    # Declared UTF-8, encoded GB2312; and declared latin-1, encoded UTF-8.
    zh = f"<html><head><title>排序</title></head><body><article><p>{CHINESE}</p></article></body></html>"
    fr = f"<html><head><title>Bistrot</title></head><body><article><p>{FRENCH}</p></article></body></html>"
    charsets = [
        Fetch("https://zh.example/sort", zh.encode("gb2312"), content_type="text/html; charset=utf-8"),
        Fetch("https://fr.example/bistrot", fr.encode("utf-8"), content_type="text/html; charset=iso-8859-1"),
    ]
    spin = Fetch("https://spin.example/", _spinning_page())
    (web / "good.warc.gz").write_bytes(warc_bytes(good + charsets + [spin]))
    for f in good:
        result.good_pages[f.url] = f"{f.url.rsplit('/', 1)[1].capitalize()} is described here"
    result.good_pages["https://zh.example/sort"] = CHINESE[:40]
    result.good_pages["https://fr.example/bistrot"] = "crème brûlée"
    _expect(expected, "web_extract", "extract_timeout")

    first = warc_record(Fetch("https://malformed.example/ok", page("Before the garbage")))
    # An unparsable Content-Length (read as an empty record, counted), then a header block that is no WARC.
    bad_length = raw_record("WARC/1.0", [("WARC-Type", "response"), ("Content-Length", "12abc")], b"xyz")
    garbage = b"GARBAGE LINE\r\nFoo: bar\r\nno colon here\r\n\r\n"
    (web / "malformed.warc").write_bytes(first + bad_length + garbage + first)
    result.good_pages["https://malformed.example/ok"] = "Before the garbage is described here"

    records = [warc_record(Fetch(f"https://long.example/{i}", page(f"Long {i}"))) for i in range(3)]
    records[0] = records[0].replace(b"Content-Length: ", b"Content-Length: 9", 1)  # ~10x the record
    (web / "long-content-length.warc.gz").write_bytes(b"".join(gz(r) for r in records))
    for i in (1, 2):
        result.good_pages[f"https://long.example/{i}"] = f"Long {i} is described here"
    _expect(expected, "web_source", "warc_damaged", "warc_record_truncated")

    cut = warc_bytes([Fetch(f"https://cut.example/{i}", page(f"Cut {i}")) for i in range(3)])
    (web / "truncated.warc.gz").write_bytes(cut[: len(cut) - 40])  # ends inside the last gzip member
    for i in (0, 1):
        result.good_pages[f"https://cut.example/{i}"] = f"Cut {i} is described here"

    (web / "zero-bytes.warc.gz").write_bytes(b"")
    _expect(expected, "web_source", "warc_empty")

    old = warc_017("http://old.example/warc-0.17", page("Heritrix one")) + warc_017("dns:old.example", b"1.2.3.4")
    (web / "heritrix.warc").write_bytes(old)
    arc = arc_file([("http://arc.example/page", page("Archived page"), "text/html"),
                    ("http://arc.example/logo.png", b"\x89PNG\r\n\x1a\n", "image/png")])
    (web / "crawl.arc.gz").write_bytes(gz(arc))
    result.good_pages["http://old.example/warc-0.17"] = "Heritrix one is described here"
    result.good_pages["http://arc.example/page"] = "Archived page is described here"
    _expect(expected, "web_source", "non_http", "mime", "not_response")


def _write_text(text_dir: Path, bench_dir: Path, expected: dict[str, set[str]], result: HostileCorpus) -> None:
    text_dir.mkdir(parents=True)
    lines = [*GOOD_TEXT, {"id": "leak", "text": f"Homework help, copied verbatim: {PLANTED_QUESTION} Answer: 153."}]
    (text_dir / "good.jsonl").write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in lines))
    result.good_text.update(row["id"] for row in GOOD_TEXT)
    rows = "".join(json.dumps({"id": f"c{i}", "text": f"Line {i} of a file that was cut short."}) + "\n" for i in range(60))
    whole = gzip.compress(rows.encode(), mtime=0)
    (text_dir / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    _expect(expected, "text_source", "unreadable_file")
    _write(bench_dir / "planted.jsonl", json.dumps({"question": PLANTED_QUESTION}) + "\n")
    _expect(expected, "decontaminate", "contaminated.planted")
