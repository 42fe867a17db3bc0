"""Beam's DoFn specs are computed once per DoFn object (pipeline/dofn_specs.py) and stay right: stateful DoFns
still run with their state."""
from __future__ import annotations

import apache_beam as beam
from apache_beam.coders import VarIntCoder
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import userstate

import pipeline.stages  # noqa: F401 - installs the remembered specs
from pipeline import dofn_specs

_ORIGINAL = dofn_specs._original


class _Counting(beam.DoFn):
    COUNT = userstate.BagStateSpec("count", VarIntCoder())

    def process(self, item, count=beam.DoFn.StateParam(COUNT)):  # noqa: B008 - how Beam declares state
        count.add(1)
        yield item[0], sum(count.read())


class _Plain(beam.DoFn):
    def process(self, item):
        yield item


def test_specs_are_beams_and_computed_once_per_object(monkeypatch):
    assert userstate.get_dofn_specs is dofn_specs.remembered_dofn_specs
    calls = []
    monkeypatch.setattr(dofn_specs, "_original", lambda dofn: calls.append(dofn) or _ORIGINAL(dofn))
    stateful, plain, other = _Counting(), _Plain(), _Plain()
    for _ in range(3):
        assert userstate.get_dofn_specs(stateful) == _ORIGINAL(stateful)
        assert userstate.get_dofn_specs(plain) == _ORIGINAL(plain) == (set(), set())
        assert userstate.is_stateful_dofn(stateful) and not userstate.is_stateful_dofn(plain)
    userstate.get_dofn_specs(other)
    assert calls == [stateful, plain, other]


def test_a_stateful_dofn_still_keeps_its_state():
    with TestPipeline() as p:
        out = p | beam.Create([("a", 1), ("a", 2), ("b", 3)]) | beam.ParDo(_Counting())
        assert_that(out, equal_to([("a", 1), ("a", 2), ("b", 1)]))
