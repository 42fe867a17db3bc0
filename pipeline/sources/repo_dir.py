"""A repository that is a local folder (a checkout, an unpacked archive, a fresh clone), read safely.

Symlinks are never followed (so loops cannot hang the walk and nothing outside the repository is read);
each is counted as leaving the repository, pointing inside it, or broken. FIFOs, sockets and devices are
refused without opening them. Version-control folders are skipped. The walk is depth-first in sorted name
order with an explicit stack, so any nesting depth is safe and the order is deterministic.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from functools import partial

from pipeline.sources.file_text import is_clean, printable
from pipeline.sources.repo_metadata import LICENSE_READ_BYTES, MAX_LICENSE_FILES, pick_license_files
from pipeline.sources.tree_entries import VCS_DIRS, FileEntry, FileTooLarge, NotRegularFile, Skipped

# Reads after the first use this chunk size (only files that grew while being read need them).
READ_CHUNK = 1 << 16
# O_NONBLOCK: opening a FIFO that replaced a file since the listing returns at once instead of blocking.
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_local_file(path: str, limit: int) -> bytes:
    """The bytes of regular file `path`; `FileTooLarge` beyond `limit` bytes (checked before reading),
    `NotRegularFile` for anything else; never follows a symlink."""
    fd = os.open(path, OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path)
        if st.st_size > limit:
            raise FileTooLarge(st.st_size)
        chunks, total = [], 0
        want = st.st_size + 1  # one byte more than stat says, to see growth
        while total <= limit:
            chunk = os.read(fd, want if not chunks else READ_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileTooLarge(total)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


class DirTree:
    """The files of the folder `location` (see the module docstring for what is refused)."""

    may_repeat_paths = False

    def __init__(self, location: str):
        self.location = location
        self.root = os.path.realpath(location)

    def entries(self) -> Iterator[FileEntry | Skipped]:
        stack: list[str] = [""]
        while stack:
            rel_dir = stack.pop()
            try:
                with os.scandir(os.path.join(self.root, rel_dir)) as it:
                    items = sorted(it, key=lambda e: e.name)
            except OSError as err:
                yield Skipped(rel_dir or ".", "unreadable", f"cannot list folder: {err.strerror or err}")
                continue
            subdirs = []
            for item in items:
                if item.name in VCS_DIRS:
                    continue
                rel = f"{rel_dir}/{item.name}" if rel_dir else item.name
                found = self._entry(item, rel)
                if found is None:
                    subdirs.append(rel)
                else:
                    yield found
            stack.extend(reversed(subdirs))  # popped in sorted order

    def _entry(self, item: os.DirEntry, rel: str) -> FileEntry | Skipped | None:
        """The entry for one listed item, or None for a folder to descend into."""
        try:
            if item.is_symlink():
                return self._symlink(item.path, rel)
            if item.is_dir(follow_symlinks=False):
                return None
            regular = item.is_file(follow_symlinks=False)
        except OSError as err:
            return Skipped(rel, "unreadable", f"cannot stat: {err.strerror or err}")
        if not is_clean(rel):
            return Skipped(rel, "undecodable_path", "file name is not valid UTF-8")
        if not regular:
            return Skipped(rel, "not_regular_file", "FIFO, socket or device")
        return FileEntry(rel, -1, partial(read_local_file, item.path))

    def _symlink(self, full: str, rel: str) -> Skipped:
        try:
            target = os.readlink(full)
        except OSError:
            target = "?"
        resolved = os.path.realpath(full)
        if resolved != self.root and not resolved.startswith(self.root + os.sep):
            return Skipped(rel, "symlink_outside_repo", f"symlink to {printable(target)} leaves the repository")
        if not os.path.exists(full):
            return Skipped(rel, "symlink_broken", f"symlink to {printable(target)} is dangling or a loop")
        return Skipped(rel, "symlink_in_repo", f"symlink to {printable(target)} (not followed)")

    def license_files(self, limit: int = LICENSE_READ_BYTES) -> list[tuple[str, bytes]]:
        """The root licence files' names and first `limit` bytes (at most MAX_LICENSE_FILES)."""
        try:
            with os.scandir(self.root) as it:
                names = [e.name for e in it if e.is_file(follow_symlinks=False)]
        except OSError:
            return []
        found = []
        for name in pick_license_files(names)[:MAX_LICENSE_FILES]:
            try:
                fd = os.open(os.path.join(self.root, name), OPEN_FLAGS)
            except OSError:
                continue
            try:
                found.append((name, os.read(fd, limit)))
            except OSError:
                continue
            finally:
                os.close(fd)
        return found