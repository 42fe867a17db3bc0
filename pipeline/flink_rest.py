"""Beam's counters of a running Flink job, from Flink's REST API, for live progress on a Flink cluster.

Beam's job API hands a portable runner's metrics out only when the job ends, but the Flink runner also keeps
them in a Flink accumulator (`__metricscontainers`) that the JobManager refreshes from the TaskManagers'
heartbeats while the job runs. Its value is Beam's MetricsContainerStepMap as JSON: per metric a URN,
labels (step, namespace, name) and a payload, base64 of a varint for a sum counter. `FlinkJobCounters` finds
the Flink jobs this process submitted (started after it began, named as the run named them) and sums their
user counters as (namespace, name) -> value, which for the funnel is (stage, in | out | dropped.<reason>).
Plain `urllib`, no Beam: the `make test-flink` check reads the same counters after the run.
"""
from __future__ import annotations

import base64
import json
import time
import urllib.request
from typing import Any

ACCUMULATOR = "__metricscontainers"
SUM_COUNTER_URN = "beam:metric:user:sum_int64:v1"
CLOCK_SKEW_MS = 5_000  # a job the JobManager stamped this much before our own clock still counts as ours


def rest_url(flink_master: str) -> str:
    """`host:port` or a URL (as `--flink_master` takes it) -> the REST base URL, no trailing slash."""
    master = flink_master.strip().rstrip("/")
    return master if master.startswith(("http://", "https://")) else f"http://{master}"


def _varint(data: bytes) -> int:
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    return value


def counters_of_accumulators(doc: dict[str, Any]) -> dict[tuple[str, str], int]:
    """User sum counters in a `/jobs/<id>/accumulators` answer, (namespace, name) -> value over all steps."""
    totals: dict[tuple[str, str], int] = {}
    for acc in doc.get("user-task-accumulators", []):
        if acc.get("name") != ACCUMULATOR:
            continue
        for metric in json.loads(acc["value"]).get("metrics", {}).get("attempted", []):
            if metric.get("urn") == SUM_COUNTER_URN:
                key = (metric["labels"]["NAMESPACE"], metric["labels"]["NAME"])
                totals[key] = totals.get(key, 0) + _varint(base64.b64decode(metric["payload"]))
    return totals


class FlinkRest:
    """The few REST calls progress and checks need, with a short timeout (a slow JobManager never stalls)."""

    def __init__(self, flink_master: str, timeout_s: float = 5.0) -> None:
        self.base, self.timeout_s = rest_url(flink_master), timeout_s

    def get(self, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(self.base + path, timeout=self.timeout_s) as resp:
            return json.loads(resp.read())

    def jobs(self) -> list[dict[str, Any]]:
        """`/jobs/overview`: each job's jid, name, state, start-time (ms since the epoch), ..."""
        return list(self.get("/jobs/overview").get("jobs", []))

    def counters(self, job_ids: set[str]) -> dict[tuple[str, str], int]:
        """User counters summed over these jobs."""
        totals: dict[tuple[str, str], int] = {}
        for jid in sorted(job_ids):
            for key, value in counters_of_accumulators(self.get(f"/jobs/{jid}/accumulators")).items():
                totals[key] = totals.get(key, 0) + value
        return totals


class FlinkJobCounters:
    """Live counters of the Flink job(s) one pipeline submission made: jobs started after `since` (epoch
    seconds) and, when the run named its job (`--job_name`), with that name; callable for `ResultCounters`."""

    def __init__(self, rest: FlinkRest, since: float | None = None, job_name: str | None = None) -> None:
        self.rest, self.job_name = rest, job_name
        self.since_ms = int((time.time() if since is None else since) * 1000) - CLOCK_SKEW_MS

    def job_ids(self) -> set[str]:
        return {
            job["jid"] for job in self.rest.jobs()
            if job.get("start-time", 0) >= self.since_ms and (not self.job_name or job.get("name") == self.job_name)
        }

    def __call__(self) -> dict[tuple[str, str], int]:
        return self.rest.counters(self.job_ids())


def job_counters_for(options: dict[str, Any], since: float | None = None) -> FlinkJobCounters | None:
    """The live counter source of a run with these Beam options (`PipelineOptions.get_all_options()`), or
    None when it does not submit to a Flink cluster with a REST address (an embedded `[local]` / `[auto]`
    Flink, any other runner)."""
    master = options.get("flink_master")
    if not master or master.strip().startswith("["):
        return None
    return FlinkJobCounters(FlinkRest(master), since=since, job_name=options.get("job_name"))
