"""Connected components by alternating large-star and small-star steps (Kiveris et al., "Connected Components
in MapReduce and Beyond", SoCC 2014), as per-node functions a distributed runner applies after grouping edges.

Nodes are strings ordered lexicographically (`dedup.survivor.node_key` makes that order the survivor rule).
Edges are undirected pairs. One round is:
- large-star, keyed by every node u over all its neighbours N(u): link every neighbour larger than u to
  m = min(N(u) + u);
- small-star, keyed by every node u over its smaller neighbours S(u): link S(u) + u to m = min(S(u) + u).
Both keep each component connected and the node set unchanged; repeated, the graph becomes one star per
component centred on its minimum node, which is then the survivor. A node is *settled* when all its
neighbours are larger (a centre) or it has exactly one neighbour and that one is smaller (a leaf); the
graph is a star forest exactly when every node is settled, a check each node makes on its own neighbours.

`connected_components` drives the same functions in memory (for tests and evaluation); `union_find` is the
plain reference they are tested against.
"""
from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator

Edge = tuple[str, str]


def bucket_edges(members: Iterable[str]) -> Iterator[Edge]:
    """Edges joining every member of an LSH bucket to its smallest member: k-1 edges, not k*(k-1)/2.

    `members` is read twice (a grouped value list is re-iterable) and never held as a set.
    """
    centre = min(members, default=None)
    for node in members:
        if node != centre:
            yield node, centre


def _scan(node: str, neighbours: Iterable[str]) -> tuple[str, bool]:
    """(min of node and neighbours, settled?) in one pass: settled = all neighbours larger (a centre) or
    exactly one distinct neighbour (a leaf if it is smaller, a centre of one leaf if larger)."""
    smallest, first, distinct_one, all_larger = node, None, True, True
    for v in neighbours:
        smallest = min(smallest, v)
        if first is None:
            first = v
        elif v != first:
            distinct_one = False
        all_larger = all_larger and v > node
    return smallest, distinct_one or all_larger


def large_star(node: str, neighbours: Iterable[str]) -> tuple[Iterator[Edge], bool]:
    """Large-star at `node` given all its neighbours (re-iterable): (new edges, was `node` settled?)."""
    centre, settled = _scan(node, neighbours)
    return ((v, centre) for v in neighbours if v > node), settled


def small_star(node: str, smaller_neighbours: Iterable[str]) -> list[Edge]:
    """Small-star at `node` given its smaller neighbours: every one of them and `node` linked to the minimum."""
    group = set(smaller_neighbours) | {node}
    centre = min(group)
    return [(v, centre) for v in sorted(group) if v != centre]


def survivor_of(node: str, neighbours: Iterable[str]) -> tuple[str | None, bool]:
    """After the rounds: (the node `node` is dropped in favour of, or None if it survives; settled?).

    In a star forest a leaf's one neighbour is its component's minimum. If the rounds ran out first, a node
    with a smaller neighbour is still not its component's minimum, so it is dropped for that neighbour;
    only local minima survive, so an unconverged graph can keep extra duplicates but never drops a minimum.
    """
    smallest, settled = _scan(node, neighbours)
    return (smallest if smallest < node else None), settled


def _adjacency(edges: Iterable[Edge], both_ways: bool) -> dict[str, set[str]]:
    adj: dict[str, set[str]] = collections.defaultdict(set)
    for u, v in edges:
        if u == v:
            continue
        hi, lo = (u, v) if u > v else (v, u)
        adj[hi].add(lo)
        if both_ways:
            adj[lo].add(hi)
    return adj


def star_round(edges: Iterable[Edge]) -> tuple[set[Edge], int]:
    """One large-star then small-star round in memory: (new edges, unsettled nodes before the round)."""
    large: set[Edge] = set()
    unsettled = 0
    for node, neighbours in _adjacency(edges, both_ways=True).items():
        out, settled = large_star(node, neighbours)
        large.update(out)
        unsettled += not settled
    small: set[Edge] = set()
    for node, smaller in _adjacency(large, both_ways=False).items():
        small.update(small_star(node, smaller))
    return small, unsettled


def connected_components(edges: Iterable[Edge], max_rounds: int = 50) -> dict[str, str]:
    """Every node of `edges` mapped to the minimum node of its component (star rounds, in memory).

    Raises RuntimeError if the graph is not a star forest after `max_rounds` rounds.
    """
    current = set(edges)
    for _ in range(max_rounds):
        after, unsettled = star_round(current)
        if unsettled == 0:
            break
        current = after
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    result: dict[str, str] = {}
    for node, neighbours in _adjacency(current, both_ways=True).items():
        survivor, _ = survivor_of(node, neighbours)
        result[node] = survivor or node
    return result


def union_find(edges: Iterable[Edge]) -> dict[str, str]:
    """Reference: every node of `edges` mapped to the minimum node of its component, by union-find."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in edges:
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    return {x: find(x) for x in list(parent)}
