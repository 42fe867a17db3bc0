"""Decontamination as plain code: the gram unit, the loaders, the index, and planted benchmark text."""
from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from benchmark_files import GSM8K, HUMANEVAL, MATH, MBPP_JSONL, write_benchmarks

from filters.decontaminate import (
    KNOWN_BENCHMARKS,
    BenchmarkFormatError,
    BenchmarkString,
    ContaminationIndex,
    batch_string_grams,
    benchmark_strings,
    gram_hashes,
    normalize_tokens,
    read_benchmark_rows,
    string_grams,
    token_hashes,
)

REPO = Path(__file__).resolve().parent.parent


def load(paths: dict[str, Path]) -> list[BenchmarkString]:
    out = []
    for key, path in paths.items():
        name = "mbpp" if key.startswith("mbpp") else key
        spec = KNOWN_BENCHMARKS[name]
        rows = read_benchmark_rows(str(path))
        stem = path.name.split(".")[0]
        out += benchmark_strings(name, rows, spec.fields, spec.exact_fields, spec.id_fields,
                                 source=str(path), row_prefix=f"{stem}/", require_all_fields=False)
    return out


@pytest.fixture
def index(tmp_path) -> ContaminationIndex:
    return ContaminationIndex.build(load(write_benchmarks(tmp_path)))


def test_gram_unit_folds_case_punctuation_whitespace_and_width():
    assert normalize_tokens("Foo(bar,  Baz)\n\tqux!") == ["foo", "bar", "baz", "qux"]
    assert normalize_tokens("has_close_elements(x)") == ["has_close_elements", "x"]  # `_` is a word character
    assert normalize_tokens("ＡＢＣ１２") == ["abc12"]  # NFKC folds full-width forms
    assert normalize_tokens("Straße") == ["strasse"]  # case folding, not just lower()
    assert normalize_tokens("$\\frac{2}{x^2+x-6}$") == ["frac", "2", "x", "2", "x", "6"]
    assert normalize_tokens("  ,;  ") == []


def test_gram_hashes_are_positional_and_stable():
    tokens = ["a", "b", "c", "d", "e", "f", "g"]
    h = token_hashes(tokens)
    grams = gram_hashes(h, 3)
    assert len(grams) == 5 and len(gram_hashes(h, 8)) == 0
    assert grams[2] == gram_hashes(token_hashes(["c", "d", "e"]), 3)[0]  # same gram, same hash anywhere
    assert grams[0] != gram_hashes(token_hashes(["b", "a", "c"]), 3)[0]  # order matters


def test_loaders_read_every_published_format(tmp_path):
    strings = load(write_benchmarks(tmp_path))
    labels = {s.label for s in strings}
    assert "humaneval:HumanEval/0 prompt" in labels and "humaneval:HumanEval/1 canonical_solution" in labels
    assert "mbpp:11 text" in labels and "mbpp:13 prompt" in labels and "mbpp:13 code" in labels
    assert "gsm8k:test/1 answer" in labels  # no id in GSM8K: file stem and row number
    assert "math:test/algebra/1.json problem" in labels and "math:0 solution" in labels
    assert not any(s.field == "test" or s.field == "test_list" for s in strings)  # tests are not default fields
    assert len(strings) == 2 * len(HUMANEVAL) + 2 * len(MBPP_JSONL) + 2 + 2 * len(GSM8K) + 2 * len(MATH)


def test_list_fields_give_one_string_per_element_and_errors_name_the_file(tmp_path):
    rows = read_benchmark_rows(str(write_benchmarks(tmp_path)["mbpp"]))
    tests = list(benchmark_strings("mbpp", rows, ["test_list"], [], ["task_id"]))
    assert [s.item for s in tests] == ["11", "12"]
    with pytest.raises(BenchmarkFormatError, match=r"x\.jsonl.*'nope'.*appear in no row"):
        list(benchmark_strings("mbpp", rows, ["text", "nope"], [], [], source="x.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\n{"question": \n')
    with pytest.raises(BenchmarkFormatError, match=r"bad\.jsonl:2"):
        read_benchmark_rows(str(bad))
    with pytest.raises(BenchmarkFormatError, match="row 0 field 'question' is int"):
        list(benchmark_strings("gsm8k", [{"question": 3}], ["question"], [], [], source="g.jsonl"))


def test_ten_gram_matches_in_any_case_spacing_and_punctuation(index):
    prompt = HUMANEVAL[0]["prompt"]
    window = " ".join(normalize_tokens(prompt)[5:15])  # 10 tokens from inside the docstring
    doc = "unrelated preamble\n" + window.upper().replace(" ", " ,\n  ") + "\ntrailing text"
    match = index.find(doc)
    assert match is not None and match.item == "humaneval:HumanEval/0" and not match.exact
    assert match.gram == window
    assert match.describe().startswith('humaneval:HumanEval/0 prompt gram: "')


def test_nine_grams_of_a_long_string_do_not_match(index):
    nine = " ".join(normalize_tokens(GSM8K[0]["question"])[:9])
    assert index.find(f"intro {nine} outro") is None


def test_short_strings_match_exactly_and_only_whole(index):
    assert index.find("Task: write a FUNCTION to reverse-vowels only!").item == "mbpp:12"  # 6 grams
    assert index.find("write a function to reverse vowels") is None  # a part is not a match
    match = index.find("Quiz 3: evaluate $\\log_3 81 + \\log_2 16$ quickly")
    assert match.item == "math:test/algebra/1.json" and match.exact
    # A short *solution* is not matched exactly (HumanEval/1's `return heights.index(max(heights))`).
    assert index.find("return heights.index(max(heights))") is None


def test_trivial_grams_are_skipped_unless_asked():
    numbers = BenchmarkString("math", "7", "solution", "the primes 2 3 5 7 11 13 17 19 23 29 31 37", False)
    skipping = ContaminationIndex.build([numbers])
    assert skipping.find("a list: 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37") is None
    assert skipping.find("The primes 2 3 5 7 11 13 17 19 23 29").item == "math:7"  # a word makes it text
    literal = ContaminationIndex.build([numbers], index_trivial_grams=True)
    assert literal.find("a list: 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37").item == "math:7"


def _random_strings(seed: int, count: int) -> list[BenchmarkString]:
    rng = random.Random(seed)
    # ASCII words and digits, separators, NUL, soft hyphen, combining accent, Cyrillic/Greek look-alikes,
    # compatibility forms (fi ligature, circled and superscript digits, fullwidth A), Arabic-Indic digits.
    alphabet = list("ab1 2_.\x00\u00ad\u0301\u0430\u0391\u2460\u0663\u00b2\u00df\ufb01\uff21xY9")
    words = ["the", "sum", "of", "7", "x", "function", "reverse", "12", "a", "b"]
    out = []
    for k in range(count):
        if rng.random() < 0.5:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 25)))
        out.append(BenchmarkString("rand", str(k), "f", text, rng.random() < 0.5))
    return out


@pytest.mark.parametrize("trivial", [False, True])
def test_batched_grams_equal_one_by_one(tmp_path, trivial):
    strings = load(write_benchmarks(tmp_path)) + _random_strings(7, 1500)
    batched = batch_string_grams(strings, index_trivial_grams=trivial)
    for s, got in zip(strings, batched, strict=True):
        want = string_grams(s, index_trivial_grams=trivial)
        assert (got.label, got.n_tokens, got.short_len, got.short_hash, got.trivial_skipped) == (
            want.label, want.n_tokens, want.short_len, want.short_hash, want.trivial_skipped), repr(s.text)
        assert np.array_equal(got.long, want.long) and np.array_equal(got.short_tokens, want.short_tokens)


def test_index_is_independent_of_part_order(tmp_path):
    strings = load(write_benchmarks(tmp_path))
    parts = [string_grams(s) for s in strings]
    a = ContaminationIndex.from_parts(parts)
    b = ContaminationIndex.from_parts(parts[::-1])
    assert a.labels == b.labels and np.array_equal(a.long_hashes, b.long_hashes)
    assert np.array_equal(a.long_entries, b.long_entries)
    assert a.summary()["benchmarks"]["mbpp"] == {
        "items": 3, "strings": 6, "grams": a.summary()["benchmarks"]["mbpp"]["grams"], "exact_strings": 1,
        "too_short": 1, "trivial_skipped": 0,
    }


def sample_documents() -> dict[str, str]:
    """Documents that contain no benchmark text: this repository's own code and docs, and generated prose."""
    docs = {}
    for path in sorted([*REPO.glob("pipeline/*.py"), *REPO.glob("filters/*.py"), *REPO.glob("sample/**/*.py")]):
        if path.name != "decontaminate.py":  # its docstring quotes benchmark-like examples on purpose
            docs[str(path.relative_to(REPO))] = path.read_text()
    rng = random.Random(7)
    prose = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]  # the README and the docs it points to
    words = re.findall(r"[a-z]+", " ".join(p.read_text() for p in prose).lower())
    for i in range(40):
        docs[f"prose-{i}"] = " ".join(rng.choice(words) for _ in range(rng.randint(50, 400)))
    return docs


def plant(doc: str, snippet: str, rng: random.Random) -> str:
    """`snippet` inserted at a line break of `doc`, its case and spacing disturbed."""
    snippet = snippet.upper() if rng.random() < 0.5 else snippet
    snippet = re.sub(r"\s+", lambda m: rng.choice([" ", "\n", "  ", "\t"]), snippet)
    lines = doc.splitlines()
    at = rng.randint(0, len(lines))
    return "\n".join(lines[:at] + [snippet] + lines[at:])


def plants_from(strings: list[BenchmarkString], n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(item, raw snippet) pairs: a window of >= 10 grams of a long string, or a whole short exact string."""
    out = []
    for s in rng.sample(strings, n):
        tokens = list(re.finditer(r"\w+", s.text))
        if len(tokens) >= 10:
            start = rng.randint(0, len(tokens) - 10)
            end = rng.randint(start + 9, min(len(tokens) - 1, start + 30))
            out.append((f"{s.benchmark}:{s.item}", s.text[tokens[start].start() : tokens[end].end()]))
        elif s.exact and len(tokens) >= 3:
            out.append((f"{s.benchmark}:{s.item}", s.text))
    return out


def check_plants(index: ContaminationIndex, strings: list[BenchmarkString], n_plants: int, seed: int) -> None:
    rng = random.Random(seed)
    docs = sample_documents()
    names = sorted(docs)
    plants = plants_from(strings, n_plants, rng)
    planted = {}
    for (item, snippet), name in zip(plants, rng.sample(names, len(plants))):
        docs[name] = plant(docs[name], snippet, rng)
        planted[name] = item
    found = {name: index.find(text) for name, text in docs.items()}
    hits = {name: m.item for name, m in found.items() if m is not None}
    false_hits = {name: found[name].describe() for name in hits if name not in planted}
    assert false_hits == {}
    # A planted window can also contain a gram of another item (even of another benchmark: MATH and GSM8K
    # share phrasing); the drop names one of them, so only most drops must name the planted item itself.
    assert set(hits) == set(planted)
    assert sum(hits[name] == planted[name] for name in planted) >= 0.9 * len(planted)


def test_every_plant_is_found_and_nothing_else(tmp_path, index):
    strings = load(write_benchmarks(tmp_path))
    eligible = [s for s in strings if len(normalize_tokens(s.text)) >= 10 or s.exact]
    check_plants(index, eligible, len(eligible), seed=11)


def test_plants_from_the_real_benchmarks(shared_dir):
    root = shared_dir / "data" / "benchmarks"
    paths = {
        "humaneval": root / "humaneval" / "HumanEval.jsonl.gz",
        "mbpp": root / "mbpp" / "mbpp.jsonl",
        "gsm8k": root / "gsm8k" / "test.jsonl",
        "math": root / "math" / "MATH_test.jsonl",
    }
    if not all(p.exists() for p in paths.values()):
        pytest.skip("the shared benchmark files are absent")
    strings = load(paths)
    index = ContaminationIndex.build(strings)
    summary = index.summary()["benchmarks"]
    assert summary["humaneval"]["items"] == 164 and summary["gsm8k"]["items"] == 1319
    eligible = [s for s in strings if len(normalize_tokens(s.text)) >= 10 or (s.exact and len(s.text) > 20)]
    check_plants(index, eligible, 30, seed=5)


def test_gzip_and_json_arrays_load_like_jsonl(tmp_path):
    rows = [{"question": "q one two three"}, {"question": "q four five six"}]
    (tmp_path / "a.json").write_text(json.dumps(rows))
    with gzip.open(tmp_path / "b.jsonl.gz", "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    assert read_benchmark_rows(str(tmp_path / "a.json")) == read_benchmark_rows(str(tmp_path / "b.jsonl.gz")) == rows
    with pytest.raises(BenchmarkFormatError, match="expected a JSON array"):
        (tmp_path / "c.json").write_text('{"a": 1}')
        read_benchmark_rows(str(tmp_path / "c.json"))
