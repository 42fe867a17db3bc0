"""Which duplicate survives: a node key whose plain string order is the survivor rule.

The key is `<rank>|<record id>` with a fixed-width rank, so the smallest key of a cluster is its survivor and
the connected-components step finds it as the component minimum, with no extra pass. Ties in rank fall to
the lexicographically smallest id, so the choice never depends on arrival order.
"""
from __future__ import annotations

from typing import Literal

SurvivorRule = Literal["most_stars", "longest", "smallest_id"]
SURVIVOR_RULES: tuple[str, ...] = ("most_stars", "longest", "smallest_id")
_RANK_WIDTH = 16  # hex digits
_RANK_MAX = 16**_RANK_WIDTH - 1


def node_key(record_id: str, *, rule: str, stars: int | None = None, length: int = 0) -> str:
    """The sortable key of a record under `rule`: most stars first (unknown = 0), or longest text first,
    or smallest id; then smallest id."""
    if rule == "most_stars":
        rank = _RANK_MAX - min(max(stars or 0, 0), _RANK_MAX)
    elif rule == "longest":
        rank = _RANK_MAX - min(max(length, 0), _RANK_MAX)
    elif rule == "smallest_id":
        rank = 0
    else:
        raise ValueError(f"unknown survivor rule {rule!r}; allowed: {', '.join(SURVIVOR_RULES)}")
    return f"{rank:0{_RANK_WIDTH}x}|{record_id}"


def record_id(key: str) -> str:
    """The record id inside a node key."""
    return key[_RANK_WIDTH + 1 :]
