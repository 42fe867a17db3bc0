"""Records cross stage boundaries through RecordCoder: deterministic bytes, every value round-trips."""
from __future__ import annotations

import apache_beam as beam

from pipeline.record import Record, RecordCoder
from pipeline.stages import Funnel


def test_round_trip_of_awkward_values_and_equal_bytes_for_equal_records():
    coder = RecordCoder()
    awkward = Record(
        id="a", source="web", text="x\ud800y" * 3, repo_stars=10**30, scores={"b": 0.5, "a": float("inf")},
        meta={"z": "1", "c": "\udfff"}, tokens=7,
    )
    assert coder.decode(coder.encode(awkward)) == awkward
    empty = Record(id="e", source="text", text="")
    assert coder.decode(coder.encode(empty)) == empty
    # Same values, different objects and dict insertion order: same bytes (a pickle memo would differ).
    shared = "python"
    a = Record(id="r", source="github", text=shared, language=shared, meta={"x": "1", "y": "2"})
    b = Record(id="r", source="github", text="python", language="python", meta={"y": "2", "x": "1"})
    assert a == b and coder.encode(a) == coder.encode(b)
    assert coder.is_deterministic()


def test_funnel_outputs_use_the_record_coder():
    p = beam.Pipeline()
    kept = Funnel().apply(p | beam.Create([Record(id="a", source="text", text="t")]), "s", lambda r: r)
    assert kept.element_type is Record
    assert isinstance(beam.coders.registry.get_coder(kept.element_type), RecordCoder)
