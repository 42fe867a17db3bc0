"""Output folder safety (issue 12): one run per folder, a dead run's lock taken over, and a full or
read-only disk ends the run with one line and an exit code, never a half-written file under a final name
(shown for real with a file-size limit on the run's process, besides the faked errors)."""
from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from apache_beam.io.localfilesystem import LocalFileSystem

from pipeline import sinks
from pipeline.cli import EXIT_OUTPUT_UNWRITABLE, main
from pipeline.output_lock import LOCK_FILE, OutputLock, OutputLocked, write_failure

REPO = Path(__file__).resolve().parent.parent


def _lock_of(folder: Path, pid: int, host: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    holder = {"pid": pid, "host": host or socket.gethostname(), "started": "2026-01-01T00:00:00Z"}
    (folder / LOCK_FILE).write_text(json.dumps(holder))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_run_is_refused_while_the_first_runs(tmp_path):
    with OutputLock(str(tmp_path / "out")), pytest.raises(OutputLocked, match=rf"in use by run pid {os.getpid()} "):
        OutputLock(str(tmp_path / "out"))
    assert not (tmp_path / "out" / LOCK_FILE).exists()  # released on leaving
    with OutputLock(str(tmp_path / "out")) as lock:
        assert lock.taken_over == ""


def test_another_hosts_lock_is_respected_and_a_dead_runs_lock_is_taken_over(tmp_path):
    _lock_of(tmp_path / "a", 1, host="elsewhere.example")
    with pytest.raises(OutputLocked, match="elsewhere.example"):
        OutputLock(str(tmp_path / "a"))
    dead = _dead_pid()
    _lock_of(tmp_path / "b", dead)
    with OutputLock(str(tmp_path / "b")) as lock:
        assert f"pid {dead}" in lock.taken_over
        assert json.loads((tmp_path / "b" / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_the_cli_refuses_a_locked_folder_before_any_work(tmp_path, capsys):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _lock_of(tmp_path / "out", sleeper.pid)
        code = main(["run", "--config", str(REPO / "configs" / "local.yaml"), "--output", str(tmp_path / "out"),
                     "--progress", "never"])
    finally:
        sleeper.kill()
        sleeper.wait()
    err = capsys.readouterr().err
    assert code == 2 and f"in use by run pid {sleeper.pid}" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [LOCK_FILE]  # nothing written


def test_a_full_disk_is_one_line_and_an_exit_code(tmp_path, capsys, monkeypatch):
    """The first write of the run fails as a full disk would: one line naming the cause, exit 7, no
    traceback, the lock released."""
    from pipeline import phases

    def full(path: str, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(phases, "write_bytes", full)
    out = tmp_path / "out"
    code = main(["run", "--config", str(REPO / "configs" / "local.yaml"), "--output", str(out),
                 "--progress", "never"])
    err = capsys.readouterr().err
    assert code == EXIT_OUTPUT_UNWRITABLE
    assert "No space left on device" in err and "Traceback" not in err
    assert not (out / LOCK_FILE).exists()


def test_write_failures_are_recognised_through_causes_and_messages():
    try:
        try:
            raise OSError(errno.EROFS, "Read-only file system", "/out/x")
        except OSError as inner:
            raise RuntimeError("worker failed") from inner
    except RuntimeError as outer:
        assert write_failure(outer) == "Read-only file system (/out/x)"
    assert write_failure(RuntimeError("IOError: [Errno 28] No space left on device")) == "No space left on device"
    assert write_failure(ValueError("a bug")) is None


def test_a_write_that_fails_leaves_no_file_under_the_final_name(tmp_path, monkeypatch):
    class Full:
        def __init__(self, path):
            self.fh = open(path, "wb")  # noqa: SIM115 - closed by __exit__, as FileSystems' handles are

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(sinks.FileSystems, "create", staticmethod(lambda path, *a, **k: Full(path)))
    with pytest.raises(OSError):
        sinks.write_bytes(str(tmp_path / "model.bin"), b"x" * 1000)
    assert list(tmp_path.iterdir()) == []


FILE_SIZE_LIMIT = 64 * 1024


def _limit_file_size() -> None:
    """In the child: writes past FILE_SIZE_LIMIT fail with EFBIG (SIGXFSZ ignored), as a full disk fails them."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs SIGXFSZ and RLIMIT_FSIZE (POSIX)")
def test_a_real_write_limit_ends_the_run_with_one_line_and_no_half_written_file(tmp_path):
    """Not a monkeypatch: the run's process may not write a file past 64 KiB, so the first shard larger than
    that really fails mid-write (EFBIG). The run ends with one line and exit 7; nothing under a final name is
    cut short (every file is below the limit and parses), no temporary file is left, the lock is released."""
    import pyarrow.parquet as pq

    words = ("river", "valley", "stone", "harbour", "lantern", "orchard", "meadow", "copper", "thistle")
    (tmp_path / "rows.jsonl").write_text("".join(
        json.dumps({"id": f"r{i}", "text": " ".join(f"{words[(i * 7 + k) % 9]}{i * k}" for k in range(120))}) + "\n"
        for i in range(300)))  # ~120 KB of text: its shard passes the limit
    config = tmp_path / "limit.yaml"
    config.write_text("seed: 3\ninputs:\n  text:\n    paths: [rows.jsonl]\n    id_field: id\noutput:\n  num_shards: 1\n"
                      "mix:\n  weights: {code: 0.0, math: 0.0, text: 1.0}\nrecall:\n  on_weak: warn\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--config", str(config), "--output", str(out),
                           "--progress", "never"], check=False, cwd=REPO, preexec_fn=_limit_file_size,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == EXIT_OUTPUT_UNWRITABLE, proc.stderr[-3000:]
    assert "File too large" in proc.stderr and "Traceback" not in proc.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(".tmp-") or p.name == LOCK_FILE]
    assert all(p.stat().st_size < FILE_SIZE_LIMIT for p in files)
    for path in files:
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".parquet":
            pq.read_metadata(path)


class FakeRemoteFileSystem(LocalFileSystem):
    """`fakeremote://...` served from a local folder through Beam's FileSystem interface: a stand-in for
    gs:// or s3:// (the lock reaches remote outputs only through `FileSystems`)."""

    root = Path("/nonexistent")

    @classmethod
    def scheme(cls) -> str:
        return "fakeremote"

    def _local(self, path: str) -> str:
        return str(self.root / path.removeprefix("fakeremote://"))

    def _path_open(self, path, mode, *args, **kwargs):
        Path(self._local(path)).parent.mkdir(parents=True, exist_ok=True)
        return super()._path_open(self._local(path), mode, *args, **kwargs)

    def exists(self, path):
        return super().exists(self._local(path))

    def delete(self, paths):
        return super().delete([self._local(p) for p in paths])


@pytest.fixture
def remote(tmp_path, monkeypatch):
    monkeypatch.setattr(FakeRemoteFileSystem, "root", tmp_path)
    return "fakeremote://bucket/out", tmp_path / "bucket" / "out" / LOCK_FILE


def test_a_remote_output_gets_the_same_lock_through_beams_filesystems(remote):
    output, lock_object = remote
    with OutputLock(output) as lock:
        assert json.loads(lock_object.read_text())["pid"] == os.getpid()
        assert "best effort" in lock.remote_caveat
        with pytest.raises(OutputLocked, match=rf"in use by run pid {os.getpid()} .*if that run is gone, delete"):
            OutputLock(output)
        assert lock_object.exists()  # the refused run leaves the holder's lock alone
    assert not lock_object.exists()  # released


def test_a_remote_lock_of_another_host_is_respected_and_of_a_dead_run_taken_over(remote):
    output, lock_object = remote
    _lock_of(lock_object.parent, 1, host="elsewhere.example")
    with pytest.raises(OutputLocked, match="elsewhere.example"):
        OutputLock(output)
    dead = _dead_pid()
    _lock_of(lock_object.parent, dead)
    with OutputLock(output) as lock:
        assert f"pid {dead}" in lock.taken_over
        assert json.loads(lock_object.read_text())["pid"] == os.getpid()
    assert not lock_object.exists()


def test_a_remote_lock_lost_to_a_later_writer_is_refused(remote, monkeypatch):
    """Two runs racing inside the window: the one whose read-back shows the other's holder gives way."""
    output, lock_object = remote
    from pipeline import output_lock

    real_create = output_lock.FileSystems.create

    def create_then_overwritten(path, *args, **kwargs):
        class Racing:
            def __init__(self):
                self.fh = real_create(path, *args, **kwargs)

            def write(self, data):
                return self.fh.write(data)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()
                _lock_of(lock_object.parent, 1, host="racer.example")  # another run wrote right after

        return Racing()

    monkeypatch.setattr(output_lock.FileSystems, "create", staticmethod(create_then_overwritten))
    with pytest.raises(OutputLocked, match="racer.example"):
        OutputLock(output)
    assert json.loads(lock_object.read_text())["host"] == "racer.example"
