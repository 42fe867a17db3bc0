"""The pipeline graph: sources -> language -> file rules -> repository samples -> exact and near dedup ->
decontamination -> mix, with a funnel of counts.

The Common Crawl branch (WARCs -> pages) is built by `pipeline.web_transforms.build_web_branch`.

Each stage is a plain step from `filters/`, `dedup/` or `classifiers/` applied through `Funnel`, so every
record is either written or counted under a named drop reason.
"""
from __future__ import annotations

import functools

import apache_beam as beam

from filters.code_rules import file_drop_reason
from filters.language import detect_language
from pipeline.config import Config
from pipeline.decontam_transforms import decontaminate
from pipeline.dedup_transforms import deduplicate
from pipeline.github_transforms import read_github_code
from pipeline.mix_transforms import write_mix
from pipeline.record import Drop, Record
from pipeline.repo_assembly import assemble_repo_samples
from pipeline.sinks import WriteParquetShards
from pipeline.sources.text import read_text_inputs
from pipeline.stages import Funnel
from pipeline.web_transforms import build_web_branch


def language_step(record: Record) -> Record | Drop:
    language = detect_language(record.path, record.text)
    if language is None:
        return Drop("unknown_language", record.id, f"{record.repo}/{record.path}")
    return record.replace(language=language, category="code")


def file_rules_step(record: Record, rules: dict) -> Record | Drop:
    reason = file_drop_reason(record.text, record.language, path=record.path, **rules)
    return Drop(reason, record.id, f"{record.repo}/{record.path}") if reason else record


def build_pipeline(p: beam.Pipeline, config: Config, output_dir: str) -> Funnel:
    """Add every stage to `p`, writing under `output_dir`; returns the funnel (already wired to stats/)."""
    funnel = Funnel()
    files = read_github_code(p, funnel, config)
    files = funnel.apply(files, "language", language_step)
    files = funnel.apply(
        files, "file_rules", functools.partial(file_rules_step, rules=config.filters.model_dump())
    )
    files = assemble_repo_samples(funnel, files, config.repo_samples, config.seed)
    if config.dedup.enabled:
        files = deduplicate(funnel, files, config.dedup, config.seed)
    files | "WriteFiles" >> WriteParquetShards(f"{output_dir}/files", config.output.num_shards)
    build_web_branch(p, config, funnel, output_dir)

    # The mix's inputs by category (code, code_web, math_web, text); web categories plug in here.
    mix_inputs = {"code": files}
    if config.inputs.text.paths:
        mix_inputs["text"] = read_text_inputs(p, config, funnel)
    write_mix(decontaminate(mix_inputs, config, funnel, output_dir), config, funnel, output_dir)

    funnel.write_counts(p, f"{output_dir}/stats")
    if config.output.write_rejects:
        funnel.write_rejects(p, f"{output_dir}/rejects", config.output.num_shards)
    return funnel
