"""A repository packed as an archive (`.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz`, `.tar`, `.zip`), read as a
stream: nothing is ever extracted to disk.

GitHub's archive download holds one top folder `<name>-<ref>/`; it is stripped from paths (tar: when the
first member is a one-component folder; zip: when every member lies under one folder). Members with an
absolute path or a `..` component are refused (`unsafe_path`), links are never followed and are counted as
leaving the repository or pointing inside it, and the bytes a tar expands to (headers, skipped members
included) or a zip's members decompress to are capped: past the cap the rest of the archive is dropped as
`archive_too_large` (a decompression bomb costs at most the cap).

Memory is one member (within `max_file_bytes`) plus a small index per member, never the expansion: tarfile's
stream mode would keep every header it has read (a 1 MB archive of 300,000 small files held ~180 MB of
headers), so only the current one is kept, and the member count is capped (`archive_too_many_members`). A
zip's central directory is parsed whole by `zipfile` (~700 bytes of memory per entry), so its entry count and
size, as the end record declares them, are checked before it is parsed (`archive_too_many_members`,
`archive_directory_too_large`). A zip member whose bytes differ from the size its directory entry declares
is `unreadable`.
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import posixpath
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from functools import partial
from typing import BinaryIO

from pipeline.sources.file_text import is_clean, printable
from pipeline.sources.input_files import open_input
from pipeline.sources.repo_metadata import (
    LICENSE_READ_BYTES,
    MAX_LICENSE_FILES,
    is_license_file,
    license_order,
    pick_license_files,
)
from pipeline.sources.tree_entries import (
    READ_ERRORS,
    ArchiveTooLarge,
    FileEntry,
    FileTooLarge,
    Skipped,
    in_vcs_dir,
    resolve_link,
    unsafe_member_reason,
)

# Tar suffix -> the compression of the stream.
TAR_SUFFIXES = {
    ".tar.gz": "gzip",
    ".tgz": "gzip",
    ".tar.bz2": "bzip2",
    ".tbz2": "bzip2",
    ".tar.xz": "xz",
    ".txz": "xz",
    ".tar": "",
}
ZIP_SUFFIXES = (".zip",)
ARCHIVE_SUFFIXES = (*TAR_SUFFIXES, *ZIP_SUFFIXES)
# Largest tar extension header (GNU long name/link, pax) parsed; tarfile reads one whole into memory, and a
# 300 MB pax header peaked at 1.2 GB (issue 12). Real ones hold a path and a few attributes.
MAX_TAR_HEADER_BYTES = 1 << 20
# Members (files, folders, links) read from one archive: 300,000 holds a repository at `max_files_per_repo`
# (200,000) with its folders; each costs ~700 bytes of zip directory in memory (~210 MB at the cap).
MAX_ARCHIVE_MEMBERS = 300_000
# Largest zip central directory parsed: 300,000 entries with ~170-byte paths.
MAX_ZIP_DIRECTORY_BYTES = 64 << 20
_EXTENSION_HEADERS = frozenset({tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE,
                                tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE})


class TarHeaderTooLarge(Exception):
    """A tar extension header larger than the cap: refused before tarfile reads it."""


class TooManyMembers(Exception):
    """The archive holds (or its zip directory declares) more members than the cap."""


class ZipDirectoryTooLarge(Exception):
    """A zip central directory larger than the cap: refused before zipfile parses it."""


def _bounded_tarinfo(max_header_bytes: int) -> type[tarfile.TarInfo]:
    """A TarInfo class that refuses extension headers above `max_header_bytes` before reading them."""

    class BoundedTarInfo(tarfile.TarInfo):
        def _proc_member(self, tar: tarfile.TarFile):
            if self.type in _EXTENSION_HEADERS and self.size > max_header_bytes:
                raise TarHeaderTooLarge(f"{self.size} bytes of extension header (cap {max_header_bytes})")
            return super()._proc_member(tar)

    return BoundedTarInfo


# Longest zip symlink target read (a "link" member holding more is data pretending to be a link).
MAX_LINK_BYTES = 4096


def archive_suffix(location: str) -> str | None:
    lower = location.lower()
    return next((s for s in ARCHIVE_SUFFIXES if lower.endswith(s)), None)


def archive_repo_name(location: str) -> str:
    """The repository name of an archive: its file name without the archive suffix."""
    name = posixpath.basename(location.rstrip("/"))
    suffix = archive_suffix(name)
    return printable(name[: -len(suffix)] if suffix else name)


class _CappedReader:
    """Counts the bytes read through it and raises `ArchiveTooLarge` once they pass `cap`. Unbuffered, so
    a stream cut short loses at most the chunk being read (tarfile reads 10 KiB at a time)."""

    def __init__(self, inner: BinaryIO, cap: int):
        self.inner, self.cap, self.total = inner, cap, 0

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size if size >= 0 else self.cap - self.total + 1)
        self.total += len(data)
        if self.total > self.cap:
            raise ArchiveTooLarge(self.cap)
        return data


def _decompressed(raw: BinaryIO, compression: str) -> BinaryIO:
    """`raw` decompressed as a stream (closed with `raw`)."""
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "bzip2":
        return bz2.BZ2File(raw)
    if compression == "xz":
        return lzma.LZMAFile(raw)
    return raw


def _strip_top(name: str, top: str | None) -> str:
    if top and name.startswith(top + "/"):
        return name[len(top) + 1 :]
    return "" if top and name == top else name


def _link_skip(rel: str, name: str, target: str, top: str | None, *, hard: bool) -> Skipped:
    """A tar or zip link member: counted as leaving the repository (its top folder) or pointing inside."""
    resolved = resolve_link("" if hard else posixpath.dirname(name), target)
    inside = resolved is not None and (not top or resolved == top or resolved.startswith(top + "/"))
    kind = "hard link" if hard else "symlink"
    if not inside:
        return Skipped(rel, "symlink_outside_repo", f"{kind} to {printable(target)} leaves the repository")
    return Skipped(rel, "symlink_in_repo", f"{kind} to {printable(target)} (not followed)")


_UNKNOWN = object()


class TarTree:
    """The members of a tar archive, streamed (see the module docstring)."""

    may_repeat_paths = True

    def __init__(self, location: str, *, max_archive_bytes: int, max_header_bytes: int = MAX_TAR_HEADER_BYTES,
                 max_members: int = MAX_ARCHIVE_MEMBERS):
        self.location = location
        self.max_archive_bytes, self.max_members = max_archive_bytes, max_members
        self.tarinfo = _bounded_tarinfo(max_header_bytes)
        self._top: str | None | object = _UNKNOWN
        self._licenses: list[tuple[str, bytes]] = []

    def _stream(self) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
        compression = TAR_SUFFIXES[archive_suffix(self.location) or ".tar"]
        with open_input(self.location) as raw:
            inner = _decompressed(raw, compression)
            stream = _CappedReader(inner, self.max_archive_bytes)
            with tarfile.open(fileobj=stream, mode="r|", tarinfo=self.tarinfo) as tar:
                count = 0
                while (member := tar.next()) is not None:
                    tar.members.clear()  # stream mode keeps every header read; only this one is needed
                    count += 1
                    if count > self.max_members:
                        raise TooManyMembers(f"more than {self.max_members} members")
                    yield tar, member

    def top_folder(self) -> str | None:
        """The one folder every member lies under (GitHub's `<name>-<ref>/`), else None: a `git archive`
        without `--prefix` starts with the repository's own first folder (`.github/`), which is kept. One
        pass over the archive, which also keeps the heads of the licence files at its root."""
        if self._top is _UNKNOWN:
            self._scan()
        return self._top

    def _scan(self) -> None:
        top: str | None = None
        seen = False
        consistent = True
        candidates: list[tuple[str, bytes]] = []  # licence files at depth 1 or 2 (root with or without top)
        try:
            for tar, member in self._stream():
                raw = member.name.removeprefix("./")
                if unsafe_member_reason(raw):
                    continue  # counted when read; it must not hide the top folder (as for zip)
                name = raw.strip("/")
                first = name.split("/", 1)[0]
                if not seen:
                    seen = True
                    top = first if first and (member.isdir() or "/" in name) else None
                if top is None or first != top or (name == top and not member.isdir()):
                    consistent = False
                if member.isreg() and name.count("/") <= 1 and is_license_file(posixpath.basename(name)):
                    fh = tar.extractfile(member)
                    if fh is not None and len(candidates) < MAX_LICENSE_FILES * 2:
                        candidates.append((name, fh.read(LICENSE_READ_BYTES)))
        except (ArchiveTooLarge, TarHeaderTooLarge, TooManyMembers, *READ_ERRORS):
            pass  # the reading pass counts the damage; the members before it decide
        self._top = top if consistent else None
        root = [(_strip_top(n, self._top), data) for n, data in candidates]
        self._licenses = sorted(((n, d) for n, d in root if n and "/" not in n), key=lambda nd: license_order(nd[0]))

    def _members(self) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo, str | None]]:
        """`(tar, member, top folder)` for every member but the top folder itself."""
        top = self.top_folder()
        for tar, member in self._stream():
            if top and member.isdir() and member.name.removeprefix("./").strip("/") == top:
                continue
            yield tar, member, top

    def entries(self) -> Iterator[FileEntry | Skipped]:
        try:
            for tar, member, top in self._members():
                entry = self._entry(tar, member, top)
                if entry is not None:
                    yield entry
        except ArchiveTooLarge:
            yield Skipped("", "archive_too_large", f"expands past {self.max_archive_bytes} bytes", fatal=True)
        except TarHeaderTooLarge as err:
            yield Skipped("", "archive_header_too_large", str(err), fatal=True)
        except TooManyMembers as err:
            yield Skipped("", "archive_too_many_members", f"{err} (github.max_archive_members)", fatal=True)
        except READ_ERRORS as err:
            yield Skipped("", "unreadable", f"corrupt or truncated archive: {err}", fatal=True)

    def _entry(self, tar: tarfile.TarFile, member: tarfile.TarInfo, top: str | None) -> FileEntry | Skipped | None:
        name = member.name.removeprefix("./")
        why = unsafe_member_reason(name)
        if why:
            return Skipped(printable(name), "unsafe_path", f"member {printable(name)}: {why}")
        rel = _strip_top(name.rstrip("/"), top)
        if not rel or member.isdir() or in_vcs_dir(rel):
            return None
        if not is_clean(rel):
            return Skipped(rel, "undecodable_path", "member name is not valid UTF-8")
        if member.issym() or member.islnk():
            return _link_skip(rel, name, member.linkname, top, hard=member.islnk())
        if not member.isreg():
            return Skipped(rel, "not_regular_file", "FIFO or device member")
        return FileEntry(rel, member.size, partial(_read_tar_member, tar, member))

    def license_files(self, limit: int = LICENSE_READ_BYTES) -> list[tuple[str, bytes]]:
        """The root-level licence files (at most MAX_LICENSE_FILES), each with its first `limit` bytes."""
        if self._top is _UNKNOWN:
            self._scan()
        return [(name, data[:limit]) for name, data in self._licenses[:MAX_LICENSE_FILES]]


def _read_tar_member(tar: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes:
    if member.size > limit:
        raise FileTooLarge(member.size)
    fh = tar.extractfile(member)
    return fh.read() if fh else b""


def zip_top_folder(names: list[str]) -> str | None:
    """The one folder every safe member lies under (GitHub's `<name>-<ref>/`), else None."""
    names = [name for name in names if not unsafe_member_reason(name)]
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) != 1:
        return None
    top = tops.pop()
    return top if any(name.startswith(top + "/") for name in names) else None


def _zip_name(info: zipfile.ZipInfo) -> str:
    # Some Windows tools store backslashes; as separators they must pass the same `..` checks.
    return info.filename.replace("\\", "/")


def check_zip_directory(raw: BinaryIO, *, max_members: int, max_directory_bytes: int) -> None:
    """Raise before `zipfile` parses the central directory when its end record (zip64 included) declares
    more entries or bytes than the caps; a missing end record is left to `zipfile` to report."""
    end = zipfile._EndRecData(raw)  # the stdlib's own end-record reader (handles zip64 and comments)
    raw.seek(0)
    if end is None:
        return
    entries, size = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if entries > max_members:
        raise TooManyMembers(f"directory declares {entries} members, more than {max_members}")
    if size > max_directory_bytes:
        raise ZipDirectoryTooLarge(f"central directory of {size} bytes, more than {max_directory_bytes}")


class ZipTree:
    """The members of a zip archive (see the module docstring). Needs a seekable file."""

    may_repeat_paths = True

    def __init__(self, location: str, *, max_archive_bytes: int, max_members: int = MAX_ARCHIVE_MEMBERS,
                 max_directory_bytes: int = MAX_ZIP_DIRECTORY_BYTES):
        self.location = location
        self.max_archive_bytes = max_archive_bytes
        self.max_members, self.max_directory_bytes = max_members, max_directory_bytes
        self.expanded = 0

    def _open(self, raw: BinaryIO) -> zipfile.ZipFile:
        check_zip_directory(raw, max_members=self.max_members, max_directory_bytes=self.max_directory_bytes)
        return zipfile.ZipFile(raw)

    def entries(self) -> Iterator[FileEntry | Skipped]:
        self.expanded = 0
        try:
            raw = open_input(self.location)
        except OSError as err:
            yield Skipped("", "unreadable", f"cannot open: {err.strerror or err}", fatal=True)
            return
        with raw:
            try:
                archive = self._open(raw)
                infos = archive.infolist()
            except TooManyMembers as err:
                yield Skipped("", "archive_too_many_members", f"{err} (github.max_archive_members)", fatal=True)
                return
            except ZipDirectoryTooLarge as err:
                yield Skipped("", "archive_directory_too_large", f"{err} (github.max_zip_directory_bytes)",
                              fatal=True)
                return
            except READ_ERRORS as err:
                yield Skipped("", "unreadable", f"corrupt zip archive: {err}", fatal=True)
                return
            with archive:
                names = [_zip_name(info).rstrip("/") for info in infos]
                top = zip_top_folder(names)
                for info, name in zip(infos, names):
                    entry = self._entry(archive, info, name, top)
                    if entry is not None:
                        yield entry

    def _entry(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, top: str | None):
        why = unsafe_member_reason(name)
        if why:
            return Skipped(printable(name), "unsafe_path", f"member {printable(name)}: {why}")
        rel = _strip_top(name, top)
        if not rel or _zip_name(info).endswith("/") or in_vcs_dir(rel):
            return None
        if not is_clean(rel):
            return Skipped(rel, "undecodable_path", "member name is not valid UTF-8")
        mode = info.external_attr >> 16 if info.create_system == 3 else 0  # Unix mode bits
        if stat.S_ISLNK(mode):
            try:
                target = self._read(archive, info, MAX_LINK_BYTES).decode("utf-8", "replace")
            except (FileTooLarge, *READ_ERRORS):
                target = "?"
            return _link_skip(rel, name, target, top, hard=False)
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            return Skipped(rel, "not_regular_file", "FIFO or device member")
        return FileEntry(rel, info.file_size, partial(self._read, archive, info))

    def _read(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
        if info.file_size > limit:
            raise FileTooLarge(info.file_size)
        if self.expanded + info.file_size > self.max_archive_bytes:
            raise ArchiveTooLarge(self.max_archive_bytes)
        with archive.open(info) as fh:
            data = fh.read(info.file_size + 1)  # zipfile stops at the declared size (and checks the CRC there)
        self.expanded += len(data)
        if self.expanded > self.max_archive_bytes:
            raise ArchiveTooLarge(self.max_archive_bytes)
        if len(data) != info.file_size:  # the stream ended early: the directory lies about this member
            raise zipfile.BadZipFile(f"member declares {info.file_size} bytes and holds {len(data)}")
        return data

    def license_files(self, limit: int = LICENSE_READ_BYTES) -> list[tuple[str, bytes]]:
        """The root-level licence files (at most MAX_LICENSE_FILES), each with its first `limit` bytes."""
        try:
            with open_input(self.location) as raw, self._open(raw) as archive:
                infos = {_zip_name(i).rstrip("/"): i for i in archive.infolist() if not i.is_dir()}
                top = zip_top_folder(list(infos))
                root = {_strip_top(n, top): i for n, i in infos.items() if "/" not in _strip_top(n, top)}
                found = []
                for name in pick_license_files(root)[:MAX_LICENSE_FILES]:
                    with archive.open(root[name]) as fh:
                        found.append((name, fh.read(limit)))
                return found
        except (TooManyMembers, ZipDirectoryTooLarge, *READ_ERRORS):
            return []  # the reading pass counts the damage
