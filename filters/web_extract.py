"""Main text of an HTML page, keeping what a code model needs: code line for line, math as LaTeX.

Two passes. `prepare_tree` rewrites the parsed page (lxml) so that what code and math pages are made of
survives any boilerplate remover: every code layout (`<pre>`, highlighter tables with a line-number gutter,
per-line `<div>`s/rows as SyntaxHighlighter, gitiles, Gitea and GitHub render them, `<br>`-separated code)
becomes one `<pre>` holding the code's exact lines; every math form (MathJax 2 scripts, MathJax 3 and KaTeX
rendered markup, MathML, LaTeX in an image's alt/title) becomes LaTeX text between `\\(`/`\\)` (inline) or
`\\[`/`\\]` (display), the delimiters MathJax reads. Then the main content is taken by an engine:
Resiliparse (default; what DCLM and Dolma use; ~40x faster than trafilatura at equal article F1, see
docs/web-extraction.md) or trafilatura. Q&A and forum pages (schema.org markup, forum software, repeated
post containers) keep their comments: there the answers and comments are the content.
"""
from __future__ import annotations

import functools
import re
import urllib.parse
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any, Literal

import lxml.html
import re2
from lxml import etree
from lxml.html import HtmlElement

# Imported here, not in a function: the extraction child loads it while starting (under the start-up limit).
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.html import HTMLTree

ENGINES = ("resiliparse", "trafilatura")


def _option(default: Any, description: str) -> Any:
    return field(default=default, metadata={"description": description})


@dataclass(frozen=True)
class ExtractionOptions:
    """The options of `extract_text` a run sets, each default defined once here: config `web.extraction` is a
    validated model built from this class (`pipeline.config.WebExtraction`), and `extract_text`'s keyword
    defaults read `DEFAULT_OPTIONS`."""

    engine: Literal["resiliparse", "trafilatura"] = _option("resiliparse", "main-content engine")
    discussion_comments: bool = _option(True, "keep answers and comments on Q&A/forum pages (there they are the content)")
    fast: bool = _option(True, "trafilatura: skip its fallback extractors (no F1 loss measured)")
    favor_recall: bool = _option(False, "trafilatura option")
    favor_precision: bool = _option(False, "trafilatura option")
    include_comments: bool = _option(False, "trafilatura: comments on every page")
    include_tables: bool = _option(True, "trafilatura option")
    keep_code: bool = _option(True, "code blocks keep line breaks, indentation, blank lines")
    keep_math: bool = _option(True, "MathJax/KaTeX/MathML/TeX images become LaTeX")


DEFAULT_OPTIONS = ExtractionOptions()
# trafilatura drops empty lines even inside <pre>; a line holding this one space survives and is undone.
_BLANK_LINE_MARK = " "
_BLANK_LINE_MARK_RE = re.compile(r"(?m)^ $")
# Cells or elements that hold line numbers (hexo/highlight.js "gutter", Pygments "linenos", GitHub
# "blob-num", Gitea "lines-num", gitiles "FileContents-lineNum", SyntaxHighlighter's gutter).
_GUTTER_CLASS = re.compile(r"gutter|linenos|line-?numbers?|lineno|linenum|blob-num|lines-num|hljs-ln-n|\bln\b",
                           re.IGNORECASE)
_DIGITS_ONLY = re.compile(r"^[\d\s.:]*$")
# Per-line containers of code viewers: SyntaxHighlighter `line number3`, `code-line`, gitiles
# `FileContents-line`, GitHub `blob-code`, Gitea `lines-code`, highlight.js `hljs-ln-line`.
_LINE_WORDS = "line|code-?line|blob-code|lines-code|ln-line|loc"
_LINE_CLASS = re.compile(rf"(?:^|[\s_-])(?:{_LINE_WORDS})(?:$|[\s_\d-])", re.IGNORECASE)
# Elements whose class says they hold code: `<br>`-separated code in these becomes a code block.
_CODE_CLASSES = r"\b(?:code|highlight|sourcecode|source-code|codeblock|listing|syntax|prettyprint)\b"
_CODE_CLASS = re.compile(_CODE_CLASSES, re.IGNORECASE)
# Rendered math that duplicates a source kept elsewhere (MathJax 2 preview/output, KaTeX's HTML).
_RENDERED_MATH_CLASSES = frozenset(
    {"MathJax_Preview", "MathJax", "MathJax_Display", "MathJax_SVG", "MathJax_SVG_Display", "MathJax_CHTML",
     "katex-html", "MathJax_MathML"}
)
_RENDERED_MATH_XPATH = etree.XPath(
    "//*[contains(@class, 'MathJax') or contains(@class, 'katex-html')] | //mjx-container"
)
# Images whose alt/title is LaTeX: WordPress latex.php, codecogs, mimetex/mathtex, Wikipedia's fallback.
_TEX_IMAGE_SRC = re.compile(r"latex|mimetex|mathtex|codecogs|/tex\?|tex2img|math/render|chart\.apis\.google\.com"
                            r".*cht=tx", re.IGNORECASE)
_TEX_IMAGE_CLASSES = r"latex|tex-?image|mwe-math|math-?img|\bmath\b|\btex\b"
_TEX_IMAGE_CLASS = re.compile(_TEX_IMAGE_CLASSES, re.IGNORECASE)
_TEX_ALT = re.compile(r"[\\^_{}=]")  # an alt that reads as TeX, not as a caption
_TEX_ANNOTATIONS = frozenset({"application/x-tex", "tex", "latex", "text/x-tex", "application/x-latex"})
# Invisible MathML operators (function application, invisible times/separator/plus).
_INVISIBLE_OPS = dict.fromkeys(map(ord, "\u2061\u2062\u2063\u2064"), None)
# Deeper MathML than this is flattened to its text (hostile pages nest without end).
MATHML_MAX_DEPTH = 60
# How far up from a <math> element a hiding wrapper is looked for.
MATH_WRAPPER_DEPTH = 3
# Q&A / forum evidence: schema.org types, forum software, and post containers repeated on one page.
_FORUM_TYPES = "QAPage|Question|Answer|DiscussionForumPosting"
_FORUM_ITEMTYPE = re.compile(rf"schema\.org/(?:{_FORUM_TYPES})\b")
_FORUM_GENERATORS = ("vbulletin|phpbb|discourse|xenforo|invision|mybb|smf|vanilla|flarum|nodebb|discuz|simple machines|"
                     "bbpress")
_FORUM_GENERATOR = re.compile(_FORUM_GENERATORS, re.IGNORECASE)
# Post containers of Q&A and forum engines (StackExchange `answer`, phpBB `postbody`, vBulletin
# `postcontainer`/`postbitlegacy`, Discourse `topic-post`/`cooked`, XenForo `bbWrapper`/`message--post`); not
# generic words like "post" or "reply", which blog articles and their comment lists use too.
_POST_CLASSES = ("answer|postbody|postcontainer|postbitlegacy|topic-post|cooked|bbwrapper|message--post|forum-post|"
                 "messagecontent|post_message|js-post-body")
_POST_CLASS = re.compile(rf"(?:^|\s)(?:{_POST_CLASSES})(?:$|\s)", re.IGNORECASE)
FORUM_MIN_POSTS = 2
# Resiliparse output shorter than this goes to trafilatura (on real articles it sometimes keeps only a
# caption: 16-142 characters of 2,000-5,000); rare, so the fast path stays fast.
FALLBACK_BELOW_CHARS = 250


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower() if isinstance(tag, str) else ""


def _replace_with_text(element: etree._Element, text: str) -> None:
    """Put `text` where `element` was (keeping its tail) and remove the element."""
    parent = element.getparent()
    if parent is None:
        return
    joined = text + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(element)


_INLINE_PARENTS = frozenset({"p", "span", "a", "li", "td", "th", "em", "strong", "b", "i", "label", "dd", "dt"})


def _replace_with_math(element: etree._Element, latex: str, display: bool) -> None:
    """Put the formula where `element` was, as an element of its own: trafilatura drops loose text."""
    parent = element.getparent()
    if parent is None:
        return
    text = _wrap_math(latex, display)
    if not text:
        _replace_with_text(element, "")
        return
    holder = etree.Element("span" if parent.tag in _INLINE_PARENTS else "p")
    holder.text, holder.tail = text, element.tail
    parent.replace(element, holder)


def _wrap_math(latex: str, display: bool) -> str:
    latex = " ".join(latex.split())
    if not latex:
        return ""
    return f"\\[{latex}\\]" if display else f"\\({latex}\\)"


# --- math ------------------------------------------------------------------------------------------------

# The converter writes accents as `\overset{mark}{base}`; TeX has a command for each (MathML's `mover accent`).
_ACCENTS = {"\\cdot": "\\dot", "\\cdot\\cdot": "\\ddot", "\\sim": "\\tilde", "\\rightarrow": "\\vec",
            "\u20d7": "\\vec", "\\overline": "\\overline", "\u00b4": "\\acute", "`": "\\grave", " ": "\\breve",
            "\u02c7": "\\check", "\\hat": "\\hat"}
_OVERSET_ACCENT = re.compile(r"\\overset\{(" + "|".join(map(re.escape, _ACCENTS)) + r")\}\{")


@functools.lru_cache(maxsize=1)
def _mathml_converter() -> object:
    """mathml-to-latex (a port of the npm converter of the same name): fractions, scripts, roots, fences,
    and Unicode operators/letters as TeX commands (`\\sum`, `\\le`, `\\alpha`)."""
    from mathml_to_latex import MathMLToLaTeX

    return MathMLToLaTeX()


def _too_deep(element: etree._Element) -> bool:
    stack = [(element, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MATHML_MAX_DEPTH:
            return True
        stack.extend((c, depth + 1) for c in node if isinstance(c.tag, str))
    return False


def mathml_to_latex(element: etree._Element) -> str:
    """LaTeX for MathML presentation markup by the mathml-to-latex converter, accents as TeX accent commands;
    markup nested deeper than MATHML_MAX_DEPTH is flattened to its text (hostile pages nest without end)."""
    flat = " ".join("".join(element.itertext()).translate(_INVISIBLE_OPS).split())
    if _too_deep(element):
        return flat
    copy = deepcopy(element)  # detached: annotations go from it, the page keeps them
    copy.tail = None
    for node in list(copy.iter()):
        if _local(node.tag) in ("annotation", "annotation-xml") and node.getparent() is not None:
            node.getparent().remove(node)
    for node in copy.iter():
        if isinstance(node.tag, str):
            node.tag = _local(node.tag)  # the converter matches plain names, not namespaced ones
    etree.cleanup_namespaces(copy)
    if _local(copy.tag) != "math":
        wrapper = etree.Element("math")
        wrapper.append(copy)
        copy = wrapper
    try:
        latex = _mathml_converter().convert(etree.tostring(copy, encoding="unicode", with_tail=False))
    except Exception:  # noqa: BLE001 - the converter raises anything on odd markup: its text is left
        return flat
    latex = _OVERSET_ACCENT.sub(lambda m: _ACCENTS[m.group(1)] + "{", latex.translate(_INVISIBLE_OPS))
    return " ".join(latex.split())


def math_element_latex(math: etree._Element) -> str:
    """LaTeX for a `<math>` element: its TeX annotation, else its `alttext`, else converted MathML."""
    for node in math.iter():
        if _local(node.tag) == "annotation" and (node.get("encoding") or "").lower() in _TEX_ANNOTATIONS:
            return "".join(node.itertext()).strip()
    alttext = (math.get("alttext") or "").strip()
    return alttext or mathml_to_latex(math)


def _math_wrapper(math: etree._Element) -> etree._Element:
    """The element to replace by the formula: the math itself, or the hidden/fallback wrapper around it
    (Wikipedia hides MathML in a `display: none` span beside a fallback image; extractors drop both)."""
    target = math
    for depth, ancestor in enumerate(math.iterancestors()):
        if depth >= MATH_WRAPPER_DEPTH:
            break
        style = (ancestor.get("style") or "").replace(" ", "").lower()
        if "display:none" in style or "mwe-math-element" in (ancestor.get("class") or ""):
            target = ancestor
    return target


def _image_latex(img: etree._Element) -> str | None:
    """The LaTeX an image of a formula carries in alt/title (or codecogs/mimetex URL query), else None."""
    src = img.get("src") or img.get("data-src") or ""
    if not (_TEX_IMAGE_SRC.search(src) or _TEX_IMAGE_CLASS.search(img.get("class") or "")):
        return None
    for attribute in ("alt", "title"):
        text = (img.get(attribute) or "").strip()
        if text and (_TEX_ALT.search(text) or len(text) <= 3):
            return text
    query = urllib.parse.urlsplit(src).query
    if query and _TEX_IMAGE_SRC.search(src):
        params = urllib.parse.parse_qs(query)
        tex = (params.get("latex") or params.get("chl") or [urllib.parse.unquote(query)])[0]
        return tex.split("&", 1)[0].strip() or None
    return None


def recover_math(tree: HtmlElement) -> None:
    """Turn MathJax scripts, MathJax 3/KaTeX rendered markup, MathML and LaTeX images into LaTeX text in
    place; drop rendered math whose source is kept."""
    scripts = [s for s in tree.iter("script") if (s.get("type") or "").lower().startswith("math/")]
    for script in scripts:
        kind = (script.get("type") or "").lower().replace(" ", "")
        if kind.startswith("math/tex"):
            _replace_with_math(script, script.text or "", "mode=display" in kind)
        elif kind.startswith("math/asciimath"):
            _replace_with_text(script, f" {(script.text or '').strip()} ")
    for element in _RENDERED_MATH_XPATH(tree):
        if element.getparent() is None or any(
            a.tag == "mjx-container" or _RENDERED_MATH_CLASSES.intersection((a.get("class") or "").split())
            for a in element.iterancestors()
        ):
            continue
        if element.tag != "mjx-container" and not _RENDERED_MATH_CLASSES.intersection(
            (element.get("class") or "").split()
        ):
            continue
        math = next(element.iter("math", "m:math", "mml:math"), None)
        if scripts or math is None or "katex-html" in (element.get("class") or ""):
            _replace_with_text(element, "")  # a duplicate of the script source, or nothing to read
        else:  # MathJax 3 keeps no source: its assistive MathML is the formula
            display = element.get("display") == "true" or (math.get("display") or "") == "block"
            _replace_with_math(element, math_element_latex(math), display)
    for math in list(tree.iter("math", "m:math", "mml:math")):
        if math.getparent() is None or any(_local(a.tag) == "math" for a in math.iterancestors()):
            continue
        display = (math.get("display") or "").lower() == "block" or (math.get("mode") or "") == "display"
        _replace_with_math(_math_wrapper(math), math_element_latex(math), display)
    for img in list(tree.iter("img")):
        latex = _image_latex(img)
        if latex is not None:
            display = "display" in (img.get("class") or "")
            _replace_with_math(img, latex.removeprefix("\\displaystyle").strip(), display)


# --- code ------------------------------------------------------------------------------------------------

def _code_text(element: etree._Element) -> str:
    """The text of a code element with `<br>` as line breaks and no-break spaces as spaces."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text and isinstance(node.tag, str):
            parts.append(node.text)
        for child in node:
            if child.tag == "br":
                parts.append("\n")
            elif isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return "".join(parts).replace("\xa0", " ").replace("\r\n", "\n")


def _is_gutter(cell: etree._Element) -> bool:
    """A cell of line numbers: by its class, or text of nothing but digits, spaces, dots and colons (read piece
    by piece up to the first other character: a layout table's cell can hold the whole page)."""
    return bool(_GUTTER_CLASS.search(cell.get("class") or "")) or all(
        _DIGITS_ONLY.match(piece) for piece in cell.itertext()
    )


def _code_block(lines: list[str]) -> etree._Element:
    pre = etree.Element("pre")
    pre.text = "\n".join(lines).strip("\n")
    return pre


def _swap(old: etree._Element, new: etree._Element) -> None:
    new.tail = old.tail
    old.getparent().replace(old, new)


def _code_cells(cells: list[list[etree._Element]]) -> list[list[etree._Element]] | None:
    """Each row's cells but the gutter, or None at the first row with two of them (not a code table: a layout
    table's other cells are not read)."""
    code_cells = []
    for row in cells:
        code = []
        for cell in row:
            if not _is_gutter(cell):
                if code:
                    return None
                code.append(cell)
        code_cells.append(code)
    return code_cells


def _unwrap_code_tables(tree: HtmlElement) -> None:
    """A table laid out as [line numbers | code] becomes the code alone: one `<pre>` per code cell (hexo,
    Pygments), or one line per row when each row holds one line (GitHub, Gitea, gitiles, SyntaxHighlighter)."""
    for table in list(tree.iter("table")):
        if table.getparent() is None or any(a.tag in ("table", "pre") for a in table.iterancestors()):
            continue
        rows = [row for row in table.iter("tr")]
        cells = [[c for c in row if c.tag in ("td", "th")] for row in rows]
        code_cells = _code_cells(cells)
        if code_cells is None:
            continue
        has_gutter = any(len(c) < len(r) for c, r in zip(code_cells, cells))
        if not rows or not has_gutter:
            continue
        blocks = [pre for row in code_cells for cell in row for pre in cell.iter("pre")]
        if blocks:  # [gutter | <pre>]: keep the blocks, only when the code cells hold nothing else
            words = [w for pre in blocks for w in "".join(pre.itertext()).split()]
            if words != [w for row in code_cells for c in row for w in "".join(c.itertext()).split()]:
                continue
            lines = [line for pre in blocks for line in _code_text(pre).strip("\n").split("\n")]
        elif len(rows) >= 2 and any(_LINE_CLASS.search(c.get("class") or "") or c.get("id") for r in code_cells
                                    for c in r) or len(rows) >= 2 and all(
            len(r) == 2 and _is_gutter(r[0]) for r in cells if r
        ):
            lines = [_code_text(row[0]).replace("\n", "") if row else "" for row in code_cells]
        else:
            continue
        _swap(table, _code_block(lines))


def _line_children(element: etree._Element) -> list[etree._Element] | None:
    """The per-line children of a code viewer's container (two or more, nothing else but line numbers)."""
    children = [c for c in element if isinstance(c.tag, str)]
    if len(children) < 2 or (element.text or "").strip():
        return None
    lines: list[etree._Element] = []
    for child in children:  # one pass: a list membership test per child was quadratic on long lists
        cls = child.get("class") or ""
        if _LINE_CLASS.search(cls) and not _GUTTER_CLASS.search(cls):
            lines.append(child)
        elif not _is_gutter(child):
            return None
    if len(lines) < 2:
        return None
    if any(c.tag in ("p", "li", "table", "ul", "ol", "h1", "h2", "h3") for c in lines):
        return None
    return lines


# Parents of elements whose class may name a line (the regex decides); found in C, not by a Python pass.
# (Over class attributes, not elements: half the cost on real pages.)
_LINE_PARENTS_XPATH = etree.XPath(
    ".//@class[contains(., 'line') or contains(., 'blob-code') or contains(., 'lines-code') or "
    "contains(., 'loc')]/../parent::*[self::div or self::code or self::ol or self::span]"
)


def _unwrap_line_containers(tree: HtmlElement) -> None:
    """A container of per-line elements (SyntaxHighlighter, gitiles/Gitea line divs) becomes one block."""
    for element in _LINE_PARENTS_XPATH(tree):
        if element.getparent() is None or any(a.tag == "pre" for a in element.iterancestors()):
            continue
        lines = _line_children(element)
        if lines is None:
            continue
        # one line each: a line element's own <br>s and numbering spans are not lines of their own
        texts = [_code_text(c).replace("\n", "") for c in lines]
        container = element
        for ancestor in element.iterancestors():  # SyntaxHighlighter wraps the lines in a table of 1 row
            if ancestor.tag == "table" and len(list(ancestor.iter("tr"))) == 1:
                container = ancestor
                break
        _swap(container, _code_block(texts))


# Elements that may hold `<br>`-separated code: a `<code>`, or a block with a class, above a `<br>` (chosen in C;
# a Python test of every block cost 0.5 ms a page).
_BR_HOLDERS_XPATH = etree.XPath(
    ".//br/ancestor::*[self::code or ((self::div or self::p or self::td or self::span or self::tt or "
    "self::blockquote) and @class)]"
)


def _unwrap_br_code(tree: HtmlElement) -> None:
    """`<br>`-separated code outside `<pre>` (`<code>`, or an element whose class says code) becomes a block."""
    for element in _BR_HOLDERS_XPATH(tree):
        if element.getparent() is None:
            continue
        if any(a.tag in ("pre", "code") for a in element.iterancestors()):
            continue
        if element.tag != "code" and not _CODE_CLASS.search(element.get("class") or ""):
            continue
        if element.find(".//p") is not None or element.find(".//div") is not None:
            continue
        _swap(element, _code_block(_code_text(element).split("\n")))


def protect_code(tree: HtmlElement, *, blank_line_mark: bool = False, line_containers: bool = True,
                 br_code: bool = True) -> None:
    """Make every code block one `<pre>` of its exact lines (indentation and blank lines kept).
    `line_containers=False`: the page has no two elements with a line class; `br_code=False`: no `<code>` and
    no class that says code (`page_hints`)."""
    _unwrap_code_tables(tree)
    if line_containers:
        _unwrap_line_containers(tree)
    if br_code:
        _unwrap_br_code(tree)
    for pre in list(tree.iter("pre")):
        ancestors = list(pre.iterancestors())
        if pre.getparent() is None or any(a.tag == "pre" for a in ancestors):
            continue
        for figure in (a for a in ancestors if a.tag == "figure"):
            figure.tag = "div"  # trafilatura drops figures with everything in them
        lines = _code_text(pre).strip("\n").split("\n")
        if blank_line_mark:
            lines = [line if line.strip() else _BLANK_LINE_MARK for line in lines]
        had_code = pre.find(".//code") is not None
        for child in list(pre):
            pre.remove(child)
        pre.text = None
        if had_code and blank_line_mark:  # <pre><code> is what trafilatura renders as a code block
            etree.SubElement(pre, "code").text = "\n".join(lines)
        else:
            pre.text = "\n".join(lines)


# --- boilerplate --------------------------------------------------------------------------------------------

# Containers no main text lives in (class/id words were tried too: on the real article set they removed
# main text, recall 0.988 -> 0.937); removed before the engine sees the page unless they hold a heading, code
# or the page's <main>/<article>.
_BOILERPLATE_TAGS = frozenset({"nav", "aside", "footer", "form", "button", "select", "menu"})
_KEEP_INSIDE = frozenset({"h1", "pre", "main", "article", "math"})
# A block whose text is mostly link text is a menu or a list of links, not content.
LINK_DENSITY_MAX = 0.5
LINK_BLOCK_MAX_WORDS = 300
_LINK_BLOCK_TAGS = ("ul", "ol", "dl", "table")
_PRUNED_TAGS = (*_BOILERPLATE_TAGS, *_LINK_BLOCK_TAGS, "div")  # what prune_boilerplate looks at


def _holds_content(element: etree._Element) -> bool:
    return element.tag in _KEEP_INSIDE or any(True for _ in element.iter(*_KEEP_INSIDE))


def _link_bar(div: etree._Element) -> bool:
    """A `<div>` of nothing but two or more links: a menu written without `<nav>`."""
    return len(div) >= 2 and not (div.text or "").strip() and all(
        c.tag == "a" and not (c.tail or "").strip(" |·•/-\n\t") for c in div
    )


_LINK_TEXT_XPATH = etree.XPath(".//a//text()", smart_strings=False)  # plain strings: only their words count


def _mostly_links(element: etree._Element, words: int) -> bool:
    """More than LINK_DENSITY_MAX of the element's `words` are link text (one C call, not a join per link)."""
    return len(" ".join(_LINK_TEXT_XPATH(element)).split()) > LINK_DENSITY_MAX * words


def _words_up_to(element: etree._Element, limit: int) -> int:
    """Words of the element's text, counted up to `limit + 1` (a layout table holding the whole page is not read
    to its end, once per nesting level). Text pieces are words apart, so counting them piece by piece is the
    count of their join."""
    words = 0
    for piece in element.itertext():
        words += len(piece.split())
        if words > limit:
            break
    return words


def prune_boilerplate(tree: HtmlElement) -> None:
    """Remove navigation, asides, footers, forms and link lists (menus, "related" and "popular" lists).
    Lists and tables only: checking every block costs more than the rest of extraction on real pages.
    What lies inside a removed element is not looked at (it follows it in document order: skipped)."""
    inside_removed = 0
    for element in list(tree.iter(*_PRUNED_TAGS)):
        if inside_removed:
            inside_removed -= 1
            continue
        parent = element.getparent()
        if element.tag == "div" and not _link_bar(element):
            continue
        if parent is None or _holds_content(element):
            continue
        if element.tag in _LINK_BLOCK_TAGS or element.tag == "div":
            total = _words_up_to(element, LINK_BLOCK_MAX_WORDS)
            if not 0 < total <= LINK_BLOCK_MAX_WORDS:
                continue
            if not _mostly_links(element, total):
                continue
        inside_removed = sum(1 for _ in element.iterdescendants(*_PRUNED_TAGS))
        if element.tail and element.tail.strip():
            element.drop_tree()
        else:
            parent.remove(element)


_SLUG_JUNK = re.compile(r"[^0-9a-z]+")
_HEADED_XPATH = etree.XPath(".//body//*[@id][*[1][self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6]]")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")  # (`_HEADING_TAGS` adds hgroup)


def _headed_sections(tree: HtmlElement) -> list[etree._Element]:
    """`_HEADED_XPATH`: elements inside `<body>` with an id whose first child element is a heading. On a page
    with one `<body>` from its headings (a tag walk in C; the XPath tests every element's first child: 0.51 ->
    0.14 CPU-s on the bench's 1,039 pages)."""
    bodies = list(tree.iterdescendants("body"))
    if len(bodies) != 1:
        return _HEADED_XPATH(tree)
    sections = []
    for heading in bodies[0].iterdescendants(*_HEADINGS):
        parent = heading.getparent()
        if parent is bodies[0] or parent.get("id") is None:
            continue
        first = next(child for child in parent if isinstance(child.tag, str))
        if first is heading:
            sections.append(parent)
    return sections


def drop_heading_anchor_ids(tree: HtmlElement) -> None:
    """Remove the `id` of a section named after its own heading ("Comment on the paper" ->
    `comment-on-the-paper`, "Print Banner" -> `print-banner`, as Sphinx, Jupyter Book, MkDocs and Hugo write
    them): the id is an anchor, yet a word in it marks the whole section as boilerplate to the engine ("banner",
    "comment", "share", ...) and as a comment thread to the content locator, and the section is dropped.
    Single-word ids (`comments`, `sidebar`) are left: there the word names the section."""
    for element in _headed_sections(tree):
        slug = _SLUG_JUNK.sub("-", element[0].text_content().lower()).strip("-")
        if "-" in slug and (element.get("id") or "").lower().startswith(slug):
            del element.attrib["id"]


_FOLDED_WORDS = frozenset({"dropdown", "drop-down"})
# (through the class attributes: 1.08 -> 0.47 CPU-s on the bench's 1,039 pages, against testing every element's)
_FOLDED_XPATH = etree.XPath(".//body//*/@class[contains(., 'dropdown') or contains(., 'drop-down')]/..")


def reveal_folded_content(tree: HtmlElement) -> None:
    """Remove the class word "dropdown" from an element that folds away text rather than links (a Sphinx /
    Jupyter Book exercise, proof or example the reader clicks open): the engine drops every "dropdown" as a
    menu. Menus stay as they are: their text is mostly link text (LINK_DENSITY_MAX) or holds no block of
    CONTENT_BLOCK_MIN_CHARS."""
    for element in _FOLDED_XPATH(tree):
        words = (element.get("class") or "").split()
        if not _FOLDED_WORDS.intersection(words):
            continue
        text = " ".join(element.itertext())
        if len(text.strip()) < CONTENT_BLOCK_MIN_CHARS:
            continue
        if _mostly_links(element, len(text.split())):
            continue
        element.set("class", " ".join(w for w in words if w not in _FOLDED_WORDS))


# --- main content container ----------------------------------------------------------------------------

# A block (paragraph, list item, cell: an element with its inline children) counts as content when it holds at
# least this many characters outside links; menus, bylines and labels fall below it.
CONTENT_BLOCK_MIN_CHARS = 40
# The page's content container is the deepest element holding at least this share of the content text (a
# readability-style locator: sidebars, "more stories" and ad widgets sit outside it). Article F1 on the
# scrapinghub pages is flat from 0.65 to 0.85 (docs/web-extraction.md).
CONTENT_ROOT_SHARE = 0.75
# Pages with less content text than this are left whole (a gallery, a product page of captions).
CONTENT_ROOT_MIN_CHARS = 500
# Content blocks and headings beside the container are kept up to this many levels above it (a lead paragraph
# set apart from the body, as readability keeps a candidate's paragraph siblings).
CONTENT_SIBLING_LEVELS = 2
_HEADING_TAGS = frozenset({*_HEADINGS, "hgroup"})
# Where a page says its content is: the main element, an article element, schema.org articleBody.
# (Relative paths: libxml2 can leave a second top-level <html> that `tree` does not hold.)
# (articleBody through the attribute axis: 0.33 -> 0.14 CPU-s on the bench's 1,039 pages; `.//article` and
# `.//main` cost as much as tag walks.)
_MARKED_CONTENT_XPATHS = tuple(map(etree.XPath, (".//*/@itemprop[. = 'articleBody']/..", ".//article", ".//main")))
_INLINE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn", "em", "font", "i", "img",
    "ins", "kbd", "label", "mark", "nobr", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "tt",
    "u", "var", "wbr",
})
# Content text: not link text, not scripts, not comment sections (comments are not the page's content here;
# Q&A and forum pages, where they are, skip the locator). Whether a text node is in one of these is a property of
# the element holding it (its parent, or for a tail its parent's parent): the elements inside them are collected
# once, by tag walks in C, instead of an XPath test of every text node's ancestors (`_content_blocks` on the bench's
# pruned pages with comment sections tested: 1.9-2.3 -> 0.8-1.0 CPU-s).
_CONTENT_TEXTS_XPATH = etree.XPath(".//body//text()[normalize-space()]")
_NOT_CONTENT_TAGS = ("a", "script", "noscript", "template")
# Comment sections: elements whose class or id holds "comment" (in this case), found through the attributes
# (0.59 -> 0.32 CPU-s on the bench's 1,039 pages, against testing every element's).
_COMMENT_SECTIONS_XPATH = etree.XPath(
    "descendant-or-self::*/@class[contains(., 'comment')]/.. | descendant-or-self::*/@id[contains(., 'comment')]/.."
)


def _not_content(tree: HtmlElement, comment_sections: bool) -> set[etree._Element]:
    """Every element in or under a link, script, noscript, template or (`comment_sections`) comment section."""
    inside: set[etree._Element] = set()
    roots = list(tree.iter(*_NOT_CONTENT_TAGS))
    if comment_sections:
        roots += _COMMENT_SECTIONS_XPATH(tree)
    for root in roots:
        if root not in inside:  # else its subtree is in already
            inside.update(root.iter())
    return inside


def _content_blocks(tree: HtmlElement, *, comment_sections: bool = True) -> dict[etree._Element, int]:
    """Characters of content text per block element of the page `tree` (its root element: nothing above it can
    hold the text); headings are titles, not content. `comment_sections=False`: no class or id on the page holds
    "comment" (`page_hints`)."""
    excluded = _not_content(tree, comment_sections)
    blocks: dict[etree._Element, int] = {}
    for text in _CONTENT_TEXTS_XPATH(tree):
        size = len(text.strip())
        if not size:
            continue
        block = text.getparent()
        if text.is_tail:
            block = block.getparent()
        if block in excluded:
            continue
        block = _block_of(block)
        if block is not None and block.tag not in _HEADING_TAGS:
            blocks[block] = blocks.get(block, 0) + size
    return blocks


def _block_of(holder: etree._Element | None) -> etree._Element | None:
    """The block a text belongs to: the element holding it, or the first above it that is not inline."""
    while holder is not None and holder.tag in _INLINE_TAGS:
        holder = holder.getparent()
    return holder


def _common_ancestor(a: etree._Element, b: etree._Element) -> etree._Element | None:
    above_b = {b, *b.iterancestors()}
    return next((e for e in (a, *a.iterancestors()) if e in above_b), None)


def _content_weights(blocks: dict[etree._Element, int]) -> dict[etree._Element, int]:
    """Characters of content text under each element (blocks of CONTENT_BLOCK_MIN_CHARS or more)."""
    weights: dict[etree._Element, int] = {}
    for block, size in blocks.items():
        if size < CONTENT_BLOCK_MIN_CHARS:
            continue
        for element in (block, *block.iterancestors()):
            weights[element] = weights.get(element, 0) + size
    return weights


def content_root(tree: HtmlElement, blocks: dict[etree._Element, int],
                 weights: dict[etree._Element, int]) -> etree._Element | None:
    """The element that holds the page's main content: the deepest one with CONTENT_ROOT_SHARE of the text of
    content blocks, never a single block itself (a long paragraph is not the article), and never beside the
    content the page marks itself (`<main>`, its one `<article>`, schema.org articleBody): there it is the
    two's common ancestor. None when the page has less content text than CONTENT_ROOT_MIN_CHARS. `blocks`:
    `_content_blocks(tree)`; `weights`: `_content_weights(blocks)`."""
    total = sum(size for size in blocks.values() if size >= CONTENT_BLOCK_MIN_CHARS)
    if total < CONTENT_ROOT_MIN_CHARS:
        return None
    node = tree
    while True:
        best = max((child for child in node if child in weights), key=weights.__getitem__, default=None)
        if best is None or weights[best] < CONTENT_ROOT_SHARE * total:
            break
        if blocks.get(best, 0) >= CONTENT_BLOCK_MIN_CHARS:  # a block of its own: its container is the root
            break
        node = best
    for xpath in _MARKED_CONTENT_XPATHS:  # the most specific mark the page uses once
        marked = xpath(tree)
        if len(marked) == 1:  # the root inside the mark, or holding it, stays; beside it, both are kept
            common = _common_ancestor(node, marked[0]) if marked[0] not in set(node.iterancestors()) else node
            return node if common is None else common
    return node


def keep_content_root(tree: HtmlElement, *, comment_sections: bool = True) -> None:
    """Remove everything outside the content container (`content_root`) but the page's title (its one `<h1>`)
    and, beside the container (CONTENT_SIBLING_LEVELS): content blocks and headings, code and display math
    (what this corpus is for: a notebook's other cells, a code block after an exercise list), and elements of
    the same kind (tag and class) as the one on the container's path holding content text (the document's
    other sections, readability's sibling rule: "more stories" teasers beside one article share a kind too,
    but hold no block of content text)."""
    blocks = _content_blocks(tree, comment_sections=comment_sections)
    weights = _content_weights(blocks)
    root = content_root(tree, blocks, weights)
    if root is None or root is tree:
        return
    keep = {root, *root.iterancestors()}
    on_path = root
    for level, parent in enumerate(root.iterancestors()):
        kind = (on_path.tag, on_path.get("class"))
        near = level < CONTENT_SIBLING_LEVELS
        keep.update(
            c for c in parent
            if (c.tag, c.get("class")) == kind and (weights.get(c, 0) > 0 or _holds_code_or_math(c))
            or near and (c.tag in _HEADING_TAGS or blocks.get(c, 0) >= CONTENT_BLOCK_MIN_CHARS
                         or _holds_code_or_math(c))
        )
        on_path = parent
    paths = [root]
    headings = tree.findall(".//body//h1")
    if len(headings) == 1 and headings[0] not in keep and root not in set(headings[0].iterancestors()):
        keep.update((headings[0], *headings[0].iterancestors()))
        paths.append(headings[0])
    for start in paths:
        for element in (start, *start.iterancestors()):
            parent = element.getparent()
            if parent is None:
                continue
            for sibling in list(parent):
                if sibling not in keep and sibling.tag != "head":
                    parent.remove(sibling)


# Code (`protect_code` made it a `<pre>`) or display math (`recover_math` wrote `\\[`, or the page's own `$$`/`\\[`
# delimiters) in an element: one XPath in C, not a join of the element's whole text per sibling and level.
_CODE_OR_MATH_XPATH = etree.XPath("boolean(self::pre or .//pre or .//text()[contains(., '\\[') or contains(., '$$')])")


def _holds_code_or_math(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and _CODE_OR_MATH_XPATH(element)


_SENTENCE_END = tuple('.!?:;"\'”’)»。！？；：」』）…')
# Lines of fewer words than this that do not end a sentence are boilerplate when they sit at the end of the
# text (jusText's "short block" rule applied to the edge only: "Follow us", "ADVERTISEMENT", "Tags:").
EDGE_LINE_MIN_WORDS = 10


def _short_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return True
    cjk = sum(1 for ch in stripped if "\u3400" <= ch <= "\u9fff")
    words = len(stripped.split()) + cjk // 2  # two CJK characters count as a word
    # a display formula (`recover_math`'s `\\]`, the page's `$$`) ends a derivation, not a widget
    return words < EDGE_LINE_MIN_WORDS and not stripped.endswith(_SENTENCE_END + ("\\]", "$$"))


def trim_tail(text: str) -> str:
    """The text without the run of short non-sentence lines at its end (links, labels, widgets)."""
    lines = text.split("\n")
    end = len(lines)
    while end > 0 and _short_line(lines[end - 1]):
        end -= 1
    return "\n".join(lines[:end]).rstrip() if end else text


# --- page type --------------------------------------------------------------------------------------------

_GENERATORS_XPATH = etree.XPath("//meta[translate(@name, 'GENERATOR', 'generator') = 'generator']/@content")
_ITEMTYPES_XPATH = etree.XPath("//@itemtype")
_CLASSES_XPATH = etree.XPath("//@class")


def is_discussion(tree: HtmlElement) -> bool:
    """Whether the page is a Q&A or forum thread: schema.org QAPage/Question/Answer/DiscussionForumPosting
    markup, a forum engine's generator tag, or post containers repeated FORUM_MIN_POSTS times or more.
    (Attribute values are collected by XPath in C: a Python pass over every element cost 10% of extraction.)"""
    if any(_FORUM_GENERATOR.search(c) for c in _GENERATORS_XPATH(tree)):
        return True
    if any(_FORUM_ITEMTYPE.search(t) for t in _ITEMTYPES_XPATH(tree)):
        return True
    posts = 0
    for cls in _CLASSES_XPATH(tree):
        if _POST_CLASS.search(cls):
            posts += 1
            if posts >= FORUM_MIN_POSTS:
                return True
    return False


# Python's re.IGNORECASE also matches these to ASCII letters (İ and ı to i, ſ to s, the Kelvin sign to k): a
# byte pattern that stands for a case-insensitive str pattern accepts their UTF-8 bytes too.
_UNICODE_FOLDS = {"i": r"(?:i|\xc4\xb0|\xc4\xb1)", "s": r"(?:s|\xc5\xbf)", "k": r"(?:k|\xe2\x84\xaa)"}


def _folded(pattern: str) -> str:
    """`pattern` (no character classes) with every i, s and k outside an escape accepting its Unicode folds."""
    out, escaped = [], False
    for char in pattern:
        out.append(char if escaped else _UNICODE_FOLDS.get(char.lower(), char))
        escaped = not escaped and char == "\\"
    return "".join(out)


def _in_attribute(name: str, pattern: str, *, after_boundary: bool = False) -> str:
    """An attribute `name` whose value (quoted either way, or bare) holds `pattern`; `after_boundary`: at its
    start or after a byte that is not a letter or digit (so after any whitespace, ASCII or not)."""
    if after_boundary:
        return (rf"{name}\s*=\s*(?:\"(?:[^\"]*[^a-z0-9\"])?|'(?:[^']*[^a-z0-9'])?|(?:[^\s>]*[^a-z0-9])?)"
                rf"(?:{pattern})")
    return rf"{name}\s*=\s*(?:\"[^\"]*|'[^']*|[^\s>]*)(?:{pattern})"


# What each tree pass looks for, as it can be written in the page's bytes (a superset: a pass skipped because
# its pattern is absent would have changed nothing). Index = the pass. An attribute that spells the words with
# character references (`&#97;nswer`) is not seen.
_MATH_MARKERS = ("<math", "<m:math", "<mml:math", "math/", "mathjax", "mjx-", "katex", "latex", "tex?", "mimetex",
                 "mathtex", "codecogs", "mwe-math", "math/render", "tex2img", "cht=tx")
_LINE_CLASS_BYTES = _in_attribute("class", _folded(_LINE_WORDS), after_boundary=True)
_HINT_PATTERNS = (
    # recover_math: a marker of each math form, or an image class `_TEX_IMAGE_CLASS` reads
    _folded("|".join(map(re.escape, _MATH_MARKERS))) + "|" + _in_attribute("class", _folded(_TEX_IMAGE_CLASSES)),
    # is_discussion: a schema.org type, a forum generator's name, a post container's class
    (rf"schema\.org/(?:{_FORUM_TYPES})|{_in_attribute('content', _folded(_FORUM_GENERATORS))}|"
     rf"{_in_attribute('class', _folded(_POST_CLASSES))}"),
    # _unwrap_line_containers: two elements with a line class
    rf"{_LINE_CLASS_BYTES}[\s\S]*{_LINE_CLASS_BYTES}",
    # _unwrap_br_code: a <code> element, or a class that says code (Python's \b boundaries are RE2's too)
    rf"<code|{_in_attribute('class', _folded(_CODE_CLASSES))}",
    # _content_blocks' comment sections: "comment" (in this case: XPath's contains) in a class or id
    rf"{_in_attribute('(?:class|id)', '(?-i:comment)')}",
    # parser_input has work to do: control bytes, U+FFFE/U+FFFF
    r"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]",
    # reveal_folded_content: "dropdown" (in this case: XPath's contains) in a class
    rf"{_in_attribute('class', '(?-i:dropdown|drop-down)')}",
)
_UNCLEAN = 5


@dataclass(frozen=True)
class PageHints:
    """Which tree passes can change the page (from its bytes: `page_hints`)."""

    math: bool = True
    discussion: bool = True
    code_lines: bool = True
    br_code: bool = True
    comment_sections: bool = True
    folded: bool = True


@functools.lru_cache(maxsize=1)
def _hint_set() -> re2.Set:
    """`_HINT_PATTERNS` as one RE2 set: one linear-time pass tells which of them match. ASCII letters in any
    case (Latin-1 mode: RE2 folds no other byte to them)."""
    options = re2.Options()
    options.encoding, options.case_sensitive = re2.Options.Encoding.LATIN1, False
    patterns = re2.Set.SearchSet(options)
    for pattern in _HINT_PATTERNS:
        patterns.Add(pattern.encode("latin-1"))
    patterns.Compile()
    return patterns


def page_hints(data: bytes) -> tuple[bytes, PageHints]:
    """The parser's input for UTF-8 HTML `data` (`parser_input`) and its `PageHints`: one pass over the bytes
    (0.2 ms a page; a substring search per math marker cost 1 ms, the Q&A tree test 1 ms, the line-container
    XPath 0.6 ms) and a second only when they need cleaning (a removed byte can join two halves of a word)."""
    found = _hint_set().Match(data) or ()
    if _UNCLEAN in found:
        data = parser_input(data)
        found = _hint_set().Match(data) or ()
    return data, PageHints(math=0 in found, discussion=1 in found, code_lines=2 in found, br_code=3 in found,
                           comment_sections=4 in found, folded=6 in found)


def may_hold_math(data: bytes) -> bool:
    """False when `recover_math` would change nothing on the page of UTF-8 HTML `data`."""
    return page_hints(data)[1].math


def may_be_discussion(data: bytes) -> bool:
    """False when `is_discussion` cannot hold for the page of UTF-8 HTML `data` (on real pages 2% pass)."""
    return page_hints(data)[1].discussion


# --- parsing --------------------------------------------------------------------------------------------

# What libxml2 must not see (as trafilatura's own loader repairs it), here on UTF-8 bytes, which is cheaper
# than on str: C0 controls, U+FFFE/U+FFFF, an XHTML doctype on the first line, a self-closing <html/>.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE, U+FFFF in UTF-8
_DOCTYPE_START = re.compile(rb"< ?! ?DOCTYPE", re.IGNORECASE)
_SELF_CLOSING_HTML = re.compile(rb"(<html.*?)\s*/>", re.IGNORECASE)  # only ever run on the first 4 KiB
SELF_CLOSING_SCAN_BYTES = 4096


def without_url_doctype(first_line: bytes) -> bytes:
    """`first_line` without a leading doctype that holds a URL (`<!DOCTYPE html PUBLIC ... "http://...">`),
    as `^< ?! ?DOCTYPE[^>]*/[^<>]*>` would remove it, in linear time (that pattern backtracked
    quadratically over a first line of slashes without `>`, issue 12)."""
    start = _DOCTYPE_START.match(first_line)
    if not start:
        return first_line
    end = first_line.find(b">", start.end())
    if end < 0:
        return first_line
    inside = first_line[start.end() : end]
    slash = inside.rfind(b"/")
    if slash < 0 or b"<" in inside[slash + 1 :]:
        return first_line
    return first_line[end + 1 :]
# Elements no engine shows; gone first, every later pass is cheaper.
NEVER_TEXT_TAGS = ("style", "svg", "iframe", "link", "meta", "object", "embed", "canvas")


@functools.lru_cache(maxsize=1)
def _html_parser() -> lxml.html.HTMLParser:
    """trafilatura's parser settings, with a C-level element class lookup: lxml.html's default calls back
    into Python for every element proxy only to give form fields their own classes."""
    parser = lxml.html.HTMLParser(
        collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
    )
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


def parser_input(data: bytes) -> bytes:
    """UTF-8 HTML bytes without what libxml2 must not see (C0 controls, U+FFFE/U+FFFF): what the byte tests
    read, since removing a byte can join two halves of a word."""
    data = data.translate(None, _CONTROL_BYTES)  # one C pass; a regex here cost more than the parse
    for nonchar in _NONCHARACTERS:
        if nonchar in data:
            data = data.replace(nonchar, b"")
    return data


def parse_html(data: bytes, *, cleaned: bool = False) -> HtmlElement | None:
    """Parse UTF-8 HTML bytes into a tree (trafilatura's parser settings and repairs; `cleaned`: `data` is
    `parser_input`'s already); None when the bytes are not HTML."""
    if not cleaned:
        data = parser_input(data)
    beginning = data[:50].lower()
    if b"doctype" in beginning:
        first, newline, rest = data.partition(b"\n")
        data = without_url_doctype(first) + newline + rest
    seen = 0
    for line in data[:SELF_CLOSING_SCAN_BYTES].splitlines(keepends=True)[:4]:
        seen += len(line)
        if b"<html" in line and line.rstrip(b"\r\n").endswith(b"/>"):
            # the match ends on this line at the latest: searching only up to it bounds the lazy scan
            data = _SELF_CLOSING_HTML.sub(rb"\1>", data[:seen], count=1) + data[seen:]
            break
    try:
        tree = lxml.html.fromstring(data, parser=_html_parser())
    except (etree.LxmlError, ValueError, TypeError):  # e.g. "Document is empty"
        return None
    if b"html" not in beginning and len(tree) < 2:
        return None  # a fragment or not HTML at all (trafilatura's own test)
    return tree


# --- extraction ------------------------------------------------------------------------------------------

def prepare_tree(tree: HtmlElement, *, keep_code: bool = True, keep_math: bool = True,
                 blank_line_mark: bool = False, hints: PageHints = PageHints()) -> HtmlElement:
    """Rewrite math and code in place so the engine keeps them (math first: it hides in `<script>`). `hints`
    (`page_hints` of the page's bytes) skips the passes that would change nothing."""
    if keep_math and hints.math:
        recover_math(tree)
    if keep_code:
        protect_code(tree, blank_line_mark=blank_line_mark, line_containers=hints.code_lines, br_code=hints.br_code)
    return tree


def _resiliparse_text(tree: HtmlElement, discussion: bool) -> str:
    html = lxml.html.tostring(tree, encoding="unicode")
    return extract_plain_text(
        HTMLTree.parse(html), main_content=True, preserve_formatting=True, list_bullets=True, alt_texts=False,
        links=False, form_fields=False, noscript=False, comments=discussion,
    )


def extract_text(
    html: str | bytes,
    url: str = "",
    *,
    engine: str = DEFAULT_OPTIONS.engine,
    discussion_comments: bool = DEFAULT_OPTIONS.discussion_comments,
    prune: bool = True,
    fallback: bool = True,
    fast: bool = DEFAULT_OPTIONS.fast,
    favor_recall: bool = DEFAULT_OPTIONS.favor_recall,
    favor_precision: bool = DEFAULT_OPTIONS.favor_precision,
    include_comments: bool = DEFAULT_OPTIONS.include_comments,
    include_tables: bool = DEFAULT_OPTIONS.include_tables,
    keep_code: bool = DEFAULT_OPTIONS.keep_code,
    keep_math: bool = DEFAULT_OPTIONS.keep_math,
) -> str:
    """The main text of `html` (str, or UTF-8 bytes) as plain text ("" when the page has none). Code blocks
    keep their lines and math its LaTeX (see the module docstring). `discussion_comments` keeps comments on
    Q&A and forum pages (`is_discussion`); the trafilatura options apply when `engine` is "trafilatura"."""
    data, hints = page_hints(html.encode("utf-8", "surrogatepass") if isinstance(html, str) else html)
    tree = parse_html(data, cleaned=True)
    if tree is None:
        return ""
    mark = engine == "trafilatura" and keep_code
    prepare_tree(tree, keep_code=keep_code, keep_math=keep_math, blank_line_mark=mark, hints=hints)
    # before <meta> goes: it names forum software
    discussion = discussion_comments and hints.discussion and is_discussion(tree)
    etree.strip_elements(tree, *NEVER_TEXT_TAGS, with_tail=False)
    drop_heading_anchor_ids(tree)
    if hints.folded:
        reveal_folded_content(tree)
    if engine == "resiliparse" and prune:
        prune_boilerplate(tree)
        if not discussion:  # on Q&A and forum pages the question and every answer are the content
            keep_content_root(tree, comment_sections=hints.comment_sections)
    if engine == "resiliparse":
        text = _resiliparse_text(tree, discussion).strip()
        if prune and not discussion and tree.find(".//pre") is None:
            text = trim_tail(text)  # code blocks end pages with short lines; posts end threads with them
        if len(text) >= FALLBACK_BELOW_CHARS or not fallback:
            return text
        engine = "trafilatura"  # Resiliparse found (almost) no main content: the slower engine looks again
    if engine != "trafilatura":
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    from trafilatura import extract as trafilatura_extract

    text = trafilatura_extract(
        tree,
        url=url or None,
        output_format="txt",
        fast=fast,
        favor_recall=favor_recall,
        favor_precision=favor_precision,
        include_comments=include_comments or discussion,
        include_tables=include_tables,
        deduplicate=False,  # its cache spans pages: output would depend on their order
    )
    if not text:
        return ""
    return _BLANK_LINE_MARK_RE.sub("", text) if mark else text

