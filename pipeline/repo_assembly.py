"""Repository samples in Beam: files of the configured languages are grouped by repository and become one
sample per connected part of their dependency graph (`repos.samples`); other files pass unchanged.

A "merge" stage of the funnel, counted so it still adds up: `in` files, `passed` (other files, unchanged),
`merged` (files that went into samples), `samples` (samples made), `out` = passed + samples, and
`dropped.duplicate_path` for a second file claiming a path already seen in its repository.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import apache_beam as beam

from pipeline.config import RepoSamples
from pipeline.record import Drop, Record, stable_id
from pipeline.stages import Funnel, Grouping, GroupStep, Merged
from repos.samples import SourceFile, build_samples

STAGE = "repo_samples"


def repo_key(record: Record, languages: frozenset[str]) -> tuple[str, str] | None:
    """A file of a repository-level language goes to its repository's group; the rest pass (None)."""
    return (record.repo, record.repo_url) if record.repo and record.language in languages else None


def repo_samples(
    group: tuple[tuple[str, str], Iterable[Record]], mode: str, seed: int, max_chars: int | None
) -> Iterator[Merged | Drop]:
    """One repository's files -> its samples (Records carrying the repository's provenance); a second file
    claiming a path already seen is a `duplicate_path` drop."""
    (repo, _), files = group
    by_path: dict[str, Record] = {}
    for record in sorted(files, key=lambda r: (r.path, r.id)):
        if record.path in by_path:
            yield Drop("duplicate_path", record.id, f"{repo}/{record.path}")
            continue
        by_path[record.path] = record
    sources = [SourceFile(r.path, r.language, r.text) for r in by_path.values()]
    for sample in build_samples(sources, mode=mode, seed=seed, repo=repo, max_chars=max_chars):
        members = [by_path[p] for p in sample.paths]
        merged = members[0].replace(
            id=stable_id(repo, "repo-sample", min(sample.paths)),
            text=sample.text,
            language=sample.language,
            scores={},
            tokens=0,
            meta={
                **sample_meta(members),
                "sample_files": str(len(sample.paths)),
                "sample_mode": mode,
                # The files in sample order, so any sample can be traced back to its sources.
                "sample_paths": "\n".join(sample.paths),
            },
        )
        yield Merged(merged, len(sample.paths))


def sample_meta(members: list[Record]) -> dict[str, str]:
    """The files' provenance a sample keeps: every meta value its files share (commit, license_file, ...),
    and their encodings when any is not UTF-8 (one value, or one per file in sample order)."""
    shared = dict(members[0].meta)
    for record in members[1:]:
        shared = {k: v for k, v in shared.items() if record.meta.get(k) == v}
    shared.pop("encoding", None)
    encodings = [r.meta.get("encoding", "utf-8") for r in members]
    if set(encodings) != {"utf-8"}:
        shared["encoding"] = encodings[0] if len(set(encodings)) == 1 else "\n".join(encodings)
    return shared


def repo_sample_step(settings: RepoSamples, seed: int, stage: str = STAGE) -> GroupStep:
    """The repository-sample stage as a grouping step: files grouped by repository, merged into samples."""
    return GroupStep(
        (stage,),
        key=functools.partial(repo_key, languages=frozenset(settings.languages)),
        resolve=functools.partial(repo_samples, mode=settings.mode, seed=seed, max_chars=settings.max_chars),
        merges=True,
    )


class AssembleRepoSamples(beam.PTransform):
    """Records -> {"records": samples and passed files, "counts": ((stage, key), n), "drops": (stage, Drop)}:
    the stage's `Grouping` on its own (tests, benchmarks); a run registers it through `Funnel.group`."""

    def __init__(self, settings: RepoSamples, seed: int, stage: str = STAGE):
        super().__init__()
        self.step = repo_sample_step(settings, seed, stage)

    def expand(self, files: beam.PCollection):
        result = files | Grouping(self.step)
        return {"records": result["kept"], "counts": result["counts"], "drops": result["drops"]}


def assemble_repo_samples(funnel: Funnel, files: beam.PCollection, settings: RepoSamples, seed: int):
    """The repository-sample stage (a no-op when `settings.mode` is "off"); returns samples + passed files."""
    if settings.mode == "off":
        return files
    return funnel.group(files, repo_sample_step(settings, seed))["kept"]
