"""The `codecorpus` command: `run` a pipeline from a config; further subcommands are added per stage."""
from __future__ import annotations

import argparse
import logging
import sys
import time

from pipeline.config import ConfigError, bundled_config_path, load_config
from pipeline.recall_cli import add_recall_commands

DEFAULT_RUNNER = "DirectRunner"
BEAM_COMMANDS = ("run", "recall")  # commands that pass the options they do not know to Beam


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
    with beam.Pipeline(options=options) as p:
        build_pipeline(p, config, output)
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
    add_recall_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = make_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command not in BEAM_COMMANDS and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.handler(args, rest)


if __name__ == "__main__":
    sys.exit(main())
