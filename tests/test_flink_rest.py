"""Live counters of a Flink job from Flink's REST API (`pipeline.flink_rest`), against a small HTTP server on
127.0.0.1 that answers as a JobManager does (the real cluster is in `make test-flink`)."""
from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.flink_rest import (
    FlinkJobCounters,
    FlinkRest,
    counters_of_accumulators,
    job_counters_for,
    rest_url,
)
from pipeline.progress import ResultCounters


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _accumulators(counters: dict[tuple[str, str, str], int]) -> dict:
    """A `/jobs/<id>/accumulators` answer: Beam's MetricsContainerStepMap JSON in `__metricscontainers`."""
    metrics = [
        {"urn": "beam:metric:user:sum_int64:v1", "type": "beam:metrics:sum_int64:v1",
         "labels": {"PTRANSFORM": step, "NAMESPACE": ns, "NAME": name},
         "payload": base64.b64encode(_varint(value)).decode()}
        for (step, ns, name), value in counters.items()
    ]
    metrics.append({"urn": "beam:metric:element_count:v1", "labels": {"PCOLLECTION": "x"},
                    "payload": base64.b64encode(_varint(99)).decode()})  # a system metric: not a user counter
    value = json.dumps({"metrics": {"attempted": metrics}})
    return {"job-accumulators": [], "user-task-accumulators": [
        {"name": "__metricscontainers", "type": "MetricsAccumulator", "value": value},
        {"name": "other", "type": "LongCounter", "value": "7"},
    ]}


@pytest.fixture
def jobmanager():
    now_ms = int(time.time() * 1000)
    answers = {
        "/jobs/overview": {"jobs": [
            {"jid": "old", "name": "BeamApp-a", "state": "FINISHED", "start-time": now_ms - 3_600_000},
            {"jid": "new", "name": "BeamApp-b", "state": "RUNNING", "start-time": now_ms},
        ]},
        "/jobs/old/accumulators": _accumulators({("s1", "language", "in"): 1000}),
        "/jobs/new/accumulators": _accumulators({("s1", "language", "in"): 300, ("s2", "language", "in"): 5,
                                                 ("s1", "language", "out"): 290}),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(answers[self.path]).encode() if self.path in answers else b"{}"
            self.send_response(200 if self.path in answers else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_counters_of_the_jobs_this_run_started(jobmanager):
    counters = FlinkJobCounters(FlinkRest(jobmanager), since=time.time() - 60)
    assert counters.job_ids() == {"new"}  # the job finished an hour ago is another run's
    assert counters() == {("language", "in"): 305, ("language", "out"): 290}  # summed over steps


def test_a_named_job_is_matched_by_name(jobmanager):
    assert FlinkJobCounters(FlinkRest(jobmanager), since=0, job_name="BeamApp-a").job_ids() == {"old"}


def test_progress_of_a_portable_result_reads_the_live_source(jobmanager):
    from apache_beam.runners.portability.portable_runner import PipelineResult

    class Running(PipelineResult):
        def __init__(self):
            pass

        @property
        def state(self):
            return "RUNNING"

    source = job_counters_for({"flink_master": jobmanager}, since=time.time() - 60)
    snap = ResultCounters(Running(), poll_seconds=0, live_counters=source).snapshot()
    assert snap.counters[("language", "in")] == 305 and snap.state == "RUNNING"


def test_no_live_source_without_a_flink_rest_address():
    assert job_counters_for({}) is None
    assert job_counters_for({"flink_master": "[local]"}) is None
    assert rest_url("host:8081") == "http://host:8081" and rest_url("https://h/flink/") == "https://h/flink"


def test_accumulators_without_beam_metrics_give_no_counters():
    assert counters_of_accumulators({"user-task-accumulators": []}) == {}
