"""What a repository tree (a folder, a tar or zip archive, a git checkout) yields: files or skipped entries.

A tree is read in one pass. It yields a `FileEntry` per regular file, whose `read` must be called before the
next entry is asked for (tar archives are streams), or a `Skipped` for an entry that is refused (a symlink,
an unsafe archive path, a device). A `Skipped` with `fatal=True` ends the tree (a truncated or oversized
archive). Paths are repository-relative POSIX paths.
"""
from __future__ import annotations

import lzma
import posixpath
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

# Version-control folders are bookkeeping, not repository content: never read, never counted.
VCS_DIRS = frozenset({".git", ".hg", ".svn"})

# Errors that hostile or broken bytes raise while a file or an archive member is read.
READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    tarfile.TarError,
    zipfile.BadZipFile,
    NotImplementedError,  # zip: unsupported compression method
    RuntimeError,  # zip: encrypted member
)


class FileTooLarge(Exception):
    """The file holds more than the byte limit it was read with."""

    def __init__(self, size: int):
        super().__init__(f"{size} bytes")
        self.size = size


class NotRegularFile(Exception):
    """The path names a FIFO, socket or device (reading it could block forever)."""


class ArchiveTooLarge(Exception):
    """The archive expanded past its byte cap (a decompression bomb or a huge repository)."""

    def __init__(self, expanded: int):
        super().__init__(f"expanded past {expanded} bytes")
        self.expanded = expanded


@dataclass(frozen=True)
class FileEntry:
    """A regular file in a tree. `size` is -1 when unknown before reading. `read(limit)` returns the bytes
    or raises `FileTooLarge` beyond `limit`; it is None for listings that cannot read (a tree only counted)."""

    path: str
    size: int
    read: Callable[[int], bytes] | None


@dataclass(frozen=True)
class Skipped:
    """An entry refused with a drop reason; `detail` says what was seen. `fatal` ends the tree."""

    path: str
    reason: str
    detail: str
    fatal: bool = False


class RepoTree(Protocol):
    location: str
    # True when the same path can occur twice (archives); the reader keeps the first.
    may_repeat_paths: bool

    def entries(self) -> Iterator[FileEntry | Skipped]: ...

    def license_files(self, limit: int) -> list[tuple[str, bytes]]: ...


def unsafe_member_reason(name: str) -> str | None:
    """Why an archive member name could escape the repository (absolute, drive letter, `..`), else None."""
    if name.startswith("/") or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        return "absolute path"
    if ".." in name.split("/"):
        return "parent directory (..) component"
    return None


def resolve_link(link_dir: str, target: str) -> str | None:
    """The tree-relative path a link stored in folder `link_dir` points at; None when it leaves the tree."""
    if unsafe_member_reason(target) == "absolute path":
        return None
    resolved = posixpath.normpath(posixpath.join(link_dir, target))
    return None if resolved == ".." or resolved.startswith("../") else resolved


def in_vcs_dir(path: str) -> bool:
    return any(part in VCS_DIRS for part in path.split("/"))
