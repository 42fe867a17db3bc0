"""Opening and globbing input files, local or on a Beam filesystem (gs://, s3://, hdfs://, azfs://)."""
from __future__ import annotations

import glob
import os
from typing import BinaryIO

# Schemes served by Beam's FileSystems; anything else with "://" is a git URL or unsupported.
REMOTE_SCHEMES = ("gs://", "s3://", "hdfs://", "azfs://")
GLOB_CHARS = frozenset("*?[")


def is_remote(location: str) -> bool:
    return location.startswith(REMOTE_SCHEMES)


def has_glob(pattern: str) -> bool:
    return any(ch in GLOB_CHARS for ch in pattern)


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
