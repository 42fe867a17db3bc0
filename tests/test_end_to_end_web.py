"""`codecorpus run` on the bundled sample WARC (the web branch alone), end to end through Beam."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from pipeline.accounting import accounting_errors, read_funnel
from pipeline.cli import main
from pipeline.sinks import read_parquet_records

REPO = Path(__file__).resolve().parent.parent


def test_sample_warc_is_what_its_script_makes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample_warc", REPO / "sample" / "make_sample_warc.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    made = script.write_sample(tmp_path / "sample.warc.gz")
    assert made.read_bytes() == (REPO / "sample" / "web" / "sample.warc.gz").read_bytes()
    made = script.write_recall_pages(tmp_path / "recall-pages.warc.gz")
    assert made.read_bytes() == (REPO / "sample" / "web" / "recall-pages.warc.gz").read_bytes()


def test_run_on_sample_warc(tmp_path, capsys):
    config = tmp_path / "web.yaml"
    config.write_text(
        f"inputs:\n  web:\n    paths: [{REPO / 'sample' / 'web' / 'sample.warc.gz'}]\n"
        "recall:\n  enabled: false\noutput:\n  num_shards: 1\n"
    )
    out = tmp_path / "out"
    assert main(["run", "--config", str(config), "--output", str(out)]) == 0
    funnel = read_funnel(str(out))
    assert accounting_errors(funnel) == []
    web = [s for s in funnel if s.stage.startswith("web_")]
    assert web[0].n_in == web[-1].n_out + sum(sum(s.drops.values()) for s in web)
    by_stage = {s.stage: s for s in web}
    assert by_stage["web_source"].drops == {"http_status": 2, "not_response": 2, "mime": 1, "revisit": 1}
    assert by_stage["web_url_dedup"].drops == {"url_duplicate": 1}
    assert by_stage["web_extract"].drops == {}
    pages = {r.url: r for r in read_parquet_records(f"{out}/stages/pages/*.parquet")}
    assert len(pages) == web[-1].n_out == 6
    code = pages["https://DOCS.Example.org:443/python/./binary-search.html#intro"].text  # the later fetch
    assert "    while lo < hi:\n        mid = (lo + hi) // 2\n\n        if xs[mid] < x:" in code
    assert "An older revision" not in code
    math = pages["https://math.example.net/questions/101/sum-of-squares"].text
    assert "\\[\\sum_{k=1}^{n} k^2 = \\frac{n(n+1)(2n+1)}{6}\\]" in math
    assert "\\(\\det(A - \\lambda I) = 0\\)" in pages["https://notes.example.edu/linear-algebra/eigen"].text
    chinese = pages["http://zh.example.cn/algo/quicksort.html"]
    assert "快速排序是一种常用的排序算法" in chinese.text and chinese.meta["charset"] == "gb18030"
    assert "accounting" in capsys.readouterr().out
