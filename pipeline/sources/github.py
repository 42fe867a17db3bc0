"""GitHub code inputs as plain generators: configured entries -> repository units -> Records and Drops.

An entry is a path, a glob or a URL; its kind is detected:
- a git URL (`https://`, `ssh://`, `git://`, `file://`, `git@host:owner/name`) or a local bare repository
  folder: shallow-cloned into a temporary folder, read, removed;
- a folder: one repository if it holds a `.git` or any regular file at its top, else a folder of
  repositories (each subfolder; a subfolder holding only folders is a folder of `owner/name` repositories);
- a `.tar.gz`/`.tgz`/`.tar.bz2`/`.tar.xz`/`.tar`/`.zip` file: one repository archive;
- a `.parquet` or `.jsonl[.gz]`/`.ndjson[.gz]` file: a file-level dump (one unit per Parquet row group).
Remote entries (gs://, s3://, ...) may be archives or dumps. Expansion runs inside the pipeline, so the job
graph does not grow with the number of repositories.

Every file found becomes a Record or a Drop with a reason (see README "Inputs: GitHub code"); ids are
`stable_id(repo, path)`, so they do not depend on where or in which order the input was read.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.record import Drop, Record, stable_id
from pipeline.sources.file_dumps import (
    DUMP_BATCH_ROWS,
    DumpColumns,
    DumpRow,
    dump_kind,
    json_line_limit,
    parquet_row_groups,
    read_jsonl_rows,
    read_parquet_rows,
)
from pipeline.sources.file_text import decode_source, printable
from pipeline.sources.git_clone import (
    CloneError,
    clone_shallow,
    git_repo_name,
    head_commit,
    is_git_url,
    tracked_paths,
)
from pipeline.sources.input_files import as_given, is_remote, match_paths
from pipeline.sources.repo_archive import (
    MAX_ARCHIVE_MEMBERS,
    MAX_TAR_HEADER_BYTES,
    MAX_ZIP_DIRECTORY_BYTES,
    ZIP_SUFFIXES,
    TarTree,
    ZipTree,
    archive_repo_name,
    archive_suffix,
)
from pipeline.sources.repo_dir import DirTree
from pipeline.sources.repo_metadata import RepoMeta, clean_url, created_after_cutoff, license_meta, origin_url
from pipeline.sources.tree_entries import (
    READ_ERRORS,
    VCS_DIRS,
    ArchiveTooLarge,
    FileEntry,
    FileTooLarge,
    NotRegularFile,
    RepoTree,
    Skipped,
)

log = logging.getLogger(__name__)

SOURCE = "github"
MAX_FILE_BYTES = 1_000_000
# Bytes an archive may expand to (members skipped or not): bounds the work of a decompression bomb (~5 s of
# CPU here for 2 GB of gzip); memory does not follow it, since archives are streamed one member at a time.
MAX_ARCHIVE_BYTES = 2_000_000_000
# Bytes of files read into Records from one repository (folder, clone or archive): what a worker holds at
# once when the repository's files are grouped into samples, ~4.8x this (measured: a 315 MB repository peaked
# at 1.7 GB in the sample step), so ~1.4 GB at this default: it fits a worker of 2 GB per core.
MAX_REPO_BYTES = 256_000_000
MAX_FILES_PER_REPO = 200_000
# Longer paths are not file names but an attack on memory (a 50 MB member name wrote 759 empty shards).
MAX_PATH_CHARS = 4096
GIT_CLONE_TIMEOUT_S = 600
# Folder-of-repositories nesting: `root/name` or `root/owner/name`.
MAX_REPO_FOLDER_DEPTH = 2
# Kinds of units whose repository metadata can come from the side file (dumps carry their own columns).
REPO_KINDS = ("dir", "git", "archive")


def _limit(default: Any, description: str = "", **bounds: int) -> Any:
    """A limit's default, and the bounds and description config validation applies to it."""
    return field(default=default, metadata={"description": description, **bounds})


@dataclass(frozen=True)
class ReadLimits:
    """What one repository may cost; every breach is a counted drop. Each limit is defined once here: config
    `github` (`pipeline.config.GithubSource`) is a validated model built from these fields."""

    created_before: dt.date | None = field(
        default=None, metadata={"description": "drop repositories created on or after this date (V2: 2023-11-01)"}
    )
    max_file_bytes: int = _limit(MAX_FILE_BYTES, "larger files are dropped as too_large", gt=0, le=1 << 30)
    max_archive_bytes: int = _limit(
        MAX_ARCHIVE_BYTES, "bytes one archive may expand to (the work of a bomb): the rest is archive_too_large",
        gt=0, le=1 << 40,
    )
    max_repo_bytes: int = _limit(
        MAX_REPO_BYTES, "bytes of files read from one repository (a worker holds them at once): then repo_too_large",
        gt=0, le=1 << 40,
    )
    max_files_per_repo: int = _limit(MAX_FILES_PER_REPO, gt=0, le=100_000_000)
    max_archive_members: int = _limit(
        MAX_ARCHIVE_MEMBERS, "members of one archive (files, folders, links): the rest is archive_too_many_members",
        gt=0, le=100_000_000,
    )
    max_zip_directory_bytes: int = _limit(
        MAX_ZIP_DIRECTORY_BYTES, "larger zip central directories: archive_directory_too_large, refused before parsing",
        gt=0, le=1 << 34,
    )
    max_path_chars: int = _limit(MAX_PATH_CHARS, "longer paths: path_too_long", gt=0, le=1 << 20)
    max_tar_header_bytes: int = _limit(
        MAX_TAR_HEADER_BYTES, "larger tar long-name/pax headers: archive_header_too_large", gt=0, le=1 << 30
    )
    git_clone_timeout_s: int = _limit(GIT_CLONE_TIMEOUT_S, gt=0, le=86_400)
    dump_columns: DumpColumns = field(default_factory=DumpColumns)  # config: GithubDumpColumns
    dump_batch_rows: int = _limit(DUMP_BATCH_ROWS, "Parquet rows read at a time", gt=0, le=1_000_000)


@dataclass(frozen=True)
class RepoUnit:
    """One unit of work: a repository (dir, git, archive), a dump file or Parquet row group, or an entry
    that names nothing usable (`missing`, `unsupported`, `symlinked_repo`, `unreadable`)."""

    kind: str
    location: str
    name: str = ""
    part: int = -1  # Parquet row group; -1 before splitting
    meta: RepoMeta = field(default_factory=RepoMeta)
    detail: str = ""  # why an `unreadable` entry could not be expanded
    shown: str = ""  # `location` as the config spells it (relative paths kept): what output calls it by

    @property
    def ref(self) -> str:
        """The unit as output names it (drop ids and details), independent of where the input lies."""
        return self.shown or self.location

    def where(self, path: str = "") -> str:
        """A readable locator of `path` in this unit, for drop details."""
        location = clean_url(self.ref)  # a git URL may carry credentials
        if not path:
            return printable(location)
        sep = "/" if self.kind == "dir" else "!/"
        return printable(f"{location.rstrip('/')}{sep}{path}")


# ---------------------------------------------------------------------------------------------- expansion


def is_bare_git_dir(path: str) -> bool:
    return all(os.path.exists(os.path.join(path, p)) for p in ("HEAD", "objects", "refs")) and not os.path.exists(
        os.path.join(path, ".git")
    )


def _holds_repo(path: str) -> bool:
    """A folder is one repository when it holds a VCS folder or any regular file at its top."""
    with os.scandir(path) as it:
        return any(e.name in VCS_DIRS or e.is_file(follow_symlinks=False) for e in it)


def _folder_units(path: str, name: str, depth: int) -> Iterator[RepoUnit]:
    if is_bare_git_dir(path):
        yield RepoUnit("git", path, name.removesuffix(".git"))
    elif depth >= MAX_REPO_FOLDER_DEPTH or _holds_repo(path):
        yield RepoUnit("dir", path, name)
    else:
        with os.scandir(path) as it:
            children = sorted((e for e in it if e.is_dir()), key=lambda e: e.name)
        for child in children:
            child_name = printable(f"{name}/{child.name}" if name else child.name)
            if child.is_symlink():
                yield RepoUnit("symlinked_repo", child.path, child_name)
            else:
                yield from _folder_units(child.path, child_name, depth + 1)


def _path_units(path: str) -> Iterator[RepoUnit]:
    if not is_remote(path) and os.path.isdir(path):
        name = printable(os.path.basename(os.path.realpath(path)))
        if is_bare_git_dir(path) or _holds_repo(path):
            yield from _folder_units(path, name, MAX_REPO_FOLDER_DEPTH)
        else:
            yield from _folder_units(path, "", 0)
    elif archive_suffix(path):
        yield RepoUnit("archive", path, archive_repo_name(path))
    elif dump_kind(path):
        yield RepoUnit(dump_kind(path), path)
    else:
        yield RepoUnit("unsupported", path)


def expand_entry(entry: str, given: str = "") -> Iterator[RepoUnit]:
    """The units one configured entry names, in a deterministic order; an entry that names nothing is
    one `missing` unit (the reader counts it). `given` is the entry as written in the config: units are
    then named by its spelling (`RepoUnit.shown`), not by where they lie."""
    for unit in _entry_units(entry):
        yield replace(unit, shown=printable(as_given(unit.location, entry, given))) if given else unit


def _entry_units(entry: str) -> Iterator[RepoUnit]:
    if entry.startswith("file://") and (archive_suffix(entry) or dump_kind(entry)):
        entry = urllib.parse.unquote(urllib.parse.urlsplit(entry).path)
    elif is_git_url(entry):
        yield RepoUnit("git", entry, git_repo_name(entry))
        return
    paths = match_paths(entry)
    if not paths:
        yield RepoUnit("missing", entry)
    for path in paths:
        try:
            yield from _path_units(path)
        except OSError as err:
            yield RepoUnit("unreadable", path, detail=detail_name(err))


def detail_name(err: BaseException) -> str:
    return f"{type(err).__name__}: {getattr(err, 'strerror', None) or err}"


def _shortened(name: str) -> str:
    """A name too long to repeat in a drop detail: its head and its length."""
    return f"{name[:200]}...({len(name)} characters)"


def split_unit(unit: RepoUnit) -> Iterator[RepoUnit]:
    """A Parquet dump becomes one unit per row group (an unreadable footer stays one unit, whose reading
    reports it); other units pass through."""
    if unit.kind != "parquet" or unit.part >= 0:
        yield unit
        return
    try:
        groups = parquet_row_groups(unit.location)
    except READ_ERRORS:
        yield replace(unit, part=0)
        return
    for i in range(groups):
        yield replace(unit, part=i)


def unique_names(units: list[RepoUnit]) -> list[RepoUnit]:
    """Units that share a repository name (mirrors `x/repo.git` and `y/repo.git`, archives
    `x/proj-main.tar.gz` and `y/proj-main.tar.gz`) renamed apart by the folders before them in the input as
    the config spells it (`x/repo`, `y/repo`), the fewest that make every name distinct; so two projects
    never merge into one repository and no file of either is dropped as a duplicate. The same input listed
    twice is one repository. Deterministic: the result depends on the set of units, never on their order."""
    distinct = sorted({u.ref for u in units if u.kind in REPO_KINDS})
    if len(distinct) < 2:
        return units
    name = units[0].name
    depth = len(name.split("/"))
    parents = {ref: [c for c in clean_url(ref).rstrip("/").split("/")[:-depth] if c] for ref in distinct}
    renamed: dict[str, str] = {}
    for k in range(1, max(len(p) for p in parents.values()) + 1):
        renamed = {ref: "/".join([*parents[ref][-k:], name]) for ref in distinct}
        if len(set(renamed.values())) == len(distinct):
            break
    if len(set(renamed.values())) != len(distinct):
        renamed = {ref: f"{name}@{stable_id(ref)[:12]}" for ref in distinct}
    return [replace(u, name=renamed[u.ref]) if u.kind in REPO_KINDS else u for u in units]


def with_metadata(unit: RepoUnit, meta: RepoMeta | None) -> RepoUnit:
    """`unit` carrying the side file's metadata for its repository (dumps keep their own columns)."""
    if meta is None or unit.kind not in REPO_KINDS:
        return unit
    return replace(unit, meta=meta.merged(unit.meta))


# ---------------------------------------------------------------------------------------------- reading


def read_unit(unit: RepoUnit, limits: ReadLimits = ReadLimits()) -> Iterator[Record | Drop]:
    """Every file of `unit` as a Record, or a Drop with a reason and a detail naming the file.
    Never raises on bad input: an unexpected error ends the unit with an `unreadable` drop (and a log)."""
    try:
        if unit.kind == "dir":
            yield from read_tree(unit, DirTree(unit.location), limits)
        elif unit.kind == "archive":
            bounds = {"max_archive_bytes": limits.max_archive_bytes, "max_members": limits.max_archive_members}
            if unit.location.lower().endswith(ZIP_SUFFIXES):
                tree: RepoTree = ZipTree(unit.location, max_directory_bytes=limits.max_zip_directory_bytes, **bounds)
            else:
                tree = TarTree(unit.location, max_header_bytes=limits.max_tar_header_bytes, **bounds)
            yield from read_tree(unit, tree, limits)
        elif unit.kind == "git":
            yield from read_git(unit, limits)
        elif unit.kind in ("parquet", "jsonl"):
            yield from read_dump(unit, limits)
        else:
            yield _unit_drop(unit)
    except Exception as err:  # a reader bug on hostile input must cost one unit, never the run
        log.exception("unexpected error reading %s", unit.where())
        yield Drop("unreadable", stable_id("input", unit.ref), f"{unit.where()}: {detail_name(err)}")


def _unit_drop(unit: RepoUnit) -> Drop:
    details = {
        "missing": ("input_missing", "no file, folder or glob match"),
        "unsupported": ("unsupported_input", "not a folder, git URL, archive or dump suffix"),
        "symlinked_repo": ("symlink_outside_repo", "repository folder is a symlink (not followed)"),
        "unreadable": ("unreadable", unit.detail),
    }
    reason, why = details.get(unit.kind, ("unsupported_input", f"unknown unit kind {unit.kind}"))
    return Drop(reason, stable_id("input", unit.ref), f"{unit.where()}: {why}")


def repo_meta(unit: RepoUnit, tree: RepoTree, *, local_dir: str = "") -> RepoMeta:
    """The unit's metadata, completed from the tree: licence file, and the origin URL of a checkout."""
    meta = unit.meta
    if not meta.license:
        meta = meta.merged(license_meta(tree.license_files()))
    if not meta.url and local_dir:
        meta = meta.merged(RepoMeta(url=origin_url(os.path.join(local_dir, ".git"))))
    return meta


def read_tree(
    unit: RepoUnit, tree: RepoTree, limits: ReadLimits, *, extra: dict[str, str] | None = None
) -> Iterator[Record | Drop]:
    """The files of one repository tree, with every limit applied (see module docstring)."""
    repo = unit.name
    meta = repo_meta(unit, tree, local_dir=unit.location if unit.kind == "dir" else "")
    after_cutoff = created_after_cutoff(meta.created_at, limits.created_before)
    extra = dict(extra or {})
    if meta.license_file:
        extra["license_file"] = meta.license_file
    if limits.created_before and not meta.created_at:
        extra["cutoff"] = "created_at_unknown"
    seen: set[bytes] = set()  # digests, not paths: a member's index costs a few dozen bytes, whatever its name
    n_files = n_bytes = 0
    full = False  # past max_repo_bytes
    entries = tree.entries()
    try:
        for item in entries:
            if len(item.path) > limits.max_path_chars:  # before the path is used as a key or a name
                cut = _shortened(item.path)
                yield Drop("path_too_long", stable_id(repo, item.path), f"{unit.where(cut)}: longer than "
                           f"github.max_path_chars ({limits.max_path_chars})")
                continue
            if isinstance(item, Skipped):
                where = unit.where(item.path) if item.path else unit.where()
                yield Drop(item.reason, stable_id(repo, item.path), f"{where}: {item.detail}")
                if item.fatal:
                    return
                continue
            rid, where = stable_id(repo, item.path), unit.where(item.path)
            if tree.may_repeat_paths:
                digest = hashlib.blake2b(item.path.encode("utf-8", "surrogatepass"), digest_size=16).digest()
                if digest in seen:
                    yield Drop("duplicate_path", rid, f"{where}: listed again in the archive (first kept)")
                    continue
                seen.add(digest)
            n_files += 1
            if after_cutoff:
                yield Drop("created_after_cutoff", rid, f"{where}: created {meta.created_at}")
                continue
            if n_files > limits.max_files_per_repo:
                yield Drop("too_many_files", rid, f"{where}: past {limits.max_files_per_repo} files in {repo}")
                continue
            full = full or n_bytes + max(item.size, 0) > limits.max_repo_bytes
            if not full:
                result = _read_entry(item, rid, where, limits)
                if isinstance(result, Drop):
                    yield result
                    if result.reason == "archive_too_large":
                        return
                    continue
                text, encoding, size = result
                full = n_bytes + size > limits.max_repo_bytes  # a size known only once read (folders)
            if full:  # the first file that does not fit ends the repository: the rest is not read
                yield Drop("repo_too_large", rid, f"{where}: past github.max_repo_bytes ({limits.max_repo_bytes})"
                           f" of files read from {repo}")
                continue
            n_bytes += size
            yield _record(rid, text, repo, item.path, meta, encoding, extra)
    finally:
        entries.close()


def _read_entry(item: FileEntry, rid: str, where: str, limits: ReadLimits) -> tuple[str, str, int] | Drop:
    """`(text, encoding, bytes read)` of one file, or the Drop saying why not."""
    limit = limits.max_file_bytes
    if item.size > limit:
        return Drop("too_large", rid, f"{where}: {item.size} bytes > {limit}")
    try:
        data = item.read(limit)
    except FileTooLarge as err:
        return Drop("too_large", rid, f"{where}: {err.size} bytes > {limit}")
    except NotRegularFile:
        return Drop("not_regular_file", rid, f"{where}: FIFO, socket or device")
    except ArchiveTooLarge:
        return Drop("archive_too_large", rid, f"{where}: archive expands past {limits.max_archive_bytes} bytes")
    except READ_ERRORS as err:
        return Drop("unreadable", rid, f"{where}: {detail_name(err)}")
    text, encoding = decode_source(data)
    if text is None:
        return Drop(encoding, rid, f"{where}: {len(data)} bytes")
    return text, encoding, len(data)


def _record(
    rid: str, text: str, repo: str, path: str, meta: RepoMeta, encoding: str, extra: dict[str, str]
) -> Record:
    info = dict(extra)
    if encoding != "utf-8":
        info["encoding"] = encoding
    return Record(
        id=rid,
        source=SOURCE,
        text=text,
        repo=repo,
        path=path,
        repo_url=meta.url,
        repo_created_at=meta.created_at,
        repo_license=meta.license,
        repo_stars=meta.stars,
        meta=info,
    )


class _GitListing:
    """The paths of a clone made without checkout: enough to count the files of a repository that is
    dropped whole (created after the cutoff)."""

    may_repeat_paths = False

    def __init__(self, location: str, clone_dir: str, timeout_s: float):
        self.location, self.clone_dir, self.timeout_s = location, clone_dir, timeout_s

    def entries(self) -> Iterator[FileEntry | Skipped]:
        for path in tracked_paths(self.clone_dir, timeout_s=self.timeout_s):
            if not any(part in VCS_DIRS for part in path.split("/")):
                yield FileEntry(path, -1, None)

    def license_files(self, limit: int = 0) -> list[tuple[str, bytes]]:
        return []


def clone_url(location: str) -> str:
    return Path(location).resolve().as_uri() if not is_git_url(location) else location


def read_git(unit: RepoUnit, limits: ReadLimits) -> Iterator[Record | Drop]:
    """Shallow-clone, read and delete. A repository already known to be past the cutoff is cloned without
    checkout and only listed. A failed or timed-out clone is one drop naming the URL."""
    url = clone_url(unit.location)
    dropping = created_after_cutoff(unit.meta.created_at, limits.created_before)
    workdir = tempfile.mkdtemp(prefix="codecorpus-clone-")
    try:
        dest = os.path.join(workdir, "repo")
        try:
            clone_shallow(url, dest, timeout_s=limits.git_clone_timeout_s, checkout=not dropping)
        except CloneError as err:
            reason = "clone_timeout" if err.timed_out else "clone_failed"
            yield Drop(reason, stable_id("input", unit.ref), str(err))
            return
        # A URL is the repository's address; a local bare repository names its origin in its config.
        url_known = clean_url(unit.location) if is_git_url(unit.location) else origin_url(unit.location)
        git_unit = replace(unit, meta=unit.meta.merged(RepoMeta(url=url_known)))
        if dropping:
            yield from read_tree(git_unit, _GitListing(unit.location, dest, limits.git_clone_timeout_s), limits)
            return
        commit = head_commit(dest, timeout_s=limits.git_clone_timeout_s)
        tree = DirTree(dest)
        yield from read_tree(git_unit, tree, limits, extra={"commit": commit} if commit else None)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def read_dump(unit: RepoUnit, limits: ReadLimits) -> Iterator[Record | Drop]:
    """The rows of a dump file (or of one Parquet row group) as Records and Drops."""
    if unit.kind == "parquet":
        rows = read_parquet_rows(
            unit.location, max(unit.part, 0), limits.dump_columns, batch_rows=limits.dump_batch_rows
        )
    else:
        rows = read_jsonl_rows(unit.location, limits.dump_columns, max_line_bytes=json_line_limit(limits.max_file_bytes))
    for row in rows:
        if isinstance(row, Skipped):
            where = printable(row.path) if row.path else unit.where()
            yield Drop(row.reason, stable_id("input", unit.ref, row.path), f"{where}: {row.detail}")
            continue
        yield _dump_record(row, limits)


def _dump_record(row: DumpRow, limits: ReadLimits) -> Record | Drop:
    rid = stable_id(row.repo, row.path)
    for field_name, name in (("repo", row.repo), ("path", row.path)):
        if len(name) > limits.max_path_chars:  # a key and a name downstream: capped as archive paths are
            return Drop("path_too_long", rid, f"{row.where} ({field_name} {printable(_shortened(name))}): "
                        f"longer than github.max_path_chars ({limits.max_path_chars})")
    where = f"{row.where} ({printable(row.repo)}/{printable(row.path)})"
    meta = row.meta
    if created_after_cutoff(meta.created_at, limits.created_before):
        return Drop("created_after_cutoff", rid, f"{where}: created {meta.created_at}")
    content = row.content
    try:
        size = len(content) if isinstance(content, bytes) else len(content.encode("utf-8"))
    except UnicodeEncodeError:  # JSON may escape lone surrogates, which no UTF-8 file can hold
        return Drop("undecodable", rid, f"{where}: content holds lone surrogates")
    if size > limits.max_file_bytes:
        return Drop("too_large", rid, f"{where}: {size} bytes > {limits.max_file_bytes}")
    if isinstance(content, bytes):
        text, encoding = decode_source(content)
        if text is None:
            return Drop(encoding, rid, f"{where}: {size} bytes")
    else:
        text, encoding = content, "utf-8"
        if not text:
            return Drop("empty_file", rid, f"{where}: 0 bytes")
        if "\x00" in text:
            return Drop("binary", rid, f"{where}: NUL character in content")
    extra = {"cutoff": "created_at_unknown"} if limits.created_before and not meta.created_at else {}
    return _record(rid, text, printable(row.repo), printable(row.path), meta, encoding, extra)
