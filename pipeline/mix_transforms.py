"""The training mix wired into Beam: the final stage (the plan, FIM and manifest logic is in `mixing/`).

    records by category ─► mix_prepare (FIM, token count) ─► totals per category (CombinePerKey)
                                    │                                  │
                                    │                          plan (one small object)
                                    ▼                                  │ side input
                              mix_sample (drop at rate < 1) ◄──────────┤
                                    ▼                                  │
                       copies ─► key (category, shard) by shuffle hash ◄┘
                                    ▼
                       GroupByKey per shard ─► Parquet (+ token ids) ─► manifest.json

No step holds more than one shard (`mix.target_shard_bytes` of text); the order inside the mix is set by a
hash of (seed, id, copy), so it is the same whatever order the records arrive in.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
import numpy as np

from mixing.fim import to_fim
from mixing.manifest import ShardInfo, build_manifest, manifest_json
from mixing.plan import MixPlan, Totals, copies, group_of, plan_mix, shuffle_key
from mixing.tokens import TokenCounter
from pipeline import layout
from pipeline.config import Config
from pipeline.decontam_transforms import tag_category
from pipeline.record import Drop, Record, records_to_table
from pipeline.sinks import parquet_bytes, read_bytes, shard_path, write_bytes
from pipeline.stages import Funnel

MIX_DIR = "mix"


class PrepareForMix:
    """The mix_prepare step: FIM for code documents when enabled, then the token count (`Record.tokens`)."""

    def __init__(self, counter: TokenCounter, *, seed: int, fim_enabled: bool, fim_rate: float, eos_token: str):
        self.counter, self.seed = counter, seed
        self.fim_enabled, self.fim_rate, self.eos_token = fim_enabled, fim_rate, eos_token

    def setup(self) -> None:
        self.counter.setup()

    def __call__(self, record: Record) -> Record | Drop:
        text, meta = record.text, record.meta
        if self.fim_enabled and record.category == "code":
            fim = to_fim(text, record.id, seed=self.seed, rate=self.fim_rate, eos_token=self.eos_token)
            if fim is not None:
                text, meta = fim, {**meta, "fim": "psm"}
        tokens = self.counter.count(text)
        if tokens == 0:
            return Drop("empty", record.id, record.category)
        return record.replace(text=text, meta=meta, tokens=tokens)


def sample_step(record: Record, plan: MixPlan) -> Record | Drop:
    """Keep a record that gets at least one copy at its category's rate; drop (counted) the others."""
    rate = plan.rate(record.category)
    if copies(record.id, rate, plan.seed) == 0:
        return Drop("sampled_out", record.id, f"{record.category} at rate {rate:.4f}")
    return record


def keyed_copies(record: Record, plan: MixPlan) -> Iterator[tuple[tuple[str, int, int], tuple[int, Record]]]:
    """Every copy of `record`, keyed by its shard, with its shuffle key (copies after the first are marked)."""
    n_shards = plan.num_shards(record.category)
    for k in range(copies(record.id, plan.rate(record.category), plan.seed)):
        key = shuffle_key(record.id, k, plan.seed)
        row = record if k == 0 else record.replace(meta={**record.meta, "mix_copy": str(k)})
        yield (record.category, key % n_shards, n_shards), (key, row)


def all_shard_keys(plan: MixPlan) -> Iterator[tuple[tuple[str, int, int], None]]:
    """Every planned shard, so each is written even when no row falls into it."""
    for category, cp in plan.categories.items():
        for i in range(cp.num_shards):
            yield (category, i, cp.num_shards), None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class WriteMixShard(beam.DoFn):
    """Writes one shard: rows in shuffle order as zstd Parquet, and optionally its token ids and offsets."""

    def __init__(self, output_dir: str, counter: TokenCounter | None):
        self.output_dir, self.counter = output_dir, counter

    def setup(self) -> None:
        if self.counter is not None:
            self.counter.setup()

    def process(self, item: tuple[tuple[str, int, int], dict[str, Iterable]]) -> Iterator[ShardInfo]:
        (category, index, n_shards), groups = item
        rows = sorted(groups["rows"], key=lambda kr: (kr[0], kr[1].id))
        records = [r for _, r in rows]
        rel = shard_path(f"{MIX_DIR}/{category}", index, n_shards)
        data = parquet_bytes(records_to_table(records))
        write_bytes(f"{self.output_dir}/{rel}", data)
        info: dict[str, Any] = {
            "category": category, "index": index, "num_shards": n_shards, "path": rel, "docs": len(records),
            "tokens": sum(r.tokens for r in records), "text_bytes": sum(_text_bytes(r) for r in records),
            "bytes": len(data), "sha256": _sha256(data),
        }
        if self.counter is not None:
            info.update(self._write_token_ids(rel, records))
        yield ShardInfo(**info)

    def _write_token_ids(self, rel: str, records: list[Record]) -> dict[str, str]:
        """`.tokens.u32`: all ids, little-endian uint32; `.offsets.u64`: docs+1 row starts into it."""
        ids = self.counter.encode_batch([r.text for r in records]) if records else []
        offsets = np.zeros(len(ids) + 1, dtype="<u8")
        np.cumsum([len(a) for a in ids], out=offsets[1:])
        flat = (np.concatenate(ids) if ids else np.zeros(0)).astype("<u4").tobytes()
        stem = rel[: -len(".parquet")]
        out = {}
        for name, blob in (("token_ids", flat), ("offsets", offsets.tobytes())):
            path = f"{stem}.tokens.u32" if name == "token_ids" else f"{stem}.offsets.u64"
            write_bytes(f"{self.output_dir}/{path}", blob)
            out[f"{name}_path"], out[f"{name}_sha256"] = path, _sha256(blob)
        return out


def _text_bytes(record: Record) -> int:
    return len(record.text.encode("utf-8", "surrogatepass"))


def _sum_triples(values: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    """Element-wise sum of equal-length count tuples (docs, tokens, bytes, ...)."""
    total: tuple[int, ...] = ()
    for v in values:
        total = tuple(a + b for a, b in zip(total, v)) if total else tuple(v)
    return total


def _files_in(record: Record) -> int:
    """Source files a document holds: a repository sample concatenates `sample_files` of them."""
    try:
        return max(1, int(record.meta.get("sample_files", 1)))
    except ValueError:
        return 1


def make_plan(totals: dict[str, tuple[int, int, int]], config: Config) -> MixPlan:
    mix = config.mix
    return plan_mix(
        {category: Totals(*t) for category, t in totals.items()},
        seed=config.seed,
        weights=mix.weights,
        total_tokens=mix.total_tokens,
        short_policy=mix.short_policy,
        max_repeats=mix.max_repeats,
        code_web_counts_as=mix.code_web_counts_as,
        target_shard_bytes=mix.target_shard_bytes,
    )


def languages_json(items: list[tuple[tuple[str, str, str], tuple[int, int, int, int]]]) -> str:
    """`stats/mix_languages.json`: per (available|written, category, language) documents, the source files
    they hold (a repository sample holds several), tokens and bytes."""
    rows = [
        {"set": s, "category": c, "language": lang, "docs": d, "files": f, "tokens": t, "bytes": b}
        for (s, c, lang), (d, f, t, b) in sorted(items)
    ]
    return json.dumps({"languages": rows}, indent=1, sort_keys=True)


def write_mix(
    records_by_category: dict[str, beam.PCollection], config: Config, funnel: Funnel, output_dir: str
) -> beam.PCollection:
    """The mix of `records_by_category` (keys: code, code_web, math_web, text) under `output_dir/mix/`.

    Adds the funnel stages mix_prepare and mix_sample; writes the shards, `mix/manifest.json` and
    `stats/mix_languages.json`. Returns the PCollection of the manifest's text (for tests to wait on).
    """
    mix = config.mix
    for category in records_by_category:
        group_of(category, mix.code_web_counts_as)  # an unknown category fails here, before the run
    # Tokens are counted with the training tokenizer (`tokenizer.path`, DeepSeek-V2's); without one, estimated.
    path = config.tokenizer.path
    counter = TokenCounter(config.resolve(path) if path else None, read_bytes=read_bytes)
    p = next(iter(records_by_category.values())).pipeline if records_by_category else None
    if p is None:
        raise ValueError("write_mix needs at least one category of records")
    records = [
        tag_category(pc, c, f"MixTag_{c}") for c, pc in sorted(records_by_category.items())
    ] | "MixInputs" >> beam.Flatten()
    prepared = funnel.apply(
        records,
        "mix_prepare",
        PrepareForMix(
            counter, seed=config.seed, fim_enabled=mix.fim.enabled, fim_rate=mix.fim.rate,
            eos_token=mix.fim.eos_token,
        ),
    )
    plan = (
        prepared
        | "CategoryTotals" >> beam.Map(lambda r: (r.category, (1, r.tokens, _text_bytes(r))))
        | "SumCategory" >> beam.CombinePerKey(_sum_triples)
        | "TotalsDict" >> beam.combiners.ToDict()
        | "Plan" >> beam.Map(make_plan, config)
    )
    plan_side = beam.pvalue.AsSingleton(plan)
    sampled = funnel.apply(prepared, "mix_sample", sample_step, side_inputs={"plan": plan_side})
    rows = sampled | "Copies" >> beam.FlatMap(keyed_copies, plan=plan_side)
    present = plan | "PlannedShards" >> beam.FlatMap(all_shard_keys)
    shards = (
        {"rows": rows, "present": present}
        | "GroupShards" >> beam.CoGroupByKey()
        | "WriteShard" >> beam.ParDo(WriteMixShard(output_dir, counter if mix.tokenized_shards else None))
    )
    fim = {"enabled": mix.fim.enabled, "mode": mix.fim.mode, "rate": mix.fim.rate, "eos_token": mix.fim.eos_token}
    config_json, fingerprint = config.model_dump(mode="json"), config.fingerprint()
    manifest = (
        shards
        | "CollectShards" >> beam.combiners.ToList()
        | "Manifest"
        >> beam.Map(
            lambda infos, plan: manifest_json(
                build_manifest(
                    plan, infos, config=config_json, config_fingerprint=fingerprint,
                    tokenizer=counter.description, fim=fim,
                )
            ),
            plan=plan_side,
        )
    )
    manifest | "WriteManifest" >> beam.io.WriteToText(
        f"{output_dir}/{MIX_DIR}/manifest", file_name_suffix=".json", shard_name_template=""
    )
    _write_language_stats(prepared, rows, output_dir)
    return manifest


def _write_language_stats(prepared: beam.PCollection, rows: beam.PCollection, output_dir: str) -> None:
    available = prepared | "LangAvailable" >> beam.Map(
        lambda r: (("available", r.category, r.language), (1, _files_in(r), r.tokens, _text_bytes(r)))
    )
    written = rows | "LangWritten" >> beam.Map(
        lambda kv: (
            ("written", kv[1][1].category, kv[1][1].language),
            (1, _files_in(kv[1][1]), kv[1][1].tokens, _text_bytes(kv[1][1])),
        )
    )
    (
        (available, written)
        | "LangFlatten" >> beam.Flatten()
        | "LangSum" >> beam.CombinePerKey(_sum_triples)
        | "LangList" >> beam.combiners.ToList()
        | "LangJson" >> beam.Map(languages_json)
        | "WriteLanguages"
        >> beam.io.WriteToText(*layout.text_sink(output_dir, layout.MIX_LANGUAGES), shard_name_template="")
    )
