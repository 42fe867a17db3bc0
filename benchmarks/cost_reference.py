"""The yardsticks of `benchmarks.bench_cost`: what the tools a user would pick instead cost on the same input,
measured in the same rounds, so a path's cost reads as a ratio to compare across machines.

- web: `trafilatura.extract(html, fast=True)` on every response record of the WARC files, reading included
  (warcio). The web path does all of that and more (language, URL, exact and near dedup, scoring, the mix).
- code: datasketch's best API (`MinHash.bulk`, 256 permutations, its default SHA-1) on every file of the
  repositories that is not binary (`pipeline.sources.file_text.is_binary`, the GitHub source's test), with
  the project's shingles (5 tokens, `benchmarks.bench_dedup.shingle_set`), reading included. The code path
  signs the same files and reads, filters, decontaminates and writes them too.

Run in a subprocess of its own; prints `{"cpu_s": ..., "items": ...}`: CPU seconds (`time.process_time`)
of the work after the imports.

    .venv/bin/python -m benchmarks.cost_reference web FILE.warc.gz ... | code REPOS_DIR
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def web(warcs: list[Path]) -> tuple[float, int]:
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    start, pages = time.process_time(), 0
    for path in warcs:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    trafilatura.extract(record.content_stream().read().decode("utf-8", "replace"), fast=True)
                    pages += 1
    return time.process_time() - start, pages


def code(repos: Path) -> tuple[float, int]:
    from datasketch import MinHash

    from benchmarks.bench_dedup import NUM_PERM, SEED, shingle_set
    from pipeline.sources.file_text import is_binary

    start, shingles = time.process_time(), []
    for path in sorted(repos.rglob("*")):
        if path.is_file() and ".git" not in path.parts:
            data = path.read_bytes()
            if not is_binary(data):
                shingles.append(shingle_set(data.decode("utf-8", "replace")))
    MinHash.bulk(shingles, num_perm=NUM_PERM, seed=SEED)
    return time.process_time() - start, len(shingles)


def main(argv: list[str]) -> int:
    kind, paths = argv[0], [Path(a) for a in argv[1:]]
    cpu, items = web(paths) if kind == "web" else code(paths[0])
    print(json.dumps({"cpu_s": cpu, "items": items}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
