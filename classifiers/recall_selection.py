"""Bookkeeping of DeepSeekMath's iterative recall (§2.1, SPEC §2), as plain functions.

A page has a *location*: (host, path) for a web page, (owner/name, path) for a GitHub file. Seeds and
annotations are location prefixes (`mathoverflow.net/questions`); `PrefixTable` finds the most specific one
a page falls under. The rest is the arithmetic of one iteration: seeded ranks for deterministic sampling,
the score cut that fills a budget, which domains are related (> 10% collected), which of their folders to
annotate, and the annotations file a person reviews.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from filters.url_normalize import site_host, url_domain

OTHER_LABEL = "other"  # the fastText label of pages in no recall category
NO_LABEL = "none"  # in a reviewed annotations file: "this prefix is not code or math"
WEB, GITHUB = "web", "github"
SCORE_BINS = 1_000_000  # score resolution of the budget cut


def url_location(url: str) -> tuple[str, str]:
    """(host, path) of a URL (one without a scheme read as http): host as `filters.url_normalize.url_domain`
    spells it (the record's `domain`), path without query or fragment."""
    url = url if "://" in url else f"http://{url}"
    try:
        path = urlsplit(url).path or "/"
    except ValueError:
        path = "/"
    return url_domain(url), path


def page_location(source: str, *, url: str = "", repo: str = "", path: str = "") -> tuple[str, str]:
    """Where a page lives for domain statistics: its URL's host and path, or its repository and file path."""
    if source == GITHUB:
        return repo, "/" + path.lstrip("/")
    return url_location(url)


def parse_prefix(pattern: str, source: str) -> tuple[str, str]:
    """A seed or annotation pattern as (host, path prefix): `a.com/q` -> ("a.com", "/q"); for GitHub the
    host is the first two segments (`owner/name/docs` -> ("owner/name", "/docs"))."""
    pattern = pattern.strip().split("://", 1)[-1].rstrip("/")
    cut = 2 if source == GITHUB else 1
    segments = pattern.split("/")
    host = "/".join(segments[:cut])
    rest = "/".join(segments[cut:])
    if source != GITHUB:
        host = site_host(host)
    return host, ("/" + rest) if rest else ""


def prefix_keys(host: str, path: str, *, subdomains: bool) -> Iterable[tuple[str, str]]:
    """Every (host, folder prefix) a page falls under, most specific first; with `subdomains`, parent
    domains count too (`math.stackexchange.com` falls under `stackexchange.com`)."""
    segments = [s for s in path.split("/") if s]
    hosts = [host]
    if subdomains:
        labels = host.split(".")
        hosts += [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
    for h in hosts:
        for depth in range(len(segments), -1, -1):
            yield h, ("/" + "/".join(segments[:depth])) if depth else ""


class PrefixTable:
    """Maps location prefixes to labels; `label_of` gives the label of the most specific prefix a page
    falls under, or "" (a `none` label, from a reviewed file, also answers "")."""

    def __init__(self, prefixes: Mapping[tuple[str, str], str], *, subdomains: bool):
        self.prefixes, self.subdomains = dict(prefixes), subdomains

    @classmethod
    def from_patterns(cls, patterns: Mapping[str, Iterable[str]], source: str) -> PrefixTable:
        """From {label: [pattern, ...]} as in config; a pattern listed under two labels keeps the first."""
        table: dict[tuple[str, str], str] = {}
        for label in sorted(patterns):
            for pattern in patterns[label]:
                table.setdefault(parse_prefix(pattern, source), label)
        return cls(table, subdomains=source != GITHUB)

    def label_of(self, host: str, path: str) -> str:
        if not self.prefixes:
            return ""
        for key in prefix_keys(host, path, subdomains=self.subdomains):
            label = self.prefixes.get(key)
            if label is not None:
                return "" if label == NO_LABEL else label
        return ""


def score_bin(score: float, *, bins: int = SCORE_BINS) -> int:
    """The bin of a probability in [0, 1]; higher scores give higher bins."""
    return min(bins, max(0, math.floor(score * bins)))


def budget_cut(weight_by_bin: Mapping[int, float], budget: float) -> tuple[int, float]:
    """Where the top pages fill `budget`: (bin, fraction). Every page in a higher bin is collected, and in
    the cut bin a page is collected when its seeded rank is below `fraction` (so the expected total equals
    the budget exactly even when many pages share a score). Bin -1 means everything fits."""
    total = 0.0
    for b in sorted(weight_by_bin, reverse=True):
        weight = weight_by_bin[b]
        if total + weight > budget:
            return b, (budget - total) / weight
        total += weight
    return -1, 1.0


def is_collected(score: float, cut: tuple[int, float], rank: float, *, min_score: float) -> bool:
    """A page is collected when it scores at least `min_score` and lies above the budget cut."""
    if score < min_score:
        return False
    b, fraction = cut
    page_bin = score_bin(score)
    return page_bin > b or (page_bin == b and rank < fraction)


def related_label(
    total: int,
    collected: Mapping[str, int],
    *,
    threshold: float,
    min_pages: int = 1,
) -> str:
    """The category a domain is related to: the one with most pages collected, when more than `threshold`
    of the domain's pages were collected (DeepSeekMath §2.1: 10%); else ""."""
    if total < min_pages or not collected:
        return ""
    label = min(collected, key=lambda k: (-collected[k], k))
    return label if collected[label] / total > threshold else ""


def folder_prefix(path: str, depth: int) -> str:
    """The first `depth` folders of a path (`/questions/12/title` -> `/questions`); "" for a page that
    sits in no folder (its own name is never a prefix, so one page never makes an annotation)."""
    folders = [s for s in path.split("/")[:-1] if s]
    return "/" + "/".join(folders[:depth]) if folders else ""


def path_is_annotated(collected: int, total: int, *, min_fraction: float) -> bool:
    """A folder of a related domain is annotated when at least `min_fraction` of its pages were collected."""
    return total > 0 and collected > 0 and collected / total >= min_fraction


@dataclass(frozen=True, order=True)
class Annotation:
    """One line of the annotations file: pages under `prefix` (host + path) are of category `label`."""

    prefix: str
    label: str
    collected: int = 0
    total: int = 0
    origin: str = "auto"  # "auto" (found by the loop) or "user" (from the reviewed file)


ANNOTATIONS_HEADER = (
    "# Pages under a prefix are of the labelled category; uncollected ones join the seed.\n"
    "# Review: copy this file, change a label, set it to 'none' to reject a line, or add lines; then set\n"
    "# recall.annotations_file to the copy. Columns after the prefix are informational.\n"
    "# label\tprefix\tcollected\ttotal\torigin\n"
)


def format_annotations(annotations: Iterable[Annotation]) -> str:
    """The reviewable annotations file, sorted by prefix (equal inputs give equal bytes)."""
    lines = [f"{a.label}\t{a.prefix}\t{a.collected}\t{a.total}\t{a.origin}\n" for a in sorted(annotations)]
    return ANNOTATIONS_HEADER + "".join(lines)


def parse_annotations(text: str, *, source_name: str, labels: Iterable[str]) -> list[Annotation]:
    """Read a reviewed annotations file (`label<TAB>prefix[<TAB>...]`, `#` comments); errors name the line."""
    allowed = set(labels) | {NO_LABEL}
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[1].strip():
            raise ValueError(f"{source_name}:{number}: expected 'label<TAB>prefix', got {line!r}")
        label = fields[0].strip()
        if label not in allowed:
            raise ValueError(f"{source_name}:{number}: label {label!r} is not one of {sorted(allowed)}")
        out.append(Annotation(fields[1].strip().rstrip("/"), label, origin="user"))
    return out


def merge_annotations(auto: Iterable[Annotation], user: Iterable[Annotation]) -> list[Annotation]:
    """The annotations in force: the automatic ones, with a reviewed line replacing any on the same prefix."""
    merged = {a.prefix: a for a in auto}
    for a in user:
        found = merged.get(a.prefix)
        merged[a.prefix] = Annotation(a.prefix, a.label, found.collected, found.total, "user") if found else a
    return sorted(merged.values())
