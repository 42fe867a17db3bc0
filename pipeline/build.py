"""The pipeline graph: sources -> language -> file rules -> sinks, with a funnel of counts.

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
from pipeline.record import Drop, Record
from pipeline.sinks import WriteParquetShards
from pipeline.sources.github import expand_github_input, read_repository
from pipeline.stages import SOURCE, Funnel
from pipeline.web_transforms import build_web_branch


def language_step(record: Record) -> Record | Drop:
    language = detect_language(record.path)
    if language is None:
        return Drop("unknown_language", record.id, f"{record.repo}/{record.path}")
    return record.replace(language=language, category="code")


def file_rules_step(record: Record, rules: dict) -> Record | Drop:
    reason = file_drop_reason(record.text, record.language, path=record.path, **rules)
    return Drop(reason, record.id, f"{record.repo}/{record.path}") if reason else record


def build_pipeline(p: beam.Pipeline, config: Config, output_dir: str) -> Funnel:
    """Add every stage to `p`, writing under `output_dir`; returns the funnel (already wired to stats/)."""
    funnel = Funnel()
    entries = [config.resolve(path) for path in config.inputs.github.paths]
    repos = (
        p
        | "GithubInputs" >> beam.Create(entries)
        | "ExpandRepos" >> beam.FlatMap(expand_github_input)
        | "SpreadRepos" >> beam.Reshuffle()
    )
    files = funnel.apply(
        repos,
        "github_source",
        functools.partial(read_repository, max_file_bytes=config.github.max_file_bytes),
        kind=SOURCE,
    )
    files = funnel.apply(files, "language", language_step)
    files = funnel.apply(
        files, "file_rules", functools.partial(file_rules_step, rules=config.filters.model_dump())
    )
    files | "WriteFiles" >> WriteParquetShards(f"{output_dir}/files", config.output.num_shards)
    build_web_branch(p, config, funnel, output_dir)

    funnel.write_counts(p, f"{output_dir}/stats")
    if config.output.write_rejects:
        funnel.write_rejects(p, f"{output_dir}/rejects")
    return funnel
