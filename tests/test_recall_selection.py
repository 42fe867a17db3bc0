"""The recall loop's bookkeeping: locations, prefixes, budget cuts, related domains, annotations."""
from __future__ import annotations

import pytest

from classifiers.recall_selection import (
    Annotation,
    PrefixTable,
    budget_cut,
    folder_prefix,
    format_annotations,
    is_collected,
    merge_annotations,
    page_location,
    parse_annotations,
    parse_prefix,
    path_is_annotated,
    related_label,
    score_bin,
    url_location,
)
from pipeline.seeded import seeded_rank


def test_locations_of_web_pages_and_github_files():
    assert url_location("https://WWW.MathOverflow.net:443/questions/12/t?x=1#a") == ("mathoverflow.net", "/questions/12/t")
    assert url_location("example.com") == ("example.com", "/")
    assert page_location("github", repo="pytorch/pytorch", path="docs/index.md") == ("pytorch/pytorch", "/docs/index.md")


def test_patterns_parse_for_both_sources():
    assert parse_prefix("https://stackoverflow.com/questions/", "web") == ("stackoverflow.com", "/questions")
    assert parse_prefix("www.docs.python.org", "web") == ("docs.python.org", "")
    assert parse_prefix("pytorch/pytorch/docs", "github") == ("pytorch/pytorch", "/docs")


def test_prefix_table_matches_folders_subdomains_and_most_specific_first():
    table = PrefixTable.from_patterns(
        {"code": ["stackexchange.com/questions/code"], "math": ["stackexchange.com", "mathoverflow.net/questions"]},
        "web",
    )
    assert table.label_of("math.stackexchange.com", "/questions/1/t") == "math"
    assert table.label_of("stackexchange.com", "/questions/code/1") == "code"
    assert table.label_of("mathoverflow.net", "/questions") == "math"
    assert table.label_of("mathoverflow.net", "/questionsfoo/1") == ""  # prefixes end at a folder boundary
    assert table.label_of("net", "/questions/1") == ""
    reviewed = PrefixTable({("mathoverflow.net", "/questions"): "none"}, subdomains=False)
    assert reviewed.label_of("mathoverflow.net", "/questions/1") == ""


def test_seeded_rank_is_repeatable_uniform_and_salted():
    ranks = [seeded_rank(1, "s", str(i)) for i in range(4000)]
    assert ranks == [seeded_rank(1, "s", str(i)) for i in range(4000)]
    assert 0.47 < sum(ranks) / len(ranks) < 0.53 and all(0 <= r < 1 for r in ranks)
    assert seeded_rank(1, "s", "x") != seeded_rank(2, "s", "x") != seeded_rank(1, "t", "x")


def test_budget_cut_fills_the_budget_exactly_in_expectation():
    scores = [0.99] * 500 + [0.9] * 300 + [0.7] * 200  # many ties, as saturated fastText scores give
    hist: dict[int, float] = {}
    for s in scores:
        hist[score_bin(s)] = hist.get(score_bin(s), 0) + 1
    cut = budget_cut(hist, 650)
    assert cut[0] == score_bin(0.9) and cut[1] == pytest.approx(150 / 300)
    taken = sum(is_collected(s, cut, seeded_rank(0, "b", str(i)), min_score=0.5) for i, s in enumerate(scores))
    assert 620 < taken < 680
    assert budget_cut(hist, 5000) == (-1, 1.0)
    assert not is_collected(0.4, (-1, 1.0), 0.0, min_score=0.5)  # below min_score, whatever the budget


def test_related_domains_need_more_than_the_threshold():
    assert related_label(100, {"math": 11}, threshold=0.10) == "math"
    assert related_label(100, {"math": 10}, threshold=0.10) == ""  # DeepSeekMath: over 10%
    assert related_label(100, {"math": 8, "code": 9}, threshold=0.10) == ""
    assert related_label(100, {"math": 30, "code": 30}, threshold=0.10) == "code"  # ties: the first name
    assert related_label(3, {"code": 3}, threshold=0.10, min_pages=5) == ""


def test_folder_prefixes_and_annotation_rule():
    assert folder_prefix("/questions/12/title", 1) == "/questions"
    assert folder_prefix("/questions/12/title", 2) == "/questions/12"
    assert folder_prefix("/article.html", 1) == ""  # a page's own name is never a prefix
    half = {"min_fraction": 0.5}
    assert path_is_annotated(5, 10, **half) and not path_is_annotated(4, 10, **half) and not path_is_annotated(0, 0, **half)


def test_annotations_file_round_trip_and_review_overrides():
    auto = [Annotation("b.com/x", "code", 9, 10), Annotation("a.com/q", "math", 5, 6)]
    text = format_annotations(auto)
    assert text.index("a.com/q") < text.index("b.com/x") and text.startswith("#")
    reviewed = parse_annotations(text, source_name="f.tsv", labels=["code", "math"])
    assert [(a.prefix, a.label) for a in reviewed] == [("a.com/q", "math"), ("b.com/x", "code")]
    user = parse_annotations("none\tb.com/x\nmath\tc.org/lessons/\n", source_name="f.tsv", labels=["code", "math"])
    merged = merge_annotations(auto, user)
    assert [(a.prefix, a.label, a.origin) for a in merged] == [
        ("a.com/q", "math", "auto"), ("b.com/x", "none", "user"), ("c.org/lessons", "math", "user")]
    assert merged[1].collected == 9  # the reviewed line keeps the figures it was judged on


@pytest.mark.parametrize(("text", "message"), [("math\n", "f.tsv:1: expected"), ("physics\ta.com/x\n", "f.tsv:1: label")])
def test_bad_annotation_lines_name_file_and_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_annotations(text, source_name="f.tsv", labels=["code", "math"])
