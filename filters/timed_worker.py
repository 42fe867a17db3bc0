"""Run a function in a child process with a time limit per call that actually holds.

Trafilatura has no reliable timeout, `signal.alarm` only works in a main thread (Beam runs DoFns in worker
threads), and a Python thread stuck in lxml's C code cannot be interrupted. A child process can be killed:
`TimedWorker` keeps one long-lived child per instance, sends it one call at a time over a socket, and kills
and restarts it when a call overruns. The child is a fresh interpreter (forking a process that runs gRPC
threads, as a Beam worker does, is unsafe) that asks the kernel to OOM-kill it first, so a page that eats
memory takes down the child, not the worker.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

# How long a fresh child may take to start and import what the function needs.
START_TIMEOUT_S = 120.0


class CallTimeout(Exception):
    """The call ran past its time limit; the child was killed."""


class WorkerDied(Exception):
    """The child exited during the call (killed by the OOM killer, a segfault in C code, ...)."""


class CallFailed(Exception):
    """The function raised in the child; the message names the exception."""


# The child's whole program: it needs only the standard library until it unpickles `fn`, and it never
# imports the parent's __main__ (multiprocessing's "spawn" would, and fail in unguarded scripts).
_CHILD_PROGRAM = """
import sys
from multiprocessing.connection import Connection
conn = Connection(int(sys.argv[1]))
try:
    with open("/proc/self/oom_score_adj", "w") as fh:  # be the OOM killer's first choice
        fh.write("1000\\n")
except OSError:
    pass
sys.path[:] = conn.recv()
fn = conn.recv()
conn.send(("ready", None))
while True:
    try:
        args = conn.recv()
    except (EOFError, OSError):  # the parent is gone
        break
    try:
        result = ("ok", fn(*args))
    except Exception as err:
        result = ("error", f"{type(err).__name__}: {err}")
    conn.send(result)
"""


def _stop(process: subprocess.Popen, conn: Connection) -> None:
    conn.close()
    if process.poll() is None:
        process.kill()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # unkillable (D state): leave it to the OS
        pass


class TimedWorker:
    """Calls `fn(*args)` in a child process; a call that takes longer than `timeout_s` raises `CallTimeout`.

    `fn` must be picklable by reference (a module-level function or a `functools.partial` of one). The child
    starts on the first call and is replaced after a timeout or a death. Picklable: a copy starts its own
    child. Thread-safe: calls are serialised.
    """

    def __init__(self, fn: Callable[..., Any], timeout_s: float, *, start_timeout_s: float = START_TIMEOUT_S):
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.fn, self.timeout_s, self.start_timeout_s = fn, timeout_s, start_timeout_s
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Any = None
        self._finalizer: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"fn": self.fn, "timeout_s": self.timeout_s, "start_timeout_s": self.start_timeout_s}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_runtime()

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id, or None when no child runs."""
        return self._process.pid if self._process is not None else None

    def _start(self) -> None:
        parent_sock, child_sock = socket.socketpair()
        with child_sock:
            process = subprocess.Popen(
                [sys.executable, "-c", _CHILD_PROGRAM, str(child_sock.fileno())],
                pass_fds=(child_sock.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        parent_conn = Connection(parent_sock.detach())
        self._process, self._conn = process, parent_conn
        self._finalizer = weakref.finalize(self, _stop, process, parent_conn)
        try:
            parent_conn.send(list(sys.path))
            parent_conn.send(self.fn)
        except (BrokenPipeError, OSError) as err:
            self._discard()
            raise WorkerDied(f"worker exited while starting: {err}") from None
        if not parent_conn.poll(self.start_timeout_s):
            self._discard()
            raise WorkerDied(f"worker did not start within {self.start_timeout_s} s")
        try:
            parent_conn.recv()
        except (EOFError, OSError) as err:
            self._discard()
            raise WorkerDied(f"worker exited while starting: {err}") from None

    def _discard(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # kills and reaps the child
        self._process = self._conn = self._finalizer = None

    def __call__(self, *args: Any) -> Any:
        with self._lock:
            if self._process is not None and not self._alive():
                self._discard()
            if self._process is None:
                self._start()
            try:
                self._conn.send(args)
                ready = self._conn.poll(self.timeout_s)
            except (BrokenPipeError, OSError) as err:
                self._discard()
                raise WorkerDied(f"worker pipe broke: {err}") from None
            if not ready:
                self._discard()
                raise CallTimeout(f"call took longer than {self.timeout_s} s")
            try:
                status, value = self._conn.recv()
            except (EOFError, OSError):
                try:
                    code = self._process.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    code = None
                self._discard()
                raise WorkerDied(f"worker exited during the call (exit code {code})") from None
        if status == "error":
            raise CallFailed(value)
        return value

    def close(self) -> None:
        """Stop the child (a later call starts a new one)."""
        with self._lock:
            if self._process is not None:
                self._discard()

