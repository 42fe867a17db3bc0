"""Opening and globbing input files, local or on a Beam filesystem (gs://, s3://, hdfs://, azfs://)."""
from __future__ import annotations

import glob
import os
import posixpath
from typing import BinaryIO

# Schemes served by Beam's FileSystems; anything else with "://" is a git URL or unsupported.
REMOTE_SCHEMES = ("gs://", "s3://", "hdfs://", "azfs://")
GLOB_CHARS = frozenset("*?[")


def is_remote(location: str) -> bool:
    return location.startswith(REMOTE_SCHEMES)


def has_glob(pattern: str) -> bool:
    return any(ch in GLOB_CHARS for ch in pattern)


def glob_base(pattern: str) -> str:
    """The folder part of `pattern` before its first wildcard ("a/b/*.gz" -> "a/b", "*.gz" -> "")."""
    cut = min((i for i, ch in enumerate(pattern) if ch in GLOB_CHARS), default=len(pattern))
    return posixpath.dirname(pattern[:cut])


def as_given(match: str, pattern: str, given: str) -> str:
    """`match`, a file `pattern` found, spelled the way the config wrote the pattern (`given`, relative paths
    unresolved), so output does not depend on where the input lies; `match` itself when not below it."""
    base, given_base = glob_base(pattern), glob_base(given or pattern)
    if match == pattern:
        return given or pattern
    if base and match.startswith(base + "/"):
        return (given_base + "/" if given_base else "") + match[len(base) + 1 :]
    return match


def match_paths(pattern: str) -> list[str]:
    """Every existing path `pattern` names (a glob or a plain path), sorted; [] when none."""
    if is_remote(pattern):
        from apache_beam.io.filesystem import BeamIOError
        from apache_beam.io.filesystems import FileSystems

        try:
            result = FileSystems.match([pattern])[0]
        except (BeamIOError, ValueError):  # nothing matches, or no filesystem serves the scheme
            return []
        return sorted(m.path for m in result.metadata_list)
    if has_glob(pattern):
        return sorted(glob.glob(pattern, recursive=True))
    return [pattern] if os.path.lexists(pattern) else []


def open_input(location: str) -> BinaryIO:
    """The raw bytes of a file (never decompressed here: callers decompress and cap what they read)."""
    if is_remote(location):
        from apache_beam.io.filesystems import CompressionTypes, FileSystems

        return FileSystems.open(location, compression_type=CompressionTypes.UNCOMPRESSED)
    return open(location, "rb")
