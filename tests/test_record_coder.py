"""Records cross stage boundaries through RecordCoder: deterministic bytes, every value round-trips."""
from __future__ import annotations

import pickle

import apache_beam as beam

from pipeline.record import Record, RecordCoder, pack_record, unpack_record
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


def test_records_pickle_as_their_packed_bytes_compressed_when_large():
    small = Record(id="s", source="text", text="short", meta={"k": "v"})
    large = Record(id="l", source="github", text="def f(x):\n    return x\n" * 2000 + "\ud800", repo_stars=10**30,
                   scores={"a": 0.25})
    for record in (small, large):
        packed = pack_record(record)
        assert unpack_record(packed) == record
        assert pickle.loads(pickle.dumps(record)) == record
        assert RecordCoder().encode(record) == packed  # the coder and Beam's pickling fallback agree
    assert pack_record(small)[:1] == b"\0" and pack_record(large)[:1] == b"\1"
    assert len(pack_record(large)) < len(large.text) // 10  # repetitive text: lz4 shrinks it
    # Equal records give equal bytes, compressed or not.
    twin = Record(id="l", source="github", text="".join(["def f(x):\n    return x\n" * 2000, "\ud800"]),
                  repo_stars=10**30, scores={"a": 0.25})
    assert pack_record(twin) == pack_record(large)
    assert RecordCoder().estimate_size(large) >= len(large.text)


def test_a_record_passed_on_unchanged_reuses_its_bytes_and_a_changed_one_is_packed_anew():
    large = Record(id="l", source="github", text="int main() { return 0; }\n" * 200, scores={"a": 0.5},
                   meta={"k": "v"})
    blob = pack_record(large)
    assert pack_record(large) is blob  # Beam encodes an untyped element twice: size estimate, then bytes
    back = unpack_record(blob)
    assert pack_record(back) is blob and back == large
    fresh = Record(**{f: getattr(large, f) for f in ("id", "source", "text", "scores", "meta")})
    for change in (
        lambda r: setattr(r, "text", r.text + "x"),
        lambda r: setattr(r, "tokens", 5),
        lambda r: r.meta.update(k="w"),
        lambda r: r.meta.update(extra="1"),
        lambda r: r.scores.pop("a"),
    ):
        changed = unpack_record(blob)
        change(changed)
        assert pack_record(changed) != blob
        assert unpack_record(pack_record(changed)) == changed
    replaced = back.replace(language="C")
    assert pack_record(replaced) != blob and unpack_record(pack_record(replaced)) == replaced
    assert pack_record(fresh) == blob  # equal values, equal bytes, memo or not
