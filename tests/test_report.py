"""`codecorpus report` on a run of the bundled sample: the terminal report and the HTML file in Chromium."""
from __future__ import annotations

import collections
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from pipeline.cli import main
from report.data import load_run

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
def run_dir(sample_run) -> Path:
    """The sample run as the stages wrote it, their statistics files included (read only here)."""
    return sample_run


def _stage_counts(run: Path) -> dict[str, dict[str, int]]:
    return {s["stage"]: s["counts"] for s in json.loads((run / "stats" / "counts.json").read_text())["stages"]}


def test_terminal_report_fits_80_columns_and_shows_every_part(run_dir, capsys):
    capsys.readouterr()
    assert main(["report", str(run_dir)]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines() if not line.startswith("config: ")) <= 80
    for part in ("Funnel", "decontaminate", "contaminated.gsm8k", "Decontamination", "Mix (mix_manifest.json)",
                 "asked", "achieved", "Shards", "clusters; largest", "iteration 2 math", "records merged into",
                 "Languages in the mix", "Deduplication", "Recall iterations", "How the run was made",
                 "phase collect:", "versions: "):
        assert part in text, part
    assert re.search(r"^code\s+60\.0%", text, re.MULTILINE) and re.search(r"^math\s+10\.0%\s+\d+\.\d%", text, re.MULTILINE)
    assert "absent" not in text  # every statistics file the report reads was written by the run


def test_report_shows_the_cluster_sizes_near_dedup_found(run_dir, capsys):
    doc = json.loads((run_dir / "stats" / "dedup_clusters.json").read_text())
    counts = _stage_counts(run_dir)
    assert sorted(doc["by_stage"]) == ["near_dedup", "web_near_dedup"]
    for stage, sizes in doc["by_stage"].items():  # a cluster of n members dropped n - 1 of them
        assert sum((int(k) - 1) * n for k, n in sizes.items()) == counts[stage].get("dropped.near_duplicate", 0)
        assert sum(sizes.values()) == counts[stage].get("clusters", 0)
    summed = {int(k): n for k, n in doc["cluster_sizes"].items()}
    assert summed and summed == sum((collections.Counter({int(k): n for k, n in sizes.items()})
                                     for sizes in doc["by_stage"].values()), collections.Counter())
    assert main(["report", str(run_dir)]) == 0  # the sample's forked repository is a near-duplicate cluster
    assert f"{sum(summed.values()):,} clusters; largest {max(summed):,} members" in capsys.readouterr().out


def test_language_table_counts_source_files_apart_from_documents(run_dir, capsys):
    rows = json.loads((run_dir / "stats" / "mix_languages.json").read_text())["languages"]
    code = [r for r in rows if r["category"] == "code" and r["set"] == "written"]
    assert sum(r["files"] for r in code) > sum(r["docs"] for r in code)  # repository samples hold several files
    assert main(["report", str(run_dir)]) == 0
    text = capsys.readouterr().out
    top = max(code, key=lambda r: (r["tokens"], r["language"]))
    assert re.search(rf"^code\s+{re.escape(top['language'])}\s+{top['files']}\s+{top['docs']}\s", text, re.MULTILINE)


def test_recall_iterations_table_matches_the_recall_statistics(run_dir, capsys):
    assert main(["report", str(run_dir)]) == 0
    text = capsys.readouterr().out
    for k in (1, 2):
        score = json.loads((run_dir / "recall" / f"iter-{k}" / "stats" / "score.json").read_text())
        for cls in ("code", "math"):
            assert re.search(rf"^{k}\s+{cls}\s+.*\s{score['new'][cls]}\s+{score['related_domains'][cls]}\s",
                             text, re.MULTILINE), (k, cls)


def test_report_shows_each_recall_iterations_score_histogram(run_dir, capsys):
    pages = _stage_counts(run_dir)["recall"]["in"]
    assert main(["report", str(run_dir)]) == 0
    text = capsys.readouterr().out
    for k in (1, 2):
        doc = json.loads((run_dir / "recall" / f"iter-{k}" / "score_histogram.json").read_text())
        assert doc["iteration"] == k and sorted(doc["classifiers"]) == ["code", "math"]
        for name, h in doc["classifiers"].items():
            assert len(h["edges"]) == len(h["counts"]) + 1 and h["edges"][0] == 0.0 and h["edges"][-1] == 1.0
            assert sum(h["counts"]) == pages  # every page scored, once per category
            assert h["counts"][0] > 0 and sum(h["counts"][len(h["counts"]) // 2:]) > 0  # both ends are used
            assert f"iteration {k} {name}: {pages:,} pages scored" in text


def test_report_names_a_directory_that_is_not_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "stats/counts.json not found" in capsys.readouterr().err


def test_report_lists_what_is_absent(tmp_path, run_dir, capsys):
    bare = tmp_path / "bare"
    shutil.copytree(run_dir / "stats", bare / "stats")
    (bare / "stats" / "dedup_clusters.json").unlink()
    assert main(["report", str(bare), "--html", str(tmp_path / "r.html")]) == 0
    text = capsys.readouterr().out
    assert "mix_manifest.json: absent" in text and "recall/iter-*/score_histogram.json: absent" in text
    assert "stats/dedup_clusters.json: absent" in text
    assert "No near-duplicate cluster statistics" in (tmp_path / "r.html").read_text()


@pytest.fixture(scope="module")
def html_report(run_dir, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    assert main(["report", str(run_dir), "--html", str(path)]) == 0
    return path


def test_html_answers_a_users_questions(html_report, run_dir):
    html = html_report.read_text()
    for question in ("Where did the data go?", "What is in the mix?", ("How well did dedup, recall and "
                     "decontamination work?"), "What does the data look like?", "How was it made?"):
        assert f"<h2>{question}</h2>" in html, question
    assert 'class="merge"' in html and 'class="sampling"' in html  # merges and mix sampling shown apart
    assert html.count('class="doc-id"') >= 3  # sample documents of the mix
    assert "contaminated.gsm8k" in html and "phase mix:" in html


def test_rejects_show_the_head_of_what_a_rule_dropped(run_dir):
    """configs/local.yaml keeps 300 characters of each dropped record (output.rejects_text_chars)."""
    rejects = load_run(str(run_dir)).rejects
    contaminated = [d for key, docs in rejects.items() if "contaminated." in key for d in docs]
    assert contaminated and all(0 < len(d["text"]) <= 300 for d in contaminated)


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


def test_report_says_why_the_mix_is_off_target_and_the_recall_weak_or_skipped():
    from report.data import RunData
    from report.terminal import format_off_target, format_recall

    run = RunData("out", [], off_target={"tolerance": 0.02, "on_off_target": "warn", "off_target": [
        ("mix group math: written 0.0%, asked 10.0% (tolerance 2.0%): its pool holds 0 tokens (missing); "
         "the recall collected no math page")]})
    lines = format_off_target(run)
    assert lines[0].startswith("OFF TARGET") and "the recall collected no math page" in " ".join(lines)
    assert all(len(line) <= 80 for line in lines)
    run.off_target["off_target"] = []
    assert format_off_target(run) == ["on target: every group within 2.0% of its asked weight"]

    skipped = RunData("out", [], recall_skipped="no seed pages for math (recall.categories.math.seed_files)")
    assert format_recall(skipped) == ["the recall was skipped: no seed pages for math",
                                      "  (recall.categories.math.seed_files)"]  # wrapped at 80 columns
    weak = RunData("out", [], recall_summary={"stopped": "", "weak": ["iteration 1: math collected 0 pages"]},
                   recall_iterations=[{"iteration": 1}])
    assert "WEAK: iteration 1: math collected 0 pages" in format_recall(weak)


def test_sample_report_shows_the_end_of_run_mix_check(run_dir, capsys):
    assert main(["report", str(run_dir)]) == 0
    out = capsys.readouterr().out
    # the sample writes 60.1 / 9.5 / 30.4% against 60 / 10 / 30% asked: within the 2% tolerance
    assert "on target: every group within 2.0% of its asked weight" in out and "OFF TARGET" not in out
