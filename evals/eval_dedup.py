"""Near-dedup quality on planted near-duplicates: ours (Beam, with and without verify_jaccard) against
`datasketch.MinHashLSH` on the same documents, per bucket of exact Jaccard similarity.

    make eval-dedup            # or: .venv/bin/python -m evals.eval_dedup --pairs-per-bucket 250

A pair counts as detected when both documents end in the same cluster (ours: dropped for the other, or for
the same survivor) or when the LSH index returns one for the other (datasketch: candidates, unverified).
Per bucket it prints the detection rate. For buckets at or above the threshold that rate is the recall;
below it, 1 - rate is the share of pairs correctly left apart, reported as "precision" (no pair with
J < threshold should be merged). Detected pairs that were not planted are checked by their exact Jaccard.
Targets (issue 3): recall at J >= 0.8 >= 0.95 and precision at J < 0.5 >= 0.99. Exit status 1 if missed.

Then, on real code (every text file of the checkouts in REPOS_DIR and of linguist's samples in LINGUIST_DIR,
fetched outside the repository; skipped when absent): the near-dedup removals with verify_jaccard off and
on, each checked by the exact Jaccard of the removed file and its survivor. A removal below 0.5 is a false
removal a user would not expect; verify_jaccard (the default) exists to prevent it.
"""
from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions
from datasketch import MinHash, MinHashLSH

from dedup.minhash import jaccard
from dedup.shingles import ShingleHasher, shingles
from evals.dedup_corpus import CodeLikeText
from pipeline.config import bundled_config_path, load_config
from pipeline.dedup_transforms import Deduplicate
from pipeline.record import Record

BUCKETS = [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0)]
MAX_TARGET = 0.97
RECALL_FLOOR, RECALL_FROM = 0.95, 0.8
PRECISION_FLOOR, PRECISION_BELOW = 0.99, 0.5


def planted_corpus(pairs_per_bucket: int, distractors: int, chars: int, seed: int):
    """Records, the planted pairs {(a, b): exact J}, and every document's shingle set."""
    gen, hasher, rng = CodeLikeText(seed), ShingleHasher(5), np.random.default_rng(seed)
    texts, pairs = {}, {}
    for b, (lo, hi) in enumerate(BUCKETS):
        for i in range(pairs_per_bucket):
            base = gen.document(rng, chars)
            variant, j = gen.variant(rng, base, float(rng.uniform(lo, min(hi, MAX_TARGET))), hasher)
            a, v = f"b{b}p{i:04d}a", f"b{b}p{i:04d}b"
            texts[a], texts[v] = base, variant
            pairs[(a, v)] = j
    for i in range(distractors):
        texts[f"solo{i:05d}"] = gen.document(rng, chars)
    sets = {k: hasher.hash_set(t) for k, t in texts.items()}
    return texts, pairs, sets


def clusters_ours(texts: dict[str, str], settings, seed: int) -> dict[str, str]:
    """Every id mapped to its cluster's survivor, by the pipeline's Deduplicate on the DirectRunner."""
    records = [Record(id=k, source="web", text=t) for k, t in sorted(texts.items())]
    with tempfile.TemporaryDirectory() as tmp:
        options = PipelineOptions(["--runner=DirectRunner"])
        with beam.Pipeline(options=options) as p:
            result = p | beam.Create(records, reshuffle=False) | Deduplicate(settings, seed)
            (
                result["drops"]
                | beam.Map(lambda sd: json.dumps([sd[1].id, sd[1].detail.removeprefix("survivor=")]))
                | beam.io.WriteToText(f"{tmp}/drops")
            )
        root = {k: k for k in texts}
        for path in Path(tmp).glob("drops*"):
            for line in path.read_text().splitlines():
                dropped, survivor = json.loads(line)
                root[dropped] = survivor
    return root


def detected_pairs_from_clusters(root: dict[str, str]) -> set[tuple[str, str]]:
    members = collections.defaultdict(list)
    for k, r in root.items():
        members[r].append(k)
    return {tuple(sorted(pair)) for group in members.values() for pair in itertools.combinations(group, 2)}


def detected_pairs_datasketch(texts: dict[str, str], threshold: float, num_perm: int, seed: int, ngram: int):
    """Candidate pairs from datasketch.MinHashLSH over the same shingles (default SHA-1 hash, affine32)."""
    keys = sorted(texts)
    sketches = MinHash.bulk(
        [[b" ".join(s) for s in set(shingles(texts[k], ngram))] for k in keys], num_perm=num_perm, seed=seed
    )
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for k, m in zip(keys, sketches):
        lsh.insert(k, m)
    return {tuple(sorted((k, other))) for k, m in zip(keys, sketches) for other in lsh.query(m) if other != k}


def bucket_of(j: float) -> int:
    return next(i for i, (lo, hi) in enumerate(BUCKETS) if lo <= j < hi or (hi == 1.0 and j == 1.0))


def report(name: str, detected: set, pairs: dict, sets: dict, threshold: float) -> dict[str, float]:
    """Print one method's per-bucket table; returns its pooled recall and precision on the target ranges."""
    hits, totals = collections.Counter(), collections.Counter()
    for (a, b), j in pairs.items():
        if j < BUCKETS[0][0]:
            continue
        totals[bucket_of(j)] += 1
        hits[bucket_of(j)] += (a, b) in detected
    unplanted = [pair for pair in detected if pair not in pairs]
    unplanted_low = sum(jaccard(sets[a], sets[b]) < threshold for a, b in unplanted)
    print(f"\n{name}")
    print(f"  {'exact J':<12}{'pairs':>7}{'detected':>10}{'rate':>8}   metric")
    for i, (lo, hi) in enumerate(BUCKETS):
        rate = hits[i] / totals[i] if totals[i] else float("nan")
        metric = f"recall {rate:.3f}" if lo >= threshold else f"precision {1 - rate:.3f}"
        print(f"  [{lo:.1f}, {hi:.1f}){totals[i]:>7}{hits[i]:>10}{rate:>8.3f}   {metric}")
    print(f"  detected pairs not planted: {len(unplanted)} ({unplanted_low} of them with J < {threshold})")
    high = [i for i, (lo, _) in enumerate(BUCKETS) if lo >= RECALL_FROM]
    low = [i for i, (_, hi) in enumerate(BUCKETS) if hi <= PRECISION_BELOW]
    recall = sum(hits[i] for i in high) / max(1, sum(totals[i] for i in high))
    precision = 1 - sum(hits[i] for i in low) / max(1, sum(totals[i] for i in low))
    print(f"  recall at J >= {RECALL_FROM}: {recall:.4f}   precision at J < {PRECISION_BELOW}: {precision:.4f}")
    return {"recall": recall, "precision": precision}


def real_code(limit_bytes: int = 200_000) -> dict[str, str]:
    """Every UTF-8 text file (under `limit_bytes`) of the real checkouts, keyed by its path."""
    roots = [Path(os.environ.get("REPOS_DIR", "/work/cache/repos")), Path(os.environ.get("LINGUIST_DIR", "/work/cache/linguist")) / "samples"]
    texts = {}
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and ".git" not in path.parts and path.stat().st_size <= limit_bytes:
                try:
                    texts[str(path.relative_to(root.parent))] = path.read_text("utf-8")
                except (UnicodeDecodeError, OSError):
                    continue
    return texts


def real_code_removals(settings, seed: int) -> bool:
    """Removals on real code with verify_jaccard off and on, by exact Jaccard with the survivor; True when
    verify_jaccard removed nothing below 0.5."""
    texts = real_code()
    if not texts:
        print("\nno real code in REPOS_DIR / LINGUIST_DIR: real-code removals not measured")
        return True
    hasher = ShingleHasher(settings.ngram)
    sets = {k: hasher.hash_set(t) for k, t in texts.items()}
    print(f"\nreal code: {len(texts):,} files; removals by exact Jaccard with their survivor")
    print(f"  {'verify_jaccard':<16}{'removed':>8}{'J < 0.5':>9}{'J < ' + str(settings.threshold):>10}   lowest")
    ok = True
    for verify in (False, True):
        root = clusters_ours(texts, settings.model_copy(update={"verify_jaccard": verify}), seed)
        removed = [(k, r) for k, r in root.items() if k != r]
        js = sorted((jaccard(sets[k], sets[r]), k, r) for k, r in removed)
        low = sum(j < 0.5 for j, _, _ in js)
        below = sum(j < settings.threshold for j, _, _ in js)
        worst = f"{js[0][0]:.2f} ({js[0][1]} ~ {js[0][2]})" if js else "-"
        print(f"  {verify!s:<16}{len(removed):>8}{low:>9}{below:>10}   {worst}")
        ok &= not (verify and low)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs-per-bucket", type=int, default=250)
    parser.add_argument("--distractors", type=int, default=1000)
    parser.add_argument("--chars", type=int, default=4000, help="characters per document")
    parser.add_argument("--config", default=str(bundled_config_path("deepseek-coder-v2.yaml")))
    args = parser.parse_args(argv)
    config = load_config(args.config)
    s = config.dedup
    start = time.time()
    texts, pairs, sets = planted_corpus(args.pairs_per_bucket, args.distractors, args.chars, config.seed)
    print(f"{len(texts):,} documents, {len(pairs):,} planted pairs ({time.time() - start:.0f} s to generate); "
          f"threshold {s.threshold}, {s.num_perm} permutations, {s.ngram}-grams, config {args.config}")
    results = {}
    t = time.time()
    detected = detected_pairs_datasketch(texts, s.threshold, s.num_perm, config.seed, s.ngram)
    name = f"datasketch.MinHashLSH (candidates, in memory, {time.time() - t:.0f} s)"
    results["datasketch"] = report(name, detected, pairs, sets, s.threshold)
    for verify in (False, True):
        settings = s.model_copy(update={"verify_jaccard": verify})
        t = time.time()
        detected = detected_pairs_from_clusters(clusters_ours(texts, settings, config.seed))
        name = f"codecorpus Deduplicate (verify_jaccard={verify}, Beam DirectRunner, {time.time() - t:.0f} s)"
        results[f"ours verify={verify}"] = report(name, detected, pairs, sets, s.threshold)
    ok = True
    print()
    for name, r in results.items():
        passed = r["recall"] >= RECALL_FLOOR and r["precision"] >= PRECISION_FLOOR
        ok &= passed or name == "datasketch"
        print(f"{'PASS' if passed else 'FAIL'}  {name}: recall@J>={RECALL_FROM} {r['recall']:.4f} "
              f"(>= {RECALL_FLOOR}), precision@J<{PRECISION_BELOW} {r['precision']:.4f} (>= {PRECISION_FLOOR})")
    ok &= real_code_removals(s, config.seed)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
