"""Every phase runs on the runner the user asked for. Beam's PortableRunner (the path of Flink, Spark and job
services) sets the runner of the options it ran to None; a later phase built on the same options object
silently ran on the launcher's DirectRunner (seen on Flink: the mix phase never reached the cluster)."""
from __future__ import annotations

from apache_beam.runners.direct import direct_runner
from apache_beam.runners.portability import portable_runner

from pipeline.cli import main
from tests.conftest import sample_config


def test_every_phase_reaches_the_portable_runner(tmp_path, monkeypatch):
    submitted = []
    real_run = portable_runner.PortableRunner.run_portable_pipeline

    def counting_run(self, pipeline, options):
        submitted.append(len(pipeline.components.transforms))
        return real_run(self, pipeline, options)

    def no_direct_runner(self, pipeline, options):
        raise AssertionError("a phase ran on the DirectRunner although the PortableRunner was asked for")

    monkeypatch.setattr(portable_runner.PortableRunner, "run_portable_pipeline", counting_run)
    monkeypatch.setattr(direct_runner.DirectRunner, "run_pipeline", no_direct_runner)
    config = sample_config(tmp_path, iterations=1)
    code = main(["run", "--config", str(config), "--output", str(tmp_path / "out"), "--progress", "never",
                 "--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"])
    assert code == 0
    # collect, the recall's select and score pipelines (one iteration), mix
    assert len(submitted) == 4, submitted
