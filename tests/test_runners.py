"""Runner portability: `codecorpus run` on the bundled config gives the same bytes on every runner path
reachable here: Beam's in-process runner, `multi_processing` with 2 workers (pickles everything like a
cluster), and the PortableRunner against Beam's local job service with the LOOPBACK environment (the
submission path FlinkRunner takes behind its job server).

Each run is a subprocess in its own session with a hard timeout, so a hung worker fails the test instead of
hanging `make test`; the job service is started on a free loopback port and always killed.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pipeline.accounting import accounting_errors, read_funnel
from tests.conftest import output_tree, sample_config
from tools.flink.cluster import stop_group

pytestmark = pytest.mark.runners

REPO = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 180  # a run takes 2-5 s here; the bound only stops a hang
READY_TIMEOUT_S = 60  # job service start-up, ~2 s here


_CONFIG: list[Path] = []


def _config() -> Path:
    """The bundled local config with one recall iteration (each run here is the whole pipeline)."""
    if not _CONFIG:
        _CONFIG.append(sample_config(Path(tempfile.mkdtemp(prefix="runners-config-")), iterations=1))
    return _CONFIG[0]


def run_cli(output: Path, *beam_args: str, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
    """`codecorpus run` on the bundled local config, in a subprocess that cannot outlive `timeout`."""
    cmd = [sys.executable, "-m", "pipeline.cli", "run", "--config", str(_config()), "--output", str(output),
           "--progress", "never"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.Popen(
        [*cmd, *beam_args], cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_group(proc, grace_s=5)
        pytest.fail(f"codecorpus run {' '.join(beam_args)} did not finish in {timeout} s")
    finally:
        stop_group(proc, grace_s=5)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    assert result.returncode == 0, f"exit {result.returncode}\n{stdout}\n{stderr[-4000:]}"
    return result



def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """The in-process run's output (the DirectRunner's batch path), checked on its own first."""
    out = tmp_path_factory.mktemp("in_process") / "out"
    run_cli(out, "--runner=DirectRunner")
    tree = output_tree(out)
    # What every comparison covers: code files, web pages, the recall, the mix's shards and manifest, counts,
    # rejects.
    for prefix in ("stages/code/part-", "stages/pages/part-", "recall/pages/part-", "mix/code/part-",
                   "mix/code_web/part-", "mix/math_web/part-", "mix/text/part-", "rejects/collect/rejects-"):
        assert any(name.startswith(prefix) for name in tree), prefix
    assert {"mix_manifest.json", "stats/counts.json", "stats/decontamination.json"} <= set(tree)
    funnel = read_funnel(str(out))
    assert accounting_errors(funnel) == [] and funnel[-1].n_out > 0
    return tree


@pytest.fixture(scope="module")
def job_endpoint(tmp_path_factory):
    """Beam's local job service on a free loopback port; killed (with its workers) when the module ends."""
    import grpc

    port = _free_port()
    log_path = tmp_path_factory.mktemp("job_service") / "job_service.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            channel = grpc.insecure_channel(f"localhost:{port}")
            try:
                grpc.channel_ready_future(channel).result(timeout=READY_TIMEOUT_S)
            except grpc.FutureTimeoutError:
                pytest.fail(f"job service not ready in {READY_TIMEOUT_S} s:\n{log_path.read_text()[-4000:]}")
            finally:
                channel.close()
            yield f"localhost:{port}"
        finally:
            stop_group(proc, grace_s=5)


def test_multi_processing_gives_the_same_bytes(reference, tmp_path):
    out = tmp_path / "out"
    run_cli(out, "--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2")
    assert output_tree(out) == reference


def test_portable_runner_on_local_job_service_gives_the_same_bytes(reference, job_endpoint, tmp_path):
    out = tmp_path / "out"
    run_cli(out, "--runner=PortableRunner", f"--job_endpoint={job_endpoint}", "--environment_type=LOOPBACK")
    assert output_tree(out) == reference


def test_replayed_bundles_change_nothing(reference, tmp_path):
    """Beam replays every bundle once more before running it for real (a retry after a lost worker, as
    Dataflow does): per-bundle counts and temp-then-rename shards must leave the same bytes."""
    out = tmp_path / "out"
    run_cli(out, "--runner=DirectRunner", "--direct_runner_bundle_repeat=1")
    assert output_tree(out) == reference
