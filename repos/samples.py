"""Repository-level samples (DeepSeek-Coder §2.2, SPEC §1): the files of one repository in Python, Java, C#,
C and C++ become one sample per connected part of their dependency graph, so near-dedup keeps repositories
intact and the model sees a file's dependencies before the file.

- Dependencies are parsed from code only: comments, strings and docstrings are removed first
  (`repos.code_scan`), so an `import` in a docstring is no edge. The patterns are line-bounded and run on
  RE2 (linear time whatever the file holds).
- Python imports resolve as the interpreter would: relative imports from the importer's package; absolute
  ones from the importer's folder (a script's `sys.path[0]`), the repository root, `src/` and the folder of
  every `setup.py`; importing `a.b.c` also runs `a/__init__.py` and `a/b/__init__.py`. A module found
  nowhere on those roots is outside the repository and ignored (a `tests/fixtures/flask.py` is not `flask`).
- Java: `import a.B`, `import a.*` (the package's files), `import static a.B.m` and `import static a.B.*`
  (the class `a.B`); the longest prefix naming a file wins. C#: `using Ns;` (every file declaring `Ns`),
  `using static Ns.T;` and `using Alias = Ns.T;` (the files declaring type `T` in `Ns`). C and C++:
  `#include`, relative to the includer first, then by path suffix anywhere in the repository.
- Edge B -> A when A depends on B; parts are the connected components of the undirected graph.
- "dependency" order: the part's strongly connected components (import cycles) are condensed and ordered
  topologically, so a file never precedes a dependency outside its cycle; inside a component DeepSeek-Coder's
  Algorithm 1 applies (repeatedly the remaining file of smallest in-degree, ties by path). Algorithm 1 alone
  emits files ahead of their dependencies as soon as a repository has one cycle.
- "random" order (DeepSeek-Coder-V2's choice): the same parts, files shuffled by a generator seeded from the
  run's seed, the repository and the part, never from arrival order.
- `max_chars` (optional; the papers state no bound): a part longer than this is split at file boundaries,
  in sample order; a single file longer than the bound is a sample of its own, never cut.
Each file is preceded by a comment holding its path, in the language's comment syntax.
"""
from __future__ import annotations

import collections
import heapq
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

import re2

from pipeline.seeded import seeded_random
from repos.code_scan import code_only

SampleMode = Literal["dependency", "random", "off"]
RepoLanguage = Literal["Python", "Java", "C#", "C", "C++"]  # SPEC §1: the repository-level languages
REPO_LANGUAGES: tuple[str, ...] = get_args(RepoLanguage)

_LINE_COMMENT = {"Python": "#", "Java": "//", "C#": "//", "C": "//", "C++": "//"}


def _compile(pattern: str) -> re2._Regexp:
    return re2.compile("(?m)" + pattern)


def _text(data: bytes) -> str:
    """A matched group as text. The patterns run over the code's UTF-8 bytes: re2's wrapper converts every
    match's offsets back to characters on str input (5x the cost of the matching on import-dense files)."""
    return data.decode("utf-8", "replace")


# Every pattern stays on one line ([ \t], never \s), so a search costs at most the rest of its line.
_PY_IMPORT = _compile(r"^[ \t]*import[ \t]+([\w. \t,]+)")
_PY_FROM = _compile(r"^[ \t]*from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]*([^\n]*)")
_JAVA_IMPORT = _compile(r"^[ \t]*import[ \t]+(static[ \t]+)?([\w.]+?)[ \t]*(\.[ \t]*\*)?[ \t]*;")
_CS_USING = _compile(
    r"^[ \t]*(?:global[ \t]+)?using[ \t]+(static[ \t]+)?(?:(\w+)[ \t]*=[ \t]*)?([\w.]+)[ \t]*(?:<[^\n;]*>)?[ \t]*;"
)
_CS_NAMESPACE = _compile(r"^[ \t]*namespace[ \t]+([\w.]+)")
_CS_TYPE = _compile(
    r"\b(?:class|struct|interface|enum|record|delegate[ \t]+[\w.<>,]+)[ \t]+(\w+)"
)
_C_INCLUDE = _compile(r"^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"\n]+)[>\"]")
_WORD = _compile(r"^\w+$")
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
    """Lookups over one repository's paths: exact, by path suffix, Python roots and C# namespaces/types."""

    def __init__(self, files: list[SourceFile], code: dict[str, bytes]):
        self.paths = {f.path for f in files}
        self.by_name: dict[str, list[str]] = collections.defaultdict(list)
        for path in sorted(self.paths):
            self.by_name[posixpath.basename(path)].append(path)
        roots = {"", "src"} | {posixpath.dirname(p) for p in self.paths if posixpath.basename(p) == "setup.py"}
        self.python_roots = sorted(roots)
        self._modules: dict[tuple[str, str], list[str] | None] = {}
        self.namespaces: dict[str, list[str]] = collections.defaultdict(list)
        self.types: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
        for f in sorted(files, key=lambda f: f.path):
            if f.language == "C#":
                names = sorted({_text(m.group(1)) for m in _CS_NAMESPACE.finditer(code[f.path])})
                types = sorted({_text(m.group(1)) for m in _CS_TYPE.finditer(code[f.path])})
                for ns in names:
                    self.namespaces[ns].append(f.path)
                    for t in types:
                        self.types[(ns, t)].append(f.path)

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

    def python_module(self, folder: str, dotted: str) -> list[str] | None:
        """The files importing `dotted` from `folder` runs (package `__init__`s, then the module), or None;
        remembered per repository (its files import the same modules from the same roots again and again)."""
        key = (folder, dotted)
        if key not in self._modules:
            self._modules[key] = self._python_module(folder, dotted)
        return self._modules[key]

    def _python_module(self, folder: str, dotted: str) -> list[str] | None:
        if not dotted:  # `from . import x` runs the package itself first
            return [p for p in (posixpath.join(folder, "__init__.py"),) if p in self.paths]
        parts = dotted.split(".")
        found: list[str] = []
        for depth in range(1, len(parts) + 1):
            rel = posixpath.join(folder, *parts[:depth])
            hit = next((rel + s for s in _PY_SUFFIXES if rel + s in self.paths), None)
            if hit is None:
                # A namespace package (a folder without __init__) still leads to its modules.
                if depth == len(parts):
                    return found or None
                continue
            found.append(hit)
        return found


def _split_names(names: str) -> list[str]:
    out = []
    for part in names.replace("\n", ",").split(","):
        words = part.split()
        if words and _WORD.search(words[0]) and words[0] != "*":
            out.append(words[0])
    return out


def _python_imports(code: bytes) -> Iterable[tuple[int, str, tuple[str, ...]]]:
    """(relative level, dotted module, imported names) of every import statement of Python code (UTF-8)."""
    for m in _PY_IMPORT.finditer(code):
        for name in _text(m.group(1)).split(","):
            words = name.split()
            if words:
                yield 0, words[0], ()
    close = 0  # the first ")" at or after the last "(" looked at (-1: none): each search starts past it,
    for m in _PY_FROM.finditer(code):  # so a file of unclosed "(" is still read once, not once per "("
        level, base, rest = len(m.group(1)), _text(m.group(2)), _text(m.group(3)).strip()
        if rest.startswith("("):
            if 0 <= close < m.start(3):
                close = code.find(b")", m.start(3))  # the first ")" after "(": a parenthesised name list
            rest = _text(code[m.start(3) + 1 : close]) if close >= 0 else rest[1:]
        yield level, base, tuple(_split_names(rest.replace("\\", " ")))


def _resolve_python(f: SourceFile, code: bytes, index: _RepoIndex) -> set[str]:
    deps: set[str] = set()
    folder = posixpath.dirname(f.path)
    for level, module, names in sorted(set(_python_imports(code))):  # a statement repeated is resolved once
        if level:  # relative: one folder up per dot beyond the first, from the importer's package
            base = folder
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            roots = [base]
        else:
            roots = index.python_roots + [folder]
        for root in roots:
            hit = index.python_module(root, module)
            if hit is None:
                continue
            for name in names:  # `from a import b`: b may be a submodule
                sub = index.python_module(root, f"{module}.{name}" if module else name)
                if sub:
                    deps.update(sub)
            deps.update(hit)
            break
    return deps


def _resolve_java(f: SourceFile, code: bytes, index: _RepoIndex) -> set[str]:
    deps: set[str] = set()
    for m in _JAVA_IMPORT.finditer(code):
        static, parts = bool(m.group(1)), [p.strip() for p in _text(m.group(2)).split(".")]
        if m.group(3) and not static:
            package = index.in_folder("/".join(parts), ".java")
            if package:
                deps.update(package)
                continue
        # `import a.B`, `import a.B.Inner`, `import static a.B.m`, `import static a.B.*`, `import a.B.*`
        # (nested classes): the longest prefix naming a file.
        for end in range(len(parts), 0, -1):
            found = index.by_suffix("/".join(parts[:end]) + ".java", f.path)
            if found:
                deps.add(found)
                break
    return deps


def _resolve_csharp(f: SourceFile, code: bytes, index: _RepoIndex) -> set[str]:
    deps: set[str] = set()
    for m in _CS_USING.finditer(code):
        name = _text(m.group(3))
        if not (m.group(1) or m.group(2)) or name in index.namespaces:
            deps.update(index.namespaces.get(name, ()))
            continue
        namespace, _, type_name = name.rpartition(".")  # `using static Ns.T;`, `using A = Ns.T;`
        deps.update(index.types.get((namespace, type_name), ()))
    return deps


def _resolve_c(f: SourceFile, code: bytes, index: _RepoIndex) -> set[str]:
    deps: set[str] = set()
    for m in _C_INCLUDE.finditer(code):
        name = _text(m.group(1)).strip()
        local = posixpath.normpath(posixpath.join(posixpath.dirname(f.path), name))
        found = local if local in index.paths else index.by_suffix(posixpath.normpath(name).lstrip("./"), f.path)
        if found:
            deps.add(found)
    return deps


_RESOLVERS = {"Python": _resolve_python, "Java": _resolve_java, "C#": _resolve_csharp, "C": _resolve_c, "C++": _resolve_c}


# Java's and C's import statements hold this word: nothing after the line of its last occurrence is scanned
# (the scanner reads forward only, so the lines before come out the same; imports come first in these files).
# Python imports inside functions and C# type names are spread through a file: it is scanned whole.
_IMPORT_WORD = {"Java": "import", "C": "include", "C++": "include"}


def _import_code(f: SourceFile) -> bytes:
    """What the import patterns of `f`'s language read: its code without comments and literals, in UTF-8."""
    text, word = f.text, _IMPORT_WORD.get(f.language)
    if word is not None:
        end = text.find("\n", text.rfind(word)) if word in text else 0
        text = text[: end + 1] if end >= 0 else text
    return code_only(text, f.language).encode("utf-8", "surrogatepass")


def dependencies(files: list[SourceFile]) -> dict[str, set[str]]:
    """For every file, the repository files it depends on (never itself)."""
    code = {f.path: _import_code(f) if f.language in _RESOLVERS else b"" for f in files}
    index = _RepoIndex(files, code)
    deps: dict[str, set[str]] = {}
    for f in files:
        resolver = _RESOLVERS.get(f.language)
        deps[f.path] = (resolver(f, code[f.path], index) - {f.path}) if resolver else set()
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


def strongly_connected(part: list[str], deps: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of `part` (Tarjan's algorithm, iterative), each sorted."""
    members = set(part)
    succ = {p: sorted(deps.get(p, set()) & members) for p in part}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in sorted(part):
        if root in index:
            continue
        work = [(root, 0)]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, i = work[-1]
            if i < len(succ[node]):
                work[-1] = (node, i + 1)
                nxt = succ[node][i]
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                components.append(sorted(component))
    return components


def _smallest_in_degree_order(part: list[str], deps: dict[str, set[str]]) -> list[str]:
    """DeepSeek-Coder's Algorithm 1: repeatedly the remaining file of smallest in-degree (then smallest path),
    the in-degree counting dependencies on files of `part` not yet taken."""
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


def dependency_order(part: list[str], deps: dict[str, set[str]]) -> list[str]:
    """Dependencies first: the strongly connected components in topological order (ties by their first path),
    Algorithm 1 inside each. No file precedes a dependency that is not in its own import cycle."""
    components = strongly_connected(part, deps)
    component_of = {p: i for i, c in enumerate(components) for p in c}
    pending = [0] * len(components)
    dependents: dict[int, set[int]] = collections.defaultdict(set)
    for a in part:
        for b in deps.get(a, set()):
            ca, cb = component_of[a], component_of.get(b)
            if cb is not None and ca != cb and ca not in dependents[cb]:
                dependents[cb].add(ca)
                pending[ca] += 1
    ready = [(components[i][0], i) for i in range(len(components)) if pending[i] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, i = heapq.heappop(ready)
        order.extend(_smallest_in_degree_order(components[i], deps))
        for j in dependents[i]:
            pending[j] -= 1
            if pending[j] == 0:
                heapq.heappush(ready, (components[j][0], j))
    return order


def order_violations(order: list[str], deps: dict[str, set[str]]) -> tuple[int, int]:
    """(inside, outside) import cycles: edges whose dependency comes after its dependent in `order`."""
    position = {p: i for i, p in enumerate(order)}
    components = strongly_connected(order, deps)
    component_of = {p: i for i, c in enumerate(components) for p in c}
    inside = outside = 0
    for a in order:
        for b in deps.get(a, set()):
            if b in position and position[b] > position[a]:
                if component_of[a] == component_of[b]:
                    inside += 1
                else:
                    outside += 1
    return inside, outside


def random_order(part: list[str], *, seed: int, repo: str) -> list[str]:
    """The part's files shuffled by a generator seeded from (seed, repo, the part's first path)."""
    rng = seeded_random(seed, repo, part[0])
    order = sorted(part)
    rng.shuffle(order)
    return order


def path_comment(path: str, language: str) -> str:
    """The line that precedes a file in a sample: its path in the language's comment syntax."""
    return f"{_LINE_COMMENT.get(language, '//')} {path}"


def _sample(files: list[SourceFile], chunks: list[str]) -> Sample:
    counts = collections.Counter(f.language for f in files)
    language = min(counts, key=lambda lang: (-counts[lang], lang))
    return Sample(tuple(f.path for f in files), language, "".join(chunks))


def build_samples(
    files: list[SourceFile], *, mode: str = "dependency", seed: int = 0, repo: str = "", max_chars: int | None = None
) -> list[Sample]:
    """One sample per connected part of `files` (one repository), in `mode` order ("dependency"|"random"),
    split at file boundaries into samples of at most `max_chars` characters when a bound is given."""
    if mode not in ("dependency", "random"):
        raise ValueError(f"repository sample mode must be 'dependency' or 'random', got {mode!r}")
    by_path = {f.path: f for f in files}
    if len(by_path) != len(files):
        raise ValueError(f"repository {repo!r}: the same path appears twice")
    deps = dependencies(files)
    samples = []
    for part in connected_parts(by_path, deps):
        order = dependency_order(part, deps) if mode == "dependency" else random_order(part, seed=seed, repo=repo)
        members: list[SourceFile] = []
        chunks: list[str] = []
        size = 0
        for path in order:
            f = by_path[path]
            body = f.text if f.text.endswith("\n") or not f.text else f.text + "\n"
            chunk = f"{path_comment(path, f.language)}\n{body}"
            if max_chars is not None and members and size + len(chunk) > max_chars:
                samples.append(_sample(members, chunks))
                members, chunks, size = [], [], 0
            members.append(f)
            chunks.append(chunk)
            size += len(chunk)
        samples.append(_sample(members, chunks))
    return samples
