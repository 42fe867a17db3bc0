"""The `codecorpus` command: `run` a pipeline from a config; further subcommands are added per stage."""
from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable

from pipeline.config import ConfigError, bundled_config_path, load_config
from pipeline.recall_cli import add_recall_commands
from pipeline.runner_options import DEFAULT_RUNNER

BEAM_COMMANDS = ("run", "recall", "validate")  # commands that pass the options they do not know to Beam


EXIT_RECALL_WEAK = 6  # the recall is too weak to trust and recall.on_weak is fail
EXIT_MIX_OFF_TARGET = 5  # the written mix misses its weights and mix.on_off_target is fail
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C
EXIT_OUTPUT_UNWRITABLE = 7  # the output filled up or turned read-only mid-run (2 config, 3 accounting, 4 errors)


def _progress_mode(choice: str) -> tuple[object, bool]:
    """(stream, live): a redrawn table on a terminal, timestamped heartbeat lines in a log, or nothing."""
    if choice == "never":
        return None, False
    live = choice == "always" or (choice == "auto" and sys.stdout.isatty())
    return sys.stdout, live


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("codecorpus")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _resume_command(argv: list[str]) -> str:
    """The command that resumes this run: the same arguments, with --resume."""
    args = [a for a in argv if a != "--resume"]
    return "codecorpus " + " ".join(shlex.quote(a) for a in [*args, "--resume"])


def _on_interrupt(argv: list[str], cleanup: Callable[[], None] = lambda: None):
    """A SIGINT handler that ends the run at once with exit 130 and the resume command, without the
    tracebacks of Beam's threads and worker processes: finished phases are on disk, `--resume` skips them."""

    def handler(signum, frame) -> None:
        logging.disable(logging.CRITICAL)
        print(f"\ncodecorpus: interrupted; finished phases are kept. Resume with:\n  {_resume_command(argv)}",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        cleanup()  # the output lock: the folder is free for --resume
        os._exit(EXIT_INTERRUPTED)

    return handler


def _checked_setup(args: argparse.Namespace, beam_args: list[str]):
    """The config, Beam arguments and options of `run`/`validate`, or exit code 2 after printing every
    problem found before any work: config keys, runner profile, Beam options, inputs, output, tokenizer."""
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.preflight import preflight_problems
    from pipeline.runner_options import (
        assemble_beam_args,
        job_server_problem,
        load_runner_profile,
        worker_package_problem,
    )

    try:
        config = load_config(args.config)
        profile, source = load_runner_profile(args.runner_profile) if args.runner_profile else (None, "")
        beam_args = assemble_beam_args(beam_args, profile, source)
    except ConfigError as err:
        print(f"codecorpus: {err}", file=sys.stderr)
        return 2
    options = PipelineOptions(beam_args)
    packaging = worker_package_problem(options)
    if packaging and not packaging.fatal:
        print(f"codecorpus: warning: {packaging.message}", file=sys.stderr)
    fatal = [job_server_problem(options), packaging.message if packaging and packaging.fatal else None]
    problems = [p for p in fatal if p] + preflight_problems(config, args.output)
    if problems:
        print(f"codecorpus: cannot run {config.source_file} into {args.output}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    return config, beam_args, options


def _validate(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.runner_options import runner_of

    checked = _checked_setup(args, beam_args)
    if isinstance(checked, int):
        return checked
    config, beam_args, _ = checked
    print(f"{config.source_file}: valid; every input found, output {args.output} writable"
          + (", tokenizer loads" if config.tokenizer.path else "")
          + f"; runner {runner_of(beam_args)}")
    return 0


def _run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from pipeline.output_lock import OutputLock, OutputLocked, quiet_write_failures

    for handler in logging.getLogger().handlers:  # a full disk is one line, not Beam's worker traceback
        handler.addFilter(quiet_write_failures)

    checked = _checked_setup(args, beam_args)
    if isinstance(checked, int):
        return checked
    config, beam_args, _ = checked
    output = args.output.rstrip("/")
    try:
        lock = OutputLock(output)
    except OutputLocked as err:
        print(f"codecorpus: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # the folder turned unwritable since the write check
        print(f"codecorpus: cannot write {output}: {err.strerror or err}", file=sys.stderr)
        return EXIT_OUTPUT_UNWRITABLE
    if lock.taken_over:
        print(f"codecorpus: {output} was locked by {lock.taken_over}, which is gone; this run takes it over",
              file=sys.stderr)
    if lock.remote_caveat:
        print(f"codecorpus: {lock.remote_caveat}", file=sys.stderr)
    with lock:
        return _run_locked(args, config, beam_args, output, lock)


def _run_locked(args: argparse.Namespace, config, beam_args: list[str], output: str, lock) -> int:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.flink_rest import job_counters_for
    from pipeline.layout import RUN_LOG
    from pipeline.progress import (
        HEARTBEAT_SECONDS,
        CounterBoard,
        in_process_runner,
        run_with_progress,
    )
    from pipeline.recall_driver import run_recall
    from pipeline.run_log import RunLog, utc_timestamp
    from pipeline.runner_options import is_in_process, runner_of
    from pipeline.sinks import write_bytes

    in_process = is_in_process(runner_of(beam_args))
    stream, live = _progress_mode(args.progress)
    signal.signal(signal.SIGINT, _on_interrupt(args.argv, lock.release))

    def say(line: str) -> None:
        if stream is not None:
            print(f"{utc_timestamp()} {line}", file=stream, flush=True)

    run_log = RunLog(["codecorpus", *args.argv], config.source_file, config.fingerprint(),
                     config.model_dump(mode="json"), runner_of(beam_args), beam_args)

    def run_beam(phase: str, build) -> None:
        # Fresh options per phase: Beam's PortableRunner (Flink, Spark, job services) sets the runner of the
        # options it ran to None, so a second pipeline on the same object ran on the launcher's DirectRunner.
        phase_options = PipelineOptions(beam_args)
        board = CounterBoard() if in_process else None
        runner = in_process_runner(phase_options, board) if board is not None else None
        p = beam.Pipeline(runner=runner, options=phase_options)
        funnel = build(p)
        say(f"phase {phase}: started")
        started = time.time()
        run_with_progress(p, [stage for stage, _ in funnel.stages], board, stream, live=live,
                          heartbeat_seconds=args.heartbeat or HEARTBEAT_SECONDS,
                          live_counters=job_counters_for(phase_options.get_all_options(), since=started))
        run_log.phase_done(phase, started)
        say(f"phase {phase}: finished in {time.time() - started:.1f} s")

    def recall(config_, pages, out) -> dict:
        say("phase recall: started")
        started = time.time()
        summary = run_recall(config_, pages, out, beam_args, progress=lambda line: say(f"recall: {line}"))
        run_log.phase_done("recall", started)
        return summary

    code = 1
    try:
        code = _run_phases_and_summarise(config, output, args.resume, run_beam, recall, run_log)
        return code
    finally:
        run_log.finish(code, run_log.warnings)
        _write_run_log(f"{output}/{RUN_LOG}", run_log.to_json(), write_bytes)


def _write_run_log(path: str, data: bytes, write_bytes) -> None:
    """The run log, unless the output cannot take it (the run has said why in one line already)."""
    from pipeline.output_lock import write_failure

    try:
        write_bytes(path, data)
    except Exception as err:
        if write_failure(err) is None:
            raise
        print(f"codecorpus: run log not written: {write_failure(err)}", file=sys.stderr)


def _run_phases_and_summarise(config, output: str, resume: bool, run_beam, recall, run_log) -> int:
    """The phases, then the funnel and the accounting verdict; the exit code."""
    from classifiers.fasttext_model import TrainingError
    from pipeline.accounting import (
        ErrorBudgetExceeded,
        accounting_errors,
        format_errors,
        format_funnel,
        read_first_errors,
    )
    from pipeline.output_lock import write_failure
    from pipeline.phases import run_phases
    from pipeline.recall_driver import RecallWeak

    start = time.time()
    try:
        funnel = run_phases(config, output, run_beam, recall, resume=resume)
    except (ConfigError, TrainingError) as err:  # e.g. a seed too small to train on
        print(f"codecorpus: {err}", file=sys.stderr)
        run_log.warnings.append(str(err))
        return 2
    except ErrorBudgetExceeded as err:  # a step raising on many records: a bug; its rejects name them
        print(f"codecorpus: {err}", file=sys.stderr)
        run_log.warnings.append(str(err))
        return 4
    except RecallWeak as err:  # too few seeds, validation below the floors, nothing collected (recall.on_weak)
        print(f"codecorpus: {err}", file=sys.stderr)
        run_log.warnings.append(str(err))
        return EXIT_RECALL_WEAK
    except Exception as err:
        failure = write_failure(err)
        if failure is None:
            raise
        # Shards are written to temporary names and renamed: no half-written file sits under a final name.
        print(f"codecorpus: cannot write {output}: {failure}; finished phases are kept, resume with --resume",
              file=sys.stderr)
        run_log.warnings.append(f"cannot write {output}: {failure}")
        return EXIT_OUTPUT_UNWRITABLE
    print(format_funnel(funnel))
    print(f"\nfinished in {time.time() - start:.1f} s; output in {output}")
    step_errors = format_errors(funnel, read_first_errors(output))
    if step_errors:  # within max_error_fraction, yet a bug to look at: said at the end, where it is seen
        print("\nerrors (records a step raised on, counted as drops; details in the rejects):")
        print("\n".join(f"  {line}" for line in step_errors))
        run_log.warnings += step_errors
    errors = accounting_errors(funnel)
    if errors:
        print("codecorpus: ACCOUNTING MISMATCH, records lost without a reason:", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
        run_log.warnings += errors
        return 3
    print("accounting: every record is written or counted under a drop reason")
    return _check_mix(config, output, run_log)


def _check_mix(config, output: str, run_log) -> int:
    """Say at the end when the written mix misses the asked weights, and why; 5 if the config says fail."""
    from pipeline.files import read_json_if_exists
    from pipeline.layout import MANIFEST
    from pipeline.mix_check import off_target, write_off_target
    from report.terminal import format_weights

    manifest = read_json_if_exists(f"{output}/{MANIFEST}")
    if manifest:
        print("\nmix (" + MANIFEST + "):\n" + "\n".join(format_weights(manifest)))
    messages = off_target(config, output)
    write_off_target(output, messages, config)
    run_log.warnings += messages
    for line in messages:
        print(f"codecorpus: WARNING: {line}", file=sys.stderr)
    if messages and config.mix.on_off_target == "fail":
        print("codecorpus: the mix is off target (mix.on_off_target: fail)", file=sys.stderr)
        return EXIT_MIX_OFF_TARGET
    return 0


def _report(args: argparse.Namespace, beam_args: list[str]) -> int:
    from apache_beam.io.filesystems import FileSystems

    from report.data import load_run
    from report.html import render_html
    from report.terminal import format_report

    try:
        run = load_run(args.output_dir)
    except FileNotFoundError as err:
        print(f"codecorpus: {err}", file=sys.stderr)
        return 2
    print(format_report(run), end="")
    if args.html:
        with FileSystems.create(args.html) as fh:
            fh.write(render_html(run).encode("utf-8"))
        print(f"\nHTML report written to {args.html}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    # No abbreviations: an abbreviated Beam option must not be taken for one of ours, or the reverse.
    parser = argparse.ArgumentParser(
        prog="codecorpus",
        allow_abbrev=False,
        description="Build a DeepSeek-Coder-V2 style pretraining corpus with Apache Beam.",
    )
    parser.add_argument("--version", action="version", version=f"codecorpus {_version()}")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="Python logging level of codecorpus and Beam (default WARNING; INFO shows Beam's job ids)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run",
        allow_abbrev=False,
        help="run the pipeline described by a config",
        description=(
            "Run the pipeline described by a YAML config. Options this command does not know are passed "
            f"to Beam (e.g. --runner, --direct_num_workers, --project) after a check that Beam knows them; "
            f"the runner defaults to {DEFAULT_RUNNER}, run in this process."
        ),
    )
    run.add_argument(
        "--config",
        default=str(bundled_config_path("local.yaml")),
        help="YAML config file (default: the bundled configs/local.yaml, which reads the bundled sample)",
    )
    run.add_argument("--output", default="out", help="output directory or gs:// / s3:// prefix (default: out)")
    run.add_argument(
        "--runner-profile",
        help="Beam options for a cluster: a YAML file, or the name of a bundled one in configs/runners/ "
        "(dataflow, flink); command-line Beam options override it",
    )
    run.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress while the job runs: auto draws a live per-stage table on a terminal and prints "
        "timestamped heartbeat lines otherwise (a batch log); always: the table; never: nothing",
    )
    run.add_argument(
        "--heartbeat",
        type=float,
        metavar="SECONDS",
        help="seconds between progress lines when output is not a terminal (default: progress.HEARTBEAT_SECONDS, 30)",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="skip the phases (collect, recall, mix) that finished in an earlier run into --output with the "
        "same config; rerun the rest",
    )
    run.set_defaults(handler=_run)
    validate = sub.add_parser(
        "validate",
        allow_abbrev=False,
        help="check a config, its inputs, the output folder and the runner options without running",
        description="Everything `run` checks before any work, and nothing else: config keys, every input "
        "path, metadata, benchmarks, seeds, the tokenizer, the output folder, the runner profile and Beam options.",
    )
    validate.add_argument("--config", default=str(bundled_config_path("local.yaml")), help="YAML config file")
    validate.add_argument("--output", default="out", help="the output directory a run would write")
    validate.add_argument("--runner-profile", help="as for `run`")
    validate.set_defaults(handler=_validate)
    report = sub.add_parser(
        "report",
        help="summarise a finished run's output directory (terminal, optionally HTML)",
        description=(
            "Print the funnel of every stage, the mix table and the shard summary of a run, reading only its "
            "output directory (local, or gs:// / s3://, or a Dataflow run copied down)."
        ),
    )
    report.add_argument("output_dir", help="the run's output directory")
    report.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report with plots")
    report.set_defaults(handler=_report)

    add_recall_commands(sub)
    return parser


def _not_gcp_import_noise(record: logging.LogRecord) -> bool:
    # Beam warns on import when the optional GCP client is absent; it says nothing about this run.
    return "apitools not found" not in record.getMessage()


# Loggers whose INFO lines an operator needs at any level: Dataflow's job id and monitoring console URL.
ALWAYS_INFO_LOGGERS = ("apache_beam.runners.dataflow.dataflow_runner", "apache_beam.runners.dataflow.internal.apiclient")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().addFilter(_not_gcp_import_noise)
    parser = make_parser()
    args, rest = parser.parse_known_args(argv)
    args.argv = argv
    logging.getLogger().setLevel(args.log_level)
    for name in ALWAYS_INFO_LOGGERS:
        logging.getLogger(name).setLevel(min(logging.INFO, logging.getLevelName(args.log_level)))
    if args.command not in BEAM_COMMANDS and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.handler(args, rest)


if __name__ == "__main__":
    sys.exit(main())
