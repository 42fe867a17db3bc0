"""The web branch through Beam: WARC -> pages -> URL dedup -> extraction (with a time limit) -> Parquet."""
from __future__ import annotations

import itertools
import json

import apache_beam as beam
import pytest
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to
from warc_fixtures import Fetch, page, warc_bytes

from pipeline.accounting import accounting_errors, read_funnel
from pipeline.config import WebExtraction, parse_config
from pipeline.record import Drop, Record
from pipeline.sinks import read_parquet_records
from pipeline.stages import Funnel
from pipeline.web_transforms import PageExtractor, build_web_branch, pick_url_survivor, web_inputs

# A page trafilatura needs tens of seconds for (100,000 paragraphs): the extractor spins on it.
SPIN_PAGE = b"<html><body><article>" + b"<p>word word word word</p>" * 100_000 + b"</article></body></html>"


def _record(date: str, warc_id: str, text: str = "t") -> Record:
    return Record(id="same", source="web", text=text, url="https://a.example/", fetch_date=date,
                  meta={"warc_record_id": warc_id, "warc_file": "f.warc.gz"})


def test_url_survivor_is_latest_then_smallest_record_id_whatever_the_order():
    records = [_record("2024-01-01T00:00:00Z", "<b>"), _record("2024-03-01T00:00:00Z", "<c>"),
               _record("2024-03-01T00:00:00Z", "<a>"), _record("", "<0>")]
    outcomes = set()
    for order in itertools.permutations(records):
        out = list(pick_url_survivor(("https://a.example/", list(order))))
        kept = [r for r in out if isinstance(r, Record)]
        drops = [d for d in out if isinstance(d, Drop)]
        assert len(kept) == 1 and len(drops) == 3 and {d.reason for d in drops} == {"url_duplicate"}
        outcomes.add((kept[0].meta["warc_record_id"], tuple(d.detail for d in drops)))
    assert outcomes == {("<a>", ("https://a.example/ <0> (kept <a>)", "https://a.example/ <b> (kept <a>)",
                                 "https://a.example/ <c> (kept <a>)"))}


def test_page_extractor_times_out_on_a_spinning_page_and_goes_on():
    extractor = PageExtractor(WebExtraction(timeout_s=1, engine="trafilatura"))  # the engine this page spins
    try:
        spin = Record(id="s", source="web", text=SPIN_PAGE.decode(), url="https://spin.example/")
        drop = extractor(spin)
        assert isinstance(drop, Drop) and drop.reason == "extract_timeout" and "spin.example" in drop.detail
        good = extractor(Record(id="g", source="web", text=page("Good").decode(), url="https://ok.example/"))
        assert isinstance(good, Record) and "Good is described here" in good.text
        assert good.meta["extractor"].startswith("trafilatura-")
        empty = extractor(Record(id="e", source="web", text="<html><body></body></html>", url="https://e.example/"))
        assert isinstance(empty, Drop) and empty.reason == "extract_empty"
    finally:
        extractor.worker.close()


def test_web_inputs_resolve_against_the_config_folder(tmp_path):
    config = parse_config(
        {"inputs": {"web": {"paths": ["w/*.warc.gz"], "paths_files": [{"file": "p.gz", "prefix": "s3://cc/"}]}}},
        str(tmp_path / "c.yaml"),
    )
    entries = web_inputs(config)
    assert [e.location for e in entries] == [str(tmp_path / "w" / "*.warc.gz"), str(tmp_path / "p.gz")]
    assert entries[1].prefix == "s3://cc/"


@pytest.mark.parametrize("order", ["after_extraction", "before_extraction"])
def test_web_branch_end_to_end(tmp_path, order):
    fetches = [
        Fetch("https://a.example/one", page("One"), date="2024-01-01T00:00:00Z", record_id="<urn:1>"),
        Fetch("https://A.example:443/one#again", page("One again"), date="2024-02-01T00:00:00Z", record_id="<urn:2>"),
        Fetch("https://a.example/two", page("Two")),
        Fetch("https://a.example/404", page("Missing"), status="404 Not Found"),
        Fetch("https://spin.example/", SPIN_PAGE),
    ]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.warc.gz").write_bytes(warc_bytes(fetches[:3]))
    (tmp_path / "in" / "b.warc.gz").write_bytes(warc_bytes(fetches[3:]))
    (tmp_path / "in" / "cut.warc.gz").write_bytes(warc_bytes([Fetch("https://c.example/", page("Cut"))])[:-30])
    config = parse_config(
        {"inputs": {"web": {"paths": ["in/*.warc.gz"]}},
         "web": {"url_dedup": order, "extraction": {"timeout_s": 1, "engine": "trafilatura"}},  # SPIN_PAGE spins it
         "output": {"num_shards": 2}, "dedup": {"enabled": False}},  # near-dedup of pages is tested elsewhere
        str(tmp_path / "config.yaml"),
    )
    out = str(tmp_path / "out")
    with test_pipeline.TestPipeline() as p:
        funnel = Funnel()
        pages = build_web_branch(p, funnel, config, out)
        assert_that(pages | beam.Map(lambda r: r.url), equal_to(["https://A.example:443/one#again",
                                                                 "https://a.example/two"]))
        funnel.write_counts(p, f"{out}/stats")
    stages = read_funnel(out)
    funnel_counts = {s.stage: s.counts for s in stages}
    assert accounting_errors(stages) == []
    assert [s.stage for s in stages] == (
        ["web_source", "web_extract", "web_url_dedup"] if order == "after_extraction"
        else ["web_source", "web_url_dedup", "web_extract"]
    )
    assert funnel_counts["web_source"] == {"in": 6, "out": 4, "dropped.http_status": 1,
                                           "dropped.warc_record_truncated": 1}
    extract_in = 4 if order == "after_extraction" else 3  # duplicates are extracted, then dropped
    assert funnel_counts["web_url_dedup"] == {"in": 3 if order == "after_extraction" else 4,
                                              "out": 2 if order == "after_extraction" else 3,
                                              "dropped.url_duplicate": 1}
    assert funnel_counts["web_extract"] == {"in": extract_in, "out": extract_in - 1, "dropped.extract_timeout": 1}
    written = sorted(read_parquet_records(f"{out}/stages/pages/*.parquet"), key=lambda r: r.url)
    assert [r.url for r in written] == ["https://A.example:443/one#again", "https://a.example/two"]
    assert "One again is described here" in written[0].text and "<p>" not in written[0].text
    assert written[0].meta["warc_record_id"] == "<urn:2>" and written[0].domain == "a.example"
    assert json.loads((tmp_path / "out" / "stats" / "counts.json").read_text())["stages"]
