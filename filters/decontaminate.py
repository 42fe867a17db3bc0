"""Benchmark decontamination (SPEC §3; DeepSeek-Coder §2.1, DeepSeekMath §2.1): plain code, no Beam.

A document is contaminated when it contains any `n`-gram (default 10) of a benchmark string, or contains a
whole benchmark string of `min_exact_grams`..`n-1` grams (default 3..9) exactly.

The gram unit (DeepSeek does not state one) is the word token of `normalize_tokens`: maximal runs of Unicode
word characters (`\\w+`: letters, digits, underscore) of the text's match form (`match_form`: NFKC, case-folded,
and outside ASCII: default-ignorable code points such as the soft hyphen removed, combining marks stripped,
Unicode TR39 confusables folded to their prototype). Punctuation, symbols and whitespace only separate tokens,
so `Foo(bar,  baz)` and `foo bar baz` give the same grams, and indentation, line breaks, LaTeX markup, a soft
hyphen inside a word or Cyrillic look-alike letters do not hide a match. The text itself is never changed.

Tokens are hashed without building Python strings (a polynomial hash of the code points mod 2^64, then
splitmix64's finaliser), grams by a polynomial rolling hash over the n token hashes: in one pass of a compiled
kernel (filters/_decontaminate.c) over the text and its token hashes, or, where it is not installed, with
numpy's per-character arrays (the reference the kernel is tested against). The index is a sorted uint64
array (8 bytes per gram) plus a uint32 entry number per gram: the four test sets' default fields give ~760K
grams, ~9.5 MB pickled. A false match needs a 64-bit collision (~1e-13 per gram); it could only
drop a document, never keep a contaminated one.

Trivial grams, made only of numbers and single characters (`1 2 3 4 5 6 7 8 9 10`, the first ten primes,
`0 1 2 ... 9 a b`, `1 1 x 1 1 x ...`), are not indexed by default: MATH solutions and HumanEval prompts contain
them, and they would drop any document with a numbered list, a hex table or a matrix. This is our rule, not
DeepSeek's; `index_trivial_grams=True` restores the literal one.
"""
from __future__ import annotations

import functools
import gzip
import io
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.json_lines import json_lines

_KERNEL_MISSING = ""  # why the kernel did not load
try:
    from filters import _decontaminate as _kernel
except ImportError as _error:  # the install could not compile it
    _kernel, _KERNEL_MISSING = None, f"{type(_error).__name__}: {_error}"

log = logging.getLogger(__name__)
NGRAM = 10  # SPEC §3: any identical 10-gram
MIN_EXACT_GRAMS = 3  # SPEC §3: shorter strings of at least 3 grams are matched exactly
INDEX_TRIVIAL_GRAMS = False  # our rule, not DeepSeek's: see the module docstring
_WORD = re.compile(r"\w+")
_POLY = np.uint64(0x100000001B3)  # odd multiplier of the rolling gram hash (FNV-64 prime)
_PREFIX_BITS = 24  # the index prefilter: 16 MB of bools, ~5% of its slots set by ~760K benchmark grams
_PREFIX_SHIFT = np.uint64(64 - _PREFIX_BITS)
# A long document is folded and tokenised in pieces of about this many characters, cut after a newline: the
# arrays of one piece stay small enough to be reused from the heap instead of mapped and faulted in anew
# for every document (page faults were half of decontamination's CPU on large files).
_PIECE_CHARS = 1 << 18


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


# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties): soft hyphen, zero-width and bidi controls,
# variation selectors, tags. Invisible, so a writer can put them inside a word to hide it from matching.
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_CONFUSABLES_FILE = Path(__file__).with_name("confusables.tsv")  # scripts/make_confusable_table.py
_confusables: dict[int, str] | None = None
_fold_cache: dict[int, str] = {}  # code point -> its match form (non-ASCII only; ASCII is never rewritten)
_WORD_ASCII = np.zeros(128, dtype=bool)
for _c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _WORD_ASCII[ord(_c)] = True
_WORD_ASCII_BYTES = _WORD_ASCII.tobytes()  # the kernel's copy of the table
_word_cache: dict[int, bool] = {}
_TOKEN_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the per-token polynomial hash
_powers = np.ones(1, dtype=np.uint64)  # _TOKEN_BASE ** k, grown to the longest token seen


def _is_ignorable(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _IGNORABLE_RANGES)


def _confusable_map() -> dict[int, str]:
    global _confusables
    if _confusables is None:
        table = {}
        for line in _CONFUSABLES_FILE.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                src, target = line.split("\t")
                table[int(src, 16)] = "".join(chr(int(t, 16)) for t in target.split())
        _confusables = table
    return _confusables


def _strip(text: str) -> str:
    """NFD with combining marks (Mn, Me) and default-ignorable code points removed."""
    return "".join(
        c for c in unicodedata.normalize("NFD", text)
        if unicodedata.category(c) not in ("Mn", "Me") and not _is_ignorable(ord(c))
    )


def fold_char(ch: str) -> str:
    """The match form of one non-ASCII character of NFKC, case-folded text: marks and ignorables removed,
    then its TR39 confusable prototype (Cyrillic `а` -> `a`), case-folded again; ASCII output stays ASCII."""
    cp = ord(ch)
    out = _fold_cache.get(cp)
    if out is None:
        table = _confusable_map()
        out = _strip(ch)
        for _ in range(3):  # prototypes may decompose again; three rounds reach the fixed point
            mapped = _strip("".join(c if c.isascii() else table.get(ord(c), c) for c in out)).casefold()
            if mapped == out:
                break
            out = mapped
        _fold_cache[cp] = out
    return out


def match_code_points(text: str) -> np.ndarray:
    """The code points decontamination matches on (never written out): NFKC, case-folded, and every non-ASCII
    character folded by `fold_char`, so a soft hyphen inside a word, combining accents or Cyrillic look-alike
    letters do not hide benchmark text (issue 12). ASCII text only goes through NFKC and case folding.
    uint8 when the result is ASCII, else uint32; the folding runs in numpy, once per distinct character."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    high = np.flatnonzero(cps >= 128)
    uniq, inverse = np.unique(cps[high], return_inverse=True)
    folds = [fold_char(chr(u)) for u in uniq.tolist()]
    lengths = np.array([len(f) for f in folds], dtype=np.int64)
    out = cps.copy()
    out[high] = np.array([ord(f) if len(f) == 1 else 0 for f in folds], dtype=np.uint32)[inverse]
    if (lengths == 1).all():  # the common case: one character for one
        return out
    # Deletions (marks, ignorables) and expansions: each such position gives its fold's code points, spliced
    # in with arrays the size of the text in uint32 and bool only (int64 per character made a 7 MB file with
    # a few accents cost 0.4 s, most of it page faults), and int64 per spliced position.
    odd = lengths[inverse] != 1
    where, which = high[odd], inverse[odd]
    flen = lengths[which]
    extra = np.cumsum(flen - 1)
    slot_starts = where + np.concatenate([[0], extra[:-1]])  # where each position's fold lands
    within = np.arange(int(flen.sum())) - np.repeat(np.cumsum(flen) - flen, flen)
    slots = np.repeat(slot_starts, flen) + within
    fold_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    fold_cps = np.array([ord(c) for f in folds for c in f], dtype=np.uint32)
    spliced = np.empty(len(cps) + int(extra[-1]), dtype=np.uint32)
    from_text = np.ones(len(spliced), dtype=bool)
    from_text[slots] = False
    keep = np.ones(len(cps), dtype=bool)
    keep[where] = False
    spliced[from_text] = out[keep]
    spliced[slots] = fold_cps[np.repeat(fold_starts[which], flen) + within]
    return spliced


def _decode(cps: np.ndarray) -> str:
    if cps.dtype == np.uint8:
        return cps.tobytes().decode("ascii")
    return cps.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


def match_form(text: str) -> str:
    """`match_code_points` as a string."""
    return _decode(match_code_points(text))


def _code_points(form: str) -> np.ndarray:
    if form.isascii():
        return np.frombuffer(form.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(form.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _word_mask(cps: np.ndarray) -> np.ndarray:
    """Which code points `\\w` matches (str.isalnum() or `_`, as Python's re does)."""
    if cps.dtype == np.uint8:
        return _WORD_ASCII[cps]
    high = cps >= 128
    mask = np.zeros(len(cps), dtype=bool)
    mask[~high] = _WORD_ASCII[cps[~high]]
    if high.any():
        hi = cps[high]
        uniq, inverse = np.unique(hi, return_inverse=True)
        flags = []
        for u in uniq.tolist():
            w = _word_cache.get(u)
            if w is None:
                w = _word_cache[u] = chr(u).isalnum()
            flags.append(w)
        mask[high] = np.array(flags, dtype=bool)[inverse]
    return mask


def _token_powers(n: int) -> np.ndarray:
    global _powers
    if len(_powers) < n:
        size = max(n, 2 * len(_powers))
        grown = np.full(size, _TOKEN_BASE, dtype=np.uint64)
        grown[0] = 1
        _powers = np.cumprod(grown, dtype=np.uint64)  # wraps: powers mod 2^64
    return _powers


def _mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the polynomial hash over all 64 bits (the index prefilter reads the top)."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _segment_hashes(cps: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The hash of each run of `lengths` consecutive code points of `cps` (all word characters)."""
    if not len(lengths):
        return np.zeros(0, dtype=np.uint64)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    offsets = np.arange(len(cps), dtype=np.int64) - np.repeat(starts, lengths)
    vals = cps.astype(np.uint64) * _token_powers(int(lengths.max()))[offsets]
    sums = np.add.reduceat(vals, starts)  # uint64 wraps: the polynomial hash mod 2^64
    return _mix64(sums + lengths.astype(np.uint64) * _POLY)


def token_spans(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, hashes) of the `\\w+` runs of match code points: the tokens, hashed without Python strings."""
    mask = _word_mask(cps)
    edges = np.flatnonzero(np.diff(mask.view(np.int8), prepend=0, append=0))
    starts, ends = edges[0::2], edges[1::2]
    return starts, ends, _segment_hashes(cps[mask], ends - starts)


def text_pieces(text: str, size: int | None = None) -> list[str]:
    """`text` cut right after a newline once a piece reaches `size` characters (a longer line stays whole).
    Folding and tokenising the pieces gives the whole text's code points and tokens: NFKC never composes
    across a newline, case folding and `fold_char` are per character and a token never holds a newline."""
    size = size or _PIECE_CHARS
    pieces, start = [], 0
    while len(text) - start > size:
        cut = text.find("\n", start + size - 1)
        if cut < 0:
            break
        pieces.append(text[start : cut + 1])
        start = cut + 1
    pieces.append(text[start:] if start else text)
    return pieces


def document_tokens(text: str) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """(match code points of each piece of `text`, token starts, token ends, token hashes): `token_spans` of
    `match_code_points(text)`, computed piece by piece (`text_pieces`); starts and ends index the pieces'
    code points concatenated."""
    pieces = [match_code_points(piece) for piece in text_pieces(text)]
    if len(pieces) == 1:
        return (pieces, *token_spans(pieces[0]))
    spans, offset = [], 0
    for cps in pieces:
        starts, ends, hashes = token_spans(cps)
        spans.append((starts + offset, ends + offset, hashes))
        offset += len(cps)
    starts, ends, hashes = (np.concatenate(column) for column in zip(*spans))
    return pieces, starts, ends, hashes


@functools.cache  # once per process (~0.07 s)
def _second_of_compositions() -> frozenset[int]:
    """Code points that can be the second of a canonical composition (those NFKC's quick check calls "maybe",
    and a few more): the second of every two-character canonical decomposition, Hangul's medial vowels and
    final consonants."""
    seconds = {0x1161 + i for i in range(21)} | {0x11A8 + i for i in range(27)}
    for cp in range(0x2FA20):  # no decomposition lies beyond U+2FA1D
        d = unicodedata.decomposition(chr(cp))
        if d and d[0] != "<" and d.count(" ") == 1:
            seconds.add(int(d.split()[1], 16))
    return frozenset(seconds)


def _char_facts(cp: int) -> tuple[str, int, bool]:
    """What the kernel needs of one non-ASCII code point: its match form in NFKC text (case folded, then
    `fold_char` outside ASCII; both per character, as in `match_code_points`), its canonical combining class,
    and whether NFKC's quick check says "yes" (at worst "no" where it says "maybe": that only costs a call)."""
    ch = chr(cp)
    fold = "".join(c if c.isascii() else fold_char(c) for c in ch.casefold())
    qc_yes = unicodedata.normalize("NFKC", ch) == ch and cp not in _second_of_compositions()
    return fold, unicodedata.combining(ch), qc_yes


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def kernel_available() -> bool:
    """Whether the compiled kernel runs `find` (else numpy does: the same decisions, ~6-10x the CPU)."""
    return _kernel is not None


@functools.cache  # once per process
def _warn_kernel_missing() -> None:
    log.warning(
        "filters._decontaminate, the compiled decontamination kernel, is not installed (%s): find() runs on "
        "numpy, the same decisions at ~6-10x the CPU; reinstall codecorpus where a C compiler is present",
        _KERNEL_MISSING,
    )


def document_hashes(text: str) -> np.ndarray:
    """The token hashes of `text` (`document_tokens`' last column): in one pass of the compiled kernel over
    the text when it is installed (no array per character; NFKC only where the text is not NFKC), else with
    numpy."""
    if _kernel is None:
        _warn_kernel_missing()
        return document_tokens(text)[3]
    raw = _kernel.token_hashes(text, _WORD_ASCII_BYTES, _char_facts, _nfkc, int(_TOKEN_BASE), int(_POLY))
    return np.frombuffer(raw, dtype=np.uint64)


def normalize_tokens(text: str) -> list[str]:
    """The gram units of `text`: maximal `\\w+` runs of its match form (punctuation/space only separate)."""
    return _WORD.findall(match_form(text))


def token_hashes(tokens: list[str]) -> np.ndarray:
    """A stable 64-bit hash per token (equal across processes and machines; equal to `token_spans`' hashes)."""
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    joined = "".join(tokens)
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    return _segment_hashes(_code_points(joined).astype(np.uint32), lengths)


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
    name = path.removesuffix(".gz")
    if name.endswith(".json"):
        try:
            rows = json.loads(data.decode("utf-8"))
        except json.JSONDecodeError as err:
            raise BenchmarkFormatError(f"{path}: not valid JSON: {err}") from None
        if not isinstance(rows, list):
            raise BenchmarkFormatError(f"{path}: expected a JSON array of objects, got {type(rows).__name__}")
    else:
        rows = []
        for line in json_lines(io.BytesIO(data), max_line_bytes=None, invalid_utf8="not_json"):
            if line.problem:
                raise BenchmarkFormatError(f"{path}:{line.number}: not valid JSON: {line.detail}")
            rows.append(line.value)
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
    short_tokens: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))  # its token hashes
    trivial_skipped: int = 0


def string_grams(
    s: BenchmarkString,
    *,
    n: int = NGRAM,
    min_exact_grams: int = MIN_EXACT_GRAMS,
    index_trivial_grams: bool = INDEX_TRIVIAL_GRAMS,
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
            out.short_tokens = hashes
        else:
            out.trivial_skipped = 1
    return out


_SEPARATOR = "\x00"  # joins benchmark strings for one vectorised pass: NFKC, case folding and folds keep it


def _digit_mask(cps: np.ndarray) -> np.ndarray:
    """Which code points str.isdigit() accepts (the trivial-token rule's numbers)."""
    if cps.dtype == np.uint8 or not (cps >= 128).any():
        return (cps >= 48) & (cps <= 57)
    uniq, inverse = np.unique(cps, return_inverse=True)
    return np.array([chr(u).isdigit() for u in uniq.tolist()], dtype=bool)[inverse]


def batch_string_grams(
    strings: Sequence[BenchmarkString],
    *,
    n: int = NGRAM,
    min_exact_grams: int = MIN_EXACT_GRAMS,
    index_trivial_grams: bool = INDEX_TRIVIAL_GRAMS,
) -> list[StringGrams]:
    """`[string_grams(s) for s in strings]`, computed in a few numpy passes over all strings joined (the index
    build is a cost of every run: the four test sets' ~15K strings took 1.2 CPU-s one by one).

    The texts are joined with NUL, which every match-form step leaves in place and no token contains, so the
    tokens and their hashes are those of each string alone; a text containing NUL is done on its own. ASCII
    texts (most benchmark text) and the others are joined apart: the ASCII match form is a cheap path."""
    kw = {"n": n, "min_exact_grams": min_exact_grams, "index_trivial_grams": index_trivial_grams}
    out: list[StringGrams | None] = [None] * len(strings)
    groups: dict[bool, list[int]] = {True: [], False: []}
    for i, s in enumerate(strings):
        if _SEPARATOR in s.text:
            out[i] = string_grams(s, **kw)
        else:
            groups[s.text.isascii()].append(i)
    for group in groups.values():
        if group:
            for i, part in zip(group, _joined_string_grams([strings[i] for i in group], **kw)):
                out[i] = part
    return out  # type: ignore[return-value]


def _joined_string_grams(
    strings: list[BenchmarkString], *, n: int, min_exact_grams: int, index_trivial_grams: bool
) -> list[StringGrams]:
    cps = match_code_points(_SEPARATOR.join(s.text for s in strings))
    bounds = np.flatnonzero(cps == 0)
    if len(bounds) != len(strings) - 1:  # cannot happen (no fold makes NUL); if it did, one by one is right
        kw = {"n": n, "min_exact_grams": min_exact_grams, "index_trivial_grams": index_trivial_grams}
        return [string_grams(s, **kw) for s in strings]
    starts, ends, hashes = token_spans(cps)
    owner = np.searchsorted(bounds, starts)  # which string each token is in
    per_string = np.bincount(owner, minlength=len(strings))
    first_token = np.concatenate([[0], np.cumsum(per_string)[:-1]])
    lengths = ends - starts
    token_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    word_cps = cps[_word_mask(cps)]
    non_digits = np.add.reduceat((~_digit_mask(word_cps)).astype(np.int64), token_starts) if len(lengths) else lengths
    trivial = (lengths == 1) | (non_digits == 0)  # is_trivial_token
    long_grams: dict[int, np.ndarray] = {}
    skipped = np.zeros(len(strings), dtype=np.int64)
    if len(hashes) >= n:
        grams = gram_hashes(hashes, n)
        whole = owner[: len(grams)] == owner[n - 1 :]  # windows inside one string
        if not index_trivial_grams:
            csum = np.concatenate([[0], np.cumsum(trivial)])
            all_trivial = ((csum[n:] - csum[:-n]) == n) & whole
            skipped = np.bincount(owner[: len(grams)][all_trivial], minlength=len(strings))
            whole &= ~all_trivial
        keep = np.flatnonzero(whole)
        who, gram = owner[keep], grams[keep]
        order = np.lexsort((gram, who))  # by string, then hash: np.unique per string in one sort
        who, gram = who[order], gram[order]
        distinct = np.ones(len(gram), dtype=bool)
        distinct[1:] = (gram[1:] != gram[:-1]) | (who[1:] != who[:-1])
        who, gram = who[distinct], gram[distinct]
        cuts = np.searchsorted(who, np.arange(len(strings) + 1))
        long_grams = {b: gram[cuts[b] : cuts[b + 1]] for b in np.flatnonzero(np.diff(cuts)).tolist()}
    empty = np.zeros(0, dtype=np.uint64)
    out = []
    for b, s in enumerate(strings):
        count = int(per_string[b])
        part = StringGrams(s.benchmark, s.label, count, empty)
        if count >= n:
            part.long = long_grams.get(b, empty)
            part.trivial_skipped = int(skipped[b])
        elif s.exact and count >= min_exact_grams:
            mine = slice(first_token[b], first_token[b] + count)
            if index_trivial_grams or not trivial[mine].all():
                part.short_tokens = hashes[mine]
                part.short_len, part.short_hash = count, int(gram_hashes(part.short_tokens, count)[0])
            else:
                part.trivial_skipped = 1
        out.append(part)
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
    short_prefixes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))  # see _prefilters
    stats: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_parts(cls, parts: Iterable[StringGrams], *, n: int = NGRAM) -> ContaminationIndex:
        """Merge per-string grams; the result does not depend on the order of `parts`."""
        parts = sorted(parts, key=lambda p: p.label)
        labels, benchmarks = [], []
        long_h, long_e, short_h, short_e, short_l, short_t = [], [], [], [], [], []
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
                short_t.append(part.short_tokens)
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
        first = min(short_l, default=0)
        prefixes = np.unique(np.array([gram_hashes(t, first)[0] for t in short_t], dtype=np.uint64))
        return cls(n, labels, benchmarks, hashes[order], entries[order], short, prefixes, dict(sorted(stats.items())))

    @classmethod
    def build(cls, strings: Iterable[BenchmarkString], *, n: int = NGRAM, min_exact_grams: int = MIN_EXACT_GRAMS,
              index_trivial_grams: bool = INDEX_TRIVIAL_GRAMS) -> ContaminationIndex:
        """The index of `strings` in one process (the Beam wiring builds the same from parallel parts)."""
        kw = {"n": n, "min_exact_grams": min_exact_grams, "index_trivial_grams": index_trivial_grams}
        return cls.from_parts(batch_string_grams(list(strings), **kw), n=n)

    def __len__(self) -> int:
        return len(self.long_hashes) + sum(len(h) for h, _ in self.short.values())

    def find(self, text: str) -> Match | None:
        """The first benchmark match in `text` (n-grams by position first, then exact short strings by length).

        n-grams are looked up in a bitmap of the index's hash prefixes before the binary search, which then
        runs only on the few percent whose prefix is indexed; short strings are looked up only where the
        doc's gram of the shortest exact length starts one of them (a second, sparse bitmap). The compiled
        kernel does it in one pass over the text and one over its token hashes; numpy (`_first_hit_numpy`)
        decides the same where the kernel is not installed. Only a match re-tokenises, for the gram's text.
        """
        if not len(self):
            return None
        hashes = document_hashes(text)
        if not len(hashes):
            return None
        hit = self._first_hit_numpy(hashes) if _kernel is None else self._first_hit_kernel(hashes)
        if hit is None:
            return None
        pos, length, entry = hit
        pieces, starts, ends, _ = document_tokens(text)  # only for a match: the matched gram's text
        cps = pieces[0] if len(pieces) == 1 else np.concatenate([c.astype(np.uint32) for c in pieces])
        gram = [_decode(cps[a:b]) for a, b in zip(starts[pos : pos + length], ends[pos : pos + length])]
        return self._match(entry, gram, exact=length != self.n)

    def _first_hit_numpy(self, hashes: np.ndarray) -> tuple[int, int, int] | None:
        """(position, length, entry) of the first match among a document's token hashes, in numpy."""
        long_filter, short_filter = self._prefilters()
        short_lengths = sorted(self.short)
        first_short = short_lengths[0] if short_lengths else 0
        grams = {1: hashes}
        acc = hashes
        for length in range(2, self.n + 1):
            if len(hashes) < length:
                break
            acc = acc[:-1] * _POLY + hashes[length - 1 :]  # wraps mod 2^64: equal to gram_hashes(hashes, length)
            if length == self.n or length in self.short:
                grams[length] = acc
        if self.n in grams and len(self.long_hashes):
            long = grams[self.n]
            candidates = np.flatnonzero(long_filter[long >> _PREFIX_SHIFT])
            hit = _first_hit(long[candidates], self.long_hashes, self.long_entries)
            if hit is not None:
                return int(candidates[hit[0]]), self.n, hit[1]
        if first_short in grams:
            candidates = np.flatnonzero(short_filter[grams[first_short] >> _PREFIX_SHIFT])
            for length in short_lengths if len(candidates) else ():
                if length not in grams:
                    break
                at = candidates[candidates < len(grams[length])]
                sh, se = self.short[length]
                hit = _first_hit(grams[length][at], sh, se)
                if hit is not None:
                    return int(at[hit[0]]), length, hit[1]
        return None

    def _first_hit_kernel(self, hashes: np.ndarray) -> tuple[int, int, int] | None:
        """`_first_hit_numpy` in one pass of the compiled kernel (no array per gram length)."""
        tables = self.__dict__.get("_kernel_tables")
        if tables is None:  # bitmaps packed 8 slots a byte (2 MB each): fewer cache and TLB misses than bools
            long_filter, short_filter = self._prefilters()
            tables = self.__dict__["_kernel_tables"] = (
                np.packbits(long_filter, bitorder="little"), np.ascontiguousarray(self.long_hashes, np.uint64),
                np.ascontiguousarray(self.long_entries, np.uint32), np.packbits(short_filter, bitorder="little"),
                [(length, np.ascontiguousarray(h, np.uint64), np.ascontiguousarray(e, np.uint32))
                 for length, (h, e) in sorted(self.short.items())],
            )
            del self.__dict__["_filters"]  # the bools are only the numpy path's
        long_bits, long_hashes, long_entries, short_bits, short = tables
        return _kernel.first_match(hashes, self.n, int(_POLY), int(_PREFIX_SHIFT), long_bits, long_hashes,
                                   long_entries, short_bits, short)

    def _prefilters(self) -> tuple[np.ndarray, np.ndarray]:
        """Bitmaps (one bool per 2^-PREFIX_BITS of the hash space) of the n-gram hashes and of the hashes of the
        first `min(short)` tokens of every exact short string; built once per process, never pickled."""
        filters = self.__dict__.get("_filters")
        if filters is None:
            long_filter = np.zeros(1 << _PREFIX_BITS, dtype=bool)
            long_filter[self.long_hashes >> _PREFIX_SHIFT] = True
            short_filter = np.zeros(1 << _PREFIX_BITS, dtype=bool)
            short_filter[np.asarray(self.short_prefixes, dtype=np.uint64) >> _PREFIX_SHIFT] = True
            filters = self.__dict__["_filters"] = (long_filter, short_filter)
        return filters

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_filters", "_kernel_tables")}  # rebuilt

    def _match(self, entry: int, gram: list[str], exact: bool) -> Match:
        return Match(self.benchmarks[entry], self.labels[entry], " ".join(gram), exact)

    def to_bytes(self, key: str = "") -> bytes:
        """A self-describing file (a JSON header line, then the raw arrays): byte-identical for equal indexes,
        loaded without unpickling. `key` names what it was built from (see `index_key`)."""
        arrays = [self.long_hashes, self.long_entries, self.short_prefixes]
        for length in sorted(self.short):
            arrays += list(self.short[length])
        header = {
            "format": 1, "key": key, "n": self.n, "labels": self.labels, "benchmarks": self.benchmarks,
            "short_lengths": sorted(self.short), "stats": self.stats,
            "arrays": [[str(a.dtype), len(a)] for a in arrays],
        }
        head = json.dumps(header, sort_keys=True, ensure_ascii=True).encode() + b"\n"
        return head + b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> tuple[ContaminationIndex, str]:
        """(the index, its key) from `to_bytes` output."""
        end = data.index(b"\n")
        header = json.loads(data[:end])
        arrays, offset = [], end + 1
        for dtype, count in header["arrays"]:
            a = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
            arrays.append(a if a.flags.aligned else a.copy())  # numpy copies an unaligned array on every search
            offset += a.nbytes
        short = {length: (arrays[3 + 2 * i], arrays[4 + 2 * i]) for i, length in enumerate(header["short_lengths"])}
        index = cls(header["n"], header["labels"], header["benchmarks"], arrays[0], arrays[1], short, arrays[2],
                    header["stats"])
        return index, header["key"]

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
