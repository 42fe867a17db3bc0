"""Gold derivation of the real documentation pages (evals/docs_gold.py): body, code lines, formulas."""
import json

from evals.docs_gold import body_text, formulas_in, markdown_blocks, notebook_blocks, page_gold, rst_blocks

PAGE = b"""<html><body><nav>Home Docs Blog</nav>
<div role="main"><div class="topbar">Edit on GitHub</div>
<div class="section" id="s"><h1>Loops<a class="headerlink" href="#s">\xc2\xb6</a></h1>
<p>A loop in <em>Python</em> repeats, with \\(x^2\\) per step and a longer sentence for the minimum size.</p>
<div class="toctree-wrapper"><ul><li><a href="a.html">Chapter A</a></li></ul></div>
<div class="highlight"><pre>for i in range(3):
\tprint(i)
</pre></div>
<div class="section" id="t"><h2>Nested</h2><p>Inner text that belongs to the outer section too.</p>
<p>Filler prose so the body passes the minimum length. Filler prose so the body passes the minimum length. Filler prose so the body passes the minimum length. Filler prose so the body passes the minimum length. Filler prose so the body passes the minimum length. </p></div>
</div>
<div class="prev-next">previous: Strings</div></div>
<footer>Copyright</footer></body></html>"""


def test_body_is_the_outermost_sections_without_navigation():
    text = body_text(PAGE)
    assert text.startswith("Loops")
    assert "Inner text that belongs" in text and "print(i)" in text
    for noise in ("Home Docs", "Edit on GitHub", "\u00b6", "Chapter A", "previous: Strings", "Copyright"):
        assert noise not in text
    assert text.count("Inner text") == 1  # a nested section is not counted twice


def test_markdown_code_blocks_and_prose():
    src = "# T\nSome `$x$ inline` code and $a+b$.\n\n```{code-cell} python\n:tags: [hide-input]\nx = 1\n```\n" \
          "```{math}\n:label: eq\nE = mc^2\n```\n```{note}\nSee $y_1$.\n```\n~~~\n  indented\n~~~\n"
    blocks, prose = markdown_blocks(src)
    assert blocks == [["x = 1"], ["  indented"]]
    assert formulas_in(prose) == ["a+b", "E = mc^2", "y_1"]


def test_dollar_pairs_that_are_not_tex_are_ignored():
    assert formulas_in("变量 $@ 表示目标，$< 表示依赖") == []
    assert formulas_in("costs $5 and $10 dollars") == []
    assert formulas_in(r"\begin{align} a &= b \end{align}") == [r"\begin{align} a &= b \end{align}"]


def test_notebook_cells():
    nb = {"cells": [{"cell_type": "markdown", "source": ["Area $\\pi r^2$\n"]},
                    {"cell_type": "code", "source": ["r = 2\n", "a = 3.14 * r**2"]},
                    {"cell_type": "code", "metadata": {"tags": ["remove-input"]}, "source": "secret = 1"}]}
    blocks, prose = notebook_blocks(json.dumps(nb))
    assert blocks == [["r = 2", "a = 3.14 * r**2"]]
    assert formulas_in(prose) == ["\\pi r^2"]


def test_rst_literal_blocks_and_math():
    src = "Title\n=====\n\nRun this::\n\n    make html\n      -j 2\n\n.. code-block:: c\n   :linenos:\n\n   int x;\n\n" \
          "Energy :math:`E=mc^2`.\n\n.. math::\n\n   a^2 + b^2 = c^2\n"
    blocks, prose = rst_blocks(src)
    assert blocks == [["make html", "  -j 2"], ["int x;"]]
    assert formulas_in(prose) == ["E=mc^2", "a^2 + b^2 = c^2"]


def test_page_gold_keeps_only_what_the_page_shows():
    source = "# Loops\n\n$x^2$ and $z^9$\n\n```python\nfor i in range(3):\n\tprint(i)\nnot_rendered()\n```\n"
    gold = page_gold(PAGE, "loops.md", source)
    assert gold["code_lines"] == ["for i in range(3):", "\tprint(i)"]
    assert gold["dropped_code_lines"] == 1
    assert gold["formulas"] == ["x^2"] and gold["dropped_formulas"] == 1
    assert page_gold(b"<div role='main'><div class='section'><p>short</p></div></div>", "a.md", "short") is None
