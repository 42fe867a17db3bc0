"""Tiny benchmark files in the published formats (HumanEval .jsonl.gz, MBPP .jsonl and .json, GSM8K .jsonl,
MATH .jsonl), written by the tests. The items are invented; only the file shapes follow the benchmarks."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

HUMANEVAL = [
    {
        "task_id": "HumanEval/0",
        "prompt": 'def weave_strings(a: str, b: str) -> str:\n    """ Interleave the characters of two strings, '
        "appending the rest of the longer one.\n    >>> weave_strings('abc', 'xy')\n    'axbyc'\n    \"\"\"\n",
        "canonical_solution": "    out = []\n    for x, y in zip(a, b):\n        out.append(x + y)\n"
        "    return ''.join(out) + a[len(b):] + b[len(a):]\n",
        "test": "\n\ndef check(candidate):\n    assert candidate('abc', 'xy') == 'axbyc'\n",
        "entry_point": "weave_strings",
    },
    {
        "task_id": "HumanEval/1",
        "prompt": 'def peak_index(heights: list) -> int:\n    """ Return the index of the tallest tower in a skyline, '
        'the leftmost one when several tie.\n    """\n',
        "canonical_solution": "    return heights.index(max(heights))\n",
        "test": "\n\ndef check(candidate):\n    assert candidate([1, 5, 5]) == 1\n",
        "entry_point": "peak_index",
    },
]
MBPP_JSONL = [
    {
        "text": "Write a function to count the islands of ones in a binary grid using depth first search.",
        "code": "def count_islands(grid):\r\n  seen = set()\r\n  return sum(1 for cell in grid if cell not in seen)",
        "task_id": 11,
        "test_setup_code": "",
        "test_list": ["assert count_islands([[1, 0], [0, 1]]) == 2"],
        "challenge_test_list": [],
    },
    {
        "text": "Write a function to reverse vowels only.",  # 6 grams: matched exactly
        "code": "def reverse_vowels(s):\r\n  return s",
        "task_id": 12,
        "test_setup_code": "",
        "test_list": ["assert reverse_vowels('hello') == 'holle'"],
        "challenge_test_list": [],
    },
]
MBPP_SANITIZED = [
    {
        "source_file": "Benchmark Questions Verification V2.ipynb",
        "task_id": 13,
        "prompt": "Write a python function to find the smallest gap between any two sorted timestamps in a log.",
        "code": "def smallest_gap(ts):\n    return min(b - a for a, b in zip(ts, ts[1:]))",
        "test_imports": [],
        "test_list": ["assert smallest_gap([1, 4, 6]) == 2"],
    }
]
GSM8K = [
    {
        "question": "A ferry carries 46 cars on each crossing and makes 9 crossings on a weekday. How many cars "
        "does it carry on a weekday?",
        "answer": "It carries 46 * 9 = <<46*9=414>>414 cars.\n#### 414",
    },
    {
        "question": "Tomas reads 23 pages each night for 12 nights and then finishes the last 41 pages in one "
        "afternoon. How long is the book?",
        "answer": "He reads 23 * 12 = <<23*12=276>>276 pages at night.\nThe book has 276 + 41 = <<276+41=317>>317 "
        "pages.\n#### 317",
    },
]
MATH = [
    {
        "problem": "Find the number of ordered pairs $(a,b)$ of positive integers with $a+b=30$ and $\\gcd(a,b)=5$.",
        "level": "Level 3",
        "type": "Number Theory",
        "solution": "Write $a=5m$ and $b=5n$ with $m+n=6$ and $\\gcd(m,n)=1$, giving the pairs $(1,5)$ and $(5,1)$, "
        "so there are $\\boxed{2}$ ordered pairs.",
        "idx": 0,
    },
    {
        "problem": "Evaluate $\\log_3 81 + \\log_2 16$.",  # 7 grams: matched exactly
        "level": "Level 1",
        "type": "Algebra",
        "solution": "We have $\\log_3 81 = 4$ and $\\log_2 16 = 4$, so the sum is $\\boxed{8}$.",
        "idx": 1,
        "unique_id": "test/algebra/1.json",
    },
]


def write_benchmarks(root: Path) -> dict[str, Path]:
    """Writes the four benchmarks (and MBPP twice: jsonl and sanitized json) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    paths = {
        "humaneval": root / "HumanEval.jsonl.gz",
        "mbpp": root / "mbpp.jsonl",
        "mbpp_sanitized": root / "sanitized-mbpp.json",
        "gsm8k": root / "test.jsonl",
        "math": root / "MATH_test.jsonl",
    }
    with gzip.open(paths["humaneval"], "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in HUMANEVAL)
    paths["mbpp"].write_text("".join(json.dumps(r) + "\n" for r in MBPP_JSONL))
    paths["mbpp_sanitized"].write_text(json.dumps(MBPP_SANITIZED, indent=4))
    paths["gsm8k"].write_text("".join(json.dumps(r) + "\n" for r in GSM8K))
    paths["math"].write_text("".join(json.dumps(r) + "\n" for r in MATH))
    return paths
