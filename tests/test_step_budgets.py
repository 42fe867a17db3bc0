"""The CPU-heavy per-record steps other than extraction (language detection, file rules, MinHash, fastText
scoring) are bounded by the size of their input, not by a per-call budget in a child process (issue 12).

Why not a child per call, as extraction has (`filters/timed_worker.py`): measured on the sample's code files
(~500 characters), a call through `TimedWorker` costs ~300-400 us of pickling and socket round trip against
18 us of language detection and 39 us of file rules, 7-22x the work itself. Instead each step's work is linear
in its input and its input is capped before it: files at `github.max_file_bytes`, pages scored on their first
`tokenizer.max_chars` characters. This test feeds each step adversarial inputs (long runs of the pieces its
rules look at) at those caps and holds every call to a CPU budget far above what linear code needs there
(the worst case measured here: 1 MB of `<a>` as `.html` takes ~1 s in the file rules; MinHash ~0.15 s).
"""
from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from recall_sample import train_small_model

from classifiers.fasttext_model import TextClassifier
from dedup.minhash import MinHasher
from pipeline.build import file_rules_step, language_step
from pipeline.config import Dedup, FileRules, GithubSource, TokenizerSection
from pipeline.record import Drop, Record

STEP_BUDGET_S = 5.0  # CPU seconds per call at the input cap
MAX_FILE_BYTES = GithubSource().max_file_bytes
PIECES = ["\n", "\r\n", " ", "\t", "#", "//", "/*", "*/", "<!--", "-->", "<a>", "</a>", "<", ">", "'", '"', "\\",
          "(", ")", "{", "}", "[", "]", ":", ",", "=", "x", "0", "import a\n", "#include <a.h>\n", "---\n",
          "- a: 1\n", "\u00e9", "\u4e2d", "\U0001f600", "\x00"]
EXTENSIONS = (".py", ".h", ".v", ".inc", ".m", ".js", ".html", ".json", ".yaml", ".md", ".txt", ".xml", ".csv", "")


def _cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def runs_of(size: int):
    """Text of about `size` UTF-8 bytes: one to three pieces repeated."""
    return st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map(
        lambda pieces: "".join(pieces) * (size // len("".join(pieces).encode()))
    )


@settings(max_examples=6, deadline=None)
@given(runs_of(MAX_FILE_BYTES))
def test_language_and_file_rules_are_bounded_at_the_file_size_cap(text):
    rules = FileRules()
    for ext in EXTENSIONS:
        record = Record(id="x", source="github", text=text, repo="o/r", path=f"src/file{ext}")
        detected: list[Record | Drop] = []
        assert _cpu(lambda r=record, out=detected: out.append(language_step(r))) < STEP_BUDGET_S, ext
        typed = detected[0] if isinstance(detected[0], Record) else record.replace(language="Text", category="code")
        assert _cpu(lambda r=typed: file_rules_step(r, rules)) < STEP_BUDGET_S, ext


@settings(max_examples=6, deadline=None)
@given(runs_of(MAX_FILE_BYTES))
def test_minhash_is_bounded_at_the_file_size_cap(text):
    dedup = Dedup()
    hasher = MinHasher(num_perm=dedup.num_perm, seed=1, ngram=dedup.ngram)
    assert _cpu(lambda: hasher.signature(text)) < STEP_BUDGET_S
    assert _cpu(lambda: hasher.signatures([text, text[: len(text) // 2]])) < STEP_BUDGET_S


@pytest.fixture(scope="module")
def classifier(tmp_path_factory) -> TextClassifier:
    return TextClassifier.load(train_small_model(tmp_path_factory.mktemp("model") / "bpe"))


def test_scoring_reads_only_the_window_of_a_page(classifier):
    window = TokenizerSection().max_chars
    text = "word " * window
    assert classifier.scores(text * 20) == classifier.scores(text)  # past the window nothing is read


@settings(max_examples=6, deadline=None)
@given(text=runs_of(4 * TokenizerSection().max_chars))
def test_fasttext_scoring_is_bounded_at_the_page_window(classifier, text):
    assert _cpu(lambda: classifier.scores(text)) < STEP_BUDGET_S
