"""Generated hostile records (tests/hostile_records.py, issue 12) through `codecorpus run`, in-process and
with `multi_processing`: both finish, count every repair and drop, keep the good records, and write the
same bytes (ties broken by content, never by arrival)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_records import RecordCorpus, write_record_corpus

from pipeline.accounting import accounting_errors, read_funnel
from pipeline.sinks import read_parquet_records
from tests.conftest import output_tree

REPO = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 400  # ~15 s and ~40 s on an idle machine; the bound only turns a hang into a failure
pytestmark = pytest.mark.slow


def _start(config: Path, output: Path, *beam_args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pipeline.cli", "run", "--config", str(config), "--output", str(output),
           "--progress", "never", *beam_args]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.Popen(cmd, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def _finish(proc: subprocess.Popen) -> None:
    try:
        stdout, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{' '.join(proc.args[3:])} did not finish in {RUN_TIMEOUT_S} s")
    assert proc.returncode == 0, f"{stdout}\n{stderr[-4000:]}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[RecordCorpus, Path, Path]:
    """Both runs at once (separate outputs): the test waits for the slower one, not for their sum."""
    root = tmp_path_factory.mktemp("records")
    corpus = write_record_corpus(root)
    in_process, multi = root / "in-process", root / "multi"
    procs = [_start(corpus.config, in_process),
             _start(corpus.config, multi, "--runner=DirectRunner", "--direct_running_mode=multi_processing",
                    "--direct_num_workers=2")]
    try:
        for proc in procs:
            _finish(proc)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
    return corpus, in_process, multi


def test_in_process_and_multi_processing_write_the_same_bytes(runs):
    _, in_process, multi = runs
    first, second = output_tree(in_process), output_tree(multi)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_every_repair_and_drop_is_counted_and_accounting_balances(runs):
    corpus, out, _ = runs
    funnel = {s.stage: s for s in read_funnel(str(out))}
    assert accounting_errors(list(funnel.values())) == []
    counts = {s["stage"]: s["counts"] for s in json.loads((out / "stats" / "counts.json").read_text())["stages"]}
    missing = {stage: sorted(k for k in keys if not counts[stage].get(k)) for stage, keys in corpus.expected.items()}
    assert all(not keys for keys in missing.values()), missing


def test_good_records_arrive_with_valid_text_and_escaped_names(runs):
    corpus, out, _ = runs
    pages = {r.url: r for r in read_parquet_records(f"{out}/stages/pages/*.parquet")}
    assert corpus.good_urls <= set(pages), corpus.good_urls - set(pages)
    named = [r.meta["warc_file"] for url, r in pages.items() if url.startswith("https://named.example/")]
    assert all("\\x" in name or "\\udc" in name for name in named), named  # undecodable bytes, escaped
    mixed = read_parquet_records(f"{out}/mix/*/*.parquet")
    texts = read_parquet_records(f"{out}/stages/*/*.parquet") + mixed
    for record in texts:
        for value in (record.text, record.url, record.repo, record.path, record.repo_license, record.repo_url):
            value.encode("utf-8")  # strict: no lone surrogate reached the output
        assert record.repo_stars is None or abs(record.repo_stars) < 2**63
    code = read_parquet_records(f"{out}/stages/code/*.parquet")
    repos = {r.repo for r in code}
    assert corpus.archive_repos <= repos, repos  # same archive name in two folders: two repositories
