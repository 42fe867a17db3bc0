"""pipeline.files: moving a large local file (a trained model) into a run's output."""
from __future__ import annotations

import errno
import os

import pytest

from pipeline import files


@pytest.mark.parametrize("same_filesystem", [True, False])
def test_move_local_file_renames_or_streams_and_removes_the_source(tmp_path, monkeypatch, same_filesystem):
    source = tmp_path / "work" / "model.bin"
    source.parent.mkdir()
    data = os.urandom(40_000) * 3
    source.write_bytes(data)
    target = tmp_path / "out" / "iter-1" / "model" / "model.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"an older model")  # replaced, never appended to
    if not same_filesystem:
        def cross_device(src, dst):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        monkeypatch.setattr(files.os, "replace", cross_device)
    assert files.move_local_file(str(source), str(target)) == len(data)
    assert target.read_bytes() == data and not source.exists()
    assert [p.name for p in target.parent.iterdir()] == ["model.bin"]  # no temporary left behind
