"""Repository metadata: name, URL, creation date, licence and stars, from a side file, a dump's columns,
the licence file and `.git/config`; and the created-before cutoff (SPEC §1: V2 used repositories created
before November 2023).

The creation date is only ever taken from metadata (a side file or a dump column such as The Stack v2's
`gha_created_at`): commit dates are set by authors, can predate the repository and a shallow clone holds
only the newest commit, so they are never used as a creation date.
"""
from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pipeline.json_lines import json_lines
from pipeline.sources.input_files import open_input

log = logging.getLogger(__name__)

# A licence file at the repository root: LICENSE, LICENCE.md, COPYING, UNLICENSE, LICENSE-MIT, ...
LICENSE_FILE_RE = re.compile(r"^(?:un)?licen[cs]e(?:[-._].*)?$|^copying(?:[-._].*)?$", re.IGNORECASE)
# Bytes of a licence file read to recognise it; licence texts are short.
LICENSE_READ_BYTES = 64 * 1024
# Unrecognised licence text: SPDX's value for "a licence exists but was not determined".
NOASSERTION = "NOASSERTION"

# SPDX id and phrases that must all occur (case-insensitive, whitespace-collapsed). More specific first.
SPDX_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", ("gnu affero general public license", "version 3")),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1", ("gnu lesser general public license", "version 2.1")),
    ("GPL-3.0", ("gnu general public license", "version 3")),
    ("GPL-2.0", ("gnu general public license", "version 2")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("EPL-2.0", ("eclipse public license", "2.0")),
    ("EPL-1.0", ("eclipse public license", "1.0")),
    ("BSL-1.0", ("boost software license", "version 1.0")),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",)),
    ("CC0-1.0", ("cc0 1.0 universal",)),
    ("WTFPL", ("do what the fuck you want to public license",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software for any purpose",)),
    ("MIT", ("permission is hereby granted, free of charge",)),
    (
        "BSD-3-Clause",
        ("redistribution and use in source and binary forms", "neither the name"),
    ),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("Zlib", ("this software is provided 'as-is'", "altered source versions must be plainly marked")),
)

# Ids whose text quotes or contains another's key phrases: the other is not a second licence.
SUBSUMES = {
    "AGPL-3.0": ("GPL-3.0",),
    "LGPL-3.0": ("GPL-3.0",),
    "LGPL-2.1": ("GPL-2.0",),
    "BSD-3-Clause": ("BSD-2-Clause",),
}
# At most this many root licence files are read per repository.
MAX_LICENSE_FILES = 4
# A licence file this short may be a statement naming licences rather than holding their texts.
STATEMENT_MAX_CHARS = 2_000
CHOICE_PREAMBLE_CHARS = 600
CHOICE_WORDS = re.compile(r"\bdual[- ]licen[cs]ed\b|\beither\b|at your option|\bat your choice\b|\bchoose\b")
LICENSE_NAMES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (spdx, re.compile(pattern))
    for spdx, pattern in (
        ("Unlicense", r"\bunlicen[cs]e\b"),
        ("MIT", r"\bmit\b"),
        ("Apache-2.0", r"\bapache(?: license)?,? (?:version )?2\.0\b|\bapache-2\.0\b"),
        ("BSD-3-Clause", r"\bbsd-3-clause\b|\b3-clause bsd\b"),
        ("BSD-2-Clause", r"\bbsd-2-clause\b|\b2-clause bsd\b"),
        ("GPL-3.0", r"\bgplv3\b|\bgpl-3\.0\b"),
        ("GPL-2.0", r"\bgplv2\b|\bgpl-2\.0\b"),
        ("MPL-2.0", r"\bmpl-2\.0\b"),
        ("ISC", r"\bisc licen[cs]e\b"),
        ("Zlib", r"\bzlib licen[cs]e\b"),
    )
)
# `SPDX-License-Identifier: MIT OR Apache-2.0` (the REUSE convention): the expression as written.
SPDX_ID_LINE = re.compile(r"SPDX-License-Identifier:[ \t]*([A-Za-z0-9.+\-() \t]{1,200})")

# Side-file columns, first present wins; the GitHub API's repository JSON is accepted as it comes.
# A metadata row is a few hundred bytes; a longer JSON line is skipped (logged) without being held in memory.
MAX_METADATA_LINE_BYTES = 1 << 20
META_KEY_COLUMNS = ("repo", "repo_name", "full_name", "name")
META_COLUMNS = {
    "url": ("url", "repo_url", "html_url"),
    "created_at": ("created_at", "repo_created_at"),
    "stars": ("stars", "repo_stars", "stargazers_count", "max_stars_count"),
    "license": ("license", "repo_license", "spdx_id"),
}


@dataclass(frozen=True)
class RepoMeta:
    """What is known about a repository; "" / None means unknown."""

    url: str = ""
    created_at: str = ""  # YYYY-MM-DD
    stars: int | None = None
    license: str = ""
    license_file: str = ""

    def merged(self, fallback: RepoMeta) -> RepoMeta:
        """Fields known here, the rest from `fallback`."""
        changes = {f.name: getattr(fallback, f.name) for f in fields(self) if _unknown(getattr(self, f.name))}
        return replace(self, **changes)


def _unknown(value: Any) -> bool:
    return value is None or value == ""


def is_license_file(name: str) -> bool:
    return bool(LICENSE_FILE_RE.match(name))


def license_order(name: str) -> tuple[int, str]:
    """LICENSE before LICENCE before COPYING/UNLICENSE, then by name."""
    lower = name.lower()
    return (0 if lower.startswith("license") else 1 if lower.startswith("licence") else 2, name)


def pick_license_files(names: Iterable[str]) -> list[str]:
    """The licence files among root-level `names`, in `license_order`."""
    return sorted((n for n in names if is_license_file(n)), key=license_order)


def _licenses_in(flat: str) -> list[str]:
    """SPDX ids whose full key phrases occur in a whitespace-collapsed, lower-cased text, most specific
    first, without the ids a found one implies (an LGPL text quotes the GPL, a BSD-3 text holds BSD-2's)."""
    found = [spdx for spdx, phrases in SPDX_KEYWORDS if all(p in flat for p in phrases)]
    return [spdx for spdx in found if not any(spdx in SUBSUMES.get(other, ()) for other in found)]


def _named_in(flat: str) -> list[str]:
    """SPDX ids a short statement names ("dual-licensed under the Unlicense and MIT licenses")."""
    return [spdx for spdx, pattern in LICENSE_NAMES if pattern.search(flat)]


def spdx_from_text(text: str) -> str:
    """An SPDX expression for one licence file: its `SPDX-License-Identifier` line when it has one; else
    every licence whose key phrases it holds, or that a short statement names, joined by OR when the file
    offers a choice ("dual-licensed", "either", "at your option") and by AND otherwise; else NOASSERTION."""
    declared = SPDX_ID_LINE.search(text)
    if declared:
        return " ".join(declared.group(1).split())
    flat = " ".join(text.lower().split())
    ids = _licenses_in(flat) or (_named_in(flat) if len(flat) <= STATEMENT_MAX_CHARS else [])
    if not ids:
        return NOASSERTION
    # The choice is stated before the texts; licence texts' own boilerplate ("either express or implied")
    # comes later and must not count.
    return combine_spdx(ids, choice=bool(CHOICE_WORDS.search(flat[:CHOICE_PREAMBLE_CHARS])))


def combine_spdx(ids: list[str], *, choice: bool) -> str:
    """One SPDX expression from several: distinct ids in order, joined by OR (a choice) or AND; compound
    parts are parenthesised."""
    parts = [i for i in dict.fromkeys(ids) if i != NOASSERTION] or [NOASSERTION]
    if len(parts) == 1:
        return parts[0]
    return f" {'OR' if choice else 'AND'} ".join(f"({p})" if " " in p else p for p in parts)


def license_meta(found: list[tuple[str, bytes]]) -> RepoMeta:
    """Licence fields from a tree's root licence files `[(name, head bytes)]` (none: nothing known).
    Several files with different licences (LICENSE-MIT, LICENSE-APACHE, UNLICENSE) are the dual-licensing
    convention: their OR, unless one file's statement names them all and says how they combine."""
    if not found:
        return RepoMeta()
    expressions = [spdx_from_text(data.decode("utf-8", "replace")) for _, data in found]
    known = list(dict.fromkeys(e for e in expressions if e != NOASSERTION))
    names = ", ".join(name for name, _ in found)
    if len(known) > 1:
        statement = next((e for e in known if all(k in e for k in known)), None)
        return RepoMeta(license=statement or combine_spdx(known, choice=True), license_file=names)
    return RepoMeta(license=known[0] if known else NOASSERTION, license_file=names)


def parse_date(value: Any) -> str:
    """`YYYY-MM-DD` from an ISO date or datetime (string, date or datetime); "" when absent or unparseable.
    Datetimes with a zone are converted to UTC first."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return parse_date(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return ""


def created_after_cutoff(created_at: str, created_before: dt.date | None) -> bool:
    """True when the repository was created on or after the cutoff; unknown dates are never dropped."""
    return bool(created_before and created_at and dt.date.fromisoformat(created_at) >= created_before)


def parse_stars(value: Any) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(str(value).replace(",", "").strip()) if not isinstance(value, int) else value
    except ValueError:
        return None


def parse_license(value: Any) -> str:
    """A licence value: a string, a list of SPDX ids (joined with AND), or the API's {"spdx_id": ...}."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("spdx_id") or value.get("key") or "")
    if isinstance(value, (list, tuple)):
        return " AND ".join(str(v) for v in value if v)
    return str(value).strip()


def clean_url(url: str) -> str:
    """`url` without user name or password, so credentials never reach the output or the logs."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def meta_from_fields(url: Any = None, created_at: Any = None, stars: Any = None, license: Any = None) -> RepoMeta:
    return RepoMeta(
        url=clean_url(str(url)) if url else "",
        created_at=parse_date(created_at),
        stars=parse_stars(stars),
        license=parse_license(license),
    )


def _first(row: dict[str, Any], columns: Iterable[str]) -> Any:
    for column in columns:
        if row.get(column) not in (None, ""):
            return row[column]
    return None


def meta_key(repo: str) -> str:
    """Repository names match case-insensitively, as on GitHub."""
    return repo.strip().lower()


def metadata_row(row: dict[str, Any]) -> tuple[str, RepoMeta] | None:
    """`(key, meta)` from one side-file row, None when it names no repository."""
    repo = _first(row, META_KEY_COLUMNS)
    if not repo:
        return None
    values = {name: _first(row, columns) for name, columns in META_COLUMNS.items()}
    return meta_key(str(repo)), meta_from_fields(**values)


def _text_lines(location: str) -> Iterator[str]:
    with open_input(location) as raw:
        stream = gzip.GzipFile(fileobj=raw) if location.endswith(".gz") else raw
        yield from io.TextIOWrapper(stream, encoding="utf-8", newline="")


def _raw_rows(location: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
    base = location.removesuffix(".gz")
    if base.endswith(".csv"):
        yield from enumerate(csv.DictReader(_text_lines(location)), start=2)
        return
    with open_input(location) as raw:
        stream = gzip.GzipFile(fileobj=raw) if location.endswith(".gz") else raw
        for line in json_lines(stream, max_line_bytes=MAX_METADATA_LINE_BYTES, invalid_utf8="not_json"):
            yield line.number, line.value if isinstance(line.value, dict) else None


def metadata_rows(location: str) -> Iterator[tuple[str, RepoMeta]]:
    """Every `(key, meta)` of a metadata side file (JSONL or CSV, optionally .gz). A row that is not an
    object or names no repository is logged with its line number and skipped."""
    for line, row in _raw_rows(location):
        parsed = metadata_row(row) if row is not None else None
        if parsed is None:
            log.warning("metadata file %s line %d: not a row naming a repository; skipped", location, line)
            continue
        yield parsed


def check_metadata_file(location: str) -> str | None:
    """Why a metadata side file cannot be used (missing, unknown format, no repository column), else None."""
    base = location.removesuffix(".gz")
    if not base.endswith((".csv", ".jsonl", ".ndjson")):
        return f"{location}: expected a .csv or .jsonl file (optionally .gz)"
    try:
        first = next(iter(_raw_rows(location)), None)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        return f"{location}: cannot read: {err}"
    if first is not None and (first[1] is None or metadata_row(first[1]) is None):
        return f"{location}: line {first[0]} has no repository column (one of {', '.join(META_KEY_COLUMNS)})"
    return None


def origin_url(git_dir: str) -> str:
    """The `origin` remote URL from `<git_dir>/config` (credentials removed), "" when absent."""
    try:
        with open(f"{git_dir}/config", encoding="utf-8", errors="replace") as fh:
            text = fh.read(LICENSE_READ_BYTES)
    except OSError:
        return ""
    in_origin = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_origin = stripped.replace(" ", "").lower() == '[remote"origin"]'
        elif in_origin and stripped.startswith("url"):
            key, _, value = stripped.partition("=")
            if key.strip() == "url":
                return clean_url(value.strip())
    return ""
