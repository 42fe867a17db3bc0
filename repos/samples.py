"""Repository-level samples (DeepSeek-Coder §2.2, SPEC §1): the files of one repository in Python, Java, C#,
C and C++ become one sample per connected part of their dependency graph, so near-dedup keeps repositories
intact and the model sees a file's dependencies before the file.

- Dependencies are parsed with regular expressions: `import` / `from ... import` (Python), `import`
  (Java), `using` (C#, resolved through the `namespace` declarations in the repository), `#include` (C, C++).
  An import resolves to the repository's file whose path ends with the imported module's path (the one
  sharing the longest folder prefix with the importer on ties); imports of anything outside the
  repository are ignored.
- Edge B -> A when A depends on B; parts are the connected components of the undirected graph.
- "dependency" order: repeatedly take the remaining file with the smallest in-degree (counting only edges
  from remaining files), ties broken by path, so cycles are tolerated (DeepSeek-Coder Algorithm 1).
- "random" order (DeepSeek-Coder-V2's choice): the same parts, files shuffled by a generator seeded from the
  run's seed, the repository and the part, never from arrival order.
Each file is preceded by a comment holding its path, in the language's comment syntax.
"""
from __future__ import annotations

import collections
import hashlib
import heapq
import posixpath
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

SampleMode = Literal["dependency", "random", "off"]
RepoLanguage = Literal["Python", "Java", "C#", "C", "C++"]  # SPEC §1: the repository-level languages
REPO_LANGUAGES: tuple[str, ...] = get_args(RepoLanguage)

_LINE_COMMENT = {"Python": "#", "Java": "//", "C#": "//", "C": "//", "C++": "//"}

_PY_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.MULTILINE)
_PY_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)", re.MULTILINE)
_JAVA_IMPORT = re.compile(r"^[ \t]*import[ \t]+(?:static[ \t]+)?([\w.]+?)(\.\*)?[ \t]*;", re.MULTILINE)
_CS_USING = re.compile(r"^[ \t]*(?:global[ \t]+)?using[ \t]+(?:static[ \t]+)?(?:\w+[ \t]*=[ \t]*)?([\w.]+)[ \t]*;", re.MULTILINE)
_CS_NAMESPACE = re.compile(r"^[ \t]*namespace[ \t]+([\w.]+)", re.MULTILINE)
_C_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"\n]+)[>\"]", re.MULTILINE)
_PY_SUFFIXES = (".py", ".pyi", "/__init__.py", "/__init__.pyi")


@dataclass(frozen=True)
class SourceFile:
    path: str  # repository-relative, "/"-separated
    language: str
    text: str


@dataclass(frozen=True)
class Sample:
    """One repository sample: its files in sample order, its language and its text."""

    paths: tuple[str, ...]
    language: str
    text: str


class _RepoIndex:
    """Lookups over one repository's paths: by exact path, by path suffix, and C# namespaces."""

    def __init__(self, files: list[SourceFile]):
        self.paths = {f.path for f in files}
        self.by_name: dict[str, list[str]] = collections.defaultdict(list)
        for path in sorted(self.paths):
            self.by_name[posixpath.basename(path)].append(path)
        self.namespaces: dict[str, list[str]] = collections.defaultdict(list)
        for f in sorted(files, key=lambda f: f.path):
            if f.language == "C#":
                for ns in sorted(set(_CS_NAMESPACE.findall(f.text))):
                    self.namespaces[ns].append(f.path)

    def by_suffix(self, suffix: str, importer: str) -> str | None:
        """The path equal to or ending in "/" + `suffix`; on ties the nearest to `importer`, then shortest."""
        matches = [p for p in self.by_name.get(posixpath.basename(suffix), ()) if p == suffix or p.endswith("/" + suffix)]
        if not matches:
            return None
        folder = posixpath.dirname(importer).split("/")

        def shared(p: str) -> int:
            return len(posixpath.commonprefix([posixpath.dirname(p).split("/"), folder]))

        return min(matches, key=lambda p: (-shared(p), len(p), p))

    def in_folder(self, folder_suffix: str, extension: str) -> list[str]:
        """Files with `extension` directly in a folder equal to or ending in `folder_suffix`."""
        return sorted(
            p
            for p in self.paths
            if p.endswith(extension)
            and (posixpath.dirname(p) == folder_suffix or posixpath.dirname(p).endswith("/" + folder_suffix))
        )


def _python_modules(text: str) -> Iterable[tuple[int, str]]:
    """(relative level, dotted module) of every module a Python file may import, submodules included."""
    for m in _PY_IMPORT.finditer(text):
        for part in m.group(1).split(","):
            name = part.split()[0] if part.split() else ""
            if name:
                yield 0, name
    for m in _PY_FROM.finditer(text):
        level, base = len(m.group(1)), m.group(2)
        if base:
            yield level, base
        for part in m.group(3).strip("()").replace("\n", ",").split(","):
            name = part.split()[0] if part.split() else ""
            if name and name != "*" and re.fullmatch(r"\w+", name):
                yield level, f"{base}.{name}" if base else name


def _resolve_python(f: SourceFile, index: _RepoIndex) -> set[str]:
    deps: set[str] = set()
    for level, module in _python_modules(f.text):
        rel = module.replace(".", "/")
        if level:  # relative: `from ..a import b` starts from the importer's package, one folder up per dot
            folder = posixpath.dirname(f.path)
            for _ in range(level - 1):
                folder = posixpath.dirname(folder)
            found = next((c for c in (posixpath.join(folder, rel + s) for s in _PY_SUFFIXES) if c in index.paths), None)
        else:
            found = next(filter(None, (index.by_suffix(rel + s, f.path) for s in _PY_SUFFIXES)), None)
        if found:
            deps.add(found)
    return deps


def _resolve_java(f: SourceFile, index: _RepoIndex) -> set[str]:
    deps: set[str] = set()
    for name, wildcard in _JAVA_IMPORT.findall(f.text):
        parts = name.split(".")
        if wildcard:
            deps.update(index.in_folder("/".join(parts), ".java"))
            continue
        # `import a.B.Inner` or `import static a.B.member`: try the longest prefix naming a file.
        for end in range(len(parts), 0, -1):
            found = index.by_suffix("/".join(parts[:end]) + ".java", f.path)
            if found:
                deps.add(found)
                break
    return deps


def _resolve_csharp(f: SourceFile, index: _RepoIndex) -> set[str]:
    deps: set[str] = set()
    for name in _CS_USING.findall(f.text):
        deps.update(index.namespaces.get(name, ()))
    return deps


def _resolve_c(f: SourceFile, index: _RepoIndex) -> set[str]:
    deps: set[str] = set()
    for name in _C_INCLUDE.findall(f.text):
        name = name.strip()
        local = posixpath.normpath(posixpath.join(posixpath.dirname(f.path), name))
        found = local if local in index.paths else index.by_suffix(posixpath.normpath(name).lstrip("./"), f.path)
        if found:
            deps.add(found)
    return deps


_RESOLVERS = {"Python": _resolve_python, "Java": _resolve_java, "C#": _resolve_csharp, "C": _resolve_c, "C++": _resolve_c}


def dependencies(files: list[SourceFile]) -> dict[str, set[str]]:
    """For every file, the repository files it depends on (never itself)."""
    index = _RepoIndex(files)
    deps: dict[str, set[str]] = {}
    for f in files:
        resolver = _RESOLVERS.get(f.language)
        deps[f.path] = (resolver(f, index) - {f.path}) if resolver else set()
    return deps


def connected_parts(paths: Iterable[str], deps: dict[str, set[str]]) -> list[list[str]]:
    """The connected parts of the undirected dependency graph, each sorted, ordered by their first path."""
    neighbours: dict[str, set[str]] = {p: set() for p in paths}
    for a, bs in deps.items():
        for b in bs:
            neighbours[a].add(b)
            neighbours[b].add(a)
    seen: set[str] = set()
    parts = []
    for start in sorted(neighbours):
        if start in seen:
            continue
        part, stack = [], [start]
        seen.add(start)
        while stack:
            node = stack.pop()
            part.append(node)
            for nxt in neighbours[node] - seen:
                seen.add(nxt)
                stack.append(nxt)
        parts.append(sorted(part))
    return parts


def dependency_order(part: list[str], deps: dict[str, set[str]]) -> list[str]:
    """DeepSeek-Coder's order: repeatedly the remaining file of smallest in-degree (then smallest path).

    In-degree counts dependencies on files not yet taken, so a file comes after what it imports whenever the
    graph allows it; in a cycle the file with fewest pending dependencies goes first.
    """
    members = set(part)
    indegree = {p: len(deps.get(p, set()) & members) for p in part}
    dependents: dict[str, list[str]] = collections.defaultdict(list)
    for a in part:
        for b in deps.get(a, set()) & members:
            dependents[b].append(a)
    heap = [(d, p) for p, d in indegree.items()]
    heapq.heapify(heap)
    taken: set[str] = set()
    order = []
    while heap:
        d, p = heapq.heappop(heap)
        if p in taken or d != indegree[p]:
            continue  # a stale heap entry: the file was taken or its in-degree dropped since
        taken.add(p)
        order.append(p)
        for a in dependents[p]:
            if a not in taken:
                indegree[a] -= 1
                heapq.heappush(heap, (indegree[a], a))
    return order


def random_order(part: list[str], *, seed: int, repo: str) -> list[str]:
    """The part's files shuffled by a generator seeded from (seed, repo, the part's first path)."""
    material = f"{seed}\x00{repo}\x00{part[0]}".encode("utf-8", "surrogatepass")
    rng = random.Random(int.from_bytes(hashlib.sha256(material).digest()[:8], "big"))
    order = sorted(part)
    rng.shuffle(order)
    return order


def path_comment(path: str, language: str) -> str:
    """The line that precedes a file in a sample: its path in the language's comment syntax."""
    return f"{_LINE_COMMENT.get(language, '//')} {path}"


def build_samples(files: list[SourceFile], *, mode: str = "dependency", seed: int = 0, repo: str = "") -> list[Sample]:
    """One sample per connected part of `files` (one repository), in `mode` order ("dependency"|"random")."""
    if mode not in ("dependency", "random"):
        raise ValueError(f"repository sample mode must be 'dependency' or 'random', got {mode!r}")
    by_path = {f.path: f for f in files}
    if len(by_path) != len(files):
        raise ValueError(f"repository {repo!r}: the same path appears twice")
    deps = dependencies(files)
    samples = []
    for part in connected_parts(by_path, deps):
        order = dependency_order(part, deps) if mode == "dependency" else random_order(part, seed=seed, repo=repo)
        chunks = []
        for path in order:
            f = by_path[path]
            body = f.text if f.text.endswith("\n") or not f.text else f.text + "\n"
            chunks.append(f"{path_comment(path, f.language)}\n{body}")
        counts = collections.Counter(by_path[p].language for p in part)
        language = min(counts, key=lambda lang: (-counts[lang], lang))
        samples.append(Sample(tuple(order), language, "".join(chunks)))
    return samples
