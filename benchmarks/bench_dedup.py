"""Dedup benchmarks, figures measured in one run on this machine.

1. MinHash signatures per CPU-second, shingling included, on whole real code files (the Python standard
   library's .py files) in five size classes: ours (`MinHasher.sign`, the compiled kernel, documents batched
   per call; and its numpy reference `sign_numpy`) against datasketch's best API (`MinHash.bulk`) fed the
   same shingle sets (the same tokens, no empty ones; the set sizes are checked equal), with its default
   SHA-1 hash and with xxh32. 256 permutations. CPU time (`time.process_time`), rounds interleaved (datasketch
   imported before timing), medians; the ratio is the kernel's against the best datasketch figure.
2. End-to-end `Deduplicate` on the DirectRunner (in-process) for 25,000 and 100,000 code-like documents of
   2 KB (20% planted near-duplicates, 5% exact copies), each in its own subprocess: CPU time of the
   pipeline (the in-process runner runs it in that process: `time.process_time` around it, the corpus
   build excluded), its wall time, and the subprocess's peak resident memory (ru_maxrss from wait4).

    make bench     # or: .venv/bin/python -m benchmarks.bench_dedup [--sizes 25000 100000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

from dedup.shingles import TOKEN_RE

NUM_PERM = 256
SEED = 1234
NGRAM = 5
E2E_DOC_CHARS = 2000
E2E_NEAR_FRACTION, E2E_EXACT_FRACTION = 0.20, 0.05
MIN_TIMED_S = 0.05


SIZE_CLASSES = ((0, 1_000), (1_000, 4_000), (4_000, 16_000), (16_000, 64_000), (64_000, 10**9))


def stdlib_files(per_class: int) -> dict[tuple[int, int], list[str]]:
    """Whole .py files of the standard library (real code), up to `per_class` of each size class (bytes)."""
    out: dict[tuple[int, int], list[str]] = {c: [] for c in SIZE_CLASSES}
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        size = len(text.encode("utf-8", "surrogatepass"))
        for lo, hi in SIZE_CLASSES:
            if lo <= size < hi and len(out[(lo, hi)]) < per_class and text.strip():
                out[(lo, hi)].append(text)
    return out


def shingle_set(text: str) -> set[bytes]:
    """The shingles as a datasketch user builds them, equal to ours: the tokens of dedup.shingles (runs of
    [A-Za-z_0-9], no empty tokens), `NGRAM` of them joined by a space (all of them when fewer)."""
    toks = TOKEN_RE.findall(text.encode("utf-8", "surrogatepass"))
    if len(toks) < NGRAM:
        return {b" ".join(toks)} if toks else set()
    return {b" ".join(toks[i : i + NGRAM]) for i in range(len(toks) - NGRAM + 1)}


def _datasketch(docs: list[str], hashfunc=None) -> None:
    from datasketch import MinHash

    kwargs = {"num_perm": NUM_PERM, "seed": SEED}
    if hashfunc is not None:
        kwargs["hashfunc"] = hashfunc
    MinHash.bulk([shingle_set(d) for d in docs], **kwargs)


def signature_throughput(per_class: int, rounds: int) -> dict[str, list[float]]:
    """Signatures per CPU-second per size class: ours batched against datasketch's best API on equal shingle
    sets (checked), interleaved rounds, medians of CPU time."""
    import datasketch  # noqa: F401  (its import, scipy's with it, is not part of any timed round)
    import xxhash

    from dedup.minhash import MinHasher, kernel_available

    ours = MinHasher(num_perm=NUM_PERM, seed=SEED, ngram=NGRAM)
    if not kernel_available():
        print("\nWARNING: dedup._minhash is not built (make install): the first column is the numpy path")
    methods = {
        "codecorpus sign (kernel)": lambda docs: ours.sign(docs),
        "codecorpus sign_numpy": lambda docs: ours.sign_numpy(docs),
        "datasketch bulk, sha1 (default)": lambda docs: _datasketch(docs),
        "datasketch bulk, xxh32": lambda docs: _datasketch(docs, xxhash.xxh32_intdigest),
    }
    print(f"\nMinHash signatures per CPU-second, whole real code files (the Python standard library) by size, "
          f"{NUM_PERM} permutations, {NGRAM}-word shingles, shingling included, median of {rounds} interleaved rounds:")
    print(f"  {'file size':<16}{'files':>6}" + "".join(f"{n:>33}" for n in methods)
          + f"{'ours / best datasketch':>24}")
    ratios = {}
    for (lo, hi), docs in stdlib_files(per_class).items():
        if not docs:
            continue
        ours_sets = [np.unique(ours.shingler.hashes(d)).size for d in docs]
        theirs = [len(shingle_set(d)) for d in docs]
        collisions = sum(theirs) - sum(ours_sets)
        assert 0 <= collisions <= 1e-4 * sum(theirs), "the two sides must hash the same shingle sets"
        # Every method signs the class `repeats` times per round, enough for the fastest to run >= MIN_TIMED_S
        # (a round of 150 small files is well under a millisecond for the kernel).
        start = time.process_time()
        methods["codecorpus sign (kernel)"](docs)
        repeats = max(1, math.ceil(MIN_TIMED_S / max(time.process_time() - start, 1e-6)))
        cpu: dict[str, list[float]] = {name: [] for name in methods}
        for _ in range(rounds):
            for name, run in methods.items():
                start = time.process_time()
                for _ in range(repeats):
                    run(docs)
                cpu[name].append((time.process_time() - start) / repeats)
        rate = {name: len(docs) / statistics.median(v) for name, v in cpu.items()}
        best = max(v for k, v in rate.items() if k.startswith("datasketch"))
        ratio = rate["codecorpus sign (kernel)"] / best
        ratios[(lo, hi)] = ratio
        label = f"{lo // 1000}-{hi // 1000 if hi < 10**9 else 'inf'} KB"
        print(f"  {label:<16}{len(docs):>6}" + "".join(f"{rate[n]:>27.0f} sig/s" for n in methods) + f"{ratio:>23.2f}x")
    return ratios


def _write_corpus(path: Path, n: int) -> dict[str, int]:
    """n code-like documents as JSON lines; returns how many near and exact copies were planted."""
    import numpy as np

    from evals.dedup_corpus import CodeLikeText

    gen, rng = CodeLikeText(SEED), np.random.default_rng(SEED)
    planted = {"near": 0, "exact": 0}
    originals: list[str] = []
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            roll = rng.random()
            if originals and roll < E2E_EXACT_FRACTION:
                text = originals[int(rng.integers(len(originals)))]
                planted["exact"] += 1
            elif originals and roll < E2E_EXACT_FRACTION + E2E_NEAR_FRACTION:
                words = originals[int(rng.integers(len(originals)))].split(" ")
                for pos in rng.choice(len(words), size=max(1, len(words) // 100), replace=False):
                    words[pos] = gen.tokens(rng, 1)[0]  # ~1% of the words: Jaccard ~0.9
                text = " ".join(words)
                planted["near"] += 1
            else:
                text = gen.document(rng, E2E_DOC_CHARS)
                originals.append(text)
            fh.write(json.dumps({"id": f"doc{i:07d}", "text": text, "stars": int(rng.integers(0, 50))}) + "\n")
    return planted


def _run_e2e(n: int) -> None:
    """Child process: build the corpus (not timed), run Deduplicate on the DirectRunner, print JSON."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.config import bundled_config_path, load_config
    from pipeline.dedup_transforms import Deduplicate
    from pipeline.record import Record

    settings = load_config(bundled_config_path("deepseek-coder-v2.yaml")).dedup
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        planted = _write_corpus(corpus, n)
        start, cpu_start = time.perf_counter(), time.process_time()
        with beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner"])) as p:
            records = (
                p
                | beam.io.ReadFromText(str(corpus))
                | beam.Map(json.loads)
                | beam.Map(lambda d: Record(id=d["id"], source="github", text=d["text"], repo_stars=d["stars"]))
            )
            result = records | Deduplicate(settings, SEED)
            (
                result["counts"]
                | beam.CombinePerKey(sum)
                | beam.Map(lambda kv: json.dumps([kv[0][0], kv[0][1], kv[1]]))
                | beam.io.WriteToText(f"{tmp}/counts")
            )
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        counts = {
            f"{stage}.{key}": n
            for f in Path(tmp).glob("counts*")
            for stage, key, n in map(json.loads, f.read_text().splitlines())
        }
    print(json.dumps({"docs": n, "wall_s": wall, "cpu_s": cpu, "planted": planted, "counts": counts}))


def end_to_end(sizes: list[int]) -> list[dict]:
    from pipeline.config import bundled_config_path, load_config

    s = load_config(bundled_config_path("deepseek-coder-v2.yaml")).dedup
    print(f"\nEnd-to-end Deduplicate on the DirectRunner (in-process), {E2E_DOC_CHARS}-character documents, "
          f"config deepseek-coder-v2.yaml (threshold {s.threshold}, {s.num_perm} permutations, "
          f"verify_jaccard {'on' if s.verify_jaccard else 'off'}):")
    print(f"  {'docs':>9}{'CPU s':>9}{'docs/CPU-s':>11}{'wall s':>9}{'peak MB':>9}   dropped exact / near (planted exact / near)")
    rows = []
    for n in sizes:
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_dedup", "--e2e-child", str(n)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=Path(__file__).resolve().parents[1],
        )
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"end-to-end run of {n} documents failed with exit code {proc.returncode}")
        row = json.loads(out.strip().splitlines()[-1])
        row["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
        c, planted = row["counts"], row["planted"]
        print(f"  {n:>9,}{row['cpu_s']:>9.1f}{n / row['cpu_s']:>11.0f}{row['wall_s']:>9.1f}{row['peak_mb']:>9.0f}   "
              f"{c.get('exact_dedup.dropped.exact_duplicate', 0):,} / {c.get('near_dedup.dropped.near_duplicate', 0):,}"
              f" ({planted['exact']:,} / {planted['near']:,})")
        rows.append(row)
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(f"  growth {b['docs'] / a['docs']:.0f}x docs: {b['cpu_s'] / a['cpu_s']:.2f}x CPU time, "
              f"{b['peak_mb'] / a['peak_mb']:.2f}x peak memory")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dedup benchmarks")
    parser.add_argument("--files", type=int, default=300, help="files per size class for the signature benchmark")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=[25_000, 100_000])
    parser.add_argument("--e2e-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.e2e_child:
        _run_e2e(args.e2e_child)
        return 0
    signature_throughput(args.files, args.rounds)
    if args.sizes:
        end_to_end(args.sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
