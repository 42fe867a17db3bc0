"""Runner profiles and Beam option pass-through: what `codecorpus run` hands to Beam for Dataflow and Flink.

No cluster is reachable here, so these check the options Beam would receive and the checks that run before
any work: unknown options, missing required ones, and workers that would start without this package.
"""
from __future__ import annotations

import pytest
from apache_beam.options.pipeline_options import (
    DebugOptions,
    FlinkRunnerOptions,
    GoogleCloudOptions,
    PipelineOptions,
    PortableOptions,
    SetupOptions,
    StandardOptions,
    WorkerOptions,
)

from pipeline.cli import main
from pipeline.config import ConfigError
from pipeline.runner_options import (
    assemble_beam_args,
    load_runner_profile,
    profile_args,
    worker_package_problem,
)

DATAFLOW_CLI = [
    "--project=my-project",
    "--region=europe-west4",
    "--temp_location=gs://my-bucket/tmp",
    "--sdk_container_image=europe-docker.pkg.dev/my-project/images/codecorpus-worker:0.1.0",
]


def test_dataflow_profile_reaches_pipeline_options():
    profile, source = load_runner_profile("dataflow")
    options = PipelineOptions(assemble_beam_args(DATAFLOW_CLI, profile, source))
    gcp = options.view_as(GoogleCloudOptions)
    assert options.view_as(StandardOptions).runner == "DataflowRunner"
    assert (gcp.project, gcp.temp_location) == ("my-project", "gs://my-bucket/tmp")
    assert gcp.region == "europe-west4"  # the command line overrides the profile's region
    worker = options.view_as(WorkerOptions)
    assert worker.machine_type == "n2-standard-4" and worker.max_num_workers == 100
    assert worker.sdk_container_image.endswith("codecorpus-worker:0.1.0")
    assert "use_runner_v2" in options.view_as(DebugOptions).experiments
    assert options.view_as(SetupOptions).sdk_location == "container"
    assert worker_package_problem(options) is None


def test_flink_profile_reaches_pipeline_options():
    profile, source = load_runner_profile("flink")
    cli = ["--flink_master=flink-jm:8081", "--flink_job_server_jar=/opt/beam-flink-job-server.jar",
           "--environment_config=reg/codecorpus:0.1.0"]
    options = PipelineOptions(assemble_beam_args(cli, profile, source))
    flink = options.view_as(FlinkRunnerOptions)
    assert options.view_as(StandardOptions).runner == "FlinkRunner"
    assert (flink.flink_master, flink.flink_version) == ("flink-jm:8081", "1.19")
    portable = options.view_as(PortableOptions)
    assert (portable.environment_type, portable.environment_config) == ("DOCKER", "reg/codecorpus:0.1.0")
    assert worker_package_problem(options) is None


def test_plain_pass_through_without_profile():
    args = assemble_beam_args(["--runner", "FlinkRunner", "--flink_master", "jm:8081", "--parallelism=8"])
    flink = PipelineOptions(args).view_as(FlinkRunnerOptions)
    assert (flink.flink_master, flink.parallelism) == ("jm:8081", 8)


def test_default_runner_is_in_process_with_quiet_workers():
    args = assemble_beam_args(["--direct_num_workers=2"])
    assert args[0] == "--runner=DirectRunner"
    assert "--default_sdk_harness_log_level=WARNING" in args


def test_missing_required_option_names_profile_and_flag():
    profile, source = load_runner_profile("dataflow")
    with pytest.raises(ConfigError) as err:
        assemble_beam_args(["--temp_location=gs://b/tmp"], profile, source)
    message = str(err.value)
    assert "dataflow.yaml" in message and "--project=..." in message and "--sdk_container_image=..." in message


def test_profile_with_unknown_option_or_bad_value_names_file_and_key(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("runner: DataflowRunner\noptions:\n  machine_typ: n2-standard-4\n")
    with pytest.raises(ConfigError) as err:
        load_runner_profile(str(path))
    assert str(path) in str(err.value) and "options.machine_typ" in str(err.value)
    path.write_text("runner: DataflowRunner\noptions:\n  max_num_workers: many\n")
    with pytest.raises(ConfigError, match="max_num_workers"):
        load_runner_profile(str(path))
    path.write_text("runner: DataflowRunner\nworkers: 3\n")
    with pytest.raises(ConfigError, match="workers: unknown key"):
        load_runner_profile(str(path))


def test_profile_values_expand_to_flags():
    profile, _ = load_runner_profile("dataflow")
    profile = profile.model_copy(update={"options": {"a": True, "b": False, "c": ["x", "y"], "d": 3}})
    assert profile_args(profile) == ["--runner=DataflowRunner", "--a", "--c=x", "--c=y", "--d=3"]


def test_unknown_command_line_option_is_an_error_not_silence():
    with pytest.raises(ConfigError, match="direct_num_worker"):
        assemble_beam_args(["--direct_num_worker=2"])


@pytest.mark.parametrize(
    "args, ok",
    [
        (["--runner=DataflowRunner", "--project=p"], False),
        (["--runner=DataflowRunner", "--project=p", "--sdk_container_image=img"], True),
        (["--runner=DataflowRunner", "--project=p", "--extra_package=dist/codecorpus-0.1.0-py3-none-any.whl"], True),
        (["--runner=FlinkRunner"], False),  # DOCKER with Beam's stock image
        (["--runner=FlinkRunner", "--environment_config=img"], True),
        (["--runner=PortableRunner", "--environment_type=LOOPBACK"], True),
        (["--runner=PortableRunner", "--environment_type=EXTERNAL", "--environment_config=localhost:50000"], True),
        (["--runner=PrismRunner"], True),  # LOOPBACK by default
        (["--runner=DirectRunner"], True),
        (["--runner=FlinkRunner", "--environment_type=LOOPBACK"], True),
        (["--runner=FlinkRunner", "--environment_type=EXTERNAL"], False),  # no worker pool address
        (["--runner=FlinkRunner", "--environment_type=EXTERNAL", "--environment_config=localhost:50000"], True),
        (["--runner=SparkRunner", "--environment_type=PROCESS"], False),  # no boot command
        (["--runner=SparkRunner", "--environment_type=PROCESS", '--environment_config={"command": "/b"}'], True),
    ],
)
def test_workers_without_the_package_are_caught(args, ok):
    problem = worker_package_problem(PipelineOptions(args))
    assert (problem is None) == ok
    if problem:
        assert problem.fatal and ("--environment_config" in problem.message or "--sdk_container_image" in problem.message)


def test_unknown_runner_or_environment_passes_with_a_warning():
    for args in (["--runner=DaskRunner"], ["--runner=some.module.MyRunner"],
                 ["--runner=FlinkRunner", "--environment_type=FANCY"]):
        problem = worker_package_problem(PipelineOptions(args))
        assert problem is not None and not problem.fatal and "codecorpus installed" in problem.message


def test_options_of_the_chosen_runner_are_registered_before_the_check(tmp_path, monkeypatch):
    """A runner's own options join Beam's parser only when its module is imported (`--dask_client_address`);
    the check imports the chosen runner first, also when its options come before `--runner`."""
    (tmp_path / "late_runner_mod.py").write_text(
        "from apache_beam.options.pipeline_options import PipelineOptions\n"
        "from apache_beam.runners.runner import PipelineRunner\n"
        "class LateOptions(PipelineOptions):\n"
        "    @classmethod\n"
        "    def _add_argparse_args(cls, parser):\n"
        "        parser.add_argument('--late_runner_address')\n"
        "class LateRunner(PipelineRunner):\n"
        "    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    args = assemble_beam_args(["--late_runner_address=tcp://h:8786", "--runner=late_runner_mod.LateRunner"])
    assert "--late_runner_address=tcp://h:8786" in args
    with pytest.raises(ConfigError, match="could not be loaded"):
        assemble_beam_args(["--dask_client_addres=x", "--runner=no_such_mod.NoRunner"])


def test_cli_refuses_dataflow_without_package_before_any_work(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "--output", str(out), "--runner=DataflowRunner", "--project=p", "--region=r",
                 "--temp_location=gs://b/tmp"])
    assert code == 2 and not out.exists()
    assert "DataflowRunner" in capsys.readouterr().err


def test_flink_without_a_job_server_is_refused_before_any_work(tmp_path, capsys):
    from pipeline.runner_options import job_server_problem

    assert job_server_problem(PipelineOptions(["--runner=FlinkRunner", "--flink_master=jm:8081"]))
    for extra in ("--flink_job_server_jar=/x.jar", "--job_endpoint=h:8099"):
        assert job_server_problem(PipelineOptions(["--runner=FlinkRunner", "--flink_master=jm:8081", extra])) is None
    out = tmp_path / "out"
    assert main(["run", "--output", str(out), "--runner-profile", "flink", "--flink_master=jm:8081",
                 "--environment_type=LOOPBACK"]) == 2
    assert "make flink" in capsys.readouterr().err and not out.exists()


def test_cli_reports_profile_errors_with_exit_2(tmp_path, capsys):
    assert main(["run", "--output", str(tmp_path / "o"), "--runner-profile", "dataflow"]) == 2
    assert "--project=..." in capsys.readouterr().err
    assert main(["run", "--output", str(tmp_path / "o"), "--runner-profile", "nosuch"]) == 2
    assert "nosuch.yaml" in capsys.readouterr().err


def test_cli_does_not_expand_abbreviations(tmp_path, capsys):
    """`--out` must not silently become --output (nor a Beam option): it is reported."""
    assert main(["run", "--out", str(tmp_path / "o")]) == 2
    assert "out" in capsys.readouterr().err
