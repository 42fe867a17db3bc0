"""The mix plan: how much of each category goes into the training mix, and where each copy lands.

Weights are asked per *group* (SPEC §4, DeepSeek-Coder-V2: 60% code, 10% math, 30% natural language); a
record *category* belongs to one group (`code_web` to code or text, as configured). Every category of a
group is sampled at the same rate, so a group keeps its inner proportions.

The total T is the budget, or, when a group is short, the largest total the policy allows:
  - `shrink`: no document is repeated, T = min(budget, available_g / weight_g over groups),
  - `upsample`: a short group is repeated up to `max_repeats` times first,
    T = min(budget, available_g * max_repeats / weight_g).
Either way every group with data gets T * weight_g tokens, so the asked weights hold. A group with a weight
but no data at all cannot be met: it is reported as missing and the others keep their asked shares of T
(so their achieved weights, renormalised, are larger than asked).

Sampling is Bernoulli per document, seeded by (seed, id): a document at rate r appears floor(r) times plus
once more with probability frac(r). Expected tokens equal the target; no step needs the whole corpus.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from pipeline.schema import CATEGORY_TABLE
from pipeline.seeded import seeded_hash

GROUPS = ("code", "math", "text")
DEFAULT_WEIGHTS = {"code": 0.6, "math": 0.1, "text": 0.3}  # SPEC §4
UPSAMPLE, SHRINK = "upsample", "shrink"
MAX_REPEATS = 4.0  # why: Muennighoff et al. 2023, up to ~4 epochs of repeated data cost little
TARGET_SHARD_BYTES = 256 * 2**20  # text bytes per shard before compression (zstd files are ~4x smaller)
_CATEGORY_GROUP = {c.name: c.group for c in CATEGORY_TABLE}  # code_web's is configured: see group_of


def group_of(category: str, code_web_counts_as: str) -> str:
    """The weight group of a record category."""
    if category == "code_web":
        return code_web_counts_as
    try:
        return _CATEGORY_GROUP[category]
    except KeyError:
        raise ValueError(f"unknown mix category {category!r}; known: {', '.join(_CATEGORY_GROUP)}") from None


@dataclass(frozen=True)
class Totals:
    """Documents, tokens and UTF-8 text bytes of a set of documents."""

    docs: int = 0
    tokens: int = 0
    bytes: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.docs + other.docs, self.tokens + other.tokens, self.bytes + other.bytes)


@dataclass(frozen=True)
class CategoryPlan:
    category: str
    group: str
    available: Totals
    rate: float  # expected copies per document
    num_shards: int

    @property
    def expected_tokens(self) -> float:
        return self.rate * self.available.tokens


@dataclass(frozen=True)
class GroupPlan:
    group: str
    weight: float
    available_tokens: int
    target_tokens: float
    rate: float
    status: str  # "downsampled" | "complete" | "upsampled" | "missing" | "unweighted"


@dataclass(frozen=True)
class MixPlan:
    seed: int
    policy: str
    max_repeats: float
    budget_tokens: int | None
    total_tokens: float  # the planned total T
    groups: dict[str, GroupPlan] = field(default_factory=dict)
    categories: dict[str, CategoryPlan] = field(default_factory=dict)

    def rate(self, category: str) -> float:
        plan = self.categories.get(category)
        return plan.rate if plan else 0.0

    def num_shards(self, category: str) -> int:
        plan = self.categories.get(category)
        return plan.num_shards if plan else 0

    def to_json(self) -> dict:
        return asdict(self)


def plan_mix(
    totals: Mapping[str, Totals],
    *,
    seed: int,
    weights: Mapping[str, float],
    total_tokens: int | None,
    short_policy: str,
    max_repeats: float,
    code_web_counts_as: str,
    target_shard_bytes: int,
) -> MixPlan:
    """The sampling rate of every category and the number of shards it fills (see the module docstring).
    The values are config `mix`'s (their defaults: this module's constants, through `pipeline.config.Mix`)."""
    if short_policy not in (UPSAMPLE, SHRINK):
        raise ValueError(f"short_policy must be {UPSAMPLE!r} or {SHRINK!r}, got {short_policy!r}")
    by_group: dict[str, Totals] = {g: Totals() for g in GROUPS}
    for category, t in totals.items():
        group = group_of(category, code_web_counts_as)
        by_group[group] = by_group[group] + t
    repeats = max_repeats if short_policy == UPSAMPLE else 1.0
    limits = [
        by_group[g].tokens * repeats / weights.get(g, 0.0)
        for g in GROUPS
        if weights.get(g, 0.0) > 0 and by_group[g].tokens > 0
    ]
    total = min(limits) if limits else 0.0
    if total_tokens is not None:
        total = min(total, float(total_tokens))

    groups: dict[str, GroupPlan] = {}
    for g in GROUPS:
        w, available = weights.get(g, 0.0), by_group[g].tokens
        target = total * w if available else 0.0
        rate = target / available if available else 0.0
        rate = min(rate, repeats)  # guards float rounding at the binding group
        if w == 0:
            status = "unweighted"
        elif not available:
            status = "missing"
        else:
            status = "upsampled" if rate > 1 + 1e-9 else "complete" if rate > 1 - 1e-9 else "downsampled"
        groups[g] = GroupPlan(g, w, available, target, rate, status)

    categories: dict[str, CategoryPlan] = {}
    for category in sorted(totals):
        t = totals[category]
        rate = groups[group_of(category, code_web_counts_as)].rate
        expected_bytes = rate * t.bytes
        shards = max(1, math.ceil(expected_bytes / target_shard_bytes)) if expected_bytes > 0 else 0
        categories[category] = CategoryPlan(category, group_of(category, code_web_counts_as), t, rate, shards)
    return MixPlan(seed, short_policy, max_repeats, total_tokens, total, groups, categories)


def copies(doc_id: str, rate: float, seed: int) -> int:
    """How many times this document enters the mix: floor(rate), plus one with probability frac(rate)."""
    whole = math.floor(rate)
    frac = rate - whole
    return whole + (1 if seeded_hash("sample", seed, doc_id) / 2**64 < frac else 0)


def shuffle_key(doc_id: str, copy: int, seed: int) -> int:
    """The copy's place in the global shuffle: its shard is key % num_shards, its row order the key."""
    return seeded_hash("shuffle", seed, doc_id, copy)
