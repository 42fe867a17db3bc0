"""The recall loop (DeepSeekMath §2.1; DeepSeek-Coder-V2 §2, SPEC §2) as a sequence of Beam pipelines.

Each iteration runs the select pipeline (training set), trains the tokenizer and fastText here, in the
driver, on that training set alone (bounded by `max_seed_pages` and `negative_ratio`, streamed from its
shards, never the corpus), then runs the score pipeline over every page. Iteration N keeps, under
`recall/iter-N/`: `train/` (the examples), `model/` (model.bin, tokenizer.json, classifier.json),
`annotations.tsv`, `domains.tsv`, `score_histogram.json`, `counts.json` and `stats/`. The pages an
iteration writes are the next one's input; when the loop ends the last ones move to `recall/pages/` and
`recall/summary.json` says why it stopped. The loop stops after `iterations`, or earlier when an
iteration collects fewer than `min_new_fraction` new pages (DeepSeekMath stopped when ~98% were already collected).

Each iteration holds out a seeded `validation_fraction` of its examples (seeds and negatives), trains on the
rest and writes precision and recall per class on the held-out part to `iter-N/validation.json`. A weak
recall (fewer than `min_seed_pages` seeds of a class, a class below the validation floors, a class with
nothing collected) raises `RecallWeak` when `recall.on_weak` is `fail`, and is printed as a warning and
listed in `summary.json` when it is `warn`: the loop never fails silently.
"""
from __future__ import annotations

import functools
import io
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from classifiers.bpe_tokenizer import load_tokenizer, train_bpe
from classifiers.eval import per_label_metrics
from classifiers.fasttext_model import FastTextParams, PageTokens, TextClassifier, train_classifier
from classifiers.recall_selection import OTHER_LABEL, Annotation, parse_annotations
from pipeline.accounting import accounting_errors, check_error_budget, parse_stages
from pipeline.config import Config
from pipeline.files import move_local_file, write_json
from pipeline.recall_transforms import build_score_pipeline, build_select_pipeline
from pipeline.seeded import seeded_rank

log = logging.getLogger(__name__)
VALIDATION_FILE = "validation.json"  # in recall/iter-N/


class RecallWeak(RuntimeError):
    """The recall is too weak to trust (`recall.on_weak: fail`); the message says which class and why."""


def _read_text(path: str) -> str:
    with FileSystems.open(path) as fh:
        return fh.read().decode("utf-8")


def _run_pipeline(
    build: Callable[[beam.Pipeline], object], beam_args: list[str], stats_path: str, max_error_fraction: float
) -> None:
    """Run one pipeline, then check it against the run's error budget (`max_error_fraction`, as every phase)
    and that its funnel adds up (every page written or counted)."""
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        build(p)
    doc = json.loads(_read_text(stats_path))
    check_error_budget(doc, stats_path, max_error_fraction)
    errors = accounting_errors(parse_stages(doc))
    if errors:
        raise RuntimeError(f"{stats_path}: records lost without a reason: {'; '.join(errors)}")


def user_annotations(config: Config) -> list[Annotation]:
    """The reviewed annotations file named in config (empty list when none); errors name file and line."""
    path = config.recall.annotations_file
    if not path:
        return []
    path = path.resolved
    try:
        text = _read_text(path)
    except OSError as err:
        raise ValueError(f"recall.annotations_file: cannot read {path}: {err}") from None
    return parse_annotations(text, source_name=path, labels=config.recall.categories)


def training_examples(train_dir: str) -> Iterator[tuple[str, str, str]]:
    """(id, label, text) of every example, shard by shard in name order, rows in their sorted order."""
    paths = sorted(m.path for m in FileSystems.match([f"{train_dir}/part-*.parquet"])[0].metadata_list)
    for path in paths:
        with FileSystems.open(path) as fh:
            table = pq.ParquetFile(io.BytesIO(fh.read()))
        for batch in table.iter_batches(columns=["id", "category", "text"], batch_size=1024):
            yield from zip(*(batch.column(i).to_pylist() for i in range(3)))


def is_validation(config: Config, example_id: str) -> bool:
    """Whether an example is held out for validation: a seeded draw, the same on every run."""
    return seeded_rank(config.seed, "validation", example_id) < config.recall.validation_fraction


def train_iteration(config: Config, iter_dir: str, iteration: int, n_examples: int) -> dict:
    """Train (or load) the tokenizer and train fastText on the training part of `iter_dir/train`, save
    `iter_dir/model`, and score the held-out part: returns the model's metadata with `validation`
    ({label: precision, recall, f1, support}), also written to `iter_dir/validation.json`."""
    tok = config.tokenizer

    def train_part() -> Iterator[tuple[str, str, str]]:
        return ((i, label, text) for i, label, text in training_examples(f"{iter_dir}/train")
                if not is_validation(config, i))

    if config.recall.tokens == "whitespace":
        tokenizer = None
    elif tok.path:
        tokenizer = load_tokenizer(tok.path.resolved)
    else:
        # A seeded sample of the training pages, so the BPE's cost stays bounded as the seed grows.
        keep = tok.train_max_docs / max(1, n_examples)
        tokenizer = train_bpe(
            (text for id_, _, text in train_part() if seeded_rank(config.seed, "tokenizer", id_) < keep),
            vocab_size=tok.vocab_size,
            min_frequency=tok.min_frequency,
        )
    params = FastTextParams(**config.recall.fasttext.model_dump(), seed=config.seed)
    # Trained beside its destination when that is local: the model (~2 GB at the paper's 2M buckets x dim
    # 256) is then renamed into place, not copied.
    local_parent = iter_dir if FileSystems.get_scheme(iter_dir) is None else None
    if local_parent:
        os.makedirs(local_parent, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".recall-model-", dir=local_parent) as local:
        meta = train_classifier(
            ((label, text) for _, label, text in train_part()),
            local,
            tokens=PageTokens(tokenizer, max_chars=tok.max_chars),
            params=params,
            context=f"recall iteration {iteration} ({iter_dir}/train)",
        )
        model = TextClassifier.load(local)
        truth, predicted = [], []
        for i, label, text in training_examples(f"{iter_dir}/train"):
            if is_validation(config, i):
                scores = model.scores(text)
                truth.append(label)
                predicted.append(min(scores, key=lambda k: (-scores[k], k)))
        for name in sorted(p.name for p in Path(local).iterdir()):
            move_local_file(str(Path(local) / name), f"{iter_dir}/model/{name}")
    metrics = per_label_metrics(truth, predicted, model.labels)
    validation = {label: {k: round(v, 6) for k, v in m.items()} for label, m in metrics.items()}
    doc = {"iteration": iteration, "examples": len(truth), "fraction": config.recall.validation_fraction,
           "train_examples": meta["examples"], "classes": validation}
    write_json(f"{iter_dir}/{VALIDATION_FILE}", doc)
    return {**meta, "validation": validation}


def seed_weakness(config: Config, select: dict) -> list[str]:
    """Why the seed of an iteration is too small to train on (empty when it is not)."""
    recall, found = config.recall, select.get("seed_pages_found", {})
    return [
        f"category {label}: {found.get(label, 0)} seed examples, fewer than recall.min_seed_pages="
        f"{recall.min_seed_pages} (add seed_files or url_patterns that match the crawl)"
        for label in sorted(recall.categories) if found.get(label, 0) < recall.min_seed_pages
    ]


def validation_weakness(config: Config, validation: dict[str, dict]) -> list[str]:
    """Which classes miss the validation floors on the held-out examples."""
    recall, out = config.recall, []
    for label in sorted(recall.categories):
        m = validation.get(label, {"support": 0})
        if not m["support"]:
            out.append(f"category {label}: no held-out seed examples to validate on")
            continue
        for key, floor in (("precision", recall.min_validation_precision), ("recall", recall.min_validation_recall)):
            if m[key] < floor:
                out.append(f"category {label}: validation {key} {m[key]:.3f} below recall.min_validation_{key}="
                           f"{floor} ({m['support']} held-out seeds)")
    return out


def collection_weakness(config: Config, score: dict) -> list[str]:
    """The categories that collected no page."""
    return [f"category {label}: no page collected" for label in sorted(config.recall.categories)
            if not score.get("pages", {}).get(label)]


def iteration_row(counts: dict) -> dict:
    """The figures of one iteration the summary and the report show."""
    score = counts["score"]
    return {
        "iteration": counts["iteration"],
        "train": counts["training"]["examples"],
        "validation": counts["training"]["validation"],
        "collected": {k: v for k, v in score["pages"].items() if k != OTHER_LABEL},
        "new_fraction": counts["new_fraction"],
        "domains": score.get("related_domains", {}),
        "annotations": sum(score.get("annotations", {}).values()),
        "weak": counts.get("weak", []),
    }


def format_iterations(rows: list[dict], labels: list[str]) -> str:
    """A compact table, one line per iteration and category: train size, validation P/R, collected pages,
    new fraction, related domains and path annotations."""
    lines = [(f"{'iter':>4} {'class':<8}{'train':>8}{'val P':>7}{'val R':>7}{'pages':>9}{'new':>7}{'domains':>8}"
             f"{'paths':>6}")]
    for row in rows:
        first = (str(row["iteration"]), f"{row['new_fraction']:.3f}", str(row["annotations"]))
        for i, label in enumerate(labels):
            it, new, paths = first if i == 0 else ("", "", "")
            v = row["validation"].get(label, {})
            lines.append(
                f"{it:>4} {label:<8}{row['train'].get(label, 0):>8}{v.get('precision', 0.0):>7.2f}"
                f"{v.get('recall', 0.0):>7.2f}{row['collected'].get(label, 0):>9}{new:>7}"
                f"{row['domains'].get(label, 0):>8}{paths:>6}"
            )
    return "\n".join(lines)


def _new_fraction(score: dict) -> float:
    collected = sum(n for label, n in score["pages"].items() if label != OTHER_LABEL)
    return sum(score["new"].values()) / collected if collected else 0.0


def _move_pages(source_dir: str, target_dir: str) -> None:
    shards = sorted(m.path for m in FileSystems.match([f"{source_dir}/part-*.parquet"])[0].metadata_list)
    if FileSystems.exists(target_dir):
        FileSystems.delete([target_dir])
    FileSystems.mkdirs(target_dir)
    FileSystems.rename(shards, [f"{target_dir}/{s.rsplit('/', 1)[-1]}" for s in shards])
    FileSystems.delete([source_dir])


def run_recall(
    config: Config,
    pages_pattern: str,
    output_dir: str,
    beam_args: list[str] | None = None,
    progress: Callable[[str], None] = log.info,
    on_iteration: Callable[[int, str], None] | None = None,
) -> dict:
    """Run the whole loop over the pages matching `pages_pattern` (Parquet shards or JSON lines of
    Records); returns the summary also written to `output_dir/recall/summary.json`. The folder
    `output_dir/recall` is rewritten. `on_iteration(iteration, iter_dir)` is called after each iteration,
    while its pages are still in `iter_dir/pages` (evaluations read them). Raises `RecallWeak` when the
    recall is weak and `recall.on_weak` is `fail`."""
    beam_args = list(beam_args or [])
    recall_dir = f"{output_dir.rstrip('/')}/recall"
    if pages_pattern.startswith(recall_dir + "/"):
        raise ValueError(f"--pages {pages_pattern} lies inside the recall output {recall_dir}, which a run rewrites")
    if FileSystems.exists(recall_dir):  # a fresh folder: no iteration or shard of an earlier run survives
        FileSystems.delete([recall_dir])
    reviewed = user_annotations(config)
    pages = pages_pattern
    history: list[dict] = []
    stop = f"ran all {config.recall.iterations} iterations"
    weak: list[str] = []

    def weakness(iteration: int, reasons: list[str], found: list[str]) -> None:
        """Fail at once (`on_weak: fail`) or warn loudly and remember (`warn`)."""
        if not reasons:
            return
        message = f"recall iteration {iteration} is weak: " + "; ".join(reasons)
        if config.recall.on_weak == "fail":
            raise RecallWeak(f"{message} (recall.on_weak: fail; set it to warn to go on regardless)")
        log.warning(message)
        progress(f"WARNING: {message}")
        found.extend(reasons)
    for iteration in range(1, config.recall.iterations + 1):
        iter_dir = f"{recall_dir}/iter-{iteration}"
        _run_pipeline(
            functools.partial(build_select_pipeline, config=config, pages_pattern=pages, iter_dir=iter_dir),
            beam_args,
            f"{iter_dir}/stats/select/counts.json",
            config.max_error_fraction,
        )
        select = json.loads(_read_text(f"{iter_dir}/stats/select.json"))
        found: list[str] = []
        weakness(iteration, seed_weakness(config, select), found)
        training = train_iteration(config, iter_dir, iteration, sum(select["examples"].values()))
        weakness(iteration, validation_weakness(config, training["validation"]), found)
        _run_pipeline(
            functools.partial(
                build_score_pipeline, config=config, pages_pattern=pages, model_dir=f"{iter_dir}/model",
                iter_dir=iter_dir, user_annotations=reviewed, iteration=iteration,
            ),
            beam_args,
            f"{iter_dir}/stats/score/counts.json",
            config.max_error_fraction,
        )
        score = json.loads(_read_text(f"{iter_dir}/stats/score.json"))
        weakness(iteration, collection_weakness(config, score), found)
        counts = {
            "iteration": iteration,
            "select": select,
            "training": {k: training[k] for k in ("examples", "tokenization", "tokenizer_sha256", "validation")},
            "score": score,
            "new_fraction": round(_new_fraction(score), 6),
            "weak": found,
        }
        weak.extend(f"iteration {iteration}: {r}" for r in found)
        write_json(f"{iter_dir}/counts.json", counts)
        history.append(counts)
        validation = ", ".join(f"{k} P {m['precision']:.2f} R {m['recall']:.2f}"
                               for k, m in training["validation"].items())
        progress(
            f"iteration {iteration}: trained on {training['examples']}, validation {validation}, collected "
            f"{score['pages']}, new fraction {counts['new_fraction']:.3f}, annotations {score['annotations']}"
        )
        if on_iteration is not None:
            on_iteration(iteration, iter_dir)
        if iteration > 1:  # the previous iteration's pages were only this one's input
            FileSystems.delete([f"{recall_dir}/iter-{iteration - 1}/pages"])
        pages = f"{iter_dir}/pages/*.parquet"
        if iteration > 1 and counts["new_fraction"] < config.recall.min_new_fraction:
            stop = (f"iteration {iteration} collected {counts['new_fraction']:.2%} new pages, "
                    f"below min_new_fraction {config.recall.min_new_fraction:.2%}")
            break
    _move_pages(f"{recall_dir}/iter-{len(history)}/pages", f"{recall_dir}/pages")
    summary = {
        "iterations": len(history),
        "stopped": stop,
        "pages": "pages",  # relative to the recall folder, so equal runs give equal bytes
        "model": f"iter-{len(history)}/model",
        "collected": history[-1]["score"]["pages"],
        "new_fraction": [h["new_fraction"] for h in history],
        "per_iteration": [iteration_row(h) for h in history],
        "on_weak": config.recall.on_weak,
        "weak": weak,
        "config_sha256": config.fingerprint(),
    }
    write_json(f"{recall_dir}/summary.json", summary)
    progress("iterations:\n" + format_iterations(summary["per_iteration"], sorted(config.recall.categories)))
    if weak:
        progress(f"WARNING: the recall is weak (recall.on_weak: warn): {'; '.join(weak)}")
    return summary
