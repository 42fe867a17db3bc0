"""The `codecorpus recall` and `codecorpus eval-classifier` subcommands (added to the CLI by `cli.py`)."""
from __future__ import annotations

import argparse
import sys
import time

from pipeline.config import ConfigError, load_config


def _recall(args: argparse.Namespace, beam_args: list[str]) -> int:
    from classifiers.fasttext_model import TrainingError
    from pipeline.recall_driver import RecallWeak, run_recall
    from pipeline.runner_options import assemble_beam_args

    try:
        config = load_config(args.config)
        start = time.time()
        summary = run_recall(config, args.pages, args.output.rstrip("/"), assemble_beam_args(beam_args), print)
    except (ConfigError, TrainingError, ValueError, OSError) as err:  # OSError: e.g. no file matches --pages
        print(f"codecorpus recall: {err}", file=sys.stderr)
        return 2
    except RecallWeak as err:
        print(f"codecorpus recall: {err}", file=sys.stderr)
        return 6  # EXIT_RECALL_WEAK, as `codecorpus run`
    print(f"stopped: {summary['stopped']}")
    print(f"collected: {summary['collected']}")
    print(f"finished in {time.time() - start:.1f} s; pages in {args.output.rstrip('/')}/recall/pages")
    return 0


def _eval_classifier(args: argparse.Namespace, _: list[str]) -> int:
    import json

    from classifiers.eval import format_metrics, per_label_metrics, read_labelled, recall_at_precision
    from classifiers.fasttext_model import TextClassifier

    try:
        model = TextClassifier.load(args.model, args.tokenizer)
        examples = read_labelled(args.labels, model.labels)
    except (OSError, ValueError) as err:
        print(f"codecorpus eval-classifier: {err}", file=sys.stderr)
        return 2
    scored = [(e, model.scores(e.text)) for e in examples]
    report = {}
    for lang in ["", *sorted({e.lang for e in examples} - {""})]:
        group = [(e, s) for e, s in scored if not lang or e.lang == lang]
        metrics = per_label_metrics(
            [e.label for e, _ in group], [max(s, key=s.get) for _, s in group], model.labels
        )
        for label, m in metrics.items():
            m[f"recall_at_precision_{args.precision}"] = recall_at_precision(
                [s[label] for _, s in group], [e.label == label for e, _ in group], args.precision
            )
        report[lang or "all"] = metrics
        print(format_metrics(metrics, f"\n{lang or 'all'} ({len(group)} pages)"))
        print("recall at precision >= {}: {}".format(args.precision, ", ".join(
            f"{label} {m[f'recall_at_precision_{args.precision}']:.3f}" for label, m in metrics.items())))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=1, sort_keys=True)
    return 0


def add_recall_commands(sub: argparse._SubParsersAction) -> None:
    recall = sub.add_parser(
        "recall",
        help="run the iterative recall of code and math pages (fastText on BPE tokens)",
        description=(
            "DeepSeekMath's iterative recall over pages written as Parquet shards or JSON lines of Records: "
            "train, score, collect, discover domains, annotate paths, grow the seed, repeat. Writes "
            "OUTPUT/recall/iter-N/ (model, tokenizer, annotations, counts) and OUTPUT/recall/pages/. "
            "Options this command does not know go to Beam."
        ),
    )
    recall.add_argument("--config", required=True, help="YAML config with `tokenizer` and `recall` sections")
    recall.add_argument("--pages", required=True, help="glob of *.parquet shards or *.jsonl[.gz] files")
    recall.add_argument("--output", default="out", help="output directory (default: out)")
    recall.set_defaults(handler=_recall)
    ev = sub.add_parser(
        "eval-classifier",
        help="precision, recall and F1 of a recall model on a labelled JSONL set",
        description="Each line: {\"label\": ..., \"text\": ...} or {\"label\": ..., \"html\": ...}, "
        "optionally \"lang\" (figures are then also given per language).",
    )
    ev.add_argument("--model", required=True, help="a model directory (e.g. out/recall/iter-3/model)")
    ev.add_argument("--labels", required=True, help="labelled JSONL file")
    ev.add_argument("--tokenizer", default=None, help="a tokenizer.json to use (must be the model's own)")
    ev.add_argument("--precision", type=float, default=0.9, help="report recall at this precision (0.9)")
    ev.add_argument("--json", default="", help="also write the figures to this JSON file")
    ev.set_defaults(handler=_eval_classifier)
