"""Beam wiring of the GitHub code source: configured entries -> repository units -> Records and Drops.

The entries expand at run time (`Create` of the entries, `FlatMap` expansion, `Reshuffle`), so the job graph
stays the same size whatever the number of repositories; one repository, dump file or Parquet row group is
one unit of work. The optional metadata side file joins the units by repository name (`CoGroupByKey`), so it
is never held by one worker. The plain readers live in `pipeline.sources`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.config import Config, ConfigError, GithubSource
from pipeline.sources.file_dumps import DumpColumns
from pipeline.sources.git_clone import is_git_url
from pipeline.sources.github import (
    REPO_KINDS,
    ReadLimits,
    RepoUnit,
    expand_entry,
    read_unit,
    split_unit,
    unique_names,
    with_metadata,
)
from pipeline.sources.input_files import has_glob, is_remote, match_paths
from pipeline.sources.repo_metadata import (
    RepoMeta,
    check_metadata_file,
    created_after_cutoff,
    meta_key,
    metadata_rows,
)
from pipeline.stages import SOURCE, Funnel

STAGE = "github_source"
# Beam counters (runner UI) of repositories by creation date, when a cutoff is set.
REPO_COUNTER_NAMESPACE = "github_repos"


def read_limits(source: GithubSource) -> ReadLimits:
    """The plain readers' limits from the validated config section: every `ReadLimits` field is the section's
    field of that name (a new limit is a field in both, no line here)."""
    columns = DumpColumns(**{name: tuple(names) for name, names in source.dump_columns.model_dump().items()})
    values = {f.name: getattr(source, f.name) for f in dataclasses.fields(ReadLimits)}
    return ReadLimits(**{**values, "dump_columns": columns})


def github_entries(config: Config) -> list[str]:
    """The resolved input entries; a local path or glob that names nothing stops the run before any work
    (`ConfigError` naming the config file and the key)."""
    entries = []
    for i, raw in enumerate(config.inputs.github.paths):
        entry = raw.resolved
        if not (is_git_url(entry) or is_remote(entry)) and not match_paths(entry):
            what = "glob matches nothing" if has_glob(entry) else "no such file or folder"
            raise ConfigError(f"invalid config {config.source_file or '<dict>'}:\n  inputs.github.paths.{i}: {what}: {entry}")
        entries.append(entry)
    return entries


def metadata_location(config: Config) -> str | None:
    """The metadata side file, checked to exist and to name repositories (else `ConfigError`)."""
    if not config.github.metadata:
        return None
    location = config.github.metadata.resolved
    problem = check_metadata_file(location)
    if problem:
        raise ConfigError(f"invalid config {config.source_file or '<dict>'}:\n  github.metadata: {problem}")
    return location


def _attach_metadata(item: tuple[str, dict[str, Iterable[Any]]]) -> Iterator[RepoUnit]:
    _, groups = item
    metas: list[RepoMeta] = list(groups["meta"])
    chosen = min(metas, key=repr) if metas else None  # duplicate rows: a deterministic pick
    for unit in groups["unit"]:
        yield with_metadata(unit, chosen)


def _count_repo_date(unit: RepoUnit, created_before: dt.date) -> RepoUnit:
    if unit.kind in REPO_KINDS:
        if not unit.meta.created_at:
            name = "created_at_unknown"
        elif created_after_cutoff(unit.meta.created_at, created_before):
            name = "created_after_cutoff"
        else:
            name = "created_before_cutoff"
        Metrics.counter(REPO_COUNTER_NAMESPACE, name).inc()
    return unit


def read_github_code(p: beam.Pipeline, funnel: Funnel, config: Config) -> beam.PCollection:
    """All GitHub code inputs of `config` as Records (stage `github_source`; drops counted by reason)."""
    entries = github_entries(config)
    meta_file = metadata_location(config)
    limits = read_limits(config.github)

    def repo_units(begin: beam.pvalue.PBegin) -> beam.PCollection:
        """The configured entries as units of work (repositories, archives, dump parts), metadata attached,
        names made unique, spread over workers: inside the source's node of the job graph."""
        units = (
            begin
            # (where to read, as written: what output names units by); no reshuffle: one graph for 1 or N entries
            | "GithubEntries" >> beam.Create(list(zip(entries, map(str, config.inputs.github.paths))), reshuffle=False)
            | "ExpandGithubEntries" >> beam.FlatMapTuple(expand_entry)
            | "SpreadGithubEntries" >> beam.Reshuffle()
            | "SplitGithubDumps" >> beam.FlatMap(split_unit)
        )
        if meta_file:
            metadata = (
                begin
                | "GithubMetadataFile" >> beam.Create([meta_file])
                | "ReadGithubMetadata" >> beam.FlatMap(metadata_rows)
            )
            keyed = units | "KeyUnitsByRepo" >> beam.Map(lambda unit: (meta_key(unit.name), unit))
            units = (
                {"unit": keyed, "meta": metadata}
                | "JoinGithubMetadata" >> beam.CoGroupByKey()
                | "AttachGithubMetadata" >> beam.FlatMap(_attach_metadata)
            )
        units = (
            units
            | "KeyUnitsByName" >> beam.Map(lambda unit: ((unit.name, unit.kind in REPO_KINDS), unit))
            | "GroupUnitsByName" >> beam.GroupByKey()
            | "UniqueRepoNames" >> beam.FlatMap(lambda item: unique_names(sorted(item[1], key=repr)))
        )
        if limits.created_before:
            units = units | "CountRepoDates" >> beam.Map(_count_repo_date, limits.created_before)
        return units | "SpreadGithubUnits" >> beam.Reshuffle()

    return funnel.apply(p, STAGE, functools.partial(read_unit, limits=limits), kind=SOURCE, units=repo_units)
