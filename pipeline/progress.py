"""Live progress of a running pipeline: records in, out and dropped per stage, and elapsed time.

The counters are the funnel's Beam counters (namespace = stage, names `in`, `out`, `dropped.<reason>`), read
while the job runs:
- in-process (DirectRunner / FnApiRunner, also `multi_processing`): Beam runs the job inside `p.run()` and
  hands out metrics only at the end, so `LiveFnApiRunner` adds each finished bundle's counters to a
  `CounterBoard` as it completes. In-process Beam runs a fused stage's whole input as one bundle (one per
  worker in `multi_processing`), so the table fills in stage by stage while the clock ticks.
- remote runners whose results have live metrics (Dataflow): `result.metrics().query()`, polled.
- Flink (`--flink_master` given): Beam's job API returns a portable runner's metrics only when the job
  ends, so the counters are read from Flink's REST API instead (`pipeline.flink_rest`), polled.
- other portable runners (Spark, Prism, the local job service): only the state and the clock are shown;
  the counters are in the runner's own UI.
On a terminal the display redraws in place; elsewhere (nohup, a batch log) it prints one timestamped line
per heartbeat instead, so a log shows the run is alive and where it is.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from apache_beam.runners.portability.fn_api_runner import fn_runner
from apache_beam.runners.runner import PipelineState

from pipeline.run_log import utc_timestamp

log = logging.getLogger(__name__)

# How often the table is redrawn, and how often a remote service is asked for metrics (API quotas).
REDRAW_SECONDS = 0.5
REMOTE_POLL_SECONDS = 10.0
HEARTBEAT_SECONDS = 30.0  # a log line this often when output is not a terminal


@dataclass
class Snapshot:
    """Counters summed so far ((stage, name) -> value), the Beam transforms running now, the job state."""

    counters: dict[tuple[str, str], int] = field(default_factory=dict)
    running: frozenset[str] = frozenset()
    state: str = "RUNNING"


class CounterBoard:
    """Thread-safe running totals of user counters, fed bundle by bundle."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, str], int] = {}
        self._running: frozenset[str] = frozenset()

    def add(self, counters: dict[tuple[str, str], int]) -> None:
        with self._lock:
            for key, value in counters.items():
                self._counters[key] = self._counters.get(key, 0) + value

    def set_running(self, transforms: frozenset[str]) -> None:
        with self._lock:
            self._running = transforms

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(dict(self._counters), self._running)


def counters_from_monitoring_infos(infos: Any) -> dict[tuple[str, str], int]:
    """User counters of one bundle, keyed (namespace, name)."""
    from apache_beam.runners.portability import portable_metrics

    counters = portable_metrics.from_monitoring_infos(infos, user_metrics_only=True)[0]
    out: dict[tuple[str, str], int] = {}
    for key, value in counters.items():
        name = (key.metric.namespace, key.metric.name)
        out[name] = out.get(name, 0) + int(value)
    return out


def counters_from_query(query: dict[str, list]) -> dict[tuple[str, str], int]:
    """Counters from `MetricResults.query()`: attempted values (live), else committed ones."""
    out: dict[tuple[str, str], int] = {}
    for result in query.get("counters", []):
        value = result.attempted if result.attempted is not None else result.committed
        name = (result.key.metric.namespace, result.key.metric.name)
        out[name] = out.get(name, 0) + int(value or 0)
    return out


class LiveFnApiRunner(fn_runner.FnApiRunner):
    """Beam's FnApiRunner that publishes each finished bundle's counters to a `CounterBoard`.

    `_execute_bundle` is Beam's internal per-bundle call (Beam 2.60-2.77); if a later Beam renames it, runs
    still work and only the live counters stay empty (tests/test_progress.py notices).
    """

    def __init__(self, board: CounterBoard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._board = board

    def _execute_bundle(self, runner_execution_context, bundle_context_manager, bundle_input):
        stage = getattr(bundle_context_manager, "stage", None)
        self._board.set_running(frozenset(t.unique_name for t in getattr(stage, "transforms", ())))
        result = super()._execute_bundle(runner_execution_context, bundle_context_manager, bundle_input)
        self._board.add(counters_from_monitoring_infos(result.process_bundle.monitoring_infos))
        self._board.set_running(frozenset())
        return result


def in_process_runner(options, board: CounterBoard) -> LiveFnApiRunner:
    """The runner the DirectRunner picks for batch jobs, given the options its workers read (as Beam's
    DirectRunner does), without the DirectRunner's attempt to download the Prism binary first."""
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    encoded = JobServiceHandle.encode_pipeline_options(options.get_all_options())
    provision = fn_runner.ExtendedProvisionInfo(
        beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded)
    )
    return LiveFnApiRunner(board, provision_info=provision)


class ResultCounters:
    """Snapshots of a non-blocking PipelineResult: its state, and its live metrics when it has them."""

    def __init__(
        self,
        result: Any,
        poll_seconds: float = REMOTE_POLL_SECONDS,
        finished: bool = False,
        live_counters: Callable[[], dict[tuple[str, str], int]] | None = None,
    ) -> None:
        from apache_beam.runners.portability.portable_runner import PipelineResult as PortableResult

        self._result = result
        # Portable results cache the first metrics answer, and Beam's job API fills it only at the end; a
        # runner with its own live source (Flink's REST API) is asked through `live_counters` meanwhile.
        self._live = finished or not isinstance(result, PortableResult)
        self._live_counters = None if finished else live_counters
        self._poll_seconds = poll_seconds
        self._last_poll = float("-inf")
        self._counters: dict[tuple[str, str], int] = {}
        self._state = "STARTING"

    def snapshot(self) -> Snapshot:
        """State and counters, asking the service at most once per `poll_seconds` (Dataflow's `state` is
        itself an API call)."""
        now = time.monotonic()
        if now - self._last_poll >= self._poll_seconds:
            self._last_poll = now
            try:
                self._state = str(self._result.state).rsplit(".", 1)[-1]
                if self._live_counters is not None:
                    self._counters = self._live_counters()
                elif self._live:
                    self._counters = counters_from_query(self._result.metrics().query())
            except Exception as err:  # noqa: BLE001 - any service hiccup: the job goes on, the next poll retries
                log.debug("progress: polling the job failed: %s", err)
        return Snapshot(dict(self._counters), frozenset(), self._state)


def _stage_is_running(stage: str, running: frozenset[str]) -> bool:
    """A stage's transform is `stage/ParDo(...)`, or `Outer/stage/ParDo(...)` inside a composite."""
    return any(stage in name.split("/") for name in running)


def render_progress(stages: list[str], snap: Snapshot, elapsed: float) -> list[str]:
    """The progress table as lines: a header with state and elapsed time, then one row per stage."""
    lines = [
        f"codecorpus: {snap.state.lower()}, {_clock(elapsed)} elapsed",
        f"  {'stage':<34}{'in':>14}{'out':>14}{'dropped':>14}",
    ]
    for stage in stages:
        n_in = snap.counters.get((stage, "in"), 0)
        n_out = snap.counters.get((stage, "out"), 0)
        dropped = sum(v for (s, k), v in snap.counters.items() if s == stage and k.startswith("dropped."))
        mark = "*" if _stage_is_running(stage, snap.running) else " "
        lines.append(f"{mark} {stage:<34}{n_in:>14,}{n_out:>14,}{dropped:>14,}")
    return lines


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}"


def render_heartbeat(stages: list[str], snap: Snapshot, elapsed: float) -> str:
    """One log line: time, state, elapsed, the stages that have seen records and the one(s) running now."""
    started = [s for s in stages if snap.counters.get((s, "in"), 0) or snap.counters.get((s, "out"), 0)]
    running = [s for s in stages if _stage_is_running(s, snap.running)]
    last = started[-1] if started else None
    where = ""
    if last is not None:
        n_in, n_out = snap.counters.get((last, "in"), 0), snap.counters.get((last, "out"), 0)
        where = f"; latest {last}: in {n_in:,} out {n_out:,}"
    now = f"; running {', '.join(running)}" if running else ""
    return (f"{utc_timestamp()} {snap.state.lower()} {_clock(elapsed)}: "
            f"{len(started)}/{len(stages)} stages have records{where}{now}")


class ProgressDisplay:
    """Between `start()` and `stop()`, from a background thread: on a terminal (`live`), redraws
    `render_progress` in place and leaves the final table on screen; otherwise prints a `render_heartbeat`
    line every `heartbeat_seconds` and a last one at the end. `source` may be replaced while it runs."""

    def __init__(
        self,
        stream: TextIO,
        stages: list[str],
        source: Callable[[], Snapshot],
        redraw_seconds: float = REDRAW_SECONDS,
        live: bool = True,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.stream, self.stages, self.source = stream, stages, source
        self.live = live
        self._redraw_seconds = redraw_seconds if live else heartbeat_seconds
        self._start = time.monotonic()
        self._drawn = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="codecorpus-progress", daemon=True)

    def start(self) -> None:
        self._start = time.monotonic()
        self._thread.start()

    def stop(self, failed: bool = False) -> None:
        self._stop.set()
        self._thread.join()
        self.draw(final_state="failed" if failed else None)

    def _loop(self) -> None:
        while not self._stop.wait(self._redraw_seconds):
            self.draw()

    def draw(self, final_state: str | None = None) -> None:
        snap = self.source()
        if final_state:
            snap.state = final_state
        if not self.live:
            self.stream.write(render_heartbeat(self.stages, snap, time.monotonic() - self._start) + "\n")
            self.stream.flush()
            return
        lines = render_progress(self.stages, snap, time.monotonic() - self._start)
        # Move up over the previous frame and clear each line before writing the new one.
        up = f"\x1b[{self._drawn}F" if self._drawn else ""
        self.stream.write(up + "".join(f"\x1b[2K{line}\n" for line in lines))
        self.stream.flush()
        self._drawn = len(lines)


def run_with_progress(
    pipeline,
    stages: list[str],
    board: CounterBoard | None,
    stream: TextIO | None,
    live: bool = True,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    live_counters: Callable[[], dict[tuple[str, str], int]] | None = None,
):
    """Run `pipeline` to the end and return its result; with a `stream`, show progress on it meanwhile
    (a redrawn table when `live`, else heartbeat lines).

    `board` is the CounterBoard of a `LiveFnApiRunner` (in-process runs, where `run()` blocks), or None
    for runners whose `run()` returns at once (then the result itself is polled, or `live_counters` when the
    runner has a live source of its own, e.g. `flink_rest.FlinkJobCounters`). A failed job raises.
    """
    if stream is None:
        result = pipeline.run()
        result.wait_until_finish()
        return result
    holder: dict[str, ResultCounters] = {}

    def source() -> Snapshot:
        if board is not None:
            return board.snapshot()
        return holder["result"].snapshot() if "result" in holder else Snapshot(state="STARTING")

    display = ProgressDisplay(stream, stages, source, live=live, heartbeat_seconds=heartbeat_seconds)
    display.start()
    try:
        result = pipeline.run()
        if board is None:
            holder["result"] = ResultCounters(result, live_counters=live_counters)
        result.wait_until_finish()
    except BaseException:
        display.stop(failed=True)
        raise
    if board is not None:
        display.source = lambda: Snapshot(board.snapshot().counters, frozenset(), PipelineState.DONE)
    else:
        display.source = ResultCounters(result, poll_seconds=0, finished=True).snapshot
    display.stop()
    return result
