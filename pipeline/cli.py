"""The `codecorpus` command: `run` a pipeline from a config; further subcommands are added per stage."""
from __future__ import annotations

import argparse
import logging
import sys
import time

from pipeline.config import ConfigError, bundled_config_path, load_config
from pipeline.recall_cli import add_recall_commands
from pipeline.runner_options import DEFAULT_RUNNER

BEAM_COMMANDS = ("run", "recall")  # commands that pass the options they do not know to Beam


def _progress_stream(choice: str):
    """Where to draw live progress: stdout when it is a terminal (or when asked), else nowhere."""
    if choice == "always" or (choice == "auto" and sys.stdout.isatty()):
        return sys.stdout
    return None


def _run(args: argparse.Namespace, beam_args: list[str]) -> int:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from classifiers.fasttext_model import TrainingError
    from pipeline.funnel import accounting_errors, format_funnel
    from pipeline.phases import run_phases
    from pipeline.progress import CounterBoard, in_process_runner, run_with_progress
    from pipeline.recall_driver import run_recall
    from pipeline.runner_options import (
        assemble_beam_args,
        is_in_process,
        job_server_problem,
        load_runner_profile,
        runner_of,
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
    server = job_server_problem(options)
    if server:
        print(f"codecorpus: {server}", file=sys.stderr)
        return 2
    problem = worker_package_problem(options)
    if problem and problem.fatal:
        print(f"codecorpus: {problem.message}", file=sys.stderr)
        return 2
    if problem:
        print(f"codecorpus: warning: {problem.message}", file=sys.stderr)
    output = args.output.rstrip("/")
    in_process = is_in_process(runner_of(beam_args))
    stream = _progress_stream(args.progress)

    def run_beam(phase: str, build) -> None:
        board = CounterBoard() if in_process else None
        p = beam.Pipeline(runner=in_process_runner(options, board) if board is not None else None, options=options)
        funnel = build(p)
        if stream is not None:
            print(f"phase {phase}", file=stream)
        run_with_progress(p, [stage for stage, _ in funnel.stages], board, stream)

    def recall(config_, pages, out) -> dict:
        return run_recall(config_, pages, out, beam_args, progress=lambda line: print(f"recall: {line}"))

    start = time.time()
    try:
        funnel = run_phases(config, output, run_beam, recall, resume=args.resume)
    except (ConfigError, TrainingError) as err:  # e.g. an input path that does not exist, a seed too small
        print(f"codecorpus: {err}", file=sys.stderr)
        return 2
    print(format_funnel(funnel))
    print(f"\nfinished in {time.time() - start:.1f} s; output in {output}")
    errors = accounting_errors(funnel)
    if errors:
        print("codecorpus: ACCOUNTING MISMATCH, records lost without a reason:", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
        return 3
    print("accounting: every record is written or counted under a drop reason")
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
        help="live per-stage counts while the job runs (auto: only when stdout is a terminal)",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="skip the phases (collect, recall, mix) that finished in an earlier run into --output with the "
        "same config; rerun the rest",
    )
    run.set_defaults(handler=_run)
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


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().addFilter(_not_gcp_import_noise)
    parser = make_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command not in BEAM_COMMANDS and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.handler(args, rest)


if __name__ == "__main__":
    sys.exit(main())
