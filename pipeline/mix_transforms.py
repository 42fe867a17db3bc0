"""The training mix wired into Beam: the final stage (the plan, FIM and manifest logic is in `mixing/`).

    records by category ─► mix_prepare (FIM, token count) ─► totals per category (CombinePerKey)
                                    │                                  │
                                    │                          plan (one small object)
                                    ▼                                  │ side input
                              mix_sample (drop at rate < 1) ◄──────────┤
                                    ▼                                  │
                       copies ─► key (category, shard) by shuffle hash ◄┘
                                    ▼
                       GroupByKey per shard ─► Parquet (+ token ids) ─► (+ empty shards) ─► manifest.json

No step holds more than one shard (`mix.target_shard_bytes` of text); the order inside the mix is set by a
hash of (seed, id, copy), so it is the same whatever order the records arrive in.
"""
from __future__ import annotations

import dataclasses
import glob
import json
import os
import stat
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems

from mixing.fim import to_fim
from mixing.manifest import (
    FileInfo,
    ShardInfo,
    build_manifest,
    created_json,
    manifest_json,
    software_versions,
)
from mixing.megatron import indexed_dataset, token_dtype
from mixing.plan import MixPlan, Totals, copies, group_of, plan_mix, shuffle_key
from mixing.schema import copies_table
from mixing.tokens import SpecialTokens, TokenCounter, default_end
from pipeline import layout
from pipeline.config import Config
from pipeline.decontam_transforms import tag_category
from pipeline.record import Drop, Record, pack_record, unpack_record
from pipeline.sinks import (
    Gather,
    WriteTextFile,
    parquet_bytes,
    read_bytes,
    record_bytes,
    shard_path,
    write_bytes,
)
from pipeline.stages import Funnel


class PrepareForMix:
    """The mix_prepare step: FIM for code documents when enabled, then the token count (`Record.tokens`)."""

    def __init__(self, counter: TokenCounter, *, seed: int, fim_enabled: bool, fim_rate: float):
        self.counter, self.seed = counter, seed
        self.fim_enabled, self.fim_rate = fim_enabled, fim_rate

    def setup(self) -> None:
        self.counter.setup()

    def __call__(self, record: Record) -> Record | Drop:
        text, meta = record.text, record.meta
        if self.fim_enabled and record.category == "code":
            fim = to_fim(text, record.id, seed=self.seed, rate=self.fim_rate, special=self.counter.special)
            if fim is not None:
                text, meta = fim[0], {**meta, "fim": "psm", "fim_psm": fim[1]}
        tokens = self.counter.count(text, meta.get("fim_psm", ""))
        if tokens == 0:
            return Drop("empty", record.id, record.category)
        return record.replace(text=text, meta=meta, tokens=tokens)


def sample_step(record: Record, plan: MixPlan) -> Record | Drop:
    """Keep a record that gets at least one copy at its category's rate; drop (counted) the others."""
    rate = plan.rate(record.category)
    if copies(record.id, rate, plan.seed) == 0:
        return Drop("sampled_out", record.id, f"{record.category} at rate {rate:.4f}")
    return record


def keyed_copies(record: Record, plan: MixPlan) -> Iterator[tuple[tuple[str, int, int], tuple[int, int, bytes]]]:
    """Every copy of `record`, keyed by its shard: (shuffle key, copy number, the record packed once)."""
    n_shards, n_copies = plan.num_shards(record.category), copies(record.id, plan.rate(record.category), plan.seed)
    packed = pack_record(record) if n_copies else b""
    for k in range(n_copies):
        key = shuffle_key(record.id, k, plan.seed)
        yield (record.category, key % n_shards, n_shards), (key, k, packed)


def shard_copies(rows: Iterable[tuple[int, int, bytes]]) -> tuple[list[Record], list[tuple[int, int]]]:
    """A shard's rows from `keyed_copies` -> (its distinct records, (record index, copy number) in row order:
    by shuffle key, id, copy number, then content, never arrival). A record's copies share one packed value:
    it is unpacked once."""
    index: dict[bytes, int] = {}
    records: list[Record] = []
    keyed = []
    for key, k, packed in rows:
        i = index.get(packed)
        if i is None:
            i = index[packed] = len(records)
            records.append(unpack_record(packed))
        keyed.append((key, records[i].id, k, packed, i))
    keyed.sort()
    return records, [(i, k) for _, _, k, _, i in keyed]


def all_shard_keys(plan: MixPlan) -> Iterator[tuple[str, int, int]]:
    """Every planned shard, so each is written even when no row falls into it."""
    for category, cp in plan.categories.items():
        for i in range(cp.num_shards):
            yield category, i, cp.num_shards


class WriteMixShard(beam.DoFn):
    """Writes one shard: rows in shuffle order as zstd Parquet, and its token outputs in each asked format."""

    def __init__(self, output_dir: str, counter: TokenCounter, formats: tuple[str, ...], append_end: bool):
        self.output_dir, self.counter, self.formats, self.append_end = output_dir, counter, formats, append_end

    def setup(self) -> None:
        if self.formats:
            self.counter.setup()

    def process(self, item: tuple[tuple[str, int, int], Iterable[tuple[int, int, bytes]]]) -> Iterator[ShardInfo]:
        (category, index, n_shards), rows = item
        records, picks = shard_copies(rows)
        rel = shard_path(f"{layout.MIX}/{category}", index, n_shards)
        data = parquet_bytes(copies_table(records, picks))
        write_bytes(f"{self.output_dir}/{rel}", data)
        parquet = FileInfo.of(rel, data)
        token_files = self._write_tokens(category, index, n_shards, records, picks) if self.formats else {}
        sizes = [record_bytes(r) for r in records]  # once per record, not per copy
        yield ShardInfo(
            category=category, index=index, num_shards=n_shards, path=rel, docs=len(picks),
            tokens=sum(records[i].tokens for i, _ in picks), text_bytes=sum(sizes[i] for i, _ in picks),
            bytes=parquet.bytes, sha256=parquet.sha256, token_files=token_files,
        )

    def _write_tokens(
        self, category: str, index: int, n_shards: int, records: list[Record], picks: list[tuple[int, int]]
    ) -> dict[str, Any]:
        """Each document's ids (plus the end token when asked and absent) in every configured format:
        megatron: `.bin` + `.idx` (mixing/megatron.py); u32: `.tokens.u32` (little-endian uint32 ids) and
        `.offsets.u64` (docs + 1 starts into it)."""
        end = self.counter.end_id() if self.append_end else None
        encoded = []
        for r in records:  # once per record, not per copy
            ids = self.counter.encode(r.text, r.meta.get("fim_psm", ""))
            if end is not None and (len(ids) == 0 or ids[-1] != end):
                ids = np.append(ids, np.uint32(end))
            encoded.append(ids)
        docs = [encoded[i] for i, _ in picks]
        total = int(sum(len(d) for d in docs))
        out: dict[str, Any] = {}
        for fmt in self.formats:
            stem = shard_path(f"{layout.TOKENS}/{fmt}/{category}", index, n_shards)[: -len(".parquet")]
            if fmt == "megatron":
                vocab = self.counter.identity()["vocab_size"]
                bin_data, idx_data = indexed_dataset(docs, token_dtype(vocab))
                blobs = {"bin": (f"{stem}.bin", bin_data), "idx": (f"{stem}.idx", idx_data)}
            else:
                offsets = np.zeros(len(docs) + 1, dtype="<u8")
                np.cumsum([len(d) for d in docs], out=offsets[1:])
                flat = np.concatenate(docs).astype("<u4") if docs else np.zeros(0, "<u4")
                blobs = {"ids": (f"{stem}.tokens.u32", flat.tobytes()), "offsets": (f"{stem}.offsets.u64",
                                                                                    offsets.tobytes())}
            files = {}
            for role, (path, blob) in blobs.items():
                write_bytes(f"{self.output_dir}/{path}", blob)
                files[role] = dataclasses.asdict(FileInfo.of(path, blob))
            out[fmt] = {"prefix": stem, "docs": len(docs), "tokens": total, "files": files}
        return out


def with_empty_shards(plan: MixPlan, written: list[ShardInfo], writer: WriteMixShard) -> Iterator[ShardInfo]:
    """Every planned shard's info: the written ones (`written`, a side input) and, written here, the shards no
    row fell into. (A CoGroupByKey of the rows with the planned keys would do both in one step, but a runner
    that materializes Flatten, as Beam's in-process one does, would then copy every row once more.)"""
    done = {(s.category, s.index, s.num_shards): s for s in written}
    writer.setup()  # loads the tokenizer once, when token files are asked for
    for key in all_shard_keys(plan):
        yield done[key] if key in done else next(writer.process((key, ())))


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


def special_tokens_for(config: Config, counter: TokenCounter) -> SpecialTokens:
    """The configured special strings, the end defaulting to DeepSeek's when the tokenizer has it."""
    st = config.mix.special_tokens
    end = st.end
    if end is None:
        end = default_end(counter.added_tokens() if counter.tokenizer_path else None)
    return SpecialTokens(end=end, fim_begin=st.fim_begin, fim_hole=st.fim_hole, fim_end=st.fim_end)


def mix_counter(config: Config) -> TokenCounter:
    """The mix's token counter, its special tokens checked against the tokenizer (a wrong one fails here, at
    pipeline construction, naming `mix.special_tokens.<name>`; a file that does not load names `tokenizer.path`)."""
    path = config.tokenizer.path
    counter = TokenCounter(path.resolved if path else None, read_bytes=read_bytes)
    try:
        counter.setup()
    except ValueError as err:  # an unreadable file or no tokenizer.json: name the key
        raise ValueError(f"tokenizer.path: {err}") from None
    counter.special = special_tokens_for(config, counter)
    if path:
        needed = (("fim_begin", "fim_hole", "fim_end", "end") if config.mix.fim.enabled else ()) + (
            ("end",) if config.mix.tokens.formats and config.mix.tokens.append_end else ())
        counter.check_special(tuple(dict.fromkeys(needed)))
    return counter


def tokenizer_json(config: Config, counter: TokenCounter) -> dict[str, Any]:
    """The manifest's `tokenizer`: the file as the config spells it, sha256, vocabulary, special ids."""
    out = counter.identity()
    if counter.tokenizer_path:
        out["path"] = str(config.tokenizer.path)  # as spelled: moving the output or the config changes no byte
        added = counter.added_tokens()
        out["special_tokens"] = {
            name: {"string": string, "id": added.get(string)} for name, string in counter.special.as_dict().items()
        }
    else:
        out["special_tokens"] = {name: {"string": s, "id": None} for name, s in counter.special.as_dict().items()}
    return out


def input_sizes(config: Config) -> list[dict[str, Any]]:
    """Every configured input as the config spells it, with its files and bytes (null for a git URL or a
    path that matches nothing): what a training run can compare against its own copy of the inputs."""
    entries = [("github", p) for p in config.inputs.github.paths] + [("text", p) for p in config.inputs.text.paths]
    entries += [("web", p) for p in config.inputs.web.paths]
    entries += [("web_paths_file", pf.file) for pf in config.inputs.web.paths_files]
    if config.decontamination.enabled:
        entries += [(f"benchmark.{b.name}", p) for b in config.decontamination.benchmarks for p in b.paths]
    return [{"kind": kind, "path": str(path), **_files_and_bytes(path.resolved)} for kind, path in entries]


def _regular_file_size(path: str) -> int | None:
    """The size of a regular file, without following links (an input folder may hold link loops or links
    out of the corpus, which the sources refuse too); None for anything else."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _files_and_bytes(path: str) -> dict[str, int | None]:
    if "://" not in path and os.path.isdir(path):
        found = (_regular_file_size(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
        sizes = [size for size in found if size is not None]
        return {"files": len(sizes), "bytes": sum(sizes)}
    try:
        found = FileSystems.match([path])[0].metadata_list if "://" in path else [
            os.path.getsize(f) for f in glob.glob(path) if os.path.isfile(f)]
    except Exception:  # noqa: BLE001 (a git URL or an unreachable store: its size is unknown, not fatal)
        return {"files": None, "bytes": None}
    sizes = [m if isinstance(m, int) else m.size_in_bytes for m in found]
    return {"files": len(sizes), "bytes": sum(sizes)} if sizes else {"files": None, "bytes": None}


def write_mix(
    records_by_category: dict[str, beam.PCollection], funnel: Funnel, config: Config, output_dir: str
) -> beam.PCollection:
    """The mix of `records_by_category` (keys: code, code_web, math_web, text): Parquet under
    `output_dir/mix/`, token outputs under `output_dir/tokens/`, `mix_manifest.json` and `logs/mix_created.json`.

    Adds the funnel stages mix_prepare and mix_sample; writes `stats/mix_languages.json`. Returns the
    PCollection of the manifest's text (for tests to wait on).
    """
    mix = config.mix
    for category in records_by_category:
        group_of(category, mix.code_web_counts_as)  # an unknown category fails here, before the run
    # Tokens are counted with the training tokenizer (`tokenizer.path`, DeepSeek-V2's); without one, estimated.
    counter = mix_counter(config)
    p = next(iter(records_by_category.values())).pipeline if records_by_category else None
    if p is None:
        raise ValueError("write_mix needs at least one category of records")
    records = [
        tag_category(pc, c, f"MixTag_{c}") for c, pc in sorted(records_by_category.items())
    ] | "MixInputs" >> beam.Flatten()
    prepared = funnel.apply(
        records, "mix_prepare", PrepareForMix(counter, seed=config.seed, fim_enabled=mix.fim.enabled,
                                              fim_rate=mix.fim.rate),
    )
    plan = (
        prepared
        | "CategoryTotals" >> beam.Map(lambda r: (r.category, (1, r.tokens, record_bytes(r))))
        | "SumCategory" >> beam.CombinePerKey(_sum_triples)
        | "Plan" >> Gather(lambda totals: make_plan(dict(totals), config))
    )
    plan_side = beam.pvalue.AsSingleton(plan)
    sampled = funnel.apply(prepared, "mix_sample", sample_step, side_inputs={"plan": plan_side})
    rows = sampled | "Copies" >> beam.FlatMap(keyed_copies, plan=plan_side)
    writer = WriteMixShard(output_dir, counter, tuple(mix.tokens.formats), mix.tokens.append_end)
    written = rows | "GroupShards" >> beam.GroupByKey() | "WriteShard" >> beam.ParDo(writer)
    shards = plan | "EmptyShards" >> beam.FlatMap(with_empty_shards, beam.pvalue.AsList(written), writer)
    provenance = {
        "config": config.model_dump(mode="json"), "config_fingerprint": config.fingerprint(),
        "tokenizer": tokenizer_json(config, counter),
        "fim": {"enabled": mix.fim.enabled, "mode": mix.fim.mode, "rate": mix.fim.rate},
        "token_output": {"formats": list(mix.tokens.formats), "append_end": mix.tokens.append_end},
        "software": software_versions(), "inputs": input_sizes(config),
    }
    manifest = (
        shards
        | "Manifest" >> Gather(lambda infos, plan: manifest_json(build_manifest(plan, infos, **provenance)),
                               plan=plan_side)
    )
    manifest | "WriteManifest" >> beam.Map(_write_manifest, output_dir)
    _write_language_stats(prepared, sampled, plan_side, output_dir)
    return manifest


def _write_manifest(text: str, output_dir: str) -> None:
    data = (text + "\n").encode("utf-8")
    write_bytes(layout.under(output_dir, layout.MANIFEST), data)
    write_bytes(layout.under(output_dir, layout.MIX_CREATED), created_json(data).encode("utf-8"))


def _language_row(record: Record, kind: str, times: int = 1) -> tuple[tuple[str, str, str], tuple[int, ...]]:
    return (kind, record.category, record.language), tuple(
        times * n for n in (1, _files_in(record), record.tokens, record_bytes(record)))


def _write_language_stats(prepared: beam.PCollection, sampled: beam.PCollection, plan: beam.pvalue.AsSingleton,
                          output_dir: str) -> None:
    available = prepared | "LangAvailable" >> beam.Map(_language_row, "available")
    written = sampled | "LangWritten" >> beam.Map(
        lambda r, plan: _language_row(r, "written", copies(r.id, plan.rate(r.category), plan.seed)), plan=plan)
    (
        (available, written)
        | "LangFlatten" >> beam.Flatten()
        | "LangSum" >> beam.CombinePerKey(_sum_triples)
        | "LangJson" >> Gather(languages_json)
        | "WriteLanguages" >> WriteTextFile(layout.under(output_dir, layout.MIX_LANGUAGES))
    )
