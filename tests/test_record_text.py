"""The UTF-8 helpers of pipeline.record answer as a fresh encoding would, whatever text was asked before."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.record import UTF8_MEMO_MIN_CHARS, utf8_bytes, utf8_size, valid_text

_PIECES = st.sampled_from(["a", "é", "\u4e2d", "\U0001f600", "\ud800", "\udfff", "<p>"])
_TEXTS = st.one_of(
    st.lists(_PIECES, max_size=20).map("".join),
    st.tuples(st.lists(_PIECES, min_size=1, max_size=5).map("".join), st.integers(1, 3)).map(
        lambda t: (t[0] * (UTF8_MEMO_MIN_CHARS // len(t[0]) + 1))[: UTF8_MEMO_MIN_CHARS * t[1]]
    ),
)


@given(st.lists(st.tuples(_TEXTS, st.sampled_from(["bytes", "size", "valid"])), min_size=1, max_size=8))
@settings(max_examples=150, deadline=None)
def test_answers_match_a_fresh_encoding_in_any_order_of_calls(calls):
    for text, ask in calls:
        expected = text.encode("utf-8", "surrogatepass")
        if ask == "bytes":
            assert utf8_bytes(text) == expected
        elif ask == "size":
            assert utf8_size(text) == len(expected)
        else:
            fixed = valid_text(text)
            # every lone surrogate (and nothing else) replaced; strict UTF-8 encodes the result
            assert fixed == "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
            fixed.encode("utf-8")
            assert (fixed is text) == (fixed == text)


def test_a_long_text_is_encoded_once_for_the_callers_that_follow():
    text = "é" * UTF8_MEMO_MIN_CHARS
    first = utf8_bytes(text)
    assert utf8_bytes(text) is first and valid_text(text) is text and utf8_size(text) == len(first)
    bad = "\ud800" + text
    assert valid_text(bad) == "\ufffd" + text and utf8_bytes(bad) == b"\xed\xa0\x80" + first
