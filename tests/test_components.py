"""Connected components by star contraction (plain functions) against a union-find, and survivor keys."""
from __future__ import annotations

import random

import pytest

from dedup.components import (
    bucket_edges,
    connected_components,
    large_star,
    small_star,
    star_round,
    survivor_of,
    union_find,
)
from dedup.survivor import node_key, record_id


def _chain(n: int, prefix: str = "c", shuffle_seed: int | None = None) -> list[tuple[str, str]]:
    labels = [f"{prefix}{i:05d}" for i in range(n)]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(labels)
    return [(labels[i], labels[i + 1]) for i in range(n - 1)]


@pytest.mark.parametrize("shuffle_seed", [None, 1])
def test_chain_of_1000_collapses_into_one_cluster(shuffle_seed):
    edges = _chain(1000, shuffle_seed=shuffle_seed)
    components = connected_components(edges, max_rounds=30)
    assert len(components) == 1000 and set(components.values()) == {"c00000"}


def test_stars_and_disjoint_pairs():
    star = [(f"s{i:03d}", "s500") for i in range(200)]  # centre in the middle of the order
    pairs = [(f"p{i:03d}a", f"p{i:03d}b") for i in range(100)]
    components = connected_components(star + pairs)
    assert {components[f"s{i:03d}"] for i in range(200)} == {"s000"} and components["s500"] == "s000"
    assert all(components[f"p{i:03d}b"] == f"p{i:03d}a" for i in range(100))
    assert len(set(components.values())) == 101


def test_random_graphs_equal_union_find():
    rng = random.Random(0)
    for _ in range(100):
        nodes = [f"{rng.randrange(10**6):07d}" for _ in range(rng.randint(2, 200))]
        edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(rng.randint(1, 300))]
        edges = [(u, v) for u, v in edges if u != v]  # buckets never link a node to itself
        assert connected_components(edges) == union_find(edges)


def test_round_count_is_bounded_and_reported():
    with pytest.raises(RuntimeError, match="did not converge in 2 rounds"):
        connected_components(_chain(1000), max_rounds=2)
    _, unsettled = star_round(set(_chain(4)))
    assert unsettled == 2  # the two inner nodes of a path


def test_bucket_edges_form_a_star_on_the_minimum():
    assert sorted(bucket_edges(["c", "a", "b"])) == [("b", "a"), ("c", "a")]
    assert list(bucket_edges(["only"])) == []


def test_star_steps_on_one_node():
    edges, settled = large_star("m", ["a", "x", "z"])
    assert sorted(edges) == [("x", "a"), ("z", "a")] and not settled
    edges, settled = large_star("a", ["x", "z"])
    assert sorted(edges) == [("x", "a"), ("z", "a")] and settled
    assert small_star("z", ["b", "c"]) == [("c", "b"), ("z", "b")]


def test_survivor_of_unconverged_node_never_drops_a_minimum():
    assert survivor_of("b", ["a"]) == ("a", True)
    assert survivor_of("a", ["b", "c"]) == (None, True)
    assert survivor_of("b", ["a", "c"]) == ("a", False)  # still a smaller neighbour: not the minimum


def test_node_key_orders_by_rule_then_id():
    most = sorted(
        [node_key("b", rule="most_stars", stars=10), node_key("a", rule="most_stars", stars=3),
         node_key("c", rule="most_stars", stars=10), node_key("d", rule="most_stars", stars=None)]
    )
    assert [record_id(k) for k in most] == ["b", "c", "a", "d"]
    longest = sorted([node_key("a", rule="longest", length=5), node_key("b", rule="longest", length=9)])
    assert [record_id(k) for k in longest] == ["b", "a"]
    assert record_id(min(node_key(i, rule="smallest_id", stars=s) for i, s in [("z|1", 9), ("y", 0)])) == "y"
    with pytest.raises(ValueError, match="unknown survivor rule"):
        node_key("a", rule="oldest")
