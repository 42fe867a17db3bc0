"""DeepSeek-Coder file-level rules (SPEC §1; DeepSeek-Coder §2.1) as plain functions.

Each rule returns a drop reason or None. Thresholds are keyword arguments whose defaults are the paper's.
"""
from __future__ import annotations

MAX_AVG_LINE_LENGTH = 100
MAX_LINE_LENGTH = 1000
MIN_ALPHA_FRACTION = 0.25


def avg_line_length_reason(text: str, *, max_avg_line_length: float = MAX_AVG_LINE_LENGTH) -> str | None:
    lines = text.splitlines() or [""]
    avg = sum(len(line) for line in lines) / len(lines)
    return "avg_line_length" if avg > max_avg_line_length else None


def max_line_length_reason(text: str, *, max_line_length: int = MAX_LINE_LENGTH) -> str | None:
    longest = max((len(line) for line in text.splitlines()), default=0)
    return "max_line_length" if longest > max_line_length else None


def alpha_fraction_reason(text: str, *, min_alpha_fraction: float = MIN_ALPHA_FRACTION) -> str | None:
    if not text:
        return "alpha_fraction"
    alpha = sum(ch.isalpha() for ch in text)
    return "alpha_fraction" if alpha / len(text) < min_alpha_fraction else None


def file_drop_reason(
    text: str,
    language: str,
    *,
    max_avg_line_length: float = MAX_AVG_LINE_LENGTH,
    max_line_length: int = MAX_LINE_LENGTH,
    min_alpha_fraction: float = MIN_ALPHA_FRACTION,
    **_: object,
) -> str | None:
    """The first rule a file breaks, or None when it passes every rule."""
    return (
        avg_line_length_reason(text, max_avg_line_length=max_avg_line_length)
        or max_line_length_reason(text, max_line_length=max_line_length)
        or alpha_fraction_reason(text, min_alpha_fraction=min_alpha_fraction)
    )
