"""The per-call time limit holds in a child process, whatever the call does."""
from __future__ import annotations

import os
import pickle
import threading
import time

import pytest

from filters.timed_worker import CallFailed, CallTimeout, TimedWorker, WorkerDied


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
