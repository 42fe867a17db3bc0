"""`mix/manifest.json`: the interface between this pipeline and the training package.

Plain code: the Beam wiring collects one `ShardInfo` per written shard and calls `build_manifest` once. The
manifest holds no time stamps or absolute paths (shard paths are relative to the output directory), so the
same input and config give the same bytes, and a copied-down output stays valid.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from mixing.plan import GROUPS, MixPlan

FORMAT = "codecorpus-mix/1"


@dataclass(frozen=True)
class ShardInfo:
    category: str
    index: int
    num_shards: int
    path: str  # relative to the output directory
    docs: int  # rows, repeats included
    tokens: int
    text_bytes: int
    bytes: int  # the Parquet file's size
    sha256: str
    token_ids_path: str = ""  # optional tokenized form (see README, "Tokenized shards")
    token_ids_sha256: str = ""
    offsets_path: str = ""
    offsets_sha256: str = ""

    def to_json(self) -> dict[str, Any]:
        row = asdict(self)
        if not self.token_ids_path:
            for key in ("token_ids_path", "token_ids_sha256", "offsets_path", "offsets_sha256"):
                row.pop(key)
        return row


def build_manifest(
    plan: MixPlan,
    shards: Iterable[ShardInfo],
    *,
    config: dict[str, Any],
    config_fingerprint: str,
    tokenizer: str,
    fim: dict[str, Any],
) -> dict[str, Any]:
    """The manifest: the config, weights asked and achieved, and every shard with its counts and sha256."""
    shards = sorted(shards, key=lambda s: (s.category, s.index))
    written_tokens = sum(s.tokens for s in shards)
    categories: dict[str, Any] = {}
    for name, cp in plan.categories.items():
        mine = [s for s in shards if s.category == name]
        categories[name] = {
            "group": cp.group,
            "rate": round(cp.rate, 9),
            "available": asdict(cp.available),
            "docs": sum(s.docs for s in mine),
            "tokens": sum(s.tokens for s in mine),
            "text_bytes": sum(s.text_bytes for s in mine),
            "bytes": sum(s.bytes for s in mine),
            "shards": [s.to_json() for s in mine],
        }
    weights: dict[str, Any] = {}
    for g in GROUPS:
        gp = plan.groups[g]
        tokens = sum(c["tokens"] for c in categories.values() if c["group"] == g)
        weights[g] = {
            "asked": gp.weight,
            "achieved": round(tokens / written_tokens, 6) if written_tokens else 0.0,
            "status": gp.status,
            "available_tokens": gp.available_tokens,
            "target_tokens": round(gp.target_tokens),
            "tokens": tokens,
            "rate": round(gp.rate, 9),
            "categories": sorted(c for c, info in categories.items() if info["group"] == g),
        }
    return {
        "format": FORMAT,
        "seed": plan.seed,
        "tokenizer": tokenizer,
        "fim": fim,
        "budget": {
            "asked_total_tokens": plan.budget_tokens,
            "planned_total_tokens": round(plan.total_tokens),
            "achieved_total_tokens": written_tokens,
            "short_policy": plan.policy,
            "max_repeats": plan.max_repeats,
        },
        "weights": weights,
        "categories": categories,
        "totals": {
            "shards": len(shards),
            "docs": sum(s.docs for s in shards),
            "tokens": written_tokens,
            "bytes": sum(s.bytes for s in shards),
        },
        "config_fingerprint": config_fingerprint,
        "config": config,
    }


def manifest_json(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False)
