"""`mix_manifest.json`: the interface between this pipeline and the training package.

Its JSON Schema is `mixing/manifest.schema.json` (validated in tests; README "The mix"). Plain code: the Beam
wiring collects one `ShardInfo` per written shard and calls `build_manifest` once.

Same input and config => same bytes: the manifest holds no time stamp and no absolute path (shard paths are
relative to the output directory, inputs and tokenizer as the config spells them). The creation time goes to
a separate file, `logs/mix_created.json` (with the run log, outside byte identity), naming the manifest's sha256.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

from mixing.plan import GROUPS, MixPlan

FORMAT = "codecorpus-mix/2"
# The packages whose versions the manifest records: what made the bytes.
SOFTWARE = ("codecorpus", "apache-beam", "pyarrow", "tokenizers", "trafilatura", "numpy", "fasttext-wheel",
            "datasketch", "warcio")


@dataclass(frozen=True)
class FileInfo:
    """One written file: path relative to the output directory, size and sha256."""

    path: str
    bytes: int
    sha256: str

    @classmethod
    def of(cls, path: str, data: bytes) -> FileInfo:
        return cls(path, len(data), hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class ShardInfo:
    category: str
    index: int
    num_shards: int
    path: str  # the Parquet file, relative to the output directory
    docs: int  # rows, repeats included
    tokens: int  # sum of the rows' `tokens`
    text_bytes: int
    bytes: int  # the Parquet file's size
    sha256: str
    # Token outputs by format: {"tokens": ids written (end tokens included), "files": {role: FileInfo}}.
    token_files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def software_versions(names: tuple[str, ...] = SOFTWARE) -> dict[str, str]:
    """Versions of the packages `names` ("absent" for one not installed) and of Python: by default those that
    made the output."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def build_manifest(
    plan: MixPlan,
    shards: Iterable[ShardInfo],
    *,
    config: dict[str, Any],
    config_fingerprint: str,
    tokenizer: dict[str, Any],
    fim: dict[str, Any],
    token_output: dict[str, Any],
    software: dict[str, str],
    inputs: list[dict[str, Any]],
) -> dict[str, Any]:
    """The manifest: provenance, the weights asked and achieved, and every shard with its counts and sha256."""
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
        "token_output": token_output,
        "fim": fim,
        "software": software,
        "inputs": inputs,
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


def created_json(manifest_bytes: bytes, now: dt.datetime | None = None) -> str:
    """`logs/mix_created.json`: when the manifest was written (UTC) and its sha256; kept out of the manifest so
    the manifest stays byte-identical across runs."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return json.dumps({
        "created_at": now.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
    }, indent=1, sort_keys=True) + "\n"


def manifest_schema() -> dict[str, Any]:
    """The committed JSON Schema of the manifest (`mixing/manifest.schema.json`)."""
    return json.loads(resources.files("mixing").joinpath("manifest.schema.json").read_text("utf-8"))
