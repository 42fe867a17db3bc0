"""`make test-flink`: the bundled sample on a real Flink cluster gives the DirectRunner's bytes.

Starts a JobManager and a TaskManager with 2 slots on 127.0.0.1 and Beam's Flink job server (logs under the
work folder), runs
`codecorpus run --runner-profile flink` with parallelism 2 and then 1 (LOOPBACK environment: the SDK workers
run in the launching process, no Docker), runs the same config on the in-process DirectRunner, and compares
every output file byte for byte. Every process it starts is stopped, also when a run fails or this script is
killed. Prints the wall time of each part; exits 1 on any difference.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from pipeline.flink_rest import FlinkRest
from pipeline.layout import LOGS
from tools.flink.cluster import FlinkCluster, JobServer, exit_on_signals, stop_group

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 1800  # a sample run takes a few minutes on a loaded machine; the bound only stops a hang


def sample_config(work_dir: Path) -> Path:
    """configs/local.yaml with its relative paths made absolute (the config is written elsewhere) and one
    recall iteration: every Beam pipeline is a Flink job with a fixed submission cost, and one iteration
    already runs every kind of recall job."""
    text = (REPO / "configs" / "local.yaml").read_text(encoding="utf-8").replace("../sample/", f"{REPO}/sample/")
    data = yaml.safe_load(text)
    data["recall"]["iterations"] = 1
    path = work_dir / "sample.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run_cli(config: Path, output: Path, log: Path, *beam_args: str, progress: tuple[str, ...] = ("never",)) -> None:
    """`codecorpus run` in its own session (it and the job server it starts die together on a hang)."""
    shutil.rmtree(output, ignore_errors=True)  # a previous run's files must not be compared
    cmd = [sys.executable, "-m", "pipeline.cli", "run", "--config", str(config), "--output", str(output),
           "--progress", *progress, *beam_args]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = proc.wait(RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            stop_group(proc)
    if code != 0:
        tail = log.read_text(errors="replace")[-3000:]
        why = f"did not finish in {RUN_TIMEOUT_S} s" if code is None else f"exited {code}"
        raise SystemExit(f"codecorpus run {' '.join(beam_args)} {why}; log {log}:\n{tail}")


def output_tree(root: Path) -> dict[str, bytes]:
    """Every output file byte identity covers: all but `logs/` (the run's times, host and versions)."""
    files = (p for p in sorted(root.rglob("*")) if p.is_file())
    return {rel: p.read_bytes() for p in files if not (rel := p.relative_to(root).as_posix()).startswith(f"{LOGS}/")}


def differences(reference: dict[str, bytes], other: dict[str, bytes]) -> list[str]:
    """Files missing, extra, or with other bytes (by relative path)."""
    return [f"{name}: {'missing' if name not in other else 'extra' if name not in reference else 'differs'}"
            for name in sorted(reference.keys() | other.keys()) if reference.get(name) != other.get(name)]


LIVE_LINE = re.compile(r" running [\d:]+: \d+/\d+ stages have records; latest (\S+): in ([\d,]+)")


def live_counts(log: Path) -> list[str]:
    """Heartbeat lines of a run's log that showed a stage's records while its Flink job was still running
    (read from Flink's REST API by `pipeline.flink_rest`; Beam's job API has none until the job ends)."""
    return [m.group(0) for m in map(LIVE_LINE.search, log.read_text(errors="replace").splitlines())
            if m and int(m.group(2).replace(",", "")) > 0]


# The counts files of the run's Beam pipelines (stats/counts.json adds the recall's summary stage, counted by
# the driver from these, not by a Beam counter).
PIPELINE_COUNTS = ("stats/collect/counts.json", "recall/iter-*/stats/*/counts.json", "stats/mix/counts.json")


def counter_mismatches(output: Path, rest: dict[tuple[str, str], int]) -> list[str]:
    """Funnel counts of every Beam pipeline of the run that Flink's REST API does not show with the same
    value (summed over pipelines, as the REST totals are): a phase that did not run on the cluster shows."""
    expected: dict[tuple[str, str], int] = {}
    for pattern in PIPELINE_COUNTS:
        for path in sorted(output.glob(pattern)):
            for s in json.loads(path.read_text())["stages"]:
                for name, value in s["counts"].items():
                    expected[(s["stage"], name)] = expected.get((s["stage"], name), 0) + value
    return [f"{stage}.{name}: counts files {value}, Flink REST {rest.get((stage, name))}"
            for (stage, name), value in sorted(expected.items()) if value and rest.get((stage, name)) != value]


def flink_job_summary(cluster: FlinkCluster) -> list[str]:
    """One line per finished Flink job: its state, duration and its number of vertices (Flink's REST API)."""
    lines = []
    for job in cluster.rest("/jobs/overview")["jobs"]:
        detail = cluster.rest(f"/jobs/{job['jid']}")
        lines.append(f"  {job['name'][:60]:60s} {job['state']:9s} {job['duration'] / 1000:7.1f} s "
                     f"{len(detail['vertices'])} vertices")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flink-home", type=Path, required=True, help="the pyflink folder (bin, conf, lib)")
    parser.add_argument("--job-server-jar", type=Path, required=True, help="made by `make flink-jobserver`")
    parser.add_argument("--work-dir", type=Path, default=REPO / "build" / "test-flink")
    args = parser.parse_args(argv)
    exit_on_signals()
    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    config = sample_config(work)
    timings: list[tuple[str, float]] = []

    def timed(part: str, fn, *a, **kw):
        start = time.time()
        print(f"== {part}", flush=True)
        result = fn(*a, **kw)
        timings.append((part, time.time() - start))
        print(f"   {timings[-1][1]:.1f} s", flush=True)
        return result

    outputs: dict[str, Path] = {}
    cluster = FlinkCluster(args.flink_home, work / "cluster", slots=2)
    job_server = JobServer(args.job_server_jar, "", work / "job-server")
    try:
        try:
            timed("Flink cluster start (JobManager + TaskManager, 2 slots)", cluster.start)
            job_server.flink_master = cluster.master
            timed("Beam Flink job server start", job_server.start)
            rest_mismatches: list[str] = []
            for parallelism in (2, 1):
                name = f"flink-p{parallelism}"
                outputs[name] = work / name
                before = {job["jid"] for job in cluster.rest("/jobs/overview")["jobs"]}
                timed(f"codecorpus run --runner-profile flink --parallelism={parallelism}", run_cli, config,
                      outputs[name], work / f"{name}.log", "--runner-profile", "flink",
                      f"--flink_master={cluster.master}", f"--job_endpoint={job_server.endpoint}",
                      "--environment_type=LOOPBACK", f"--parallelism={parallelism}",
                      # p2 logs heartbeat lines, to show the per-stage counts live from Flink's REST API
                      progress=("auto", "--heartbeat", "2") if parallelism == 2 else ("never",))
                jobs = {job["jid"] for job in cluster.rest("/jobs/overview")["jobs"]} - before
                rest_mismatches += [f"{name}: {m}" for m in counter_mismatches(
                    outputs[name], FlinkRest(cluster.rest_url).counters(jobs))]
            print("Flink jobs (REST API):\n" + "\n".join(flink_job_summary(cluster)), flush=True)
        finally:
            job_server.stop()
            timed("Flink cluster stop", cluster.stop)
        outputs["direct"] = work / "direct"
        timed("codecorpus run (DirectRunner, in-process)", run_cli, config, outputs["direct"], work / "direct.log")
    finally:
        print("\nwall time per part:")
        for part, seconds in timings:
            print(f"  {seconds:7.1f} s  {part}")
        print(f"logs and outputs under {work}")
    reference = output_tree(outputs["direct"])
    # Every phase's pipelines ran on the cluster: their counters are all in Flink's REST API, equal.
    print(f"funnel counters in Flink's REST API (per stage: in, out, dropped.<reason>): "
          f"{'all equal to the counts files' if not rest_mismatches else f'{len(rest_mismatches)} MISSING or different'}")
    for line in rest_mismatches[:10]:
        print(f"  {line}")
    live = live_counts(work / "flink-p2.log")
    # Informational: how often the counts show depends on the job's length and Flink's heartbeat (10 s).
    print(f"live per-stage counts while the Flink jobs ran (flink-p2 heartbeat lines): {len(live)}"
          + (f", e.g. {live[-1]!r}" if live else ""))
    failed = bool(rest_mismatches)
    for name in ("flink-p2", "flink-p1"):
        diff = differences(reference, output_tree(outputs[name]))
        print(f"{name}: {len(reference)} files, {'identical to the DirectRunner' if not diff else 'DIFFERENT'}")
        for line in diff[:40]:
            print(f"  {line}")
        failed |= bool(diff)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
