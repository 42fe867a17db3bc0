"""The pipeline graphs of the two Beam phases of a run (`pipeline.phases` runs them, the recall between):

- collect: GitHub sources -> language -> file rules -> repository samples -> exact and near dedup, the
  general-text inputs, and the Common Crawl branch (`pipeline.web_transforms.build_web_branch`: WARCs ->
  pages -> URL dedup -> extraction -> near dedup); each materialized as Parquet under `stages/`.
- mix: the materialized code and text and the classified pages -> decontamination -> the mix.

Each stage is a plain step from `filters/`, `dedup/` or `classifiers/` applied through `Funnel`, so every
record is either written or counted under a named drop reason.
"""
from __future__ import annotations

import functools

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from filters.code_rules import file_drop_reason
from filters.language import detect_language
from pipeline import layout
from pipeline.config import Config, FileRules
from pipeline.decontam_transforms import decontaminate
from pipeline.dedup_transforms import deduplicate, write_cluster_sizes
from pipeline.github_transforms import read_github_code
from pipeline.mix_transforms import write_mix
from pipeline.record import Drop, Record
from pipeline.repo_assembly import assemble_repo_samples
from pipeline.schema import PAGE_CATEGORIES  # a classified page's categories; anything else counts as text
from pipeline.sinks import WriteParquetShards
from pipeline.sources.text import read_text_inputs
from pipeline.stages import Branch, Funnel, read_handoff
from pipeline.web_transforms import build_web_branch, web_inputs


def language_step(record: Record) -> Record | Drop:
    language = detect_language(record.path, record.text)
    if language is None:
        return Drop("unknown_language", record.id, f"{record.repo}/{record.path}")
    return record.replace(language=language, category="code")


def file_rules_step(record: Record, rules: FileRules) -> Record | Drop:
    reason = file_drop_reason(record.text, record.language, path=record.path, settings=rules)
    return Drop(reason, record.id, f"{record.repo}/{record.path}") if reason else record


def build_collect(p: beam.Pipeline, config: Config, output_dir: str) -> Funnel:
    """Phase `collect`: every source through its filters and dedup, materialized under `stages/`.

    Writes `stages/code/` (files and repository samples that survived dedup), `stages/text/` (the general-text
    inputs) and `stages/pages/` (extracted, deduplicated web pages), `stats/collect/counts.json` and, when dedup
    runs, `stats/dedup_clusters.json` (near-duplicate cluster sizes of the code and the pages).
    """
    funnel = Funnel(config.output)

    def code_branch(p: beam.Pipeline) -> beam.PCollection:
        files = read_github_code(p, funnel, config)
        files = funnel.apply(files, "language", language_step)
        files = funnel.apply(files, "file_rules", functools.partial(file_rules_step, rules=config.filters))
        files = assemble_repo_samples(files, funnel, config.repo_samples, config.seed, config.github.max_repo_bytes)
        if config.dedup.enabled:
            files = deduplicate(files, funnel, config.dedup, config.seed)
        files | "WriteCode" >> WriteParquetShards(layout.handoff_dir(output_dir, "code"), config.output)
        funnel.hand_off("code", files)
        return files

    def text_branch(p: beam.Pipeline) -> beam.PCollection:
        text = read_text_inputs(p, funnel, config)
        text | "WriteText" >> WriteParquetShards(layout.handoff_dir(output_dir, "text"), config.output)
        funnel.hand_off("text", text)
        return text

    def web_branch(p: beam.Pipeline) -> beam.PCollection | None:
        pages = build_web_branch(p, funnel, config, output_dir)
        if pages is not None:
            funnel.hand_off("pages", pages)
        return pages

    def stats(p: beam.Pipeline) -> None:
        write_cluster_sizes(p, funnel, layout.under(output_dir, layout.CLUSTER_SIZES))
        _write_stats(p, funnel, config, output_dir, "collect")

    # A branch without input is not built: every transform costs every run (graph, runner stages, bundles)
    # whether or not a record flows through it. With no input at all the code branch stands for the run.
    web, text = bool(web_inputs(config)), bool(config.inputs.text.paths)
    if config.inputs.github.paths or not (web or text):
        p | "code" >> Branch(code_branch)
    if text:
        p | "text" >> Branch(text_branch)
    if web:
        p | "web" >> Branch(web_branch)
    p | "stats" >> Branch(stats)
    return funnel


def build_mix(p: beam.Pipeline, config: Config, output_dir: str, pages_pattern: str | None) -> Funnel:
    """Phase `mix`: the collected code and text and the classified pages, decontaminated, into `mix/`.

    `pages_pattern` names the pages to mix (the recall's output, whose `category` is code_web, math_web or
    text; or the collected pages, all text, when there is no recall), or None when there are none.
    """
    funnel = Funnel(config.output)

    def read_inputs(p: beam.Pipeline) -> dict[str, beam.PCollection]:
        inputs, texts = {}, []
        # Only what the collect phase wrote is read: a path without input builds no reader.
        if _has_files(layout.handoff_files(output_dir, "code")):
            inputs["code"] = read_handoff(p, funnel, layout.handoff_files(output_dir, "code"), "load_code")
        if _has_files(layout.handoff_files(output_dir, "text")):
            texts.append(read_handoff(p, funnel, layout.handoff_files(output_dir, "text"), "load_text"))
        if pages_pattern:
            pages = read_handoff(p, funnel, pages_pattern, "load_pages")
            by_category = pages | "SplitPages" >> beam.Partition(
                lambda r, _: PAGE_CATEGORIES.index(r.category if r.category in PAGE_CATEGORIES else "text"),
                len(PAGE_CATEGORIES),
            )
            for category, pcoll in zip(PAGE_CATEGORIES, by_category):
                if category == "text":
                    texts.append(pcoll)
                else:
                    inputs[category] = pcoll
        if texts:
            inputs["text"] = texts | "AllText" >> beam.Flatten() if len(texts) > 1 else texts[0]
        return inputs

    inputs = p | "inputs" >> Branch(read_inputs)
    p | "mix" >> Branch(lambda p: write_mix(decontaminate(inputs, funnel, config, output_dir), funnel, config, output_dir))
    p | "stats" >> Branch(lambda p: _write_stats(p, funnel, config, output_dir, "mix"))
    return funnel


def _has_files(pattern: str) -> bool:
    return bool(FileSystems.match([pattern])[0].metadata_list)


def _write_stats(p: beam.Pipeline, funnel: Funnel, config: Config, output_dir: str, phase: str) -> None:
    funnel.write_counts(p, layout.under(output_dir, layout.phase_stats(phase)))
    everything = config.output.write_rejects
    funnel.write_rejects(p, layout.under(output_dir, layout.phase_rejects(phase)), config.output, everything)
