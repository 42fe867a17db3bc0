"""The text a browser shows: what counts for the DeepSeek-Coder HTML rule."""

from __future__ import annotations

from filters.html_text import visible_text, visible_text_ratio


def test_hidden_parts_are_excluded():
    page = """<!DOCTYPE html>
<html><head><title>Title</title><meta charset="utf-8"><style>p { color: red; }</style>
<script>var headScript = 1;</script></head>
<body>
<!-- a comment -->
<h1>Heading</h1>
<script type="module">import x from './x.js';</script>
<style>.a { margin: 0 }</style>
<noscript>Enable JavaScript</noscript>
<template><p>template row</p></template>
<div hidden>hidden div</div>
<div style="color: red; display : none">invisible</div>
<iframe>iframe fallback</iframe>
<p>Body text</p>
</body></html>"""
    assert visible_text(page) == "Heading Body text"


def test_entities_and_inline_markup():
    assert visible_text("<p>Fish &amp; chips&nbsp;for <b>two</b>&#33;</p>") == "Fish & chips\xa0for two!"


def test_whitespace_collapses_except_in_preformatted_blocks():
    assert visible_text("<p>  a \n\n  b  </p>\n\n<p>c</p>") == "a b c"
    assert visible_text("<pre>def f():\n    return 1</pre>") == "def f():\n    return 1"
    assert visible_text("<div>a</div><div>b</div>") == "a b"  # block boundary shows as a break
    assert visible_text("<span>a</span><span>b</span>") == "ab"


def test_tail_text_of_hidden_elements_is_shown():
    assert visible_text("<p>before<script>x()</script>after</p>") == "beforeafter"


def test_broken_and_odd_documents():
    assert visible_text("") == ""
    assert visible_text("   \n") == ""
    assert visible_text("plain text, no tags") == "plain text, no tags"
    assert visible_text("<p>unclosed <div>nested <span>deep") == "unclosed nested deep"
    assert (
        visible_text('<?xml version="1.0" encoding="iso-8859-1"?>\n<html><body><p>é</p></body></html>') == "é"
    )
    assert visible_text("<html><body>" + "<div>" * 500 + "deep" + "</div>" * 500 + "</body></html>") == "deep"


def test_visible_text_ratio():
    assert visible_text_ratio("") == 0.0
    assert visible_text_ratio("<p>abcd</p>") == 4 / 11


def test_templates_without_body_show_their_content():
    # libxml2 keeps HTML5 elements it does not know inside an implied <head>; a browser renders them.
    template = (
        "<meta charset='utf-8'>\n<link rel='stylesheet' href='site.css'>\n<style>nav { color: red }</style>\n"
        "<nav><a href='/'>Home</a></nav>\n<main><section><h1>Orders</h1><p>{{ count }} open orders</p></section></main>\n"
        "<footer>Shop</footer>\n"
    )
    assert visible_text(template) == "Home Orders {{ count }} open orders Shop"
    head_only = "<html><head><title>T</title><meta name='x'><script>var a = 1;</script></head><body>b</body></html>"
    assert visible_text(head_only) == "b"
