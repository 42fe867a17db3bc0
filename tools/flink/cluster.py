"""A standalone Flink cluster on 127.0.0.1 (one JobManager, one TaskManager) that its starter always stops.

The distribution is the one `pip install apache-flink` ships (`<site-packages>/pyflink`: bin, conf, lib);
`FLINK_HOME` points at it. Configuration, logs and pid files go under a folder the caller owns (the build
folder), so nothing is written beside the distribution and two clusters never share a port: every port is
a free loopback port chosen at start. The processes run in the foreground of their own sessions, and
`stop()` (call it in a `finally`) kills those sessions, so a failed run leaves no JVM behind.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.flink_rest import FlinkRest

READY_TIMEOUT_S = 120  # ~20-35 s here on a busy machine


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM then SIGKILL the session of `proc` (it and every child it started)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace_s)
    with contextlib.suppress(ProcessLookupError):  # children that outlived their leader
        os.killpg(proc.pid, signal.SIGKILL)


def _config_yaml(home: Path, slots: int, ports: dict[str, int], tmp_dir: Path) -> str:
    """Flink's own config.yaml with loopback addresses, our ports, `slots` task slots and small memory."""
    base = (home / "conf" / "config.yaml").read_text(encoding="utf-8")
    java_opts = next(line.split("all:", 1)[1].strip() for line in base.splitlines() if "all:" in line)
    return f"""env:
  java:
    opts:
      # Beam's batch job graphs are deep: Java's default 1 MB stack overflows deserializing them.
      all: {java_opts} -Xss64m
jobmanager:
  bind-host: 127.0.0.1
  rpc: {{address: 127.0.0.1, port: {ports['rpc']}}}
  memory: {{process: {{size: 1024m}}}}
  execution: {{failover-strategy: region}}
taskmanager:
  bind-host: 127.0.0.1
  host: 127.0.0.1
  numberOfTaskSlots: {slots}
  rpc: {{port: "{ports['tm_rpc']}"}}
  data: {{port: {ports['tm_data']}}}
  # Beam's batch graphs have many edges, each wanting its network buffers: small segments, a fixed pool.
  memory: {{process: {{size: 3072m}}, segment-size: 8kb, network: {{min: 1024m, max: 1024m}}}}
blob: {{server: {{port: "{ports['blob']}"}}}}
parallelism: {{default: 1}}
# Shared CI machines can be loaded far beyond their cores: RPCs and heartbeats wait instead of failing the job.
pekko: {{ask: {{timeout: 300 s}}}}
heartbeat: {{timeout: 600000}}
rest: {{address: 127.0.0.1, bind-address: 127.0.0.1, port: {ports['rest']}}}
io: {{tmp: {{dirs: {tmp_dir}}}}}
"""


@dataclass
class FlinkCluster:
    """One JobManager and one TaskManager; `start()` waits until every slot is registered."""

    home: Path
    work_dir: Path
    slots: int = 2
    ports: dict[str, int] = field(default_factory=dict)
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['rest']}"

    @property
    def master(self) -> str:
        return f"127.0.0.1:{self.ports['rest']}"

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "log"

    def start(self) -> None:
        self.ports = {name: free_port() for name in ("rpc", "tm_rpc", "tm_data", "blob", "rest")}
        conf = self.work_dir / "conf"
        if conf.exists():
            shutil.rmtree(conf)
        shutil.copytree(self.home / "conf", conf)
        tmp = self.work_dir / "tmp"
        for d in (self.log_dir, tmp):
            d.mkdir(parents=True, exist_ok=True)
        (conf / "config.yaml").write_text(_config_yaml(self.home, self.slots, self.ports, tmp), encoding="utf-8")
        env = {**os.environ, "FLINK_HOME": str(self.home), "FLINK_CONF_DIR": str(conf),
               "FLINK_LOG_DIR": str(self.log_dir), "FLINK_PID_DIR": str(self.work_dir)}
        for script in ("jobmanager.sh", "taskmanager.sh"):
            with open(self.log_dir / f"{script}.out", "w") as out:
                self.procs.append(subprocess.Popen(
                    ["bash", str(self.home / "bin" / script), "start-foreground"], env=env, stdout=out,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                ))
        deadline = time.time() + READY_TIMEOUT_S
        while time.time() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"a Flink process exited at start; see {self.log_dir}")
            with contextlib.suppress(OSError, ValueError):
                if self.rest("/overview")["slots-total"] >= self.slots:
                    return
            time.sleep(1)
        raise RuntimeError(f"Flink had not registered {self.slots} slots after {READY_TIMEOUT_S} s; see {self.log_dir}")

    def rest(self, path: str) -> dict:
        return FlinkRest(self.rest_url, timeout_s=10).get(path)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop_group(proc)
        self.procs.clear()



@dataclass
class JobServer:
    """Beam's Flink job server (`java -jar`), started once for several pipelines: FlinkRunner would start and
    stop one per pipeline, and its JVM start-up costs ~30-60 s on a loaded machine. Use with
    `--job_endpoint=<endpoint>`."""

    jar: Path
    flink_master: str
    work_dir: Path
    proc: subprocess.Popen | None = None
    port: int = 0

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        cmd = ["java", "-Xss64m", "-jar", str(self.jar), f"--flink-master={self.flink_master}",
               "--job-host=127.0.0.1", f"--job-port={self.port}", "--artifact-port=0", "--expansion-port=-1",
               f"--artifacts-dir={self.work_dir / 'artifacts'}"]
        with open(self.work_dir / "job-server.log", "w") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.time() + READY_TIMEOUT_S
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the job server exited at start; see {self.work_dir / 'job-server.log'}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(1)
        raise RuntimeError(f"the job server did not listen after {READY_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None


def exit_on_signals() -> None:
    """SIGTERM and SIGHUP raise SystemExit, so `with FlinkCluster(...)` stops the cluster when its starter is
    killed (Python's default for SIGTERM is to die without unwinding)."""
    def _raise(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise)


def process_rss_mb(pid: int) -> float:
    """Resident memory of one process (VmRSS), in MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
