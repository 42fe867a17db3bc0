"""One run per output folder: a lock file naming the run that holds it (pid, host, start time).

Two runs writing one folder interleave their shards and stats, and the second can report success with the
first one's stray files in place (issue 12). The lock is created with O_EXCL, so of two runs started at
once exactly one gets it; the other refuses with a message naming the holder. A lock whose process is gone
(same host, pid not running: a kill -9, a crash) is taken over, by `--resume` of that run or by a fresh run
(which rewrites every phase); the taking run says so.

A remote output (gs://, s3://, any `scheme://` Beam's `FileSystems` serves) gets the same lock object, with
the same holder, refusal and take-over, written through `FileSystems`. It is best effort: `FileSystems`
offers no create-if-absent, so the lock is checked, written, then read back; two runs started within that
window (one object-store round trip) can both proceed. `remote_caveat` says so, and the run prints it.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Self

from apache_beam.io.filesystems import FileSystems

LOCK_FILE = ".codecorpus.lock"
# An empty lock this young is a run between creating it and writing its pid: it is alive.
FRESH_LOCK_S = 30.0


class OutputLocked(Exception):
    """Another run that is still running holds the output folder."""


def _holder_alive(holder: dict) -> bool:
    if holder.get("host") != socket.gethostname():
        return True  # another machine's process cannot be checked from here: assume it runs
    try:
        os.kill(int(holder.get("pid", -1)), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, OverflowError):
        return True
    return True


def _younger_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False


def _read_remote(path: str) -> dict:
    """The holder written in a remote lock object ({} when unreadable or not a lock)."""
    try:
        with FileSystems.open(path) as fh:
            holder = json.loads(fh.read().decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _describe(holder: dict) -> str:
    return f"run pid {holder.get('pid', '?')} on {holder.get('host', '?')} since {holder.get('started', '?')}"


def _refusal(output: str, holder: dict, lock: str) -> OutputLocked:
    who = _describe(holder) if holder else "a run that is starting"
    return OutputLocked(f"--output {output} is in use by {who}; wait for it to finish or use another --output "
                        f"(lock: {lock}; if that run is gone, delete it)")


class OutputLock:
    """The lock of `output` held by this process; `release()` (or leaving the `with`) removes it."""

    def __init__(self, output: str):
        self.path: Path | None = None
        self.remote_path = ""  # the lock object of a remote output, while held
        self.remote_caveat = ""
        self.taken_over = ""  # whose dead lock this run took over
        self.mine = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, sort_keys=True)
        if "://" in output:
            self._lock_remote(output)
            return
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / LOCK_FILE
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            self._take_over(output)
            return
        with os.fdopen(fd, "w") as fh:
            fh.write(self.mine + "\n")

    def _take_over(self, output: str) -> None:
        assert self.path is not None
        try:
            holder = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            holder = {}
        if (_holder_alive(holder) and holder) or (not holder and _younger_than(self.path, FRESH_LOCK_S)):
            self.path = None
            raise _refusal(output, holder, f"{output}/{LOCK_FILE}")
        self.taken_over = _describe(holder) if holder else "a run that left an empty lock"
        tmp = self.path.with_name(f"{LOCK_FILE}.{os.getpid()}")
        tmp.write_text(self.mine + "\n")
        os.replace(tmp, self.path)  # a dead run's lock: this run takes it over

    def _lock_remote(self, output: str) -> None:
        path = FileSystems.join(output, LOCK_FILE)
        if FileSystems.exists(path):
            holder = _read_remote(path)
            if _holder_alive(holder) or not holder:  # an empty object is a run writing it now
                raise _refusal(output, holder, path)
            self.taken_over = _describe(holder)
        with FileSystems.create(path) as fh:
            fh.write((self.mine + "\n").encode())
        if _read_remote(path) != json.loads(self.mine):  # a run that wrote after this one holds it
            raise _refusal(output, _read_remote(path), path)
        self.remote_path = path
        self.remote_caveat = (f"{output} is remote: its lock ({LOCK_FILE}) is best effort, since object stores "
                              "offer Beam no exclusive create; do not start two runs on it at once")

    def release(self) -> None:
        if self.remote_path:
            try:
                if _read_remote(self.remote_path) == json.loads(self.mine):
                    FileSystems.delete([self.remote_path])
            except OSError:
                pass
            self.remote_path = ""
        if self.path is None:
            return
        try:
            if self.path.read_text().strip() == self.mine:
                self.path.unlink()
        except OSError:
            pass
        self.path = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# Why writing the output can fail mid-run without being a bug: the errno, or the message Beam's workers pass
# on (multi_processing and remote runners re-raise errors as text, without the OSError).
_WRITE_FAILURES = {
    errno.ENOSPC: "No space left on device",
    errno.EDQUOT: "Disk quota exceeded",
    errno.EROFS: "Read-only file system",
    errno.EACCES: "Permission denied",
    errno.EFBIG: "File too large",  # past the file-size limit (RLIMIT_FSIZE) or the filesystem's largest file
}


def write_failure(err: BaseException) -> str | None:
    """The reason, when `err` (or what caused it) is the output running out of space or turning
    unwritable; None for any other error."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _WRITE_FAILURES:
            where = f" ({current.filename})" if current.filename else ""
            return f"{_WRITE_FAILURES[current.errno]}{where}"
        text = str(current)
        for reason in _WRITE_FAILURES.values():
            if reason in text:
                return reason
        current = current.__cause__ or current.__context__
    return None


def quiet_write_failures(record: logging.LogRecord) -> bool:
    """A logging filter: Beam's traceback of a worker that could not write the output is dropped, since the
    run ends with one line saying so (`write_failure`); every other record passes."""
    if not record.name.startswith("apache_beam") or record.levelno < logging.ERROR:
        return True
    err = record.exc_info[1] if record.exc_info else None
    return write_failure(err if err is not None else RuntimeError(record.getMessage())) is None
