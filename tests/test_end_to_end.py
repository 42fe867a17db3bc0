"""`codecorpus run` on the bundled sample, through Beam, end to end."""

from __future__ import annotations

import pyarrow.parquet as pq

from filters.code_rules import DROP_REASONS
from pipeline.accounting import accounting_errors, read_funnel


def test_run_on_sample_writes_parquet_and_balanced_funnel(sample_run):
    out = sample_run
    shards = sorted((out / "stages" / "code").glob("part-*-of-*.parquet"))
    assert shards
    kept = sum(pq.read_table(s).num_rows for s in shards)
    funnel = read_funnel(str(out))
    assert accounting_errors(funnel) == []
    stages = {s.stage: s for s in funnel}
    assert stages["file_rules"].n_out > 0
    assert kept == stages["near_dedup"].n_out > 0  # files/ holds the code path's survivors
    # Stages form one chain after the sources join: what the sources read leaves the funnel written (the mix's
    # out), dropped, or merged into another record (repository samples).
    # Phases hand over through stages/ (load_* stages count what the next phase read back).
    sources_in = sum(stages[name].n_in for name in ("github_source", "text_source", "web_source"))
    assert sources_in == funnel[-1].n_out + sum(sum(s.drops.values()) + s.absorbed for s in funnel)
    assert stages["load_code"].n_in == stages["near_dedup"].n_out
    assert stages["recall"].n_in == stages["web_near_dedup"].n_out == stages["load_pages"].n_in
    mixed = {r["id"] for s in (out / "mix").glob("*/part-*.parquet") for r in pq.read_table(s).to_pylist()}
    assert funnel[-1].stage == "mix_sample" and len(mixed) == funnel[-1].n_out > 0
    assert sorted(p.name for p in (out / "stages" / "_complete").iterdir()) == ["collect.json", "mix.json", "recall.json"]


def test_every_file_rule_drops_something_on_the_sample(sample_run):
    stages = {s.stage: s for s in read_funnel(str(sample_run))}
    assert set(stages["file_rules"].drops) == set(DROP_REASONS)
    assert stages["language"].drops.get("unknown_language", 0) > 0


def test_kept_files_carry_their_language(sample_run):
    rows = []
    for shard in sorted((sample_run / "stages" / "code").glob("part-*-of-*.parquet")):
        rows += pq.read_table(shard, columns=["repo", "path", "language", "meta"]).to_pylist()
    kept = {}
    for r in rows:  # a repository sample stands for each of its files, in its language
        for path in dict(r["meta"]).get("sample_paths", r["path"]).split("\n"):
            kept[(r["repo"], path)] = r["language"]
    assert kept[("webapp", "report.xsl")] == "XSLT"  # the XSLT exception to the XML rule
    assert kept[("cppgeom", "include/geom/point.h")] == "C++"  # .h resolved by content
    assert kept[("cvector", "include/vec.h")] == "C"
    assert kept[("pyshapes", "shapes/circle.py")] == "Python"
    assert ("javaqueue", "pom.xml") not in kept
    assert ("webapp", "vendor/chart.min.js") not in kept
