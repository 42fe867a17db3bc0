"""Hostile and broken input through the whole pipeline (`codecorpus run`, issue 8).

The corpus (tests/hostile_corpus.py) holds every case the issue lists beside good data. The run is a
subprocess in its own session with a hard time limit (a hang fails the test, it never blocks CI), and its
peak memory (ru_maxrss of the run and the children it waited for) must stay under a generous bound. Each
case must show up under its own drop reason, the good data must arrive, and the accounting must balance.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_corpus import HostileCorpus, write_hostile_corpus

from pipeline.accounting import KINDS, accounting_errors, read_funnel, run_totals
from pipeline.cli import main
from pipeline.sinks import read_parquet_records

REPO = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 300  # the run takes ~20-40 s here; the bound only turns a hang into a failure
MAX_RSS_BYTES = 2_500_000_000
SOURCES = ("github_source", "text_source", "web_source")


@dataclass
class Run:
    corpus: HostileCorpus
    output: Path
    returncode: int
    stdout: str
    stderr: str
    wall_s: float
    max_rss_bytes: int


def run_bounded(cmd: list[str], timeout_s: float) -> tuple[int, str, str, float, int]:
    """Run `cmd` in its own session; kill its whole process group after `timeout_s`. Returns the exit
    code, stdout, stderr, wall seconds and the peak RSS in bytes (wait4: the process and its waited-for
    descendants)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=err, start_new_session=True)
        status = rusage = None
        try:
            while time.monotonic() - start < timeout_s:
                pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                time.sleep(0.2)
            else:
                pytest.fail(f"{' '.join(cmd)} did not finish in {timeout_s} s")
        finally:
            if status is None:  # still running: stop it and every worker it started
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
            proc.returncode = 0  # reaped here; keep Popen from waiting on it again
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return (os.waitstatus_to_exitcode(status), out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), wall, rusage.ru_maxrss * 1024)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Run:
    # The 20,000-file repository is written on tmpfs when there is one (creating files on disk is the slow part).
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path_factory.mktemp("hostile")
    try:
        corpus = write_hostile_corpus(base)
        output = tmp_path_factory.mktemp("hostile_out") / "out"
        cmd = [sys.executable, "-m", "pipeline.cli", "run", "--config", str(corpus.config), "--output", str(output),
               "--progress", "never"]
        code, stdout, stderr, wall, rss = run_bounded(cmd, RUN_TIMEOUT_S)
        yield Run(corpus, output, code, stdout, stderr, wall, rss)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_run_finishes_in_bounded_time_and_memory(hostile_run):
    assert hostile_run.returncode == 0, f"{hostile_run.stdout}\n{hostile_run.stderr[-4000:]}"
    print(f"\nhostile run: {hostile_run.wall_s:.1f} s wall, peak RSS {hostile_run.max_rss_bytes / 1e6:.0f} MB")
    assert hostile_run.max_rss_bytes < MAX_RSS_BYTES
    assert "accounting: every record is written or counted" in hostile_run.stdout
    assert "mix (mix_manifest.json):\ngroup    asked achieved" in hostile_run.stdout  # the mix's table at the end


def test_every_hostile_case_is_a_named_drop(hostile_run):
    funnel = {s.stage: s for s in read_funnel(str(hostile_run.output))}
    missing = {
        stage: sorted(reasons - set(funnel[stage].drops))
        for stage, reasons in hostile_run.corpus.expected_drops.items()
        if reasons - set(funnel[stage].drops)
    }
    assert missing == {}, {stage: funnel[stage].drops for stage in missing}
    gh = funnel["github_source"].drops
    assert gh["too_many_files"] == 20_000 + 1 - 10_000  # README.md and the first 9,999 tiny files are read
    assert funnel["file_rules"].drops["alpha_fraction"] >= 10_000  # the tiny files that were read
    assert funnel["web_extract"].drops == {"extract_timeout": 1}  # the spinning page, killed; no other page


def test_drop_details_name_the_file(hostile_run):
    details = {}
    for shard in sorted((hostile_run.output / "rejects").glob("*/*.jsonl")):
        for line in shard.read_text().splitlines():
            row = json.loads(line)
            details.setdefault(row["reason"], []).append(row["detail"])
    assert any("bundle.min.js" in d and str(20 * 1024 * 1024) in d for d in details["too_large"])
    assert any("evil-main.tar.gz" in d for d in details["archive_too_large"])
    assert any("../../escape.py" in d for d in details["unsafe_path"])
    assert any("malformed.warc" in d for d in details["warc_damaged"])
    assert any("truncated.warc.gz" in d for d in details["warc_damaged"] + details["warc_record_truncated"])
    assert any("long-content-length.warc.gz" in d for d in details["warc_record_truncated"])
    assert any("spin.example" in d for d in details["extract_timeout"])
    assert any("cut.jsonl.gz" in d for d in details["unreadable_file"])
    assert any("../corpus/" in d for d in details["binary"])  # as the config spells the path


def test_good_data_arrives_intact(hostile_run):
    out = hostile_run.output
    kept = {}
    for r in read_parquet_records(f"{out}/stages/code/*.parquet"):
        for path in r.meta.get("sample_paths", r.path).split("\n"):  # a sample stands for its files
            kept[(r.repo, path)] = r
    assert hostile_run.corpus.good_files <= set(kept), hostile_run.corpus.good_files - set(kept)
    assert "grüß dich, ça va" in kept[("hostile", "utf16_bom.py")].text
    assert {path for repo, path in kept if repo == "many"} == {"README.md"}  # the tiny files are dropped
    assert {repo for repo, _ in kept} == {"good", "hostile", "evil-main", "many", "cut"}  # cut: what was readable
    pages = {r.url: r for r in read_parquet_records(f"{out}/stages/pages/*.parquet")}
    # The good pages share one template, so near-dedup of pages keeps some of them and counts the rest.
    funnel = {s.stage: s for s in read_funnel(str(out))}
    deduplicated = sum(sum(funnel[s].drops.values()) for s in ("web_exact_dedup", "web_near_dedup"))
    missing = [url for url in hostile_run.corpus.good_pages if url not in pages]
    assert len(missing) == deduplicated, missing
    assert {"https://zh.example/sort", "https://fr.example/bistrot"} <= set(pages)  # pages of their own
    for url, snippet in hostile_run.corpus.good_pages.items():
        if url in pages:
            assert snippet in pages[url].text, (url, pages[url].text[:300])
    assert "https://spin.example/" not in pages
    mixed = read_parquet_records(f"{out}/mix/*/*.parquet")
    text_ids = {r.id for r in mixed if r.category == "text"}
    good_text = {r.id for r in mixed if r.meta.get("input") == "good.jsonl" and r.category == "text"}
    assert len(good_text) == len(hostile_run.corpus.good_text) and good_text <= text_ids  # the leak is not there
    assert not any("Marguerite" in r.text for r in mixed)


def test_accounting_balances_for_every_stage_and_link(hostile_run):
    funnel = read_funnel(str(hostile_run.output))
    assert accounting_errors(funnel) == []
    assert {s.kind for s in funnel} <= set(KINDS)
    # Every stage but the three sources is linked to the stages feeding it, so no record falls between them.
    assert [s.stage for s in funnel if not s.inputs] == list(SOURCES)
    totals = run_totals(funnel)
    assert not totals.fan_out and totals.read == totals.final_out + totals.dropped + totals.merged
    assert totals.read > 20_000


def test_report_prints_the_invariant(hostile_run, capsys):
    assert main(["report", str(hostile_run.output)]) == 0
    text = capsys.readouterr().out
    assert "balanced: every record written or counted" in text and "whole run:" in text


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("web:\n  extraction:\n    timeout_s: 0\n", "web.extraction.timeout_s"),
        ("github:\n  max_files_per_repo: -5\n", "github.max_files_per_repo"),
        ("output:\n  num_shard: 3\n", "output.num_shard: unknown key"),
        ("github:\n  max_file_bytes: 1000\n  max_archive_bytes: 10\n", "max_archive_bytes (10) must be >="),
        ("mix:\n  weights: {code: 0.9, text: 0.9}\n", "mix: Value error, weights must be >= 0 and sum to 1"),
        ("inputs:\n  github:\n    paths: [does/not/exist]\n", "inputs.github.paths.0: no such file or folder"),
        ("inputs:\n  text:\n    paths: [nothing-*.jsonl]\n", "inputs.text.paths.0"),
        ("seed: [1, 2]\n", "seed"),
        ("- just\n- a list\n", "the top level must be a mapping"),
    ],
)
def test_unusable_config_is_an_error_naming_the_key(tmp_path, capsys, yaml_text, key):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml_text)
    assert main(["run", "--config", str(config), "--output", str(tmp_path / "out"), "--progress", "never"]) == 2
    err = capsys.readouterr().err
    assert key in err and str(config) in err
    assert not (tmp_path / "out").exists()  # refused before any work
