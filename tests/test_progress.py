"""Live progress: the table, the counter sources, and counters arriving while the in-process runner runs."""
from __future__ import annotations

import io
import re
import time
import types

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.cli import main
from pipeline.progress import (
    CounterBoard,
    ProgressDisplay,
    ResultCounters,
    Snapshot,
    counters_from_query,
    in_process_runner,
    render_heartbeat,
    render_progress,
)
from pipeline.record import Drop, Record
from pipeline.stages import Funnel
from tests.conftest import sample_config


def _keep_even(record: Record) -> Record | Drop:
    return record if int(record.id) % 2 == 0 else Drop("odd", record.id)


def test_render_marks_running_stage_and_sums_drops():
    snap = Snapshot(
        {("read", "in"): 10, ("read", "out"): 10, ("rules", "in"): 10, ("rules", "out"): 6,
         ("rules", "dropped.a"): 3, ("rules", "dropped.b"): 1},
        frozenset({"Outer/rules/ParDo(_StepDoFn)", "read_more/ParDo(_StepDoFn)"}),
    )
    lines = render_progress(["read", "rules"], snap, elapsed=3725)
    assert lines[0] == "codecorpus: running, 1:02:05 elapsed"
    read, rules = lines[2], lines[3]
    assert read.startswith("  read") and read.split()[-3:] == ["10", "10", "0"]
    assert rules.startswith("* rules") and rules.split()[-3:] == ["10", "6", "4"]


def test_board_sums_bundles():
    board = CounterBoard()
    board.add({("s", "in"): 2})
    board.add({("s", "in"): 3, ("s", "out"): 1})
    assert board.snapshot().counters == {("s", "in"): 5, ("s", "out"): 1}


def _metric(namespace, name, attempted, committed=None):
    key = types.SimpleNamespace(metric=types.SimpleNamespace(namespace=namespace, name=name))
    return types.SimpleNamespace(key=key, attempted=attempted, committed=committed)


def test_query_counters_prefer_attempted_and_sum_steps():
    query = {"counters": [_metric("s", "in", 4), _metric("s", "in", None, 2), _metric("s", "out", 1, 1)]}
    assert counters_from_query(query) == {("s", "in"): 6, ("s", "out"): 1}


def test_remote_result_is_polled_at_most_once_per_interval():
    calls = []

    class FakeResult:  # a Dataflow-like result: live metrics, state is an API call
        @property
        def state(self):
            calls.append("state")
            return "RUNNING"

        def metrics(self):
            calls.append("metrics")
            return types.SimpleNamespace(query=lambda: {"counters": [_metric("s", "in", 7)]})

    source = ResultCounters(FakeResult(), poll_seconds=3600)
    first, second = source.snapshot(), source.snapshot()
    assert first.counters == second.counters == {("s", "in"): 7} and first.state == "RUNNING"
    assert calls == ["state", "metrics"]


def test_display_redraws_in_place_and_ends_with_final_frame():
    stream = io.StringIO()
    board = CounterBoard()
    board.add({("s", "in"): 1})
    display = ProgressDisplay(stream, ["s"], board.snapshot, redraw_seconds=0.01)
    display.start()
    display.draw()
    display.source = lambda: Snapshot({("s", "in"): 2}, frozenset(), "DONE")
    display.stop()
    text = stream.getvalue()
    assert "\x1b[3F" in text  # moved up over the previous 3-line frame
    assert text.rstrip().splitlines()[-3].endswith("codecorpus: done, 0:00:00 elapsed")


def test_in_process_runner_publishes_counters_per_bundle():
    """The hook into Beam's FnApiRunner delivers the funnel counters (a Beam upgrade that renames the
    internal call fails here, not silently on a user's long run)."""
    seen_running: list[frozenset[str]] = []

    class RecordingBoard(CounterBoard):
        def set_running(self, transforms: frozenset[str]) -> None:
            seen_running.append(transforms)
            super().set_running(transforms)

    board = RecordingBoard()
    options = PipelineOptions(["--runner=DirectRunner"])
    with beam.Pipeline(runner=in_process_runner(options, board), options=options) as p:
        records = p | beam.Create([Record(id=str(i), source="t", text="x") for i in range(10)])
        Funnel().apply(records, "parity", _keep_even)
    assert board.snapshot().counters == {("parity", "in"): 10, ("parity", "out"): 5, ("parity", "dropped.odd"): 5,
                                         ("parity", "bytes.in"): 10, ("parity", "bytes.out"): 5}
    marked = [render_progress(["parity"], Snapshot({}, names), 0)[2] for names in seen_running]
    assert any(line.startswith("* parity") for line in marked)  # the stage showed as running meanwhile


def test_cli_draws_progress_only_when_asked_or_on_a_terminal(tmp_path, capsys):
    config = str(sample_config(tmp_path, enabled=False))  # progress is drawn per Beam phase; recall adds nothing
    assert main(["run", "--config", config, "--output", str(tmp_path / "a"), "--progress", "always"]) == 0
    shown = capsys.readouterr().out
    assert "codecorpus: done" in shown and "\x1b[2K" in shown
    assert main(["run", "--config", config, "--output", str(tmp_path / "b")]) == 0  # stdout is not a terminal
    logged = capsys.readouterr().out
    assert "\x1b[" not in logged
    # A batch log gets timestamped lines: each phase's start and end, and the last heartbeat of each Beam job.
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    for phase in ("collect", "mix"):
        assert re.search(rf"^{stamp} phase {phase}: started$", logged, re.MULTILINE), logged
        assert re.search(rf"^{stamp} phase {phase}: finished in [0-9.]+ s$", logged, re.MULTILINE), logged
    assert re.search(rf"^{stamp} done \d:\d\d:\d\d: \d+/\d+ stages have records; latest ", logged, re.MULTILINE), logged
    funnel = logged[logged.index("stage "):logged.index("\nfinished in")].splitlines()  # the table fits 80 columns
    assert all(len(line) <= 80 for line in funnel), [line for line in funnel if len(line) > 80]


def test_heartbeat_lines_when_not_a_terminal():
    stream = io.StringIO()
    snap = Snapshot({("read", "in"): 5, ("read", "out"): 5, ("rules", "in"): 3}, frozenset({"rules/ParDo(x)"}))
    display = ProgressDisplay(stream, ["read", "rules", "dedup"], lambda: snap, live=False, heartbeat_seconds=0.01)
    display.start()
    time.sleep(0.2)
    display.stop()
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2 and "\x1b[" not in stream.getvalue()
    assert lines[-1].endswith("2/3 stages have records; latest rules: in 3 out 0; running rules"), lines[-1]
    assert render_heartbeat(["a"], Snapshot(), 0).split(" ", 1)[1] == "running 0:00:00: 0/1 stages have records"
