"""A trained fastText classifier folded into one small table: the same probabilities without the 2 GB matrix.

fastText's supervised prediction (no subwords, softmax or one-vs-all loss) is linear up to its last step: the
hidden vector is the mean of the input-matrix rows of a line's words and word n-grams, and the label scores
are the output matrix times that mean. So the mean of the rows of `input @ output.T` (one small row per input
row, one column per label) gives the same scores. At the paper's settings (dim 256, 2M buckets) the input
matrix is ~2 GB and each token reads three random 1 KB rows of it (scoring was memory-bound, issue 19); the
folded table is (words + 2M) x labels, ~24 MB for three labels, and a token reads three 12-byte rows.

Which rows a line reads, as fastText 0.9.2 computes them (Dictionary::getLine, addWordNgrams): every
whitespace-separated word and the end-of-line word `</s>`; a word of the dictionary adds its own row, every
word (known or not) adds its 32-bit FNV-1a hash (bytes sign-extended) to the n-gram hashes, and each run of
2..wordNgrams consecutive hashes adds row `nwords + (h % bucket)` with `h = h * 116049371 + next` over 64
bits (the hashes sign-extended). Probabilities are fastText's as its Python API returns them: the softmax (or
sigmoid per label, from fastText's table of 513 values) plus 1e-5 (it returns exp(log(p + 1e-5))). The table is
summed in float64, fastText sums 1 KB float32 rows: on 1,031 real pages (issue 19) the two differ by < 3e-7 on
half the pages, by up to 5.6e-5 on the longest (fastText's float32 sum over ~75K rows drifts), and no page's best
label changed. A one-vs-all score within ~1e-7 of a sigmoid table bin's edge can land in the next bin (~5e-4
away). The same input gives the same bytes on every machine.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

EOS = "</s>"
NGRAM_MULTIPLIER = np.uint64(116049371)
FASTTEXT_PROB_OFFSET = 1e-5  # fastText's std_log(p) = log(p + 1e-5), exponentiated again by its Python API
FOLDED_FILE = "folded.npz"
LABEL_PREFIX = "__label__"
FOLDABLE_LOSSES = ("softmax", "ova")
# fastText's one-vs-all loss reads its sigmoid from a table of 513 values over [-8, 8] (Loss::sigmoid).
_SIGMOID_TABLE_SIZE, _MAX_SIGMOID = 512, 8
_SIGMOID_TABLE = np.array(
    [1.0 / (1.0 + np.exp(-np.float32(i * 2 * _MAX_SIGMOID / _SIGMOID_TABLE_SIZE - _MAX_SIGMOID)))
     for i in range(_SIGMOID_TABLE_SIZE + 1)], dtype=np.float32)


def _fasttext_sigmoid(x: np.ndarray) -> np.ndarray:
    """fastText's table sigmoid: 0 below -8, 1 above 8, else the table entry of x's bin (float32 arithmetic)."""
    x = x.astype(np.float32)
    index = ((x + np.float32(_MAX_SIGMOID)) * np.float32(_SIGMOID_TABLE_SIZE) / np.float32(_MAX_SIGMOID)
             / np.float32(2)).astype(np.int64).clip(0, _SIGMOID_TABLE_SIZE)
    return np.where(x < -_MAX_SIGMOID, 0.0, np.where(x > _MAX_SIGMOID, 1.0, _SIGMOID_TABLE[index].astype(np.float64)))


@functools.lru_cache(maxsize=1 << 17)  # whitespace words repeat (Zipf); a BPE vocabulary is hashed once anyway
def fasttext_hash(word: str) -> int:
    """fastText's 32-bit FNV-1a hash of the UTF-8 bytes of `word`, each byte sign-extended (its int8 cast)."""
    h = 2166136261
    for byte in word.encode("utf-8"):
        h = ((h ^ (byte | 0xFFFFFF00 if byte > 127 else byte)) * 16777619) & 0xFFFFFFFF
    return h


def fasttext_words(tokens: list[str]) -> list[str]:
    """The tokens fastText reads as words: not empty (its reader skips them) and not label-like (a token
    starting with `__label__` is a label to it: no row, no n-gram hash)."""
    return [t for t in tokens if t and not t.startswith(LABEL_PREFIX)]


def _signed64(hashes: list[int]) -> np.ndarray:
    """32-bit hashes as fastText's int32 -> uint64 conversion gives them (sign-extended)."""
    return np.asarray(hashes, dtype=np.uint32).view(np.int32).astype(np.int64).view(np.uint64)


def _fold(wi: np.ndarray, wo: np.ndarray, block: int = 8192) -> np.ndarray:
    """`wi @ wo.T` in float64, kept as float32, without BLAS: a BLAS picks its kernel (and so its order of
    additions) by CPU, and the table must be the same bytes wherever the recall is trained. Each block of rows
    is transposed into float64 columns and the products are added in the order of the dimensions: elementwise
    IEEE operations only. Preallocated buffers: no fresh pages per block (page faults cost here)."""
    rows, dim = wi.shape
    table = np.empty((rows, wo.shape[0]), dtype=np.float32)
    columns, total, product = np.empty((dim, block)), np.empty((wo.shape[0], block)), np.empty((wo.shape[0], block))
    for start in range(0, rows, block):
        n = min(block, rows - start)
        cols, acc, tmp = columns[:, :n], total[:, :n], product[:, :n]
        np.copyto(cols, wi[start:start + n].T)
        acc.fill(0.0)
        for k in range(dim):
            np.multiply(wo[:, k:k + 1], cols[k], out=tmp)
            acc += tmp
        table[start:start + n] = acc.T
    return table


class FoldedModel:
    """A fastText supervised model as a (rows x labels) table plus the dictionary that picks the rows."""

    def __init__(self, table: np.ndarray, labels: list[str], words: list[str], *, bucket: int, word_ngrams: int,
                 loss: str):
        if loss not in FOLDABLE_LOSSES:
            raise ValueError(f"fastText loss {loss!r} does not fold into a table (only {FOLDABLE_LOSSES})")
        self.table, self.labels, self.words = table, labels, words
        self.bucket, self.word_ngrams, self.loss = bucket, word_ngrams, loss
        self.nwords = len(words)
        self.word_id = {w: i for i, w in enumerate(words)}
        self.eos = (self.word_id.get(EOS, -1), fasttext_hash(EOS))

    @classmethod
    def from_fasttext(cls, model) -> FoldedModel:
        """Fold a loaded `fasttext` model (`_fold`: input @ output.T in float64, kept as float32)."""
        args = model.f.getArgs()
        if args.maxn > 0:
            raise ValueError(f"a fastText model with subwords (maxn={args.maxn}) does not fold into a table")
        loss = str(args.loss).rsplit(".", 1)[-1]
        wi = np.asarray(model.f.getInputMatrix())  # a view of fastText's matrix: no copy
        wo = np.asarray(model.f.getOutputMatrix(), dtype=np.float64)
        table = _fold(wi, wo)
        labels = [label.removeprefix(LABEL_PREFIX) for label in model.get_labels()]
        return cls(table, labels, list(model.get_words()), bucket=int(args.bucket), word_ngrams=int(args.wordNgrams),
                   loss=loss)

    def save(self, model_dir: str | Path) -> None:
        meta = {"labels": self.labels, "bucket": self.bucket, "word_ngrams": self.word_ngrams, "loss": self.loss}
        words = np.frombuffer("\n".join(self.words).encode("utf-8"), dtype=np.uint8)  # words hold no whitespace
        with open(Path(model_dir) / FOLDED_FILE, "wb") as fh:
            np.savez(fh, table=self.table, words=words, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))

    @classmethod
    def load(cls, model_dir: str | Path) -> FoldedModel:
        with np.load(Path(model_dir) / FOLDED_FILE) as data:
            meta = json.loads(data["meta"].tobytes())
            words = data["words"].tobytes().decode("utf-8").split("\n") if data["words"].size else []
            return cls(data["table"], meta["labels"], words, bucket=meta["bucket"],
                       word_ngrams=meta["word_ngrams"], loss=meta["loss"])

    def word_arrays(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(dictionary ids, -1 for unknown words; hashes as uint64) of `words`, for `probabilities`."""
        ids = np.fromiter((self.word_id.get(w, -1) for w in words), dtype=np.int64, count=len(words))
        return ids, _signed64([fasttext_hash(w) for w in words])

    def rows(self, ids: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        """The table rows a line of these words reads (the end-of-line word appended, as fastText reads it)."""
        ids = np.append(ids, self.eos[0])
        hashes = np.append(hashes, _signed64([self.eos[1]]))
        parts = [ids[ids >= 0]]
        h = hashes
        with np.errstate(over="ignore"):
            for n in range(1, self.word_ngrams):
                if len(h) <= 1:
                    break
                h = h[:-1] * NGRAM_MULTIPLIER + hashes[n:]
                parts.append((h % np.uint64(self.bucket)).astype(np.int64) + self.nwords)
        return np.concatenate(parts)

    def probabilities(self, ids: np.ndarray, hashes: np.ndarray) -> dict[str, float]:
        """Every label's probability, as fastText's `predict(line, k=-1)` returns it (clamped to [0, 1])."""
        rows = self.rows(ids, hashes)
        if not len(rows):
            return {label: 0.0 for label in self.labels}
        scores = self.table[rows].sum(axis=0, dtype=np.float64) / len(rows)
        if self.loss == "softmax":
            e = np.exp(scores - scores.max())
            probs = e / e.sum()
        else:
            probs = _fasttext_sigmoid(scores)
        return {label: min(1.0, float(p) + FASTTEXT_PROB_OFFSET) for label, p in zip(self.labels, probs)}
