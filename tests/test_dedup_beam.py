"""Dedup and repository samples through Beam (TestPipeline): components, verdicts, counts, survivors."""
from __future__ import annotations

import collections
import json
import random

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from dedup.components import union_find
from pipeline.config import Dedup, RepoSamples
from pipeline.dedup_transforms import (
    ClusterSizes,
    ConnectedComponents,
    Deduplicate,
    cluster_sizes_json,
    deduplicate,
    write_cluster_sizes,
)
from pipeline.record import Record
from pipeline.repo_assembly import AssembleRepoSamples
from pipeline.stages import BYTES_PREFIX, Funnel


def _summed(counts: beam.PCollection, label: str) -> beam.PCollection:
    """The record counters summed into one dict (text-byte counters, `bytes.*`, left out)."""
    return (
        counts
        | f"{label}/Records" >> beam.Filter(lambda kv: not kv[0][1].startswith(BYTES_PREFIX))
        | f"{label}/Sum" >> beam.CombinePerKey(sum)
        | f"{label}/Dict" >> beam.combiners.ToDict()
    )


def _graphs() -> list[tuple[str, str]]:
    rng = random.Random(4)
    chain = [(f"c{i:05d}", f"c{i + 1:05d}") for i in range(999)]  # A~B, B~C, ... 1000 long
    star = [(f"s{i:03d}", "s500") for i in range(100)]
    pairs = [(f"p{i:03d}a", f"p{i:03d}b") for i in range(50)]
    nodes = [f"r{rng.randrange(10**5):05d}" for _ in range(300)]
    rand = [(a, b) for a, b in ((rng.choice(nodes), rng.choice(nodes)) for _ in range(250)) if a != b]
    return chain + star + pairs + rand


def test_connected_components_in_beam_equal_union_find_and_report_convergence():
    edges = _graphs()
    expected = sorted((node, root) for node, root in union_find(edges).items() if node != root)
    chain = [(f"c{i:05d}", f"c{i + 1:05d}") for i in range(999)]
    with TestPipeline() as p:
        converged = p | "Edges" >> beam.Create(edges) | "CC" >> ConnectedComponents(max_rounds=14, stage="cc")
        assert_that(converged["dropped"], equal_to(expected), label="EqualsUnionFind")
        counts = _summed(converged["counts"], "Counts")

        def check_counts(dicts):
            (c,) = dicts
            assert c[("cc", "clusters")] == len({root for _, root in expected})
            assert ("cc", "unconverged_nodes") not in c
            rounds = sorted(k for _, k in c if k.startswith("cc_round_"))
            assert 3 < len(rounds) < 14  # the chain needs several rounds, and the gate stopped them

        assert_that(counts, check_counts, label="Converged")

        # Fewer rounds than the chain needs: the open rest is solved by union-find, exactly, and counted.
        short = p | "Chain" >> beam.Create(chain) | "Short" >> ConnectedComponents(max_rounds=2, stage="short")
        assert_that(short["dropped"], equal_to([(n, "c00000") for n, _ in sorted(union_find(chain).items())
                                                if n != "c00000"]), label="ShortExact")
        assert_that(
            _summed(short["counts"], "ShortCounts"),
            lambda d: 0 < d[0][("short", "cc_residue_edges")] < len(chain) and ("short", "unconverged_nodes") not in d[0],
            label="ShortCounted",
        )


def _text(rng: random.Random, n: int) -> str:
    words = [f"name{i}" for i in range(3000)] + ["def", "return", "(", ")", ":", "self"]
    return " ".join(rng.choice(words) for _ in range(n))


def _corpus() -> tuple[list[Record], dict[str, tuple[str, str]]]:
    """Records and the expected {dropped id: (reason, survivor id)}."""
    rng = random.Random(11)
    records, expected = [], {}
    for i in range(30):
        base = _text(rng, 400)
        words = base.split()
        for j in rng.sample(range(len(words)), 4):
            words[j] = "edited"
        near = " ".join(words)
        records += [
            Record(id=f"base{i:02d}", source="github", text=base, repo_stars=5),
            Record(id=f"copy{i:02d}", source="github", text=base, repo_stars=1),  # exact, fewer stars
            Record(id=f"fork{i:02d}", source="github", text=near, repo_stars=50),  # near, most stars: kept
        ]
        expected[f"copy{i:02d}"] = ("exact_duplicate", f"base{i:02d}")
        expected[f"base{i:02d}"] = ("near_duplicate", f"fork{i:02d}")
    for i in range(10):
        records.append(Record(id=f"solo{i:02d}", source="web", text=_text(rng, 300)))
    # Far apart (J ~ 0.25): must stay apart even though they share many words.
    shared = _text(rng, 200)
    records += [
        Record(id="far_a", source="web", text=shared + " " + _text(rng, 300)),
        Record(id="far_b", source="web", text=shared + " " + _text(rng, 300)),
        Record(id="short_a", source="github", text="x = 1"),  # fewer tokens than a shingle
        Record(id="short_b", source="github", text="x = 1"),
        Record(id="none_a", source="github", text="{ } ;"),  # no token at all
        Record(id="none_b", source="github", text="{ }  ;"),
    ]
    expected["short_b"] = ("exact_duplicate", "short_a")
    return records, expected


def test_deduplicate_drops_with_survivor_and_counts_add_up():
    records, expected = _corpus()
    kept_ids = sorted({r.id for r in records} - set(expected))
    with TestPipeline() as p:
        created = p | beam.Create(records)
        for label, verify in (("Plain", False), ("Verified", True)):
            settings = Dedup(verify_jaccard=verify, max_rounds=6)
            result = created | label >> Deduplicate(settings, seed=1234, exact_stage="exact", near_stage="near")
            assert_that(result["kept"] | f"{label}/Ids" >> beam.Map(lambda r: r.id), equal_to(kept_ids), label=f"{label}/Kept")
            drops = result["drops"] | f"{label}/Drops" >> beam.Map(
                lambda sd: (sd[1].id, (sd[1].reason, sd[1].detail.removeprefix("survivor=")))
            )
            assert_that(drops, equal_to(sorted(expected.items())), label=f"{label}/Dropped")

            def check_counts(dicts, verify=verify):
                (c,) = dicts
                assert c[("exact", "in")] == len(records) == c[("exact", "out")] + c[("exact", "dropped.exact_duplicate")]
                assert c[("near", "in")] == c[("exact", "out")] == c[("near", "out")] + c[("near", "dropped.near_duplicate")]
                assert c[("near", "unshingled")] == 2 and c[("near", "clusters")] == 30
                assert (("near", "verified_edges") in c) == verify and ("near", "rejected_edges") not in c

            assert_that(_summed(result["counts"], f"{label}/Counts"), check_counts, label=f"{label}/Balanced")
            # Each base has an exact copy (dropped before near dedup) and a near fork: 30 clusters of two.
            assert_that(result["cluster_sizes"], equal_to([(2, 30)]), label=f"{label}/ClusterSizes")


def _clusters(sizes: list[int]) -> list[tuple[str, str]]:
    """Edges of one connected cluster per size: a chain, so sizes come from components, not from stars."""
    edges = []
    for c, size in enumerate(sizes):
        edges += [(f"k{c:03d}-{i:03d}", f"k{c:03d}-{i + 1:03d}") for i in range(size - 1)]
    return edges


def test_cluster_sizes_count_members_per_survivor_then_clusters_per_size():
    sizes = [2] * 7 + [3] * 4 + [5, 5, 40]
    with TestPipeline() as p:
        components = p | beam.Create(_clusters(sizes)) | ConnectedComponents(max_rounds=12, stage="cc")
        counted = components["dropped"] | ClusterSizes()
        assert_that(counted, equal_to([(2, 7), (3, 4), (5, 2), (40, 1)]))
        empty = p | "NoEdges" >> beam.Create([]) | "NoComponents" >> ConnectedComponents(2, "none")
        assert_that(empty["dropped"] | "NoSizes" >> ClusterSizes(), equal_to([]), label="Empty")


def test_cluster_sizes_file_sums_stages_in_numeric_order():
    text = cluster_sizes_json([("web", 10, 1), ("code", 2, 3), ("web", 2, 1), ("code", 10, 2)], ["code", "web", "idle"])
    doc = json.loads(text)
    assert list(doc["cluster_sizes"].items()) == [("2", 4), ("10", 3)]
    assert doc["by_stage"] == {"code": {"2": 3, "10": 2}, "idle": {}, "web": {"2": 1, "10": 1}}
    assert text == cluster_sizes_json(reversed([("web", 10, 1), ("code", 2, 3), ("web", 2, 1), ("code", 10, 2)]),
                                      ["web", "idle", "code"])


def test_deduplicate_registers_cluster_sizes_for_one_file_per_run(tmp_path):
    records, _ = _corpus()
    funnel = Funnel()
    path = tmp_path / "stats" / "dedup_clusters.json"
    with TestPipeline() as p:
        created = p | beam.Create(records)
        deduplicate(created, funnel, Dedup(max_rounds=6), seed=1, exact_stage="exact", near_stage="near")
        pages = p | "Pages" >> beam.Create([r.replace(id=f"page-{r.id}") for r in records[:9]])
        deduplicate(pages, funnel, Dedup(max_rounds=6), seed=1, exact_stage="web_exact", near_stage="web_near")
        write_cluster_sizes(p, funnel, str(path))
    doc = json.loads(path.read_text())
    assert doc == {"cluster_sizes": {"2": 33}, "by_stage": {"near": {"2": 30}, "web_near": {"2": 3}}}


CORE_THEN_MAIN = "# pkg/core.py\ndef add(a, b):\n    return a + b\n# pkg/main.py\nfrom pkg.core import add\n"


def test_repository_samples_merge_stage_counts():
    def rec(repo: str, path: str, language: str, text: str) -> Record:
        return Record(id=f"{repo}/{path}", source="github", text=text, repo=repo, path=path, language=language)

    records = [
        rec("r1", "pkg/core.py", "Python", "def add(a, b):\n    return a + b\n"),
        rec("r1", "pkg/main.py", "Python", "from pkg.core import add\n"),
        rec("r1", "README.md", "Markdown", "# r1\n"),
        rec("r1", "tool.py", "Python", "print(1)\n"),
        rec("r2", "Main.java", "Java", "class Main {}\n"),
        rec("r2", "Main.java", "Java", "class Main { }\n"),  # the same path twice: counted drop
    ]
    with TestPipeline() as p:
        result = p | beam.Create(records) | AssembleRepoSamples(RepoSamples(), seed=3)
        texts = result["records"] | beam.Map(lambda r: (r.repo, r.path, r.language, r.meta.get("sample_files"), r.text))
        assert_that(
            texts,
            equal_to(
                [
                    ("r1", "README.md", "Markdown", None, "# r1\n"),
                    ("r1", "pkg/core.py", "Python", "2", CORE_THEN_MAIN),
                    ("r1", "tool.py", "Python", "1", "# tool.py\nprint(1)\n"),
                    ("r2", "Main.java", "Java", "1", "// Main.java\nclass Main {}\n"),
                ]
            ),
        )
        assert_that(
            _summed(result["counts"], "Counts"),
            equal_to([{
                ("repo_samples", "in"): 6, ("repo_samples", "passed"): 1, ("repo_samples", "merged"): 4,
                ("repo_samples", "dropped.duplicate_path"): 1, ("repo_samples", "samples"): 3,
                ("repo_samples", "out"): 4,
            }]),
            label="Counts",
        )
        assert_that(
            result["drops"] | "DropIds" >> beam.Map(lambda sd: (sd[0], sd[1].reason, sd[1].id)),
            equal_to([("repo_samples", "duplicate_path", "r2/Main.java")]),
            label="Drops",
        )


def test_survivor_rule_is_configurable():
    text = _text(random.Random(2), 300)
    records = [
        Record(id="b", source="github", text=text, repo_stars=9),
        Record(id="a", source="github", text=text + " tail", repo_stars=1),
    ]
    with TestPipeline() as p:
        created = p | beam.Create(records)
        for rule, survivor in (("most_stars", "b"), ("smallest_id", "a"), ("longest", "a")):
            result = created | rule >> Deduplicate(Dedup(survivor=rule, max_rounds=1), seed=1)
            assert_that(result["kept"] | f"{rule}/Id" >> beam.Map(lambda r: r.id), equal_to([survivor]), label=rule)


def test_corpus_fixture_is_what_the_tests_claim():
    _, expected = _corpus()
    assert collections.Counter(reason for reason, _ in expected.values()) == {
        "exact_duplicate": 31, "near_duplicate": 30,
    }


def test_a_repeated_id_is_kept_once_and_counted():
    text = _text(random.Random(5), 300)
    records = [
        Record(id="same", source="web", text=text),
        Record(id="same", source="web", text=text + " more words here"),
        Record(id="other", source="web", text=_text(random.Random(6), 300)),
    ]
    with TestPipeline() as p:
        result = p | beam.Create(records) | Deduplicate(Dedup(verify_jaccard=True, max_rounds=1), seed=1)
        assert_that(result["kept"] | "Ids" >> beam.Map(lambda r: r.id), equal_to(["other", "same"]))
        assert_that(
            result["drops"] | "Drops" >> beam.Map(lambda sd: (sd[0], sd[1].reason, sd[1].id)),
            equal_to([("exact_dedup", "duplicate_id", "same")]),
            label="Drops",
        )
