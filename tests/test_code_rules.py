"""DeepSeek-Coder file rules: each rule on both sides of its threshold, and the one entry point."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from filters import code_rules as cr
from filters.lines import average_line_length, line_lengths, longest_line, split_lines
from pipeline.config import FileRules


def _lines(n: int, width: int, newline: str = "\n") -> str:
    return newline.join("x" * width for _ in range(n)) + newline


# --- how lines are counted -------------------------------------------------------------------------------


def test_line_counting_rules():
    assert split_lines("") == []
    assert split_lines("\n") == [""]
    assert split_lines("a\nb\n") == split_lines("a\nb") == ["a", "b"]
    assert split_lines("a\r\nb\rc\n") == ["a", "b", "c"]  # CRLF and lone CR end lines; not counted
    assert split_lines("a\n\nb") == ["a", "", "b"]
    assert split_lines("a\fb\u2028c") == ["a\fb\u2028c"]  # only \n, \r\n, \r break lines
    assert line_lengths("héllo\n日本\n") == [5, 2]  # characters, not bytes


@given(st.text(alphabet="ab \r\n\f", max_size=60))
def test_line_measures_agree_with_split_lines(text):
    lengths = line_lengths(text)
    assert average_line_length(text) == (sum(lengths) / len(lengths) if lengths else 0.0)
    assert longest_line(text) == max(lengths, default=0)


# --- average line length > 100 -----------------------------------------------------------------------------


def test_avg_line_length_boundary():
    assert cr.avg_line_length_reason(_lines(100, 100)) is None  # exactly 100: kept
    # 100 lines, 10001 characters: average 100.01
    assert cr.avg_line_length_reason(_lines(99, 100) + "x" * 101 + "\n") == "avg_line_length"
    assert cr.avg_line_length_reason("x" * 100) is None  # no final newline: same line count
    assert cr.avg_line_length_reason(_lines(3, 100, "\r\n")) is None  # CRLF is not part of the line
    assert cr.avg_line_length_reason("x" * 120 + "\n\n") is None  # the empty line counts: average 60
    assert cr.avg_line_length_reason("") is None


def test_avg_line_length_threshold_is_a_keyword():
    assert cr.avg_line_length_reason(_lines(2, 50), max_avg_line_length=49.5) == "avg_line_length"
    assert cr.avg_line_length_reason(_lines(2, 50), max_avg_line_length=50) is None


# --- maximum line length > 1000 ---------------------------------------------------------------------------


def test_max_line_length_boundary():
    assert cr.max_line_length_reason("a\n" + "x" * 1000 + "\nb\n") is None
    assert cr.max_line_length_reason("a\n" + "x" * 1001 + "\nb\n") == "max_line_length"
    assert cr.max_line_length_reason("x" * 1000 + "\r\n") is None
    assert cr.max_line_length_reason("x" * 11, max_line_length=10) == "max_line_length"
    assert cr.max_line_length_reason("") is None


# --- alphabetic fraction < 25% ----------------------------------------------------------------------------


def test_alpha_fraction_boundary():
    assert cr.alpha_fraction_reason("a" * 25 + "1" * 75) is None  # exactly 25%: kept
    assert cr.alpha_fraction_reason("a" * 24 + "1" * 76) == "alpha_fraction"
    # Newlines and spaces are characters of the file too.
    assert cr.alpha_fraction_reason("ab\n" + " " * 5) is None  # 2 of 8: exactly 25%
    assert cr.alpha_fraction_reason("ab\n" + " " * 6) == "alpha_fraction"  # 2 of 9
    assert cr.alpha_fraction_reason("é" * 25 + "1" * 75) is None  # letters of any script count
    assert cr.alpha_fraction_reason("日本" * 13 + "1" * 74) is None  # 26 of 100
    assert cr.alpha_fraction_reason("") == "alpha_fraction"
    assert cr.alpha_fraction_reason("a1", min_alpha_fraction=0.6) == "alpha_fraction"


@given(st.text(max_size=200))
def test_alphabetic_count_matches_str_isalpha(text):
    assert cr.alphabetic_count(text) == sum(ch.isalpha() for ch in text)


# --- <?xml version= within the first 100 characters, except XSLT ------------------------------------------


def test_xml_header_boundary():
    header = '<?xml version="1.0"?>\n<root/>\n'
    assert cr.xml_header_reason(header, "XML") == "xml_header"
    ends_at_100 = " " * (100 - len(cr.XML_HEADER)) + header
    assert cr.xml_header_reason(ends_at_100, "XML") == "xml_header"
    ends_at_101 = " " + ends_at_100
    assert cr.xml_header_reason(ends_at_101, "XML") is None
    assert cr.xml_header_reason("<root/>\n", "XML") is None
    assert cr.xml_header_reason(header, "XML", xml_header_window=5) is None


def test_xml_header_applies_to_every_language_but_xslt():
    svg_like = '<?xml version="1.0" encoding="UTF-8"?>\n<svg/>\n'
    assert cr.xml_header_reason(svg_like, "HTML") == "xml_header"
    assert cr.xml_header_reason(svg_like, "Java") == "xml_header"
    xslt = '<?xml version="1.0"?>\n<xsl:stylesheet version="1.0"/>\n'
    assert cr.xml_header_reason(xslt, "XSLT") is None
    assert cr.file_drop_reason(xslt + "<!-- transform the rows into a table -->\n", "XSLT") is None


# --- JSON and YAML: 50..5000 characters -------------------------------------------------------------------


def test_json_yaml_size_boundary():
    for language in ("JSON", "YAML"):
        assert cr.json_yaml_size_reason("x" * 49, language) == "json_yaml_size"
        assert cr.json_yaml_size_reason("x" * 50, language) is None
        assert cr.json_yaml_size_reason("x" * 5000, language) is None
        assert cr.json_yaml_size_reason("x" * 5001, language) == "json_yaml_size"
    assert cr.json_yaml_size_reason("x" * 10, "Python") is None
    assert cr.json_yaml_size_reason("x" * 10, "JSON", json_yaml_min_chars=10) is None


# --- HTML: visible text >= 20% of the file and >= 100 characters ------------------------------------------


def _html(visible: int, total: int) -> str:
    """A document showing `visible` characters, padded by a comment to `total` characters."""
    doc = "<p>" + "a" * visible + "</p>"
    padding = total - len(doc) - len("<!---->")
    assert padding >= 0
    return doc + "<!--" + "c" * padding + "-->"


def test_html_visible_text_boundaries():
    assert cr.html_visible_text_reason(_html(100, 500), "HTML") is None  # 100 chars, exactly 20%
    assert cr.html_visible_text_reason(_html(100, 501), "HTML") == "html_visible_text"  # 19.96%
    assert cr.html_visible_text_reason(_html(99, 200), "HTML") == "html_visible_text"  # 99 chars
    assert cr.html_visible_text_reason(_html(200, 1000), "HTML") is None
    assert cr.html_visible_text_reason(_html(200, 1001), "HTML") == "html_visible_text"
    assert cr.html_visible_text_reason("", "HTML") == "html_visible_text"


def test_html_rule_counts_only_what_a_browser_shows():
    script = "<script>" + "var a = 1;\n" * 60 + "</script>"
    page = "<html><head><title>" + "t" * 200 + "</title></head><body>" + script + "<p>short</p></body></html>"
    assert cr.html_visible_text_reason(page, "HTML") == "html_visible_text"
    assert cr.html_visible_text_reason(page, "Vue") is None  # the rule is for HTML files only


# --- empty files and the entry point ----------------------------------------------------------------------


def test_empty_files():
    assert cr.empty_reason("") == "empty"
    assert cr.empty_reason(" \n\t\n") == "empty"
    assert cr.empty_reason("x") is None


def test_file_drop_reason_keeps_ordinary_code():
    code = "def add(a, b):\n    return a + b\n"
    assert cr.file_drop_reason(code, "Python", path="pkg/add.py") is None


def test_file_drop_reason_names_the_first_rule_broken():
    minified = "var a=" + "1+" * 700 + "1;\n"
    assert cr.file_drop_reason(minified, "JavaScript", path="lib/app.min.js") == "minified"
    # With the minified rule off, the paper's rules still catch it.
    assert cr.file_drop_reason(minified, "JavaScript", path="lib/app.min.js", drop_minified=False) == (
        "avg_line_length"
    )
    lock = '{"lockfileVersion": 3, "packages": {"": {"name": "x", "version": "1.0.0"}}}\n'
    assert cr.file_drop_reason(lock, "JSON", path="package-lock.json") == "lock_file"
    assert cr.file_drop_reason(lock, "JSON", path="package-lock.json", drop_autogenerated=False) is None
    generated = "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage pb\n\nvar x = 1\n"
    assert cr.file_drop_reason(generated, "Go", path="x.pb.go") == "autogenerated"
    assert cr.file_drop_reason(generated, "Go", path="x.pb.go", drop_autogenerated=False) is None
    assert cr.file_drop_reason("", "Go", path="x.go") == "empty"


def test_every_reason_is_named_in_drop_reasons():
    cases = {
        "empty": ("", "Python", "a.py"),
        "lock_file": ("{}\n" * 30, "JSON", "composer.lock"),
        "autogenerated": ("# autogenerated\nx = 1\n", "Python", "a.py"),
        "minified": ("x=1;\n", "JavaScript", "a.min.js"),
        "xml_header": ('<?xml version="1.0"?>\n<a>some element text</a>\n', "XML", "a.xml"),
        "json_yaml_size": ("a: 1\n", "YAML", "a.yml"),
        "html_visible_text": ("<script>x</script>", "HTML", "a.html"),
        "avg_line_length": ("word " * 30 + "\n", "Python", "a.py"),
        "max_line_length": ("word " * 210 + "\n" + "x\n" * 20, "Python", "a.py"),
        "alpha_fraction": ("1, 2, 3, 4\n", "Python", "a.py"),
    }
    assert set(cases) == set(cr.DROP_REASONS)
    for reason, (text, language, path) in cases.items():
        assert cr.file_drop_reason(text, language, path=path) == reason


def test_config_section_is_the_settings_dataclass_and_reaches_the_rules():
    # One home: config `filters` is built from FileRuleSettings (defaults and bounds), and serves as settings.
    assert FileRules().model_dump() == dataclasses.asdict(cr.FileRuleSettings())
    long_line = "x = 1  # " + "y" * 60 + "\n"
    assert cr.file_drop_reason(long_line, "Python", settings=FileRules(max_line_length=50)) == "max_line_length"
    assert cr.file_drop_reason(long_line, "Python", settings=FileRules()) is None
    assert cr.file_drop_reason(long_line, "Python", max_line_length=50) == "max_line_length"
