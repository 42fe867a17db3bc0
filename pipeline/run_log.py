"""How a run was made: versions, config, inputs, runner, phases with their wall time, and how it ended.

Written to `OUT/logs/run.json` (`pipeline.layout.RUN_LOG`) by `codecorpus run` and read by the report ("How it was made"). Everything in
`logs/` varies from run to run (times, host), so it is the one folder that the byte-identity guarantee
(same input and config -> same output bytes on every runner) does not cover; every other file is covered.
"""
from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from mixing.manifest import software_versions

# The software whose version decides output bytes or speed; reported as installed.
PACKAGES = ("codecorpus", "apache-beam", "trafilatura", "tokenizers", "fasttext-wheel", "datasketch", "pyarrow",
            "warcio", "lxml", "numpy")


def package_versions() -> dict[str, str]:
    return software_versions(PACKAGES)


def utc_timestamp(t: float | None = None) -> str:
    """UTC wall time (now, or epoch seconds `t`) as the run log and log lines write it (a batch log is read
    beside other machines' logs)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@dataclass
class PhaseTime:
    phase: str
    started: str
    seconds: float


@dataclass
class RunLog:
    """Filled while `codecorpus run` goes; `to_json` is what lands in `logs/run.json`."""

    command: list[str]
    config_file: str
    config_fingerprint: str
    config: dict[str, Any]
    runner: str
    beam_args: list[str]
    versions: dict[str, str] = field(default_factory=package_versions)
    host: str = field(default_factory=platform.node)
    started: float = field(default_factory=time.time)
    phases: list[PhaseTime] = field(default_factory=list)
    ended: float | None = None
    exit_code: int | None = None
    warnings: list[str] = field(default_factory=list)

    def phase_done(self, phase: str, started: float) -> None:
        self.phases.append(PhaseTime(phase, utc_timestamp(started), round(time.time() - started, 3)))

    def finish(self, exit_code: int, warnings: list[str]) -> None:
        self.ended, self.exit_code, self.warnings = time.time(), exit_code, list(warnings)

    def to_json(self) -> bytes:
        doc = asdict(self)
        doc["started"] = utc_timestamp(self.started)
        doc["ended"] = utc_timestamp(self.ended) if self.ended is not None else None
        doc["seconds"] = round((self.ended or time.time()) - self.started, 3)
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")
