"""Benchmark decontamination (SPEC §3; DeepSeek-Coder §2.1, DeepSeekMath §2.1): plain code, no Beam.

A document is contaminated when it contains any `n`-gram (default 10) of a benchmark string, or contains a
whole benchmark string of `min_exact_grams`..`n-1` grams (default 3..9) exactly.

The gram unit (DeepSeek does not state one) is the word token of `normalize_tokens`: the text is NFKC
normalised and case-folded, then split into maximal runs of Unicode word characters (`\\w+`: letters,
digits, underscore). Punctuation, symbols and whitespace only separate tokens, so `Foo(bar,  baz)` and
`foo bar baz` give the same grams, and indentation, line breaks and LaTeX markup do not hide a match.

Grams are hashed (xxh64 per token, then a polynomial rolling hash over the n tokens, mod 2^64), so the index
is a sorted uint64 array (8 bytes per gram) plus a uint32 entry number per gram: the four test sets'
default fields give ~760K grams, ~9.5 MB pickled. A false match needs a 64-bit collision (~1e-13 per gram).

Trivial grams, made only of numbers and single characters (`1 2 3 4 5 6 7 8 9 10`, the first ten primes,
`0 1 2 ... 9 a b`, `1 1 x 1 1 x ...`), are not indexed by default: MATH solutions and HumanEval prompts contain
them, and they would drop any document with a numbered list, a hex table or a matrix. This is our rule, not
DeepSeek's; `index_trivial_grams=True` restores the literal one.
"""
from __future__ import annotations

import gzip
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

NGRAM = 10  # SPEC §3: any identical 10-gram
MIN_EXACT_GRAMS = 3  # SPEC §3: shorter strings of at least 3 grams are matched exactly
_WORD = re.compile(r"\w+")
_POLY = np.uint64(0x100000001B3)  # odd multiplier of the rolling gram hash (FNV-64 prime)


@dataclass(frozen=True)
class BenchmarkFields:
    """Which fields of a benchmark's rows are benchmark text, and where its item id is."""

    fields: tuple[str, ...]  # every string here is indexed by its n-grams
    exact_fields: tuple[str, ...]  # ...and these also by exact match when shorter than n grams
    id_fields: tuple[str, ...]  # the first present names the item; else the row number
    why: str


# The four benchmarks SPEC §3 names. Solutions are indexed by 10-grams, but their short forms are not matched
# exactly: HumanEval has `return len(string)`, MATH `the answer is $\boxed{7}$`; matching those would drop
# ordinary code and math pages. Tests are left out (SPEC §3 names docstrings, questions and solutions);
# list them in `fields` to index them too.
KNOWN_BENCHMARKS: dict[str, BenchmarkFields] = {
    "humaneval": BenchmarkFields(
        ("prompt", "canonical_solution"), ("prompt",), ("task_id",),
        "prompt = signature + docstring with examples; canonical_solution = the reference body",
    ),
    "mbpp": BenchmarkFields(
        ("text", "prompt", "code"), ("text", "prompt"), ("task_id",),
        "text (mbpp.jsonl) or prompt (sanitized-mbpp.json) = the task; code = the reference solution",
    ),
    "gsm8k": BenchmarkFields(
        ("question", "answer"), ("question",), (),
        "question = the word problem; answer = the worked solution with <<calc>> annotations",
    ),
    "math": BenchmarkFields(
        ("problem", "solution"), ("problem",), ("unique_id", "idx"),
        "problem = the question in LaTeX; solution = the worked solution ending in \\boxed{}",
    ),
}


def normalize_tokens(text: str) -> list[str]:
    """The gram units of `text`: NFKC, case-folded, maximal `\\w+` runs (punctuation/space only separate)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def token_hashes(tokens: list[str]) -> np.ndarray:
    """A stable 64-bit hash per token (xxh64, seed 0: equal across processes and machines)."""
    return np.fromiter((xxhash.xxh64_intdigest(t.encode("utf-8", "surrogatepass")) for t in tokens), dtype=np.uint64, count=len(tokens))


def gram_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """The rolling hash of every run of `n` consecutive tokens: len(hashes) - n + 1 values (or none)."""
    m = len(hashes) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.uint64)
    acc = np.zeros(m, dtype=np.uint64)
    for j in range(n):  # uint64 arithmetic wraps: this is the polynomial hash mod 2^64
        acc = acc * _POLY + hashes[j : j + m]
    return acc


def is_trivial_token(token: str) -> bool:
    """A number or a single character: such tokens alone carry no text worth matching."""
    return len(token) == 1 or token.isdigit()


def trivial_windows(tokens: list[str], n: int) -> np.ndarray:
    """For every n-gram start, whether all n tokens are trivial (such grams are not indexed by default)."""
    if len(tokens) < n:
        return np.zeros(0, dtype=bool)
    trivial = np.fromiter((is_trivial_token(t) for t in tokens), dtype=np.int64, count=len(tokens))
    csum = np.concatenate([[0], np.cumsum(trivial)])
    return (csum[n:] - csum[:-n]) == n


# --- Loading benchmark files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkString:
    """One benchmark text: `benchmark:item` names the item, `field` the part of it."""

    benchmark: str
    item: str
    field: str
    text: str
    exact: bool  # short forms of this field are matched exactly

    @property
    def label(self) -> str:
        return f"{self.benchmark}:{self.item} {self.field}"


class BenchmarkFormatError(ValueError):
    """A benchmark file that cannot be read as configured; the message names the file, row and key."""


def read_local_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def read_benchmark_rows(path: str, read_bytes: Callable[[str], bytes] = read_local_bytes) -> list[dict]:
    """The rows of a benchmark file: JSON lines (`.jsonl`) or a JSON array (`.json`), optionally `.gz`.

    `read_bytes` returns a file's stored bytes (the Beam wiring passes one that reads gs://, s3://, ...).
    """
    data = read_bytes(path)
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode("utf-8")
    name = path.removesuffix(".gz")
    if name.endswith(".json"):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as err:
            raise BenchmarkFormatError(f"{path}: not valid JSON: {err}") from None
        if not isinstance(rows, list):
            raise BenchmarkFormatError(f"{path}: expected a JSON array of objects, got {type(rows).__name__}")
    else:
        rows = []
        for lineno, line in enumerate(io.StringIO(text), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise BenchmarkFormatError(f"{path}:{lineno}: not valid JSON: {err}") from None
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise BenchmarkFormatError(f"{path}: row {i} is {type(row).__name__}, expected an object")
    return rows


def benchmark_strings(
    name: str,
    rows: list[dict],
    fields: Iterable[str],
    exact_fields: Iterable[str],
    id_fields: Iterable[str] = (),
    *,
    source: str = "",
    row_prefix: str = "",
    require_all_fields: bool = True,
) -> Iterator[BenchmarkString]:
    """Every configured field value of every row (a list value gives one string per element).

    A field absent from one row is skipped. A field absent from every row is an error naming the file, unless
    `require_all_fields` is False (built-in defaults cover variants: MBPP says `text` in mbpp.jsonl and
    `prompt` in sanitized-mbpp.json); then at least one field must occur.
    """
    fields, exact_fields, id_fields = list(fields), set(exact_fields), list(id_fields)
    seen: set[str] = set()
    for rownum, row in enumerate(rows):
        # Rows without an id (GSM8K) are named by file and row number: "test/12".
        item = next((str(row[k]) for k in id_fields if row.get(k) not in (None, "")), f"{row_prefix}{rownum}")
        for key in fields:
            if key not in row:
                continue
            seen.add(key)
            values = row[key] if isinstance(row[key], list) else [row[key]]
            for value in values:
                if not isinstance(value, str):
                    raise BenchmarkFormatError(
                        f"{source or name}: row {rownum} field {key!r} is {type(value).__name__}, "
                        "expected a string or a list of strings"
                    )
                yield BenchmarkString(name, item, key, value, key in exact_fields)
    missing = [k for k in fields if k not in seen]
    if rows and missing and (require_all_fields or not seen):
        raise BenchmarkFormatError(
            f"{source or name}: benchmark {name!r} field(s) {missing} appear in no row; "
            f"the rows have {sorted(rows[0])}"
        )


# --- The index ---------------------------------------------------------------------------------------------


@dataclass
class StringGrams:
    """The hashed grams of one benchmark string (the unit the Beam wiring computes in parallel)."""

    benchmark: str
    label: str
    n_tokens: int
    long: np.ndarray  # n-gram hashes (empty when the string is shorter than n)
    short_len: int = 0  # >0: the whole string is matched exactly at this length
    short_hash: int = 0
    trivial_skipped: int = 0


def string_grams(
    s: BenchmarkString,
    *,
    n: int = NGRAM,
    min_exact_grams: int = MIN_EXACT_GRAMS,
    index_trivial_grams: bool = False,
) -> StringGrams:
    """The grams of one benchmark string: its n-grams when it has n tokens or more, else (for an exact field)
    the whole string when it has at least `min_exact_grams`; trivial grams left out unless asked."""
    tokens = normalize_tokens(s.text)
    hashes = token_hashes(tokens)
    out = StringGrams(s.benchmark, s.label, len(tokens), np.zeros(0, dtype=np.uint64))
    if len(tokens) >= n:
        grams = gram_hashes(hashes, n)
        if not index_trivial_grams:
            trivial = trivial_windows(tokens, n)
            out.trivial_skipped = int(trivial.sum())
            grams = grams[~trivial]
        out.long = np.unique(grams)
    elif s.exact and len(tokens) >= min_exact_grams:
        if index_trivial_grams or not all(is_trivial_token(t) for t in tokens):
            out.short_len, out.short_hash = len(tokens), int(gram_hashes(hashes, len(tokens))[0])
        else:
            out.trivial_skipped = 1
    return out


@dataclass(frozen=True)
class Match:
    """The benchmark item a document contains, and the matched text in normalised form."""

    benchmark: str
    label: str  # "humaneval:HumanEval/12 prompt"
    gram: str
    exact: bool

    @property
    def item(self) -> str:
        return self.label.split(" ", 1)[0]

    def describe(self) -> str:
        kind = "exact" if self.exact else "gram"
        return f'{self.label} {kind}: "{self.gram}"'


@dataclass
class ContaminationIndex:
    """Sorted gram hashes, each with the benchmark string it came from; picklable (a Beam side input)."""

    n: int
    labels: list[str]  # entry number -> "benchmark:item field"
    benchmarks: list[str]  # entry number -> benchmark name
    long_hashes: np.ndarray  # sorted uint64
    long_entries: np.ndarray  # uint32, parallel; for equal hashes the smallest entry comes first
    short: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # length -> (hashes, entries)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_parts(cls, parts: Iterable[StringGrams], *, n: int = NGRAM) -> ContaminationIndex:
        """Merge per-string grams; the result does not depend on the order of `parts`."""
        parts = sorted(parts, key=lambda p: p.label)
        labels, benchmarks = [], []
        long_h, long_e, short_h, short_e, short_l = [], [], [], [], []
        stats: dict[str, dict[str, int]] = {}
        for entry, part in enumerate(parts):
            labels.append(part.label)
            benchmarks.append(part.benchmark)
            st = stats.setdefault(
                part.benchmark,
                {"items": 0, "strings": 0, "grams": 0, "exact_strings": 0, "too_short": 0, "trivial_skipped": 0},
            )
            st["strings"] += 1
            st["grams"] += len(part.long)
            st["trivial_skipped"] += part.trivial_skipped
            if len(part.long):
                long_h.append(part.long)
                long_e.append(np.full(len(part.long), entry, dtype=np.uint32))
            elif part.short_len:
                st["exact_strings"] += 1
                short_h.append(part.short_hash)
                short_e.append(entry)
                short_l.append(part.short_len)
            elif not part.trivial_skipped:
                st["too_short"] += 1
        for bench, st in stats.items():
            st["items"] = len({lab.split(" ", 1)[0] for lab, b in zip(labels, benchmarks) if b == bench})
        hashes = np.concatenate(long_h) if long_h else np.zeros(0, dtype=np.uint64)
        entries = np.concatenate(long_e) if long_e else np.zeros(0, dtype=np.uint32)
        order = np.lexsort((entries, hashes))
        short: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        sl, sh, se = np.array(short_l, dtype=np.int64), np.array(short_h, dtype=np.uint64), np.array(short_e)
        for length in sorted(set(short_l)):
            mask = sl == length
            h, e = sh[mask], se[mask].astype(np.uint32)
            o = np.lexsort((e, h))
            short[length] = (h[o], e[o])
        return cls(n, labels, benchmarks, hashes[order], entries[order], short, dict(sorted(stats.items())))

    @classmethod
    def build(cls, strings: Iterable[BenchmarkString], *, n: int = NGRAM, min_exact_grams: int = MIN_EXACT_GRAMS,
              index_trivial_grams: bool = False) -> ContaminationIndex:
        """The index of `strings` in one process (the Beam wiring builds the same from parallel parts)."""
        kw = {"n": n, "min_exact_grams": min_exact_grams, "index_trivial_grams": index_trivial_grams}
        return cls.from_parts((string_grams(s, **kw) for s in strings), n=n)

    def __len__(self) -> int:
        return len(self.long_hashes) + sum(len(h) for h, _ in self.short.values())

    def find(self, text: str) -> Match | None:
        """The first benchmark match in `text` (n-grams by position first, then exact short strings)."""
        tokens = normalize_tokens(text)
        if not tokens or not len(self):
            return None
        hashes = token_hashes(tokens)
        hit = _first_hit(gram_hashes(hashes, self.n), self.long_hashes, self.long_entries)
        if hit is not None:
            pos, entry = hit
            return self._match(entry, tokens[pos : pos + self.n], exact=False)
        for length, (sh, se) in self.short.items():
            hit = _first_hit(gram_hashes(hashes, length), sh, se)
            if hit is not None:
                pos, entry = hit
                return self._match(entry, tokens[pos : pos + length], exact=True)
        return None

    def _match(self, entry: int, gram: list[str], exact: bool) -> Match:
        return Match(self.benchmarks[entry], self.labels[entry], " ".join(gram), exact)

    def summary(self) -> dict[str, Any]:
        return {
            "ngram": self.n,
            "exact_lengths": sorted(self.short),
            "indexed_grams": len(self),
            "benchmarks": self.stats,
        }


def _first_hit(doc: np.ndarray, index: np.ndarray, entries: np.ndarray) -> tuple[int, int] | None:
    """The first position of `doc` whose hash is in sorted `index`, with its smallest entry number."""
    if not len(doc) or not len(index):
        return None
    pos = np.searchsorted(index, doc)
    found = index[np.minimum(pos, len(index) - 1)] == doc
    if not found.any():
        return None
    first = int(np.argmax(found))
    return first, int(entries[pos[first]])
