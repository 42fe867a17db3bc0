"""The bench-cost yardsticks (benchmarks/cost_reference.py) do the work they are named for, on small local data."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks import cost_reference
from tests.warc_fixtures import Fetch, page, warc_bytes

REPO = Path(__file__).resolve().parent.parent


def test_code_yardstick_signs_every_text_file_and_skips_binaries(tmp_path: Path) -> None:
    repo = tmp_path / "repos" / "one"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "a.py").write_text("def f(x):\n    return x + 1\n" * 20)
    (repo / "README.md").write_text("A small project with a function and its tests.\n")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(64))
    (repo / "logo.ai").write_bytes(b"%PDF-1.5\n" + b"stream x y z endstream\n" * 50)  # no NUL: a signature
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text("[core]\n")
    _, files = cost_reference.code(tmp_path / "repos")
    assert files == 2  # a.py and README.md: not the PNG or the PDF, nothing under .git


def test_web_yardstick_extracts_every_response_record(tmp_path: Path) -> None:
    fetches = [Fetch(f"https://example.org/{n}", page(f"Page {n}")) for n in range(3)]
    fetches.append(Fetch("https://example.org/meta", b"x", warc_type="metadata"))
    warc = tmp_path / "pages.warc.gz"
    warc.write_bytes(warc_bytes(fetches))
    _, pages = cost_reference.web([warc])
    assert pages == 3


def test_runs_as_the_bench_calls_it(tmp_path: Path) -> None:
    (tmp_path / "repos" / "one").mkdir(parents=True)
    (tmp_path / "repos" / "one" / "main.c").write_text("int main(void) { return 0; }\n")
    out = subprocess.run([sys.executable, "-m", "benchmarks.cost_reference", "code", str(tmp_path / "repos")],
                         cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1])["items"] == 1
