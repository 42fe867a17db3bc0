"""Shared fixtures: where the repository and the optional shared data live."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

# Caches the pipeline keeps between runs (the decontamination index) go to a folder of this test session, not
# the user's ~/.cache (CLI runs in subprocesses inherit it).
os.environ.setdefault("CODECORPUS_CACHE", tempfile.mkdtemp(prefix="codecorpus-test-cache-"))


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` beside the checkout; tests that need real public data skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    return SHARED


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """One `codecorpus run` of the bundled config (configs/local.yaml), shared by the tests that only read
    its output: the whole pipeline on the sample costs ~20 s, too much to repeat per test file."""
    from pipeline.cli import main

    out = tmp_path_factory.mktemp("sample_run") / "out"
    assert main(["run", "--config", str(REPO / "configs" / "local.yaml"), "--output", str(out),
                 "--progress", "never"]) == 0
    return out


@pytest.fixture(scope="session")
def tokenized_mix(tmp_path_factory) -> Path:
    """A small mix written by `write_mix` with a tiny tokenizer, FIM and both token outputs, under
    `<root>/a` (`<root>/tokenizer.json` beside it); shared by the mix tests (tests/mix_sample.py)."""
    from mix_sample import run_mix, train_tokenizer

    root = tmp_path_factory.mktemp("mix")
    train_tokenizer(root / "tokenizer.json")
    run_mix(root / "a", root / "tokenizer.json")
    return root


def output_tree(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file a run wrote that the byte-identity guarantee covers: all but
    `logs/` (times, host and versions of the run, pipeline.run_log)."""
    from pipeline.layout import LOGS as LOGS_DIR

    files = (p for p in sorted(root.rglob("*")) if p.is_file())
    return {rel: p.read_bytes() for p in files if not (rel := p.relative_to(root).as_posix()).startswith(f"{LOGS_DIR}/")}


def sample_config(directory: Path, **recall: object) -> Path:
    """configs/local.yaml written into `directory` with its paths made absolute and `recall` keys replaced
    (e.g. iterations=1, or enabled=False), for tests that run the whole sample several times."""
    import yaml

    text = (REPO / "configs" / "local.yaml").read_text().replace("../sample/", f"{REPO}/sample/")
    data = yaml.safe_load(text)
    data["recall"].update(recall)
    path = directory / "sample.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
