"""Repository samples on real repositories (`make eval-repo-samples`).

Reads checkouts from REPOS_DIR (default /work/cache/repos; one folder per repository, fetched outside the
repository). For each: files of the repository-level languages, dependency edges parsed, import cycles
(strongly connected components of more than one file), edges violated by the order (a dependency placed
after its dependent) inside and outside cycles, for this project's order and for DeepSeek-Coder's
Algorithm 1 alone; sample sizes with and without a `max_chars` bound; and an independent check that every
sample is exactly its files, in its order, each behind its path comment, and every file in one sample.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from filters.language import detect_language
from repos.samples import (
    REPO_LANGUAGES,
    SourceFile,
    _smallest_in_degree_order,
    build_samples,
    connected_parts,
    dependencies,
    dependency_order,
    order_violations,
    path_comment,
    strongly_connected,
)

REPOS_DIR = Path(os.environ.get("REPOS_DIR", "/work/cache/repos"))
BOUND = 100_000  # characters, for the max_chars column


def repo_files(root: Path) -> list[SourceFile]:
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or ".git" in path.parts:
            continue
        rel = path.relative_to(root).as_posix()
        text = path.read_bytes()[:1_000_000].decode("utf-8", "replace")
        language = detect_language(rel, text)
        if language in REPO_LANGUAGES:
            files.append(SourceFile(rel, language, text))
    return files


def rebuild_errors(files: list[SourceFile], samples) -> int:
    """Samples that are not exactly their files behind path comments, plus files not in exactly one sample."""
    by_path = {f.path: f for f in files}
    errors = 0
    for sample in samples:
        expected = "".join(
            path_comment(p, by_path[p].language) + "\n" + by_path[p].text + ("" if by_path[p].text.endswith("\n") or not by_path[p].text else "\n")
            for p in sample.paths
        )
        errors += expected != sample.text
    placed = [p for s in samples for p in s.paths]
    errors += len(placed) != len(set(placed)) or set(placed) != set(by_path)
    return errors


def main() -> int:
    if not REPOS_DIR.is_dir():
        print(f"no repositories at {REPOS_DIR} (set REPOS_DIR): nothing measured")
        return 0
    header = (
        "| repository | files | edges | cycles (files) | violated in cycles | violated outside cycles |"
        " Algorithm 1 alone: outside | samples | largest | median | samples at max_chars=100k | rebuild errors |"
    )
    print(header + "\n|" + "---|" * 12)
    totals = {"outside": 0, "baseline": 0, "errors": 0}
    notes: list[str] = []
    for root in sorted(p for p in REPOS_DIR.iterdir() if p.is_dir()):
        start = time.process_time()
        files = repo_files(root)
        if not files:
            continue
        deps = dependencies(files)
        edges = sum(len(d) for d in deps.values())
        cycles = inside = outside = base_outside = 0
        cycle_files = 0
        for part in connected_parts([f.path for f in files], deps):
            for component in strongly_connected(part, deps):
                if len(component) > 1:
                    cycles += 1
                    cycle_files += len(component)
            i, o = order_violations(dependency_order(part, deps), deps)
            inside, outside = inside + i, outside + o
            base_outside += order_violations(_smallest_in_degree_order(part, deps), deps)[1]
        samples = build_samples(files, mode="dependency", repo=root.name)
        bounded = build_samples(files, mode="dependency", repo=root.name, max_chars=BOUND)
        sizes = [len(s.text) for s in samples]
        errors = rebuild_errors(files, samples) + rebuild_errors(files, bounded)
        totals["outside"] += outside
        totals["baseline"] += base_outside
        totals["errors"] += errors
        print(
            f"| {root.name} | {len(files)} | {edges} | {cycles} ({cycle_files}) | {inside} | {outside} | {base_outside} |"
            f" {len(samples)} | {max(sizes):,} | {int(statistics.median(sizes)):,} |"
            f" {len(bounded)} (largest {max(len(s.text) for s in bounded):,}) | {errors} |"
        )
        print(f"<!-- {root.name}: {time.process_time() - start:.1f} s CPU -->", file=sys.stderr)
        into_src = sum(1 for a, bs in deps.items() if not a.startswith("src/") for b in bs if b.startswith("src/"))
        if into_src:
            notes.append(f"{root.name}: {into_src} edges from outside src/ resolve into the src/ package")
    print("\n" + "\n".join(notes))
    print(f"\nviolations outside cycles: {totals['outside']} (Algorithm 1 alone: {totals['baseline']}); "
          f"rebuild errors: {totals['errors']}")
    return 1 if totals["outside"] or totals["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
