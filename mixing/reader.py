"""The training side's reader of a mix's token output: numpy only (no Beam, no deep-learning framework).

    from mixing.reader import MixReader
    mix = MixReader("out")                       # reads out/mix_manifest.json and the token files it lists
    for step, seq in enumerate(mix.sequences(16384, seed=1, rank=0, world_size=8)):
        seq.tokens, seq.doc_starts              # 16,384 ids; where each document begins inside them

Order: documents are shuffled by `seed` with a fixed integer hash (the same on every machine and numpy);
`sequences` concatenates them in that order and cuts every `length` ids. Item k of the whole stream goes to
rank k % world_size, and each rank gets the same number of items (the remainder is dropped), so ranks stay in
step. Resume: pass `start=` the number of items this rank has already consumed (after G items consumed by all
ranks together, G // world_size); seeking is a binary search over cumulative lengths, nothing before it is
read. Another epoch: another seed (e.g. seed + epoch). Memory: 24 bytes per document while iterating
(lengths, shuffled order, cumulative ends; 32 at the shuffle's peak), ~1 GB per 40M documents.
Trust: opening checks every token file's size and document count against the manifest (a partial copy fails
there, naming the file); `verify()` also checks their sha256.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mixing.megatron import IndexedTokens

MANIFEST_FILE = "mix_manifest.json"  # pipeline.layout.MANIFEST (mixing/ imports nothing of pipeline/)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def shuffled_order(n: int, seed: int) -> np.ndarray:
    """A permutation of range(n) fixed by `seed`: documents sorted by splitmix64(seed, index)."""
    with np.errstate(over="ignore"):
        x = np.arange(n, dtype=np.uint64) + np.uint64(seed & (2**64 - 1)) * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        x ^= x >> np.uint64(31)
    return np.argsort(x, kind="stable")


class _U32Tokens:
    """`.tokens.u32` + `.offsets.u64` (the `u32` token output) with IndexedTokens' interface."""

    def __init__(self, ids: Path, offsets: Path):
        self.offsets = np.fromfile(offsets, dtype="<u8")
        self.ids = np.memmap(ids, dtype="<u4", mode="r") if ids.stat().st_size else np.zeros(0, "<u4")
        self.lengths = np.diff(self.offsets).astype(np.int64)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return np.asarray(self.ids[self.offsets[i] : self.offsets[i + 1]])


@dataclass(frozen=True)
class PackedSequence:
    tokens: np.ndarray  # `length` token ids
    doc_starts: np.ndarray  # offsets in `tokens` where a document begins (0 only if one begins there)


class MixReader:
    """Documents or packed sequences of a mix's token output (`fmt`: megatron or u32), in the manifest's
    shard order, optionally only some categories."""

    def __init__(self, output_dir: str | Path, *, fmt: str = "megatron", categories: Sequence[str] | None = None):
        root = Path(output_dir)
        manifest = json.loads((root / MANIFEST_FILE).read_text("utf-8"))
        if fmt not in manifest["token_output"]["formats"]:
            raise ValueError(f"{root / MANIFEST_FILE}: no {fmt!r} token output (mix.tokens.formats: "
                             f"{manifest['token_output']['formats']}); the mix writes token files when the "
                             f"config sets tokenizer.path and lists {fmt!r} in mix.tokens.formats")
        unknown = sorted(set(categories or ()) - set(manifest["categories"]))
        if unknown:
            raise ValueError(f"{root / MANIFEST_FILE}: no categories {unknown} (it has {sorted(manifest['categories'])})")
        self.manifest = manifest
        self.shards: list = []
        self._files: list[tuple[Path, dict]] = []  # every token file read, with its manifest entry
        for category in sorted(manifest["categories"]):
            if categories is not None and category not in categories:
                continue
            for shard in manifest["categories"][category]["shards"]:
                files = shard["token_files"][fmt]
                entries = [(root / f["path"], f) for f in files["files"].values()]
                _check_sizes(entries)
                self._files += entries
                tokens = (IndexedTokens(root / files["prefix"]) if fmt == "megatron" else
                          _U32Tokens(root / files["files"]["ids"]["path"], root / files["files"]["offsets"]["path"]))
                if len(tokens) != files["docs"]:
                    raise ValueError(f"{root / files['prefix']}: {len(tokens)} documents, the manifest says "
                                     f"{files['docs']}")
                self.shards.append(tokens)
        counts = np.array([len(s) for s in self.shards], dtype=np.int64)
        self._first = np.concatenate([[0], np.cumsum(counts)])  # global index of each shard's first document
        self._lengths = (np.concatenate([np.asarray(s.lengths, dtype=np.int64) for s in self.shards])
                         if self.shards else np.zeros(0, np.int64))

    def verify(self) -> None:
        """Check every token file read against the manifest's sha256 (reads them all once; sizes are checked
        on opening already). Raises ValueError naming each file that differs."""
        bad = []
        for path, entry in self._files:
            digest = hashlib.sha256()
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
            if digest.hexdigest() != entry["sha256"]:
                bad.append(f"{path}: sha256 {digest.hexdigest()}, the manifest says {entry['sha256']}")
        if bad:
            raise ValueError("token files differ from the manifest:\n" + "\n".join(bad))

    def __len__(self) -> int:
        """Documents in the selected shards."""
        return int(self._first[-1])

    def document(self, index: int) -> np.ndarray:
        """The ids of document `index` in manifest order."""
        shard = int(np.searchsorted(self._first, index, side="right")) - 1
        return self.shards[shard][index - int(self._first[shard])]

    def documents(self, *, seed: int, rank: int = 0, world_size: int = 1, start: int = 0) -> Iterator[np.ndarray]:
        """This rank's documents in shuffled order, from its `start`-th."""
        _check(rank, world_size, start)
        order = shuffled_order(len(self), seed)
        per_rank = len(order) // world_size
        for k in range(start, per_rank):
            yield self.document(int(order[k * world_size + rank]))

    def sequences(
        self, length: int, *, seed: int, rank: int = 0, world_size: int = 1, start: int = 0
    ) -> Iterator[PackedSequence]:
        """This rank's packed sequences of `length` ids, from its `start`-th (the last partial one dropped)."""
        _check(rank, world_size, start)
        if length <= 0:
            raise ValueError(f"length must be positive, got {length}")
        order = shuffled_order(len(self), seed)
        ends = np.cumsum(self._lengths[order])  # end of each shuffled document in the stream
        total = int(ends[-1]) if len(ends) else 0
        per_rank = total // length // world_size
        for k in range(start, per_rank):
            begin = (k * world_size + rank) * length
            yield self._cut(order, ends, begin, begin + length)

    def _cut(self, order: np.ndarray, ends: np.ndarray, begin: int, stop: int) -> PackedSequence:
        j = int(np.searchsorted(ends, begin, side="right"))  # the document holding id `begin`
        parts, starts, at = [], [], begin
        while at < stop:
            doc_start = int(ends[j]) - int(self._lengths[order[j]])
            if doc_start == at:
                starts.append(at - begin)
            ids = self.document(int(order[j]))
            take = ids[at - doc_start : min(len(ids), stop - doc_start)]
            parts.append(take)
            at += len(take)
            j += 1
        return PackedSequence(np.concatenate(parts), np.asarray(starts, dtype=np.int64))


def megatron_blend(output_dir: str | Path, categories: Sequence[str] | None = None) -> list[str]:
    """Megatron-LM's blend (`--data-path`, or one per line for `--data-args-path`): "weight prefix" pairs, every
    shard's Megatron prefix (absolute) weighted by its token count. The mix already holds the asked ratios
    (repeats included), so weights by size make a blended run draw each shard as much as the mix wrote it."""
    reader = MixReader(output_dir, categories=categories)  # checks the files against the manifest
    return [word for category in sorted(reader.manifest["categories"]) if categories is None or category in categories
            for shard in reader.manifest["categories"][category]["shards"]
            for word in (str(shard["token_files"]["megatron"]["tokens"]),
                         str(Path(output_dir).resolve() / shard["token_files"]["megatron"]["prefix"]))]


def _check_sizes(files: list[tuple[Path, dict]]) -> None:
    """Each file's size against the manifest: cheap, and catches a partial copy before training reads it."""
    for path, entry in files:
        size = path.stat().st_size if path.is_file() else None
        if size != entry["bytes"]:
            raise ValueError(f"{path}: {'missing' if size is None else f'{size:,} bytes'}, the manifest says "
                             f"{entry['bytes']:,} bytes (an incomplete copy?)")


def _check(rank: int, world_size: int, start: int) -> None:
    if world_size < 1 or not 0 <= rank < world_size or start < 0:
        raise ValueError(f"need 0 <= rank < world_size and start >= 0, got rank={rank}, "
                         f"world_size={world_size}, start={start}")
