"""Repository samples in Beam: files of the configured languages are grouped by repository and become one
sample per connected part of their dependency graph (`repos.samples`); other files pass unchanged.

A "merge" stage of the funnel, counted so it still adds up: `in` files, `passed` (other files, unchanged),
`merged` (files that went into samples), `samples` (samples made), `out` = passed + samples, and
`dropped.duplicate_path` for a second file claiming a path already seen in its repository.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import apache_beam as beam
from apache_beam import pvalue

from pipeline.config import RepoSamples
from pipeline.record import Drop, Record, stable_id
from pipeline.stages import COUNTS_TAG, DROPS_TAG, MERGE, CountingDoFn, Funnel
from repos.samples import SourceFile, build_samples

STAGE = "repo_samples"
_REPO = "repo"


class _RouteDoFn(CountingDoFn):
    """Files of a repository-level language go to their repository's group; the rest pass."""

    def __init__(self, stage: str, languages: frozenset[str]):
        super().__init__(stage)
        self.languages = languages

    def process(self, record: Record) -> Iterable[Any]:
        self._bump("in")
        if record.repo and record.language in self.languages:
            yield pvalue.TaggedOutput(_REPO, ((record.repo, record.repo_url), record))
        else:
            self._bump("passed")
            self._bump("out")
            yield record


class _SampleDoFn(CountingDoFn):
    """One repository's files -> its samples (Records carrying the repository's provenance)."""

    def __init__(self, stage: str, mode: str, seed: int, max_chars: int | None):
        super().__init__(stage)
        self.mode, self.seed, self.max_chars = mode, seed, max_chars

    def process(self, item: tuple[tuple[str, str], Iterable[Record]]) -> Iterable[Any]:
        (repo, _), group = item
        by_path: dict[str, Record] = {}
        for record in sorted(group, key=lambda r: (r.path, r.id)):
            if record.path in by_path:
                self._bump("dropped.duplicate_path")
                yield pvalue.TaggedOutput(
                    DROPS_TAG, (self.stage, Drop("duplicate_path", record.id, f"{repo}/{record.path}"))
                )
                continue
            by_path[record.path] = record
        files = [SourceFile(r.path, r.language, r.text) for r in by_path.values()]
        samples = build_samples(files, mode=self.mode, seed=self.seed, repo=repo, max_chars=self.max_chars)
        for sample in samples:
            members = [by_path[p] for p in sample.paths]
            self._bump("merged", len(sample.paths))
            self._bump("samples")
            self._bump("out")
            yield members[0].replace(
                id=stable_id(repo, "repo-sample", min(sample.paths)),
                text=sample.text,
                language=sample.language,
                scores={},
                tokens=0,
                meta={
                    **sample_meta(members),
                    "sample_files": str(len(sample.paths)),
                    "sample_mode": self.mode,
                    # The files in sample order, so any sample can be traced back to its sources.
                    "sample_paths": "\n".join(sample.paths),
                },
            )


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


class AssembleRepoSamples(beam.PTransform):
    """Records -> {"records": samples and passed files, "counts": ((stage, key), n), "drops": (stage, Drop)}."""

    def __init__(self, settings: RepoSamples, seed: int, stage: str = STAGE):
        super().__init__()
        self.settings, self.seed, self.stage = settings, seed, stage

    def expand(self, files: beam.PCollection):
        routed = files | "Route" >> beam.ParDo(
            _RouteDoFn(self.stage, frozenset(self.settings.languages))
        ).with_outputs(COUNTS_TAG, _REPO, main="passed")
        samples = (
            routed[_REPO]
            | "GroupRepos" >> beam.GroupByKey()
            | "Samples"
            >> beam.ParDo(_SampleDoFn(self.stage, self.settings.mode, self.seed, self.settings.max_chars)).with_outputs(
                COUNTS_TAG, DROPS_TAG, main="samples"
            )
        )
        return {
            "records": [routed.passed, samples.samples] | "Merge" >> beam.Flatten(),
            "counts": [routed[COUNTS_TAG], samples[COUNTS_TAG]] | "FlattenCounts" >> beam.Flatten(),
            "drops": samples[DROPS_TAG],
        }


def assemble_repo_samples(funnel: Funnel, files: beam.PCollection, settings: RepoSamples, seed: int):
    """The repository-sample stage (a no-op when `settings.mode` is "off"); returns samples + passed files."""
    if settings.mode == "off":
        return files
    result = files | "RepoSamples" >> AssembleRepoSamples(settings, seed)
    funnel.add_counts(STAGE, MERGE, result["counts"], inputs=files, kept=result["records"])
    funnel.drops.append(result["drops"])
    return result["records"]
