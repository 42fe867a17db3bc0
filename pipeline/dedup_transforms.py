"""Exact and MinHash near-deduplication as Beam transforms: Records in, Records out, counts to the Funnel.

The same transform serves GitHub files, repository samples and web pages. Use it with a Funnel:

    kept = deduplicate(records, funnel, config.dedup, seed=config.seed)
    kept = deduplicate(pages, funnel, config.dedup, seed=config.seed, exact_stage="web_exact_dedup",
                       near_stage="web_near_dedup")

which registers two "filter" stages (in == out + dropped) and their drops, and the near stage's cluster sizes
for `write_cluster_sizes` (`stats/dedup_clusters.json`); or apply `Deduplicate` yourself:
`records | "Dedup" >> Deduplicate(settings, seed)` returns {"kept", "counts", "drops", "cluster_sizes"}, where
counts are ((stage, key), n), drops (stage, Drop) as `Funnel` expects, and cluster_sizes (size, clusters). A dropped record's Drop has reason
`exact_duplicate` or `near_duplicate` and detail `survivor=<id of the record kept in its place>`. Record ids
must be unique; a repeated id is kept once and the rest dropped as `duplicate_id`.

Besides in/out/dropped, the near stage counts (informational, in stats/counts.json): `unshingled` (no token
to shingle: left to exact dedup), `bucket_edges`, `verified_edges`/`rejected_edges` (verify_jaccard),
`cc_round_NN_unsettled` (nodes not yet in a star when round NN started), `cc_residue_edges`, `clusters`.

The graph; no step holds all signatures or all edges, every grouping is by a key:

    records ─► Sign: (content hash, (node, band keys))   [+ (node, shingle set) when verify_jaccard]
            ─► GroupByKey(content hash) ─► one survivor per hash; the rest: exact_duplicate
            ─► (band key, node) ─► GroupByKey(band key) ─► edges (member, bucket minimum)
            ─► [verify_jaccard: distinct edges joined with both ends' shingle sets; keep J >= threshold]
            ─► ConnectedComponents: max_rounds (a few) of large-star GroupByKey, convergence gate,
               small-star GroupByKey; the unconverged rest by union-find in one place
               ─► (node, component minimum) for every other node: near_duplicate
    records keyed by id ⨝ verdicts (CoGroupByKey) ─► kept Records, Drops
    near_duplicate verdicts ─► CombinePerKey(survivor) ─► CombinePerKey(size) ─► (size, clusters)

A node is `dedup.survivor.node_key(...)`: its string order is the survivor rule, so a component's minimum
is its survivor. Rounds are unrolled (a Beam graph is static), so there are few of them; each round counts
its unsettled nodes and, once that count is 0, a gate sends the edges to the output, so later rounds see
empty inputs; what is still open after the last round is solved by union-find (`cc_residue_edges`).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
import numpy as np
import xxhash
from apache_beam import pvalue
from apache_beam.transforms.window import GlobalWindows

from dedup.components import bucket_edges, large_star, small_star, survivor_of, union_find
from dedup.lsh import band_keys, bands_rows
from dedup.minhash import MinHasher, jaccard
from dedup.survivor import node_key, record_id
from pipeline.config import Dedup
from pipeline.record import Drop, Record
from pipeline.sinks import Gather, WriteTextFile
from pipeline.stages import COUNTS_TAG, CountingDoFn, Funnel, Grouping, GroupStep

EXACT_STAGE, NEAR_STAGE = "exact_dedup", "near_dedup"
EXACT_DUPLICATE, NEAR_DUPLICATE, DUPLICATE_ID = "exact_duplicate", "near_duplicate", "duplicate_id"
CLUSTER_STATS = "dedup_clusters"  # Funnel.stats key of (near stage, (size, clusters)) tables
_VERDICTS, _SETS = "verdicts", "sets"


def _both_ways(edge: tuple[str, str]) -> Iterable[tuple[str, str]]:
    u, v = edge
    return ((u, v), (v, u))


def _by_larger(edge: tuple[str, str]) -> tuple[str, str]:
    u, v = edge
    return (u, v) if u > v else (v, u)


class _SignDoFn(beam.DoFn):
    """Record -> (content hash, (node, band keys)); the shingle set on a side output when verifying.

    Records are signed in batches (`MinHasher.sign`: one call for many documents, so a small file costs no
    call overhead of its own); a batch is flushed at `_BATCH_DOCS` records or `_BATCH_BYTES`
    of text, and at the end of the bundle."""

    _BATCH_DOCS, _BATCH_BYTES = 256, 4 << 20

    def __init__(self, settings: Dedup, seed: int, bands: int, rows: int):
        self.settings, self.seed, self.bands, self.rows = settings, seed, bands, rows

    def setup(self) -> None:
        s = self.settings
        self._hasher = MinHasher(num_perm=s.num_perm, seed=self.seed, ngram=s.ngram)

    def start_bundle(self) -> None:
        self._batch: list[Record] = []
        self._batch_bytes = 0

    def process(self, record: Record) -> Iterable[Any]:
        self._batch.append(record)
        self._batch_bytes += len(record.text)
        if len(self._batch) >= self._BATCH_DOCS or self._batch_bytes >= self._BATCH_BYTES:
            yield from self._flush()

    def finish_bundle(self) -> Iterable[Any]:
        for out in self._flush():
            if isinstance(out, pvalue.TaggedOutput):
                yield pvalue.TaggedOutput(out.tag, GlobalWindows.windowed_value(out.value))
            else:
                yield GlobalWindows.windowed_value(out)

    def _flush(self) -> Iterable[Any]:
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        if not batch:
            return
        s = self.settings
        texts = [r.text for r in batch]
        if s.verify_jaccard:  # the shingle sets themselves too
            signatures, sizes, flat = self._hasher.sign_keeping_hashes(texts)
            ends = np.cumsum(sizes)
        else:
            signatures, sizes = self._hasher.sign(texts)
        for i, record in enumerate(batch):
            node = node_key(record.id, rule=s.survivor, stars=record.repo_stars, length=len(record.text))
            keys: tuple[bytes, ...] = ()
            if sizes[i]:
                keys = tuple(band_keys(signatures[i], self.bands, self.rows))
                if s.verify_jaccard:
                    hashes = flat[ends[i] - sizes[i] : ends[i]]
                    yield pvalue.TaggedOutput(_SETS, (node, np.unique(hashes).tobytes()))
            content = xxhash.xxh3_128_digest(record.text.encode("utf-8", "surrogatepass"))
            yield content, (node, keys)


def _exact_survivors(item: tuple[bytes, Iterable[tuple[str, tuple]]]) -> Iterable[Any]:
    """One content hash: the smallest node goes on to near dedup, every other is an exact duplicate."""
    _, members = item
    survivor = min(node for node, _ in members)  # a first pass; the group is iterated again below
    kept = False
    for node, keys in members:
        if node == survivor and not kept:
            kept = True
            yield node, keys
        elif node != survivor:
            yield pvalue.TaggedOutput(_VERDICTS, (record_id(node), (EXACT_DUPLICATE, record_id(survivor))))


class _BandDoFn(CountingDoFn):
    def process(self, item: tuple[str, tuple[bytes, ...]]) -> Iterable[tuple[bytes, str]]:
        node, keys = item
        if not keys:
            self._bump("unshingled")
        for key in keys:
            yield key, node


class _BucketDoFn(CountingDoFn):
    def process(self, item: tuple[bytes, Iterable[str]]) -> Iterable[tuple[str, str]]:
        for edge in bucket_edges(item[1]):
            self._bump("bucket_edges")
            yield edge


class _EdgeEndsDoFn(beam.DoFn):
    """One node's shingle set and the edges touching it -> (edge, (node, set)) for each edge."""

    def process(self, item: tuple[str, dict[str, Iterable]]) -> Iterable[tuple[tuple[str, str], tuple[str, bytes]]]:
        node, groups = item
        # Only shingled records get band keys, so a node with edges has its set (one, unless an id repeats).
        shingle_set = min(groups["set"], default=None)
        if shingle_set is not None:
            for edge in groups["edges"]:
                yield edge, (node, shingle_set)


class _JaccardDoFn(CountingDoFn):
    def __init__(self, stage: str, threshold: float):
        super().__init__(stage)
        self.threshold = threshold

    def process(self, item: tuple[tuple[str, str], Iterable[tuple[str, bytes]]]) -> Iterable[tuple[str, str]]:
        edge, ends = item
        sets = dict(ends)  # one set per end node; an edge listed twice sends its ends twice
        a, b = (np.frombuffer(sets[node], dtype=np.uint32) for node in edge)
        if jaccard(a, b) >= self.threshold:
            self._bump("verified_edges")
            yield edge
        else:
            self._bump("rejected_edges")


class VerifyEdges(beam.PTransform):
    """Keep the candidate edges whose two documents' shingle sets have Jaccard >= threshold."""

    def __init__(self, sets: beam.PCollection, threshold: float, stage: str):
        super().__init__()
        self.sets, self.threshold, self.stage = sets, threshold, stage

    def expand(self, edges: beam.PCollection):
        ends = edges | "Distinct" >> beam.Distinct() | "ByEnd" >> beam.FlatMap(
            lambda e: ((e[0], e), (e[1], e))
        )
        checked = (
            {"edges": ends, "set": self.sets}
            | "JoinSets" >> beam.CoGroupByKey()
            | "EdgeEnds" >> beam.ParDo(_EdgeEndsDoFn())
            | "PairSets" >> beam.GroupByKey()
            | "Jaccard" >> beam.ParDo(_JaccardDoFn(self.stage, self.threshold)).with_outputs(COUNTS_TAG, main="edges")
        )
        return {"edges": checked.edges, "counts": checked[COUNTS_TAG]}


class _LargeStarDoFn(CountingDoFn):
    def __init__(self, stage: str, unsettled_key: str):
        super().__init__(stage)
        self.unsettled_key = unsettled_key

    def process(self, item: tuple[str, Iterable[str]]) -> Iterable[tuple[str, str]]:
        edges, settled = large_star(*item)
        if not settled:
            self._bump(self.unsettled_key)
        yield from edges


class _GateDoFn(beam.DoFn):
    """After a round's large-star: if no node was unsettled (the graph is a star forest) its edges are final
    (the "done" output, both ways, as the survivor step reads them); otherwise each goes on to small-star,
    keyed by its larger end. The round's unsettled count is its large-star's per-bundle counts (a side
    input), summed once per bundle."""

    def start_bundle(self) -> None:
        self._settled: bool | None = None

    def process(self, edge, counts):  # unannotated: Beam type-checks annotated side inputs
        if self._settled is None:
            self._settled = not sum(counts)
        if self._settled:
            for both in _both_ways(edge):
                yield pvalue.TaggedOutput("done", both)
        else:
            yield _by_larger(edge)


def _small_star(item: tuple[str, Iterable[str]], last: bool) -> Iterable[Any]:
    """Small-star at one node; its edges both ways for the next round's large-star, or after the last round
    keyed by 0 for the union-find of the residue."""
    for edge in small_star(*item):
        if last:
            yield 0, edge
        else:
            yield from _both_ways(edge)


class _SurvivorDoFn(CountingDoFn):
    def process(self, item: tuple[str, Iterable[str]]) -> Iterable[tuple[str, str]]:
        node, neighbours = item
        survivor, settled = survivor_of(node, neighbours)
        if not settled:
            self._bump("unconverged_nodes")
        if survivor is None:
            self._bump("clusters")
        else:
            yield node, survivor


class _ResidueDoFn(CountingDoFn):
    def process(self, item: tuple[int, Iterable[tuple[str, str]]]) -> Iterable[tuple[str, str]]:
        edges = list(item[1])
        self._bump("cc_residue_edges", len(edges))
        for node, root in sorted(union_find(edges).items()):
            if node != root:
                yield from _both_ways((node, root))


class ConnectedComponents(beam.PTransform):
    """Edges (u, v) -> (node, its component's minimum) for every node that is not the minimum.

    Alternating large-star and small-star rounds (dedup.components), `max_rounds` of them in the job graph (a
    few: each is two GroupByKeys that every run pays for, even on empty input); a round whose graph is already
    a star forest passes its edges to the output and leaves later rounds empty. Edges still open after the
    last round (components that are not yet stars: long chains) are solved exactly by union-find in one
    place, counted as `cc_residue_edges`; star rounds shrink such components geometrically, so the residue
    is a small part of the edges.
    """

    def __init__(self, max_rounds: int, stage: str):
        super().__init__()
        if max_rounds < 1:
            raise ValueError(f"max_rounds must be at least 1, got {max_rounds}")
        self.max_rounds, self.stage = max_rounds, stage

    def expand(self, edges: beam.PCollection):
        counts, done = [], []
        current = edges | "BothWays" >> beam.FlatMap(_both_ways)
        for i in range(1, self.max_rounds + 1):
            key = f"cc_round_{i:02d}_unsettled"
            large = (
                current
                | f"Round{i:02d}/GroupNeighbours" >> beam.GroupByKey()
                | f"Round{i:02d}/LargeStar"
                >> beam.ParDo(_LargeStarDoFn(self.stage, key)).with_outputs(COUNTS_TAG, main="edges")
            )
            counts.append(large[COUNTS_TAG])
            # A step between the counts and the gate: the Flink job server (Beam 2.62) fails on a PCollection
            # read both as a side input and by a Flatten (the funnel's counts).
            unsettled = large[COUNTS_TAG] | f"Round{i:02d}/Unsettled" >> beam.FlatMap(
                lambda kv, k=key: [kv[1]] if kv[0][1] == k else []
            )
            gated = large.edges | f"Round{i:02d}/Gate" >> beam.ParDo(
                _GateDoFn(), pvalue.AsList(unsettled)
            ).with_output_types(beam.typehints.Tuple[str, str]).with_outputs("done", main="open")
            done.append(gated.done)
            current = (
                gated.open
                | f"Round{i:02d}/GroupSmaller" >> beam.GroupByKey()
                | f"Round{i:02d}/SmallStar" >> beam.FlatMap(_small_star, last=i == self.max_rounds)
            )
        residue = (
            current
            | "ResidueGroup" >> beam.GroupByKey()
            | "ResidueSolve" >> beam.ParDo(_ResidueDoFn(self.stage)).with_outputs(COUNTS_TAG, main="edges")
        )
        counts.append(residue[COUNTS_TAG])
        final = (
            [*done, residue.edges]
            | "FinalEdges" >> beam.Flatten()
            | "FinalGroup" >> beam.GroupByKey()
            | "Survivors" >> beam.ParDo(_SurvivorDoFn(self.stage)).with_outputs(COUNTS_TAG, main="dropped")
        )
        counts.append(final[COUNTS_TAG])
        return {"dropped": final.dropped, "counts": counts | "FlattenCounts" >> beam.Flatten()}


def record_key(record: Record) -> str:
    return record.id


def apply_verdicts(group: tuple[str, Iterable[Record]], verdicts: Iterable[tuple[str, str]]) -> Iterator[Record | Drop]:
    """Records of one id and their verdicts -> the kept record, or a Drop naming the survivor; a repeated id
    is kept once (the smallest by content, never by arrival) and the rest dropped as `duplicate_id`."""
    rid, group_records = group
    records = list(group_records)
    if len(records) > 1:  # ties by content; the (rare) repeated id alone pays for the sort key
        records.sort(key=lambda r: (r.text, repr(r.to_row())))
    others = sorted(v for v in verdicts if v[1] != rid)
    for extra in records[1:]:
        yield Drop(DUPLICATE_ID, extra.id, f"id {rid} seen more than once")
    if not records:
        return
    reason, survivor = others[0] if others else ("", "")
    yield Drop(reason, records[0].id, f"survivor={survivor}") if reason else records[0]


def dedup_step(exact_stage: str = EXACT_STAGE, near_stage: str = NEAR_STAGE) -> GroupStep:
    """Exact then near dedup as one grouping step: records keyed by id meet their verdicts (`DedupVerdicts`)
    in one CoGroupByKey, which decides both stages (a second join of every record would cost a shuffle)."""
    return GroupStep(
        (exact_stage, near_stage),
        key=record_key,
        resolve=apply_verdicts,
        joins=(_VERDICTS,),
        drop_stage={DUPLICATE_ID: 0, EXACT_DUPLICATE: 0, NEAR_DUPLICATE: 1},
    )


class ClusterSizes(beam.PTransform):
    """(dropped node, its survivor) pairs -> (cluster size, number of clusters of that size).

    A cluster is a survivor and the records dropped for it, so every size is >= 2. Two combines by key
    (members per survivor, then clusters per size): no worker ever holds more than one key's partial sums.
    """

    def expand(self, dropped: beam.PCollection) -> beam.PCollection:
        return (
            dropped
            | "BySurvivor" >> beam.MapTuple(lambda _node, survivor: (survivor, 1))
            | "DroppedPerSurvivor" >> beam.CombinePerKey(sum)
            | "BySize" >> beam.MapTuple(lambda _survivor, n_dropped: (n_dropped + 1, 1))
            | "ClustersPerSize" >> beam.CombinePerKey(sum)
        )


def cluster_sizes_json(items: Iterable[tuple[str, int, int]], stages: Iterable[str]) -> str:
    """The cluster-size file from (stage, size, clusters) rows: per stage, and summed under `cluster_sizes`
    (the report's view); sizes are string keys in numeric order, so the same rows give the same bytes."""
    by_stage: dict[str, dict[int, int]] = {stage: {} for stage in stages}
    total: dict[int, int] = {}
    for stage, size, n in items:
        sizes = by_stage.setdefault(stage, {})
        sizes[size] = sizes.get(size, 0) + n
        total[size] = total.get(size, 0) + n

    def keyed(sizes: dict[int, int]) -> dict[str, int]:
        return {str(size): sizes[size] for size in sorted(sizes)}

    doc = {"cluster_sizes": keyed(total), "by_stage": {stage: keyed(by_stage[stage]) for stage in sorted(by_stage)}}
    return json.dumps(doc, indent=1) + "\n"


def write_cluster_sizes(pipeline: beam.Pipeline, funnel: Funnel, path: str) -> None:
    """Write the near-dedup cluster sizes every `deduplicate` call registered on `funnel` as one JSON file at
    `path`; nothing when no dedup ran. Only the small size -> count tables meet in one place."""
    tables = funnel.stats.get(CLUSTER_STATS, [])
    if not tables:
        return
    stages = sorted(stage for stage, _ in tables)
    (
        [sizes | f"Tag[{stage}]" >> beam.MapTuple(lambda size, n, st=stage: (st, size, n)) for stage, sizes in tables]
        | "FlattenClusterSizes" >> beam.Flatten(pipeline=pipeline)
        | "ClusterSizesToJson" >> Gather(cluster_sizes_json, stages)
        | "WriteClusterSizes" >> WriteTextFile(path, newline=False)
    )


class DedupVerdicts(beam.PTransform):
    """Records -> {"verdicts": (id, (reason, survivor id)) for every duplicate, "counts": the near stage's
    informational counts, "dedup_clusters": (size, clusters)}; see module doc."""

    def __init__(self, settings: Dedup, seed: int, near_stage: str = NEAR_STAGE):
        super().__init__()
        self.settings, self.seed, self.near_stage = settings, seed, near_stage
        self.bands, self.rows = bands_rows(
            settings.threshold, settings.num_perm, settings.false_positive_weight, settings.false_negative_weight
        )

    def expand(self, records: beam.PCollection):
        s, near = self.settings, self.near_stage
        signed = records | "Sign" >> beam.ParDo(_SignDoFn(s, self.seed, self.bands, self.rows)).with_outputs(
            _SETS, main="nodes"
        )
        exact = (
            signed.nodes
            | "GroupContent" >> beam.GroupByKey()
            | "ExactSurvivors" >> beam.FlatMap(_exact_survivors).with_outputs(_VERDICTS, main="survivors")
        )
        banded = exact.survivors | "BandKeys" >> beam.ParDo(_BandDoFn(near)).with_outputs(COUNTS_TAG, main="keys")
        buckets = (
            banded.keys
            | "GroupBuckets" >> beam.GroupByKey()
            | "BucketEdges" >> beam.ParDo(_BucketDoFn(near)).with_outputs(COUNTS_TAG, main="edges")
        )
        counts = [banded[COUNTS_TAG], buckets[COUNTS_TAG]]
        edges = buckets.edges
        if s.verify_jaccard:
            verified = edges | "Verify" >> VerifyEdges(signed[_SETS], s.threshold, near)
            edges = verified["edges"]
            counts.append(verified["counts"])
        components = edges | "Components" >> ConnectedComponents(s.max_rounds, near)
        counts.append(components["counts"])
        near_verdicts = components["dropped"] | "NearVerdicts" >> beam.Map(
            lambda ns: (record_id(ns[0]), (NEAR_DUPLICATE, record_id(ns[1])))
        )
        return {
            _VERDICTS: [exact[_VERDICTS], near_verdicts] | "FlattenVerdicts" >> beam.Flatten(),
            "counts": counts | "FlattenCounts" >> beam.Flatten(),
            CLUSTER_STATS: components["dropped"] | "ClusterSizes" >> ClusterSizes(),
        }


class Deduplicate(beam.PTransform):
    """Records -> {"kept": Records, "counts": ((stage, key), n), "drops": (stage, Drop), "cluster_sizes":
    (size, clusters)}: the two stages' `Grouping` on its own (tests, benchmarks, evals); a run registers it
    through `Funnel.group` (`deduplicate`)."""

    def __init__(self, settings: Dedup, seed: int, *, exact_stage: str = EXACT_STAGE, near_stage: str = NEAR_STAGE):
        super().__init__()
        self.step = dedup_step(exact_stage, near_stage)
        self.verdicts = DedupVerdicts(settings, seed, near_stage)

    def expand(self, records: beam.PCollection):
        result = records | Grouping(self.step, self.verdicts)
        return {
            "kept": result["kept"],
            "counts": result["counts"],
            "drops": result["drops"],
            "cluster_sizes": result[CLUSTER_STATS],
        }


def deduplicate(
    records: beam.PCollection,
    funnel: Funnel,
    settings: Dedup,
    seed: int,
    *,
    exact_stage: str = EXACT_STAGE,
    near_stage: str = NEAR_STAGE,
) -> beam.PCollection:
    """Exact then near dedup of `records` as two funnel stages of one grouping step; returns the kept records.
    The near stage's cluster sizes land on `funnel.stats` for `write_cluster_sizes`."""
    return funnel.group(records, dedup_step(exact_stage, near_stage), DedupVerdicts(settings, seed, near_stage))["kept"]
