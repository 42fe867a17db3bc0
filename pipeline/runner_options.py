"""Beam options for `codecorpus run`: runner profiles, option checks, and the worker-packaging check.

A runner profile (`configs/runners/<name>.yaml`) is a named set of Beam options for one kind of cluster:
`runner`, `options` (Beam option name -> value) and `required` (options the command line must add, such as
a project id or an image). It is kept apart from the corpus config on purpose: the same corpus config runs
on any runner, and its fingerprint does not change with the cluster. The command line adds to and overrides
the profile (later flags win). Every option, from a profile or the command line, is checked against Beam's
own option parser before any work starts: a misspelt option on a 500-worker job fails here, not silently.
"""
from __future__ import annotations

import argparse
import contextlib
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from pipeline.config import ConfigError, Section, _format_error

DEFAULT_RUNNER = "DirectRunner"
# Runner names that run in this process on Beam's FnApiRunner (the DirectRunner's choice for batch jobs).
IN_PROCESS_RUNNERS = frozenset({"directrunner", "direct", "fnapirunner", "fnapi"})
# Portable runners (their SDK workers start from --environment_type / --environment_config).
PORTABLE_RUNNERS = frozenset({
    "flinkrunner", "flink", "sparkrunner", "spark", "portablerunner", "portable", "prismrunner", "prism",
    "samzarunner", "samza",
})
PICKLE_LIBRARY = "cloudpickle"
# Quieter multi_processing workers: Beam's SDK harness logs every channel it opens at INFO.
LOCAL_HARNESS_LOG_LEVEL = "WARNING"

OptionValue = bool | int | float | str | list[str]


class RunnerProfile(Section):
    """Beam options for one kind of cluster; see `configs/runners/`."""

    runner: str = Field(min_length=1, description="Beam runner name, e.g. DataflowRunner or FlinkRunner")
    options: dict[str, OptionValue] = Field(
        default_factory=dict, description="Beam option name (no leading --) -> value; true is a bare flag"
    )
    required: list[str] = Field(
        default_factory=list, description="options the command line must add (project, bucket, image)"
    )


def bundled_profile_path(name: str) -> Path:
    return Path(str(resources.files("configs").joinpath("runners", f"{name}.yaml")))


def load_runner_profile(name_or_path: str) -> tuple[RunnerProfile, str]:
    """A profile from a file path, or by bare name from the bundled `configs/runners/`; returns (profile,
    source file). Errors name the file and the key."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml") and "/" not in name_or_path:
        path = bundled_profile_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read runner profile {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"invalid YAML in runner profile {path}: {err}") from None
    source = str(path.resolve())
    if not isinstance(data, dict):
        raise ConfigError(f"invalid runner profile {source}: the top level must be a mapping")
    try:
        profile = RunnerProfile.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_error(source, err)) from None
    problems = [
        f"  options.{key}: {why}"
        for key, why in option_problems(profile_args(profile, runner=False), runner=profile.runner)
    ]
    problems += [
        f"  required: {name} is not a Beam option" for name in profile.required if not is_beam_option(name)
    ]
    if problems:
        raise ConfigError("\n".join([f"invalid runner profile {source}:", *problems]))
    return profile, source


def profile_args(profile: RunnerProfile, runner: bool = True) -> list[str]:
    """The profile as Beam command-line flags: true -> `--name`, false -> omitted, a list -> repeated."""
    args = [f"--runner={profile.runner}"] if runner else []
    for name, value in profile.options.items():
        if value is True:
            args.append(f"--{name}")
        elif isinstance(value, list):
            args.extend(f"--{name}={item}" for item in value)
        elif value is not False:
            args.append(f"--{name}={value}")
    return args


def _beam_parser() -> argparse.ArgumentParser:
    """Beam's own parser of every registered pipeline option (handed out through its public hook)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    parsers: list[argparse.ArgumentParser] = []
    PipelineOptions([]).get_all_options(add_extra_args_fn=parsers.append)
    parser = parsers[0]
    parser.allow_abbrev = False  # Beam < 2.63 builds it with abbreviations: --machine_typ would pass
    return parser


def register_runner_options(runner: str) -> str | None:
    """Import `runner`'s module so its options join Beam's parser (Beam registers them only on import:
    `--dask_client_address` is unknown until the Dask runner is loaded). Returns why it could not be loaded,
    or None."""
    from apache_beam.runners.runner import create_runner

    try:
        create_runner(runner)
    except (ValueError, ImportError) as err:
        return f"{type(err).__name__}: {err}"
    return None


def is_beam_option(name: str) -> bool:
    return f"--{name}" in _beam_parser()._option_string_actions


def option_problems(args: list[str], runner: str | None = None) -> list[tuple[str, str]]:
    """(option, what is wrong) for each flag Beam does not know, or for the first value it cannot parse.

    The options of `runner` (default: the one `args` select) are registered first."""
    unloadable = register_runner_options(runner or runner_of(args))
    parser = _beam_parser()
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            _, unknown = parser.parse_known_args(args)
    except SystemExit:
        last = (stderr.getvalue().strip().splitlines() or ["invalid value"])[-1]
        return [("value", last.split("error: ", 1)[-1])]
    flags = [a.split("=", 1)[0].lstrip("-") for a in unknown if a.startswith("-")]
    if flags:
        why = "not a codecorpus or Beam pipeline option"
        if unloadable:
            why += f" (the runner's own options could not be loaded: {unloadable})"
        return [(name, why) for name in flags]
    return [(arg, "unexpected argument (options look like --name=value)") for arg in unknown]


def _flag_given(args: list[str], name: str) -> bool:
    return any(a == f"--{name}" or a.startswith(f"--{name}=") for a in args)


def runner_of(args: list[str]) -> str:
    """The runner the flags select (the last --runner wins, as in Beam), or the default."""
    runner = DEFAULT_RUNNER
    for i, arg in enumerate(args):
        if arg.startswith("--runner="):
            runner = arg.split("=", 1)[1]
        elif arg == "--runner" and i + 1 < len(args):
            runner = args[i + 1]
    return runner


def is_in_process(runner: str) -> bool:
    return runner.lower() in IN_PROCESS_RUNNERS


def assemble_beam_args(
    cli_args: list[str], profile: RunnerProfile | None = None, profile_source: str = ""
) -> list[str]:
    """Profile flags, then the command line's (which override them); checked against Beam's parser.

    Raises ConfigError naming each unknown or malformed option and each option the profile requires that
    neither the profile nor the command line gives.
    """
    args = [*(profile_args(profile) if profile else []), *cli_args]
    problems = [f"  {name}: {why}" for name, why in option_problems(cli_args, runner=runner_of(args))]
    if problems:
        raise ConfigError("\n".join(["invalid Beam options on the command line:", *problems]))
    if profile:
        missing = [name for name in profile.required if not _flag_given(args, name)]
        if missing:
            flags = " ".join(f"--{name}=..." for name in missing)
            raise ConfigError(f"runner profile {profile_source} needs {flags} on the command line")
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args.insert(0, f"--runner={DEFAULT_RUNNER}")
    if not _flag_given(args, "pickle_library"):
        # Beam's default from 2.65 on; 2.62's is dill, which pickles functions by reference to their module.
        args.append(f"--pickle_library={PICKLE_LIBRARY}")
    if is_in_process(runner_of(args)) and not _flag_given(args, "default_sdk_harness_log_level"):
        args.append(f"--default_sdk_harness_log_level={LOCAL_HARNESS_LOG_LEVEL}")
    return args


def job_server_problem(options) -> str | None:
    """Why FlinkRunner could not start: it needs its job server, and Maven Central serves no shaded job-server
    jar for the pinned Beam (docs/flink.md), so one must be given (`make flink` builds it) or be running."""
    from apache_beam.options.pipeline_options import FlinkRunnerOptions, PortableOptions, StandardOptions

    runner = options.view_as(StandardOptions).runner or ""
    if not isinstance(runner, str) or runner.lower() not in ("flinkrunner", "flink"):
        return None
    flink = options.view_as(FlinkRunnerOptions)
    if options.view_as(PortableOptions).job_endpoint or flink.flink_job_server_jar or flink.flink_master in (
        "[local]", "[auto]"
    ):
        return None
    return (
        "FlinkRunner needs Beam's Flink job server: pass --flink_job_server_jar=PATH (`make flink` builds it and "
        "prints the path) or --job_endpoint=HOST:PORT of a running one; Maven Central serves no job-server jar "
        "for this Beam version (docs/flink.md)"
    )


@dataclass(frozen=True)
class PackagingFinding:
    """Why workers may start without codecorpus: fatal stops the run, otherwise it is a warning."""

    message: str
    fatal: bool = True


_SHIP = (
    "--extra_package=dist/codecorpus-<version>-<python>-<platform>.whl (make wheel) or a custom worker image built "
    "from the Dockerfile"
)


def worker_package_problem(options) -> PackagingFinding | None:
    """Why the runner's workers would start without codecorpus installed, or None when they will have it.

    Workers get the package from a custom container (the Dockerfile) or from a staged wheel or sdist
    (--extra_package / --setup_file). Per SDK environment of a portable runner: LOOPBACK runs the workers in
    this process (nothing to ship); EXTERNAL uses a worker pool the user started (its address must be given);
    PROCESS runs the command of --environment_config on each worker machine (which must have codecorpus);
    DOCKER needs an image. A runner this check does not know passes with a warning.
    """
    from apache_beam.options.pipeline_options import (
        PortableOptions,
        SetupOptions,
        StandardOptions,
        WorkerOptions,
    )

    runner = options.view_as(StandardOptions).runner or DEFAULT_RUNNER
    name = runner if isinstance(runner, str) else type(runner).__name__
    key = name.lower()
    setup = options.view_as(SetupOptions)
    if is_in_process(name) or setup.extra_packages or setup.setup_file:
        return None
    if key in ("dataflowrunner", "dataflow"):
        worker = options.view_as(WorkerOptions)
        if worker.sdk_container_image or worker.worker_harness_container_image:
            return None
        return PackagingFinding(
            f"DataflowRunner workers would start Beam's stock image without codecorpus: pass {_SHIP} "
            "(--sdk_container_image=IMAGE)"
        )
    if key not in PORTABLE_RUNNERS:
        return PackagingFinding(
            f"{name}: codecorpus does not know how this runner starts its workers; they need codecorpus "
            f"installed ({_SHIP})", fatal=False,
        )
    portable = options.view_as(PortableOptions)
    environment = (portable.environment_type or ("LOOPBACK" if key in ("prismrunner", "prism") else "DOCKER")).upper()
    config = portable.environment_config
    if environment in ("LOOPBACK", "EMBEDDED"):
        return None
    if environment == "EXTERNAL":
        return None if config else PackagingFinding(
            f"{name} with the EXTERNAL environment needs the worker pool's address: --environment_config=HOST:PORT "
            "(python -m apache_beam.runners.worker.worker_pool_main, with codecorpus installed)"
        )
    if environment == "PROCESS":
        return None if config else PackagingFinding(
            f"{name} with the PROCESS environment needs --environment_config='{{\"command\": \"/path/to/boot\"}}' "
            "naming the SDK worker command on each worker machine (where codecorpus must be installed)"
        )
    if environment == "DOCKER":
        if config or portable.lookup_environment_option("docker_container_image"):
            return None
        return PackagingFinding(
            f"{name} workers would start Beam's stock SDK image (DOCKER environment) without codecorpus: "
            f"pass {_SHIP} (--environment_config=IMAGE)"
        )
    return PackagingFinding(
        f"{name}: unknown SDK environment {environment}; its workers need codecorpus installed ({_SHIP})",
        fatal=False,
    )
