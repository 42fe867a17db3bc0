"""The per-call time limit holds in a child process, whatever the call does."""
from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Self

import pytest

from filters.timed_worker import _CHILD_PROGRAM, CallFailed, CallTimeout, TimedWorker, WorkerDied


def _pid(_: object = None) -> int:
    return os.getpid()


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def _raise() -> None:
    raise ValueError("bad page")


def _exit() -> None:
    os._exit(7)


def test_runs_in_a_child_and_survives_a_timeout():
    worker = TimedWorker(_spin, 0.3)
    try:
        worker(0)
        first = worker.pid
        assert first != os.getpid()
        with pytest.raises(CallTimeout):
            worker(60)  # would spin for a minute
        assert worker.pid is None  # killed
        worker(0)  # a fresh child takes the next call
        assert worker.pid not in (None, first)
    finally:
        worker.close()


def test_exceptions_and_deaths_are_reported_and_the_worker_goes_on():
    failing, dying = TimedWorker(_raise, 5), TimedWorker(_exit, 5)
    try:
        with pytest.raises(CallFailed, match="ValueError: bad page"):
            failing()
        with pytest.raises(CallFailed):
            failing()  # same child, still serving
        with pytest.raises(WorkerDied, match="exit code 7"):
            dying()
    finally:
        failing.close()
        dying.close()


def test_pickled_copies_start_their_own_child_and_calls_are_thread_safe():
    worker = TimedWorker(_pid, 10)
    copy = pickle.loads(pickle.dumps(worker))
    try:
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(copy())) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(results)) == 1 and worker() not in results
    finally:
        worker.close()
        copy.close()


def test_timeout_must_be_positive():
    with pytest.raises(ValueError):
        TimedWorker(_pid, 0)


def _burn_cpu(seconds: float) -> float:
    """Spend `seconds` of this process's CPU time (not wall time: a shared machine stretches the wall)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


class _CpuLoad:
    """Busy processes that compete for every core while a test runs (stopped by whoever started them)."""

    def __init__(self, processes: int):
        import subprocess
        import sys

        self.processes = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)
        ]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            process.kill()
            process.wait()


def test_the_budget_is_cpu_time_so_a_loaded_machine_gives_the_same_answers():
    """With a busy process per core beside it, a call needing 0.2 s of CPU takes more wall time than its
    0.5 s budget and still completes; one needing minutes is stopped. Same answers idle and loaded."""
    worker = TimedWorker(_burn_cpu, 0.5)

    def answers() -> list[object]:
        out: list[object] = []
        for seconds in (0.2, 600, 0.2):
            try:
                out.append(worker(seconds))
            except CallTimeout as err:
                out.append(str(err))
        return out

    try:
        idle = answers()
        with _CpuLoad(len(os.sched_getaffinity(0))):
            loaded = answers()
        assert idle == loaded == [0.2, "call used more than 0.5 s of CPU", 0.2]
    finally:
        worker.close()


def test_a_call_that_hangs_without_cpu_meets_the_wall_clock_guard():
    worker = TimedWorker(_sleep, 0.2, hang_guard_s=0.5)
    try:
        with pytest.raises(CallTimeout, match="hung"):
            worker(60)
        worker(0)  # a fresh child takes the next call
    finally:
        worker.close()


def test_the_rlimit_backstop_holds_without_the_parents_cpu_check(monkeypatch: pytest.MonkeyPatch):
    """Where /proc is absent the child's RLIMIT_CPU (budget rounded up to whole seconds) stops it: SIGXCPU."""
    from filters import timed_worker

    monkeypatch.setattr(timed_worker, "process_cpu_seconds", lambda pid: None)
    worker = TimedWorker(_burn_cpu, 0.2)
    try:
        with pytest.raises(CallTimeout, match="CPU"):
            worker(600)
    finally:
        worker.close()


def test_warmup_runs_once_outside_the_budget():
    worker = TimedWorker(_burn_cpu, 0.3, warmup=(0.5,))  # the warm-up alone would exceed the budget
    try:
        assert worker(0.1) == 0.1
    finally:
        worker.close()


@pytest.mark.parametrize("warmup", [(0.5,), None])
def test_the_child_exits_quietly_when_its_parent_is_gone(warmup):
    # Ctrl-C ends `codecorpus run` while a child warms up or computes: the child must not print a traceback
    # (BrokenPipeError on its answer) into the run's stderr.
    parent_sock, child_sock = socket.socketpair()
    with child_sock:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD_PROGRAM, str(child_sock.fileno())],
                                pass_fds=(child_sock.fileno(),), stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    conn = Connection(parent_sock.detach())
    conn.send(list(sys.path))
    conn.send((time.sleep, 5.0, warmup))
    if warmup is None:
        assert conn.recv() == ("ready", None)
        conn.send((0.5,))
    conn.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and b"Traceback" not in err, err.decode()
