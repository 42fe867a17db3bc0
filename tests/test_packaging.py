"""What ships to workers: the wheel `make wheel` builds holds every module and every bundled YAML file.

A worker imports `pipeline.*`, `filters.*`, ... and reads `configs/languages.yaml` through importlib
resources; a module or data file missing from the wheel fails only on the cluster, so it is checked here.
The Dockerfile installs the same wheel.
"""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("pipeline", "filters", "dedup", "repos", "classifiers", "configs", "mixing", "report")
BUILD_TIMEOUT_S = 300


def _tracked(pattern: str) -> set[str]:
    out = subprocess.run(["git", "ls-files", pattern], cwd=REPO, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.slow
def test_wheel_holds_every_module_and_config(tmp_path):
    # The same command as `make wheel`, into a temporary folder.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(REPO)],
        check=True, capture_output=True, timeout=BUILD_TIMEOUT_S,
    )
    # A platform wheel (cp311-cp311-linux_x86_64 here): it carries the compiled MinHash and decontamination kernels.
    (wheel,) = tmp_path.glob("codecorpus-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for kernel in ("dedup/_minhash.", "filters/_decontaminate."):
        assert any(n.startswith(kernel) and n.endswith((".so", ".pyd")) for n in names), sorted(names)
    tracked = _tracked("*.py") | _tracked("configs/*.yaml") | _tracked("configs/**/*.yaml")
    expected = {p for p in tracked if p.split("/")[0] in PACKAGES}
    assert {"configs/languages.yaml", "configs/local.yaml", "configs/runners/dataflow.yaml"} <= expected
    assert expected - names == set()
    entry_points = zipfile.ZipFile(wheel).read(f"{'-'.join(wheel.name.split('-')[:2])}.dist-info/entry_points.txt")
    assert b"codecorpus = pipeline.cli:main" in entry_points
