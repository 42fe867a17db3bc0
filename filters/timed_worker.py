"""Run a function in a child process under a CPU-time budget per call that actually holds.

Trafilatura has no reliable timeout, `signal.alarm` only works in a main thread (Beam runs DoFns in worker
threads), and a Python thread stuck in lxml's C code cannot be interrupted. A child process can be killed:
`TimedWorker` keeps one long-lived child per instance, sends it one call at a time over a socket, and kills
and restarts it when a call overruns. The child is a fresh interpreter (forking a process that runs gRPC
threads, as a Beam worker does, is unsafe) that asks the kernel to OOM-kill it first, so a page that eats
memory takes down the child, not the worker.

The budget is CPU time, not wall time (issue 12): a page that needs 3 CPU-seconds gets them whether the
machine is idle or shared, so the same input gives the same output on every machine. The parent reads the
child's CPU time from /proc while it waits; RLIMIT_CPU in the child is the backstop where /proc is absent.
Wall time ends a call only as a guard against hangs that burn no CPU (a blocked read, a sleep):
`HANG_GUARD_FACTOR` times the budget, at least `HANG_GUARD_MIN_S`.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

# How long a fresh child may take to start and import what the function needs.
START_TIMEOUT_S = 120.0
# Wall-clock guard against calls that hang without using CPU: this many times the CPU budget, at least...
HANG_GUARD_FACTOR = 20.0
HANG_GUARD_MIN_S = 60.0
# How often the parent looks at the child's CPU time while a call runs.
CPU_POLL_S = 0.02
_SETTINGS = ("fn", "cpu_budget_s", "warmup", "hang_guard_s", "start_timeout_s")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class CallTimeout(Exception):
    """The call ran past its CPU budget (or the wall-clock hang guard); the child was killed."""


class WorkerDied(Exception):
    """The child exited during the call (killed by the OOM killer, a segfault in C code, ...)."""


class CallFailed(Exception):
    """The function raised in the child; the message names the exception."""


# The child's whole program: it needs only the standard library until it unpickles `fn`, and it never
# imports the parent's __main__ (multiprocessing's "spawn" would, and fail in unguarded scripts).
_CHILD_PROGRAM = """
import math, resource, sys, time
from multiprocessing.connection import Connection
conn = Connection(int(sys.argv[1]))
try:
    with open("/proc/self/oom_score_adj", "w") as fh:  # be the OOM killer's first choice
        fh.write("1000\\n")
except OSError:
    pass
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU must not write a core file
sys.path[:] = conn.recv()
fn, budget, warmup = conn.recv()
if warmup is not None:
    fn(*warmup)  # lazy imports and caches are not charged to the first real call
try:
    conn.send(("ready", None))
except OSError:  # the parent is gone (interrupted while this child warmed up): no traceback on its stderr
    sys.exit(0)
_, hard = resource.getrlimit(resource.RLIMIT_CPU)
while True:
    try:
        args = conn.recv()
    except (EOFError, OSError):  # the parent is gone
        break
    soft = math.ceil(time.process_time() + budget)  # backstop (whole seconds); /proc's check is finer
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    try:
        result = ("ok", fn(*args))
    except Exception as err:
        result = ("error", f"{type(err).__name__}: {err}")
    try:
        conn.send(result)
    except OSError:  # the parent is gone
        break
"""


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, with reaped children) that process `pid` has used; None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return sum(int(f) for f in fields[11:15]) / _CLOCK_TICKS


def _stop(process: subprocess.Popen, conn: Connection) -> None:
    conn.close()
    if process.poll() is None:
        process.kill()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # unkillable (D state): leave it to the OS
        pass


class TimedWorker:
    """Calls `fn(*args)` in a child process; a call that uses more than `cpu_budget_s` seconds of CPU (or,
    as a hang guard, more than `hang_guard_s` of wall time) raises `CallTimeout`.

    `fn` must be picklable by reference (a module-level function or a `functools.partial` of one). The child
    starts on the first call, runs `fn(*warmup)` once outside any budget when given (so lazy imports are not
    charged to whichever record comes first), and is replaced after a timeout or a death. Picklable: a copy
    starts its own child. Thread-safe: calls are serialised.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        cpu_budget_s: float,
        *,
        warmup: tuple[Any, ...] | None = None,
        hang_guard_s: float | None = None,
        start_timeout_s: float = START_TIMEOUT_S,
    ):
        if cpu_budget_s <= 0:
            raise ValueError(f"cpu_budget_s must be > 0, got {cpu_budget_s}")
        self.fn, self.cpu_budget_s, self.warmup, self.start_timeout_s = fn, cpu_budget_s, warmup, start_timeout_s
        self.hang_guard_s = hang_guard_s or max(HANG_GUARD_FACTOR * cpu_budget_s, HANG_GUARD_MIN_S)
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Any = None
        self._finalizer: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _SETTINGS}

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
            parent_conn.send((self.fn, self.cpu_budget_s, self.warmup))
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
                ready = self._wait()
            except (BrokenPipeError, OSError) as err:
                self._discard()
                raise WorkerDied(f"worker pipe broke: {err}") from None
            if ready is not True:
                self._discard()
                raise CallTimeout(ready)
            try:
                status, value = self._conn.recv()
            except (EOFError, OSError):
                try:
                    code = self._process.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    code = None
                self._discard()
                if code == -signal.SIGXCPU:  # the child's RLIMIT_CPU backstop fired
                    raise CallTimeout(f"call used more than {self.cpu_budget_s:g} s of CPU") from None
                raise WorkerDied(f"worker exited during the call (exit code {code})") from None
        if status == "error":
            raise CallFailed(value)
        return value

    def _wait(self) -> bool | str:
        """True when the answer is ready; otherwise why the call must end (CPU budget or hang guard)."""
        pid = self._process.pid
        start_cpu = process_cpu_seconds(pid)
        deadline = time.monotonic() + self.hang_guard_s
        while not self._conn.poll(CPU_POLL_S):
            used = process_cpu_seconds(pid)
            if start_cpu is not None and used is not None and used - start_cpu > self.cpu_budget_s:
                return f"call used more than {self.cpu_budget_s:g} s of CPU"
            if time.monotonic() > deadline:
                return f"call hung: no answer within {self.hang_guard_s:g} s of wall time"
        return True

    def close(self) -> None:
        """Stop the child (a later call starts a new one)."""
        with self._lock:
            if self._process is not None:
                self._discard()

