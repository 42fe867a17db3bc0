"""`codecorpus report` on a run of the bundled sample: the terminal report and the HTML file in Chromium."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from pipeline.cli import main

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PLOTS = 7  # funnel, drop reasons, languages, tokens per group, scores, clusters, shard sizes
IMAGE_CHECK = """<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var p = document.createElement('p'); p.id = 'image-check';
  p.textContent = 'images-loaded ' + ok + ' of ' + imgs.length; document.body.appendChild(p);
});
</script>"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, sample_run) -> Path:
    """A copy of the sample run, plus the dedup and recall statistics other stages write (agreed formats)."""
    out = tmp_path_factory.mktemp("report") / "out"
    shutil.copytree(sample_run, out)
    (out / "stats" / "dedup_clusters.json").write_text(json.dumps({"cluster_sizes": {"2": 140, "3": 31, "7": 2}}))
    for k, shift in ((1, 0), (2, 1)):
        (out / "recall" / f"iter-{k}").mkdir(parents=True, exist_ok=True)
        edges = [i / 10 for i in range(11)]
        hist = {"edges": edges, "counts": [900 - 80 * i + 40 * shift for i in range(10)]}
        doc = {"iteration": k, "classifiers": {"code": hist, "math": hist}}
        (out / "recall" / f"iter-{k}" / "score_histogram.json").write_text(json.dumps(doc))
    return out


def test_terminal_report_fits_100_columns_and_shows_every_part(run_dir, capsys):
    capsys.readouterr()
    assert main(["report", str(run_dir)]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 100
    for part in ("Funnel", "decontaminate", "contaminated.gsm8k", "Decontamination", "Mix (mix/manifest.json)",
                 "asked", "achieved", "Shards", "Near-duplicate clusters", "iteration 2 math"):
        assert part in text, part
    assert re.search(r"^code\s+60\.0%", text, re.MULTILINE) and re.search(r"^math\s+10\.0%\s+\d+\.\d%", text, re.MULTILINE)


def test_report_names_a_directory_that_is_not_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "stats/counts.json not found" in capsys.readouterr().err


def test_report_lists_what_is_absent(tmp_path, run_dir, capsys):
    bare = tmp_path / "bare"
    shutil.copytree(run_dir / "stats", bare / "stats")
    (bare / "stats" / "dedup_clusters.json").unlink()
    assert main(["report", str(bare), "--html", str(tmp_path / "r.html")]) == 0
    text = capsys.readouterr().out
    assert "mix/manifest.json: absent" in text and "recall/iter-*/score_histogram.json: absent" in text
    assert "No near-duplicate cluster statistics" in (tmp_path / "r.html").read_text()


@pytest.fixture(scope="module")
def html_report(run_dir, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    assert main(["report", str(run_dir), "--html", str(path)]) == 0
    return path


def test_html_is_one_self_contained_file(html_report):
    html = html_report.read_text()
    assert html.count('<img class="plot"') == PLOTS
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)  # nothing fetched from a network
    assert "<script" not in html and "<link" not in html


def find_chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)


def test_html_plots_load_in_headless_chromium(html_report, tmp_path):
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("chromium is absent: `make test` installs Debian's chromium when apt is available")
    checked = tmp_path / "checked.html"
    checked.write_text(html_report.read_text().replace("</body>", IMAGE_CHECK + "</body>"))
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000",
             "--dump-dom", checked.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        ).stdout
    assert f"images-loaded {PLOTS} of {PLOTS}" in dom
    screenshot = tmp_path / "report.png"  # kept in the test's folder to look at
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--hide-scrollbars",
             "--window-size=1200,6000", f"--screenshot={screenshot}", html_report.as_uri()],
            capture_output=True, timeout=120, check=True,
        )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 50_000
