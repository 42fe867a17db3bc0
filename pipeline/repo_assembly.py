"""Repository samples in Beam: files of the configured languages are grouped by repository and become one
sample per connected part of their dependency graph (`repos.samples`); other files pass unchanged.

A "merge" stage of the funnel, counted so it still adds up: `in` files, `passed` (other files, unchanged),
`merged` (files that went into samples), `samples` (samples made), `out` = passed + samples,
`dropped.duplicate_path` for a second file claiming a path already seen in its repository, and
`dropped.repo_too_large` for files past `github.max_repo_bytes` of one repository (in path order): the step
holds a repository's files at once (~4.8x their bytes, measured by benchmarks/bench_archive_memory.py), and
rows of a file-level dump reach it uncapped (folders, clones and archives are capped when read).
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import apache_beam as beam

from pipeline.config import RepoSamples
from pipeline.record import Drop, Record, stable_id, utf8_size
from pipeline.stages import Funnel, Grouping, GroupStep, Merged
from repos.samples import SourceFile, build_samples

STAGE = "repo_samples"


def repo_key(record: Record, languages: frozenset[str]) -> tuple[str, str] | None:
    """A file of a repository-level language goes to its repository's group; the rest pass (None)."""
    return (record.repo, record.repo_url) if record.repo and record.language in languages else None


def _cutoff(files: Iterable[Record], max_repo_bytes: int) -> str | None:
    """The first path (in path order) at which the repository's files pass `max_repo_bytes`, or None; holds
    only paths and sizes."""
    total, previous = 0, None
    for path, _, size in sorted((r.path, r.id, utf8_size(r.text)) for r in files):
        if path != previous:  # a second file at a path is dropped as a duplicate, whatever its size
            previous, total = path, total + size
            if total > max_repo_bytes:
                return path
    return None


def repo_samples(
    group: tuple[tuple[str, str], Iterable[Record]], mode: str, seed: int, max_chars: int | None,
    max_repo_bytes: int | None = None,
) -> Iterator[Merged | Drop]:
    """One repository's files -> its samples (Records carrying the repository's provenance); a second file
    claiming a path already seen is a `duplicate_path` drop, files from the path where the repository passes
    `max_repo_bytes` on are `repo_too_large` drops. With a cap, `files` is read twice (Beam's grouped values
    can be), and only the files kept are held."""
    (repo, _), files = group
    cutoff = _cutoff(files, max_repo_bytes) if max_repo_bytes is not None else None
    if cutoff is not None:
        kept = []
        for record in files:
            if record.path < cutoff:
                kept.append(record)
            else:
                yield Drop("repo_too_large", record.id, f"{repo}/{record.path}: past github.max_repo_bytes "
                           f"({max_repo_bytes}) of files in {repo}")
        files = kept
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


def repo_sample_step(
    settings: RepoSamples, seed: int, stage: str = STAGE, max_repo_bytes: int | None = None
) -> GroupStep:
    """The repository-sample stage as a grouping step: files grouped by repository, merged into samples."""
    return GroupStep(
        (stage,),
        key=functools.partial(repo_key, languages=frozenset(settings.languages)),
        resolve=functools.partial(repo_samples, mode=settings.mode, seed=seed, max_chars=settings.max_chars,
                                  max_repo_bytes=max_repo_bytes),
        merges=True,
        passes=True,  # files of other languages
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


def assemble_repo_samples(
    files: beam.PCollection, funnel: Funnel, settings: RepoSamples, seed: int, max_repo_bytes: int | None = None
):
    """The repository-sample stage (a no-op when `settings.mode` is "off"); returns samples + passed files."""
    if settings.mode == "off":
        return files
    return funnel.group(files, repo_sample_step(settings, seed, max_repo_bytes=max_repo_bytes))["kept"]
