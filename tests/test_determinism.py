"""Byte-identical output: the same config on the same input gives the same bytes wherever the input lies.

(In-process vs `multi_processing` vs the portable runner vs replayed bundles: tests/test_runners.py.)
"""
from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.cli import main
from tests.conftest import output_tree

REPO = Path(__file__).resolve().parent.parent



def _copy_project(root: Path) -> Path:
    """The bundled config and sample under `root` (config in root/configs, as in the repository), plus a
    repository whose files are dropped at the source, so drop details name input files."""
    (root / "configs").mkdir(parents=True)
    # One recall iteration: the recall's determinism across runners is compared in test_runners.py.
    text = (REPO / "configs" / "local.yaml").read_text()
    (root / "configs" / "local.yaml").write_text(text.replace("  iterations: 2 ", "  iterations: 1 "))
    # sample/recall/seeds holds the recall's seed files (configs/local.yaml reads them); the generators stay.
    shutil.copytree(REPO / "sample", root / "sample", ignore=shutil.ignore_patterns("make_*.py"))
    odd = root / "sample" / "github" / "oddities"
    odd.mkdir()
    (odd / "image.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (odd / "latin1.py").write_bytes("caf\u00e9 = 'cr\u00e8me'\n".encode("latin-1"))
    (odd / "empty.py").write_bytes(b"")
    (odd / "ok.py").write_text("def ok():\n    return 'fine'\n")
    return root / "configs" / "local.yaml"


def test_moving_the_input_folder_changes_no_output_byte(tmp_path, capsys):
    trees = []
    for root in (tmp_path / "a", tmp_path / "elsewhere" / "deeper" / "b"):
        config = _copy_project(root)
        out = tmp_path / f"out-{root.name}"
        assert main(["run", "--config", str(config), "--output", str(out), "--progress", "never"]) == 0
        trees.append(output_tree(out))
    capsys.readouterr()
    first, second = trees
    assert sorted(first) == sorted(second)
    assert {name for name in first if name.startswith(("stages/", "recall/", "mix/", "rejects/"))} >= {
        "mix/manifest.json", "stages/code/part-00000-of-00002.parquet", "stages/pages/part-00000-of-00002.parquet",
        "recall/pages/part-00000-of-00002.parquet", "rejects/collect/rejects-00000-of-00002.jsonl",
    }
    assert first == second  # shards, manifest, stats and rejects
    rejects = b"".join(v for k, v in first.items() if k.startswith("rejects/")).decode()
    assert str(tmp_path) not in rejects
    # Drop details still name the file, as the config spells it.
    assert "../sample/github/oddities/image.py" in rejects and "../sample/web/sample.warc.gz#" in rejects
    assert "../sample/text/general.jsonl:" in rejects
