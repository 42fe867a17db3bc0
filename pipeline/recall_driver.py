"""The recall loop (DeepSeekMath §2.1; DeepSeek-Coder-V2 §2, SPEC §2) as a sequence of Beam pipelines.

Each iteration runs the select pipeline (training set), trains the tokenizer and fastText here, in the
driver, on that training set alone (bounded by `max_seed_pages` and `negative_ratio`, streamed from its
shards, never the corpus), then runs the score pipeline over every page. Iteration N keeps, under
`recall/iter-N/`: `train/` (the examples), `model/` (model.bin, tokenizer.json, classifier.json),
`annotations.tsv`, `domains.tsv`, `score_histogram.json`, `counts.json` and `stats/`. The pages an
iteration writes are the next one's input; when the loop ends the last ones move to `recall/pages/` and
`recall/summary.json` says why it stopped. The loop stops after `iterations`, or earlier when an
iteration collects fewer than `min_new_fraction` new pages (DeepSeekMath stopped when ~98% were already collected).
"""
from __future__ import annotations

import functools
import io
import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from classifiers.bpe_tokenizer import load_tokenizer, train_bpe
from classifiers.fasttext_model import FastTextParams, PageTokens, train_classifier
from classifiers.recall_selection import OTHER_LABEL, Annotation, parse_annotations, seeded_rank
from pipeline.accounting import accounting_errors, parse_stages
from pipeline.config import Config
from pipeline.recall_transforms import build_score_pipeline, build_select_pipeline
from pipeline.sinks import write_bytes

log = logging.getLogger(__name__)


def _read_text(path: str) -> str:
    with FileSystems.open(path) as fh:
        return fh.read().decode("utf-8")


def _write_text(path: str, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))  # temp + rename: a full disk leaves no half file under `path`


def _run_pipeline(build: Callable[[beam.Pipeline], object], beam_args: list[str], stats_path: str) -> None:
    """Run one pipeline, then check that its funnel adds up (every page written or counted)."""
    with beam.Pipeline(options=PipelineOptions(beam_args)) as p:
        build(p)
    doc = json.loads(_read_text(stats_path))
    errors = accounting_errors(parse_stages(doc))
    if errors:
        raise RuntimeError(f"{stats_path}: records lost without a reason: {'; '.join(errors)}")


def user_annotations(config: Config) -> list[Annotation]:
    """The reviewed annotations file named in config (empty list when none); errors name file and line."""
    path = config.recall.annotations_file
    if not path:
        return []
    path = config.resolve(path)
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


def train_iteration(config: Config, iter_dir: str, iteration: int, n_examples: int) -> dict:
    """Train (or load) the tokenizer and train fastText on `iter_dir/train`; saves `iter_dir/model`."""
    tok = config.tokenizer
    if tok.path:
        tokenizer = load_tokenizer(config.resolve(tok.path))
    else:
        # A seeded sample of the training pages, so the BPE's cost stays bounded as the seed grows.
        keep = tok.train_max_docs / max(1, n_examples)
        tokenizer = train_bpe(
            (text for id_, _, text in training_examples(f"{iter_dir}/train")
             if seeded_rank(config.seed, "tokenizer", id_) < keep),
            vocab_size=tok.vocab_size,
            min_frequency=tok.min_frequency,
        )
    params = FastTextParams(**config.recall.fasttext.model_dump(), seed=config.seed)
    with tempfile.TemporaryDirectory(prefix="recall-model-") as local:
        meta = train_classifier(
            ((label, text) for _, label, text in training_examples(f"{iter_dir}/train")),
            local,
            tokens=PageTokens(tokenizer, max_chars=tok.max_chars),
            params=params,
            context=f"recall iteration {iteration} ({iter_dir}/train)",
        )
        for name in sorted(p.name for p in Path(local).iterdir()):
            write_bytes(f"{iter_dir}/model/{name}", (Path(local) / name).read_bytes())
    return meta


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
) -> dict:
    """Run the whole loop over the pages matching `pages_pattern` (Parquet shards or JSON lines of
    Records); returns the summary also written to `output_dir/recall/summary.json`. The folder
    `output_dir/recall` is rewritten."""
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
    for iteration in range(1, config.recall.iterations + 1):
        iter_dir = f"{recall_dir}/iter-{iteration}"
        _run_pipeline(
            functools.partial(build_select_pipeline, config=config, pages_pattern=pages, iter_dir=iter_dir),
            beam_args,
            f"{iter_dir}/stats/select/counts.json",
        )
        select = json.loads(_read_text(f"{iter_dir}/stats/select.json"))
        training = train_iteration(config, iter_dir, iteration, sum(select["examples"].values()))
        _run_pipeline(
            functools.partial(
                build_score_pipeline, config=config, pages_pattern=pages, model_dir=f"{iter_dir}/model",
                iter_dir=iter_dir, user_annotations=reviewed, iteration=iteration,
            ),
            beam_args,
            f"{iter_dir}/stats/score/counts.json",
        )
        score = json.loads(_read_text(f"{iter_dir}/stats/score.json"))
        counts = {
            "iteration": iteration,
            "select": select,
            "training": {k: training[k] for k in ("examples", "tokenization", "tokenizer_sha256")},
            "score": score,
            "new_fraction": round(_new_fraction(score), 6),
        }
        _write_text(f"{iter_dir}/counts.json", json.dumps(counts, indent=1, sort_keys=True) + "\n")
        history.append(counts)
        progress(
            f"iteration {iteration}: trained on {training['examples']}, collected {score['pages']}, "
            f"new fraction {counts['new_fraction']:.3f}, annotations {score['annotations']}"
        )
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
        "config_sha256": config.fingerprint(),
    }
    _write_text(f"{recall_dir}/summary.json", json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary
