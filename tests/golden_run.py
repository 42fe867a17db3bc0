"""The golden run: sha256 of every file the bundled sample's `codecorpus run` writes.

`tests/test_golden.py` compares a fresh sample run with `tests/golden/sample_run.sha256`, so a refactor that
changes any output byte fails. A change meant to alter the output regenerates the file in the same commit
(`make golden`, which runs `python -m tests.golden_run`) and says why in the commit message; the diff of the
hash file then shows which outputs moved.
"""
from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOLDEN_FILE = REPO / "tests" / "golden" / "sample_run.sha256"


def output_hashes(output_dir: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `output_dir` that byte identity covers (`logs/` aside)."""
    from tests.conftest import output_tree

    return {rel: hashlib.sha256(data).hexdigest() for rel, data in output_tree(output_dir).items()}


def format_hashes(hashes: dict[str, str]) -> str:
    """`sha256sum` format (hash, two spaces, path), so `sha256sum -c` can check a run by hand too."""
    return "".join(f"{digest}  {rel}\n" for rel, digest in sorted(hashes.items()))


def parse_hashes(text: str) -> dict[str, str]:
    return {rel: digest for digest, rel in (line.split("  ", 1) for line in text.splitlines() if line)}


def run_sample(output_dir: Path) -> None:
    """`codecorpus run` of configs/local.yaml into `output_dir`, exactly as the tests' shared sample run."""
    from pipeline.cli import main

    config = REPO / "configs" / "local.yaml"
    code = main(["run", "--config", str(config), "--output", str(output_dir), "--progress", "never"])
    if code != 0:
        raise SystemExit(f"the sample run failed with exit code {code}")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        run_sample(out)
        GOLDEN_FILE.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN_FILE.write_text(format_hashes(output_hashes(out)))
    print(f"wrote {GOLDEN_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
