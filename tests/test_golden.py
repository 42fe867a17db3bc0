"""The bundled sample's run writes exactly the files, byte for byte, recorded in tests/golden/sample_run.sha256.

A refactor must keep this green. A change that means to alter the output regenerates the hashes with
`make golden` in the same commit and says in its message which outputs changed and why.
"""
from __future__ import annotations

import pytest

from tests.golden_run import GOLDEN_FILE, output_hashes, parse_hashes

pytestmark = pytest.mark.slow


def test_sample_run_matches_the_golden_hashes(sample_run):
    expected = parse_hashes(GOLDEN_FILE.read_text())
    actual = output_hashes(sample_run)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    changed = sorted(rel for rel in set(expected) & set(actual) if expected[rel] != actual[rel])
    assert not (missing or extra or changed), (
        f"the sample run's output differs from {GOLDEN_FILE.name}: missing {missing}, new {extra}, "
        f"changed {changed}. If the change is intended, run `make golden` and commit the new hashes."
    )
