"""Run a function in a child process with a time limit per call that actually holds.

Trafilatura has no reliable timeout, `signal.alarm` only works in a main thread (Beam runs DoFns in worker
threads), and a Python thread stuck in lxml's C code cannot be interrupted. A child process can be killed:
`TimedWorker` keeps one long-lived child per instance, sends it one call at a time over a pipe, and kills and
restarts it when a call overruns. The child is started with "spawn" (forking a process that runs gRPC threads,
as a Beam worker does, is unsafe) and asks the kernel to OOM-kill it first, so a page that eats memory takes
down the child, not the worker.
"""
from __future__ import annotations

import multiprocessing
import threading
import weakref
from collections.abc import Callable
from typing import Any

# How long a fresh child may take to start and import what the function needs.
START_TIMEOUT_S = 120.0


class CallTimeout(Exception):
    """The call ran past its time limit; the child was killed."""


class WorkerDied(Exception):
    """The child exited during the call (killed by the OOM killer, a segfault in C code, ...)."""


class CallFailed(Exception):
    """The function raised in the child; the message names the exception."""


def _prefer_oom_kill() -> None:
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000\n")
    except OSError:  # not Linux, or not allowed: only a preference
        pass


def _child_main(conn: Any, fn: Callable[..., Any]) -> None:
    _prefer_oom_kill()
    conn.send(("ready", None))
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            result = ("ok", fn(*args))
        except Exception as err:  # noqa: BLE001 (reported to the parent, which decides; the child lives on)
            result = ("error", f"{type(err).__name__}: {err}")
        conn.send(result)


def _stop(process: Any, conn: Any) -> None:
    conn.close()
    if process.is_alive():
        process.kill()
    process.join(timeout=5)


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

    @property
    def pid(self) -> int | None:
        """The child's process id, or None when no child runs."""
        return self._process.pid if self._process is not None else None

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent_conn, child_conn = context.Pipe(duplex=True)
        process = context.Process(target=_child_main, args=(child_conn, self.fn), daemon=True)
        process.start()
        child_conn.close()
        self._process, self._conn = process, parent_conn
        self._finalizer = weakref.finalize(self, _stop, process, parent_conn)
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
            if self._process is not None and not self._process.is_alive():
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
                self._process.join(timeout=1)
                code = self._process.exitcode
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

