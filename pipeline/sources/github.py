"""GitHub code inputs: local repository folders (more kinds are added here).

`expand_github_input` turns one configured entry into repository units at run time (so the job graph does
not grow with the number of repositories); `read_repository` yields one Record per file or a Drop.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pipeline.record import Drop, Record, stable_id


@dataclass(frozen=True)
class RepoUnit:
    """One repository to read: where it is and what kind of input it came from."""

    kind: str  # "dir"
    location: str
    name: str


def expand_github_input(entry: str) -> Iterator[RepoUnit]:
    """A folder holding a `.git` or files is one repository; a folder of folders is many."""
    path = Path(entry)
    if (path / ".git").exists() or any(p.is_file() for p in path.iterdir()):
        yield RepoUnit("dir", str(path), path.name)
        return
    for child in sorted(path.iterdir()):
        if child.is_dir() and not child.is_symlink():
            yield RepoUnit("dir", str(child), child.name)


def read_repository(unit: RepoUnit, *, max_file_bytes: int = 1_000_000) -> Iterator[Record | Drop]:
    root = Path(unit.location).resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            rid = stable_id(unit.name, rel)
            data = full.read_bytes()
            if len(data) > max_file_bytes:
                yield Drop("too_large", rid, f"{unit.name}/{rel}: {len(data)} bytes")
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                yield Drop("undecodable", rid, f"{unit.name}/{rel}")
                continue
            yield Record(id=rid, source="github", text=text, repo=unit.name, path=rel)
