"""The `codecorpus` command: `run` a pipeline from a config; further subcommands are added per stage."""
from __future__ import annotations

import argparse
import logging
import sys
import time

from pipeline.config import ConfigError, bundled_config_path, load_config

DEFAULT_RUNNER = "DirectRunner"


def _run(args: argparse.Namespace, beam_args: list[str]) -> int:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.build import build_pipeline
    from pipeline.funnel import accounting_errors, format_funnel, read_funnel

    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"codecorpus: {err}", file=sys.stderr)
        return 2
    output = args.output.rstrip("/")
    if not any(a == "--runner" or a.startswith("--runner=") for a in beam_args):
        beam_args = [f"--runner={DEFAULT_RUNNER}", *beam_args]
    options = PipelineOptions(beam_args)
    start = time.time()
    try:
        with beam.Pipeline(options=options) as p:
            build_pipeline(p, config, output)
    except ConfigError as err:  # raised while building the graph (e.g. an input path that does not exist)
        print(f"codecorpus: {err}", file=sys.stderr)
        return 2
    funnel = read_funnel(output)
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
    parser = argparse.ArgumentParser(
        prog="codecorpus",
        description="Build a DeepSeek-Coder-V2 style pretraining corpus with Apache Beam.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run the pipeline described by a config",
        description=(
            "Run the pipeline described by a YAML config. Options this command does not know are passed "
            f"to Beam unchanged (e.g. --runner, --direct_num_workers, --project); the runner defaults to "
            f"{DEFAULT_RUNNER}."
        ),
    )
    run.add_argument(
        "--config",
        default=str(bundled_config_path("local.yaml")),
        help="YAML config file (default: the bundled configs/local.yaml, which reads the bundled sample)",
    )
    run.add_argument("--output", default="out", help="output directory or gs:// / s3:// prefix (default: out)")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = make_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command != "run" and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.handler(args, rest)


if __name__ == "__main__":
    sys.exit(main())
