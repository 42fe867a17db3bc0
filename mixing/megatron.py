"""Megatron-LM / NeMo indexed datasets (`prefix.bin` + `prefix.idx`, the "MMIDIDX" layout), as plain numpy.

What Megatron-Core's `IndexedDataset` reads (megatron/core/datasets/readme.md, "IndexedDataset"):
  `.bin`: every document's token ids back to back, in the index's dtype, little-endian.
  `.idx`: b"MMIDIDX\\x00\\x00" | version u64 = 1 | dtype code u8 | sequence count u64 | document count u64 |
          sequence lengths i32[sequence count] | sequence pointers (byte offsets into .bin) i64[sequence count] |
          document indices i64[document count]: the sequence range [d[i], d[i+1]) of document i, from 0.
Here every document is one sequence, so the document indices are 0..n and the document count is n + 1
(as Megatron's builder writes it). The dtype follows Megatron's `DType.optimal_dtype`: uint16 below
65,500 token ids, else int32 (DeepSeek-V2's 102,400 ids need int32).
"""
from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
# Megatron-Core's DType codes.
DTYPE_CODES = {"uint8": 1, "int8": 2, "int16": 3, "int32": 4, "int64": 5, "float64": 6, "float32": 7, "uint16": 8}
_HEADER = struct.Struct("<9sQBQQ")


def token_dtype(vocab_size: int) -> np.dtype:
    """The smallest dtype Megatron would pick for ids below `vocab_size`."""
    return np.dtype("<u2") if vocab_size < 65500 else np.dtype("<i4")


def indexed_dataset(docs: Sequence[np.ndarray], dtype: np.dtype) -> tuple[bytes, bytes]:
    """The `.bin` and `.idx` bytes of `docs` (one token-id array per document, in order)."""
    dtype = np.dtype(dtype).newbyteorder("<")
    lengths = np.array([len(d) for d in docs], dtype="<i4")
    pointers = np.zeros(len(docs), dtype="<i8")
    if len(docs) > 1:
        np.cumsum(lengths[:-1].astype("<i8") * dtype.itemsize, out=pointers[1:])
    doc_index = np.arange(len(docs) + 1, dtype="<i8")
    header = _HEADER.pack(MAGIC, VERSION, DTYPE_CODES[dtype.name], len(docs), len(doc_index))
    data = np.concatenate([np.asarray(d, dtype=dtype) for d in docs]) if docs else np.zeros(0, dtype=dtype)
    return data.tobytes(), header + lengths.tobytes() + pointers.tobytes() + doc_index.tobytes()


class IndexedTokens:
    """A memory-mapped `prefix.bin`/`prefix.idx` pair: `len()` documents, `[i]` the ids of document i."""

    def __init__(self, prefix: str | Path):
        prefix = str(prefix)
        idx = Path(prefix + ".idx").read_bytes()
        magic, version, code, n_seq, n_doc = _HEADER.unpack_from(idx)
        if magic != MAGIC or version != VERSION:
            raise ValueError(f"{prefix}.idx is not an MMIDIDX v1 index (header {magic!r}, version {version})")
        names = {v: k for k, v in DTYPE_CODES.items()}
        if code not in names:
            raise ValueError(f"{prefix}.idx: unknown dtype code {code}")
        self.dtype = np.dtype(names[code]).newbyteorder("<")
        at = _HEADER.size
        self.lengths = np.frombuffer(idx, "<i4", n_seq, at)
        self.pointers = np.frombuffer(idx, "<i8", n_seq, at + 4 * n_seq)
        self.document_index = np.frombuffer(idx, "<i8", n_doc, at + 12 * n_seq)
        size = Path(prefix + ".bin").stat().st_size
        self.bin = np.memmap(prefix + ".bin", dtype=self.dtype, mode="r") if size else np.zeros(0, self.dtype)

    def __len__(self) -> int:
        return len(self.document_index) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        """The ids of document i (all its sequences)."""
        first, last = self.document_index[i], self.document_index[i + 1]
        if first == last:
            return np.zeros(0, self.dtype)
        start = self.pointers[first] // self.dtype.itemsize
        return np.asarray(self.bin[start : start + int(self.lengths[first:last].sum())])
