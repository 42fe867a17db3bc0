"""Main text of an HTML page with trafilatura, tuned to keep what a code model needs: code and math.

Trafilatura alone flattens some code layouts (line-number gutters in tables, `<br>` lines, blank lines) and
drops math that lives in `<script type="math/tex">` (MathJax) or in MathML without a TeX annotation.
`prepare_tree` rewrites those parts of the parsed page into forms trafilatura keeps; `extract_text` runs
trafilatura on the prepared tree and restores the blank lines of code blocks.
Math comes out as LaTeX between `\\(`/`\\)` (inline) or `\\[`/`\\]` (display), the delimiters MathJax reads.
"""
from __future__ import annotations

import functools
import re

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

# Imported here, not in the function: the extraction child loads it while starting (under the start-up
# limit), so the first page's time limit does not pay for the import.
from trafilatura import extract as trafilatura_extract

# trafilatura drops empty lines even inside <pre>; a line holding this one space survives and is undone.
_BLANK_LINE_MARK = " "
_BLANK_LINE_MARK_RE = re.compile(r"(?m)^ $")
# Cells of code tables that hold line numbers (highlight.js/hexo "gutter", Pygments "linenos", GitHub).
_GUTTER_CLASS = re.compile(r"gutter|linenos|line-?numbers?|lineno|blob-num|hljs-ln-n", re.IGNORECASE)
_DIGITS_ONLY = re.compile(r"^[\d\s]*$")
# Rendered math that duplicates the source kept beside it (MathJax 2 output and preview, KaTeX's HTML).
_RENDERED_MATH_CLASSES = frozenset(
    {"MathJax_Preview", "MathJax", "MathJax_Display", "MathJax_SVG", "MathJax_SVG_Display", "MathJax_CHTML",
     "katex-html"}
)
_RENDERED_MATH_XPATH = etree.XPath("//*[contains(@class, 'MathJax') or contains(@class, 'katex-html')]")
# Invisible MathML operators (function application, invisible times/separator/plus).
_INVISIBLE_OPS = dict.fromkeys(map(ord, "\u2061\u2062\u2063\u2064"), None)
# Deeper MathML than this is flattened to its text (hostile pages nest without end).
MATHML_MAX_DEPTH = 60
# How far up from a <math> element a hiding wrapper is looked for.
MATH_WRAPPER_DEPTH = 3


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

def _mathml_children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def _braced(text: str) -> str:
    return text if len(text) == 1 else "{" + text + "}"


def mathml_to_latex(element: etree._Element, depth: int = 0) -> str:
    """A LaTeX-like plain form of MathML presentation markup (fractions, scripts, roots, tables)."""
    if depth > MATHML_MAX_DEPTH:
        return " ".join("".join(element.itertext()).split())
    tag = _local(element.tag)
    kids = _mathml_children(element)
    parts = [mathml_to_latex(k, depth + 1) for k in kids]
    if tag in ("mi", "mn", "mo", "mtext", "ms"):
        return "".join(element.itertext()).translate(_INVISIBLE_OPS).strip()
    if tag in ("annotation", "annotation-xml", "none", "mprescripts"):
        return ""
    if tag == "semantics":
        return parts[0] if parts else ""
    if tag == "mfrac" and len(parts) == 2:
        return f"\\frac{{{parts[0]}}}{{{parts[1]}}}"
    if tag == "msqrt":
        return f"\\sqrt{{{' '.join(parts)}}}"
    if tag == "mroot" and len(parts) == 2:
        return f"\\sqrt[{parts[1]}]{{{parts[0]}}}"
    if tag in ("msup", "mover") and len(parts) == 2:
        return f"{parts[0]}^{_braced(parts[1])}"
    if tag in ("msub", "munder") and len(parts) == 2:
        return f"{parts[0]}_{_braced(parts[1])}"
    if tag in ("msubsup", "munderover") and len(parts) == 3:
        return f"{parts[0]}_{_braced(parts[1])}^{_braced(parts[2])}"
    if tag == "mfenced":
        return element.get("open", "(") + ", ".join(parts) + element.get("close", ")")
    if tag == "mtable":
        return "\\begin{matrix} " + " \\\\ ".join(parts) + " \\end{matrix}"
    if tag == "mtr":
        return " & ".join(parts)
    return " ".join(p for p in parts if p)


def math_element_latex(math: etree._Element) -> str:
    """LaTeX for a `<math>` element: its TeX annotation, else its `alttext`, else the MathML linearised."""
    for node in math.iter():
        if _local(node.tag) == "annotation" and (node.get("encoding") or "").lower() in (
            "application/x-tex",
            "tex",
            "latex",
            "text/x-tex",
        ):
            return "".join(node.itertext()).strip()
    alttext = (math.get("alttext") or "").strip()
    return alttext or mathml_to_latex(math)


def _math_wrapper(math: etree._Element) -> etree._Element:
    """The element to replace by the formula: the math itself, or the hidden/fallback wrapper around it
    (Wikipedia hides MathML in a `display: none` span beside a fallback image; trafilatura drops both)."""
    target = math
    for depth, ancestor in enumerate(math.iterancestors()):
        if depth >= MATH_WRAPPER_DEPTH:
            break
        style = (ancestor.get("style") or "").replace(" ", "").lower()
        if "display:none" in style or "mwe-math-element" in (ancestor.get("class") or ""):
            target = ancestor
    return target


def recover_math(tree: HtmlElement) -> None:
    """Turn MathJax scripts, KaTeX and MathML into LaTeX text in place; drop duplicate rendered math."""
    scripts = [s for s in tree.iter("script") if (s.get("type") or "").lower().startswith("math/")]
    maths = list(tree.iter("math", "m:math", "mml:math"))
    if not scripts and not maths:
        return  # most pages: two C-level scans and done
    for script in scripts:
        kind = (script.get("type") or "").lower().replace(" ", "")
        if kind.startswith("math/tex"):
            _replace_with_math(script, script.text or "", "mode=display" in kind)
        elif kind.startswith("math/asciimath"):
            _replace_with_text(script, f" {(script.text or '').strip()} ")
    for element in _RENDERED_MATH_XPATH(tree):
        if _RENDERED_MATH_CLASSES.intersection((element.get("class") or "").split()):
            _replace_with_text(element, "")
    for math in maths:
        if math.getparent() is None or any(_local(a.tag) == "math" for a in math.iterancestors()):
            continue
        display = (math.get("display") or "").lower() == "block" or (math.get("mode") or "") == "display"
        _replace_with_math(_math_wrapper(math), math_element_latex(math), display)


# --- code ------------------------------------------------------------------------------------------------

def _code_text(pre: etree._Element) -> str:
    """The text of a code block with `<br>` as line breaks and no-break spaces as spaces."""
    for br in list(pre.iter("br")):
        _replace_with_text(br, "\n")
    return "".join(pre.itertext()).replace("\xa0", " ")


def _words(element: etree._Element) -> list[str]:
    return "".join(element.itertext()).split()


def _unwrap_code_tables(tree: HtmlElement) -> None:
    """A table laid out as [line numbers | code] becomes the code block alone."""
    for table in list(tree.iter("table")):
        if table.getparent() is None or table.find(".//pre") is None:
            continue
        code_cells = [
            cell
            for cell in table.iter("td", "th")
            if not _GUTTER_CLASS.search(cell.get("class") or "") and not _DIGITS_ONLY.match("".join(cell.itertext()))
        ]
        # Only when every other cell is nothing but code; a table of prose that holds code stays a table.
        blocks = [pre for cell in code_cells for pre in cell.iter("pre")]
        code_words = [w for pre in blocks for w in _words(pre)]
        if not blocks or code_words != [w for cell in code_cells for w in _words(cell)]:
            continue
        tail, table.tail, previous = table.tail, None, table
        for block in blocks:
            block.tail = None
            previous.addnext(block)
            previous = block
        previous.tail = tail
        table.getparent().remove(table)


def protect_code(tree: HtmlElement) -> None:
    """Make code blocks survive extraction with their line breaks, indentation and blank lines."""
    _unwrap_code_tables(tree)
    for pre in list(tree.iter("pre")):
        ancestors = list(pre.iterancestors())
        if pre.getparent() is None or any(a.tag == "pre" for a in ancestors):
            continue
        for figure in (a for a in ancestors if a.tag == "figure"):
            figure.tag = "div"  # trafilatura drops figures with everything in them
        lines = _code_text(pre).strip("\n").split("\n")
        body = "\n".join(line if line.strip() else _BLANK_LINE_MARK for line in lines)
        had_code = pre.find(".//code") is not None
        for child in list(pre):
            pre.remove(child)
        if had_code:  # <pre><code> is what trafilatura renders as a code block
            pre.text = None
            etree.SubElement(pre, "code").text = body
        else:
            pre.text = body


# --- parsing --------------------------------------------------------------------------------------------

# What libxml2 must not see (as trafilatura's own loader repairs it), here on UTF-8 bytes, which is cheaper
# than on str: C0 controls, U+FFFE/U+FFFF, an XHTML doctype on the first line, a self-closing <html/>.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")  # U+FFFE, U+FFFF in UTF-8
_DOCTYPE_WITH_URL = re.compile(rb"^< ?! ?DOCTYPE[^>]*/[^<>]*>", re.IGNORECASE)
_SELF_CLOSING_HTML = re.compile(rb"(<html.*?)\s*/>", re.IGNORECASE)
# Elements trafilatura deletes anyway and whose early removal changed no output on 1,041 real pages; gone
# first, every pass is cheaper. (script, noscript, template and head are not here: trafilatura's heuristics
# see their text, and removing them early changed 6 of those pages, some for the worse.)
NEVER_TEXT_TAGS = ("style", "svg", "iframe", "link", "meta", "object", "embed", "canvas")


@functools.lru_cache(maxsize=1)
def _html_parser() -> lxml.html.HTMLParser:
    """trafilatura's parser settings, with a C-level element class lookup: lxml.html's default calls back
    into Python for every element proxy (7% of extraction time) only to give form fields their own
    classes, which extraction never uses. Every element is still an HtmlElement."""
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


def parse_html(data: bytes) -> HtmlElement | None:
    """Parse UTF-8 HTML bytes into the tree trafilatura expects (its parser settings and repairs);
    None when the bytes are not HTML."""
    data = data.translate(None, _CONTROL_BYTES)  # one C pass; a regex here cost more than the parse
    for nonchar in _NONCHARACTERS:
        if nonchar in data:
            data = data.replace(nonchar, b"")
    beginning = data[:50].lower()
    if b"doctype" in beginning:
        first, newline, rest = data.partition(b"\n")
        data = _DOCTYPE_WITH_URL.sub(b"", first, count=1) + newline + rest
    for line in data[:4096].splitlines()[:4]:
        if b"<html" in line and line.endswith(b"/>"):
            data = _SELF_CLOSING_HTML.sub(rb"\1>", data, count=1)
            break
    try:
        tree = lxml.html.fromstring(data, parser=_html_parser())
    except (etree.LxmlError, ValueError, TypeError):  # e.g. "Document is empty"
        return None
    if b"html" not in beginning and len(tree) < 2:
        return None  # a fragment or not HTML at all (trafilatura's own test)
    return tree


# --- extraction ------------------------------------------------------------------------------------------

def prepare_tree(tree: HtmlElement, *, keep_code: bool = True, keep_math: bool = True) -> HtmlElement:
    """Rewrite math and code in place so trafilatura keeps them."""
    if keep_math:
        recover_math(tree)
    if keep_code:
        protect_code(tree)
    return tree


def extract_text(
    html: str | bytes,
    url: str = "",
    *,
    fast: bool = True,
    favor_recall: bool = True,
    favor_precision: bool = False,
    include_comments: bool = False,
    include_tables: bool = True,
    keep_code: bool = True,
    keep_math: bool = True,
) -> str:
    """The main text of `html` (str, or UTF-8 bytes) as plain text ("" when the page has none). Code blocks
    keep their layout and math its LaTeX (see the module docstring). The trafilatura options are its own;
    `fast` skips its fallback extractors, which on the evaluation set cost time without gaining F1."""
    tree = parse_html(html.encode("utf-8", "surrogatepass") if isinstance(html, str) else html)
    if tree is None:
        return ""
    prepare_tree(tree, keep_code=keep_code, keep_math=keep_math)  # first: math hides in <script>
    etree.strip_elements(tree, *NEVER_TEXT_TAGS, with_tail=False)
    text = trafilatura_extract(
        tree,
        url=url or None,
        output_format="txt",
        fast=fast,
        favor_recall=favor_recall,
        favor_precision=favor_precision,
        include_comments=include_comments,
        include_tables=include_tables,
        deduplicate=False,  # its cache spans pages: output would depend on their order
    )
    if not text:
        return ""
    return _BLANK_LINE_MARK_RE.sub("", text) if keep_code else text
