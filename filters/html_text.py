"""The text a browser would show for an HTML document, for the DeepSeek-Coder HTML rule (SPEC §1).

Shown text is every text node outside elements a browser does not render: the head's elements (title,
meta, links, base), `<script>`, `<style>`, `<template>`, `<noscript>` (scripts are on), `<iframe>`/`<object>` fallbacks,
elements with the `hidden` attribute or an inline `display: none`, and comments. Whitespace collapses as
under CSS `white-space: normal` (any run becomes one space, block boundaries become one space), except
inside `<pre>`, `<textarea>`, `<listing>` and `<plaintext>`, where it is kept. Character references are
decoded (`&amp;` shows as `&`). Parsing is lxml's forgiving HTML parser, so broken markup still yields text.
`<head>` itself is not hidden: libxml2 leaves elements it does not know (`<nav>`, `<main>`) and stray text
of a template without `<body>` inside an implied head, where an HTML5 parser (and a browser) would have
closed the head and rendered them;
markup nested deeper than libxml2's limit (a few thousand levels) yields no text.
"""

from __future__ import annotations

import itertools
import re

from lxml import etree

INVISIBLE_TAGS = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "title", "meta", "link", "base"}
)
PREFORMATTED_TAGS = frozenset({"pre", "textarea", "listing", "plaintext"})
# Elements that start a new line when rendered (their boundaries count as one space of shown text).
BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
# HTML collapses ASCII whitespace only; a no-break space (&nbsp;) stays visible.
_HTML_SPACE = " \t\n\r\f"
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.IGNORECASE)


def _parse(html: str) -> etree._Element | None:
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=True
    )
    try:
        # Bytes, because lxml refuses str input that carries an XML encoding declaration.
        return etree.fromstring(html.encode("utf-8", "replace"), parser)
    except (etree.XMLSyntaxError, etree.ParserError, ValueError):
        return None


def _hidden(element: etree._Element) -> bool:
    if not isinstance(element.tag, str):  # comments and processing instructions left by the parser
        return True
    style = element.get("style")
    return (
        element.tag.lower() in INVISIBLE_TAGS
        or element.get("hidden") is not None
        or (style is not None and _DISPLAY_NONE.search(style) is not None)
    )


def _pieces(root: etree._Element) -> list[tuple[str, bool]]:
    """Shown text pieces in document order, each with whether its whitespace is preserved."""
    pieces: list[tuple[str, bool]] = []
    # An explicit stack instead of recursion: deeply nested markup must not hit the recursion limit.
    stack: list[tuple[etree._Element | str, bool]] = [(root, False)]
    while stack:
        item, keep = stack.pop()
        if isinstance(item, str):
            pieces.append((item, keep))
            continue
        if _hidden(item):
            continue
        tag = item.tag.lower()
        inner_keep = keep or tag in PREFORMATTED_TAGS
        block = tag in BLOCK_TAGS
        if block:
            pieces.append(("\n", False))
        if item.text:
            pieces.append((item.text, inner_keep))
        later: list[tuple[etree._Element | str, bool]] = []
        for child in item:
            later.append((child, inner_keep))
            if child.tail:
                later.append((child.tail, inner_keep))
        if block:
            later.append(("\n", False))
        stack.extend(reversed(later))
    return pieces


def visible_text(html: str) -> str:
    """The text a browser would render for `html`, whitespace collapsed as described in the module doc."""
    root = _parse(html)
    if root is None:
        return ""
    out: list[str] = []
    # Runs of pieces with the same whitespace treatment are joined first: one regex call per run.
    for keep, run in itertools.groupby(_pieces(root), key=lambda piece: piece[1]):
        text = "".join(piece[0] for piece in run)
        if not keep:
            text = _WHITESPACE.sub(" ", text)
            if text.startswith(" ") and (not out or out[-1].endswith((" ", "\n"))):
                text = text[1:]
        if text:
            out.append(text)
    return "".join(out).strip(_HTML_SPACE)


def visible_text_ratio(html: str) -> float:
    """Characters of shown text per character of the document (0 for an empty document)."""
    return len(visible_text(html)) / len(html) if html else 0.0
