"""How a run ends for an operator: --version, Ctrl-C (exit 130 and the resume command, no tracebacks)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from pipeline.cli import EXIT_INTERRUPTED, _resume_command, main
from tests.conftest import REPO, sample_config


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert capsys.readouterr().out.startswith("codecorpus ")


def test_resume_command_repeats_the_arguments_once():
    assert _resume_command(["run", "--config", "a b.yaml", "--resume"]) == "codecorpus run --config 'a b.yaml' --resume"


def test_sigint_ends_with_130_and_the_resume_command(tmp_path):
    config = sample_config(tmp_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "import sys; from pipeline.cli import main; sys.exit(main())",
           "run", "--config", str(config), "--output", str(out), "--heartbeat", "0.2"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    # Wait until Beam is running the first phase, then press Ctrl-C.
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        if "phase collect: started" in line or time.monotonic() > deadline:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)  # ends within seconds, not when the job would have
    finally:
        proc.kill()
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err, err
    assert f"codecorpus run --config {config} --output {out} --heartbeat 0.2 --resume" in err
    assert len(err.strip().splitlines()) <= 5, err
