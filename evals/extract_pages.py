"""Gold sets of labelled page types no public benchmark we can fetch provides: code, math, Q&A/forum, Chinese.

    .venv/bin/python -m evals.extract_pages [--out /work/cache/extract-eval]

The content is real public benchmark text; only the page around it is made here, in the markup real sites
use (documented per layout below), with navigation, sidebars, share bars and footers around it:
- code: HumanEval prompts+solutions and MBPP solutions (../shared/data/benchmarks), in ten code layouts;
- math: MATH test problems and solutions (their `$...$` LaTeX), in eight math encodings;
- Q&A/forum: GSM8K and MBPP questions with their answers as answer posts, plus comments, in four forum engines;
- Chinese: ThePaper.cn articles from the CLTS samples (github.com/lxj5957/CLTS-Dataset, fetched into
  `<out>/sources`), as UTF-8 and as gb18030 bytes labelled gb2312 (what many Chinese sites send).
Each page's gold is the text a reader would keep (title, prose, code lines, formulas as LaTeX). Written to
`<out>/<set>/pages.jsonl` ({"id", "html_b64", "content_type", "gold", "code_lines", "formulas"}); seeded.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import html as htmllib
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "data" / "benchmarks"
OUT = Path("/work/cache/extract-eval")
SEED = 14
PAGES_PER_SET = 60

_NAV = ["Home", "Blog", "Tutorials", "About", "Contact", "Archive", "Tags", "RSS", "Newsletter", "Sponsors"]
_SIDEBAR = ["Popular posts", "Understanding closures", "A guide to profiling", "Ten tips for faster builds",
            "Why types matter", "Notes on floating point", "Caching strategies", "Reading list 2024"]


def esc(text: str) -> str:
    return htmllib.escape(text, quote=False)


def shell(rng: random.Random, title: str, main: str, *, head: str = "", lang: str = "en", charset: str = "utf-8",
          sidebar: list[str] | None = None) -> str:
    """A page with the boilerplate a real site wraps its content in."""
    nav = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in rng.sample(_NAV, 6))
    side = "".join(f'<li><a href="/p/{i}">{esc(s)}</a></li>' for i, s in enumerate(rng.sample(sidebar or _SIDEBAR, 5)))
    share = '<div class="share-buttons"><a href="#">Share on Twitter</a> <a href="#">Share on Facebook</a></div>'
    cookie = '<div id="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>'
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="{charset}"><title>{esc(title)} | Dev Notes</title>'
        f'{head}<link rel="stylesheet" href="/site.css"></head><body>{cookie}<header class="site-header">'
        f'<div class="logo">Dev Notes</div><nav class="menu"><ul>{nav}</ul></nav></header>'
        f'<div class="container"><main id="content">{main}{share}</main>'
        f'<aside class="sidebar"><h3>Related</h3><ul>{side}</ul><h3>Tags</h3><p class="tags">'
        f'python algorithms math tips</p></aside></div><footer class="site-footer">© 2024 Dev Notes. '
        f'<a href="/privacy">Privacy</a> · <a href="/terms">Terms</a></footer></body></html>'
    )


# --- code --------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"(\s+|[A-Za-z_]\w*|\d+|.)")
_KEYWORDS = frozenset(["def", "return", "if", "else", "elif", "for", "while", "in", "import", "from", "class", "not", "and", "or", "None", "True", "False"])


def _spans(line: str) -> str:
    """A line as a highlighter renders it: keywords and names in spans."""
    out = []
    for tok in _TOKEN.findall(line):
        if tok in _KEYWORDS:
            out.append(f'<span class="hljs-keyword">{esc(tok)}</span>')
        elif tok.isidentifier():
            out.append(f'<span class="n">{esc(tok)}</span>')
        else:
            out.append(esc(tok))
    return "".join(out)


def _nbsp(line: str) -> str:
    stripped = line.lstrip(" ")
    return "&nbsp;" * (len(line) - len(stripped)) + _spans(stripped)


def code_layouts() -> dict[str, Callable[[list[str]], str]]:
    """Code markup as real sites emit it, one function per layout."""
    def numbered(lines: list[str]) -> list[str]:
        return [str(i) for i in range(1, len(lines) + 1)]

    return {
        # highlight.js / Prism: <pre><code> with token spans
        "pre-code": lambda ls: '<pre><code class="language-python">' + "\n".join(map(_spans, ls)) + "</code></pre>",
        # hexo: a table of a gutter <pre> and a code <pre> of per-line spans joined by <br>
        "hexo-table": lambda ls: (
            '<figure class="highlight python"><table><tr><td class="gutter"><pre>'
            + "<br>".join(f'<span class="line">{n}</span>' for n in numbered(ls))
            + '</pre></td><td class="code"><pre>'
            + "<br>".join(f'<span class="line">{_spans(x)}</span>' for x in ls) + "</pre></td></tr></table></figure>"
        ),
        # SyntaxHighlighter 3: no <pre>, a div per line, indentation as <code class="spaces">&nbsp;</code>
        "syntaxhighlighter": lambda ls: (
            '<div id="highlighter_1" class="syntaxhighlighter python"><table border="0" cellpadding="0" '
            'cellspacing="0"><tbody><tr><td class="gutter">'
            + "".join(f'<div class="line number{n} index{i} alt{2 - i % 2}">{n}</div>' for i, n in enumerate(numbered(ls)))
            + '</td><td class="code"><div class="container">'
            + "".join(
                f'<div class="line number{i + 1} index{i} alt{2 - i % 2}">'
                + (f'<code class="python spaces">{"&nbsp;" * (len(x) - len(x.lstrip()))}</code>' if x[:1] == " " else "")
                + f'<code class="python plain">{_spans(x.lstrip()) or "&nbsp;"}</code></div>'
                for i, x in enumerate(ls)
            )
            + "</div></td></tr></tbody></table></div>"
        ),
        # gitiles: one table row per line, the number in a data attribute
        "gitiles": lambda ls: (
            '<table class="FileContents">'
            + "".join(
                f'<tr class="u-pre u-monospace FileContents-line"><td class="u-lineNum u-noSelect '
                f'FileContents-lineNum" data-line-number="{i + 1}"></td><td class="FileContents-lineContents" '
                f'id="{i + 1}">{_spans(x)}</td></tr>'
                for i, x in enumerate(ls)
            )
            + "</table>"
        ),
        # Gitea: rows of a line-number cell and a <code class="code-inner"> cell
        "gitea": lambda ls: (
            '<div class="file-view code-view"><table><tbody>'
            + "".join(
                f'<tr><td id="L{i + 1}" class="lines-num"><span id="L{i + 1}" data-line-number="{i + 1}"></span>'
                f'</td><td rel="L{i + 1}" class="lines-code chroma"><code class="code-inner">{_spans(x)}</code></td></tr>'
                for i, x in enumerate(ls)
            )
            + "</tbody></table></div>"
        ),
        # GitHub's classic blob view
        "github-blob": lambda ls: (
            '<table class="highlight tab-size js-file-line-container">'
            + "".join(
                f'<tr><td id="L{i + 1}" class="blob-num js-line-number" data-line-number="{i + 1}"></td>'
                f'<td id="LC{i + 1}" class="blob-code blob-code-inner js-file-line">{_spans(x)}</td></tr>'
                for i, x in enumerate(ls)
            )
            + "</table>"
        ),
        # forum posts: <code> with <br> lines and &nbsp; indentation
        "br-code": lambda ls: "<p>Here is the code:</p><code>" + "<br>".join(map(_nbsp, ls)) + "</code>",
        # old blogs: a div with a code class, <br> lines
        "br-div": lambda ls: '<div class="code">' + "<br />\n".join(map(_nbsp, ls)) + "</div>",
        # Jupyter nbconvert: prompt, input area with a highlight <pre>, output area
        "notebook": lambda ls: (
            '<div class="cell border-box-sizing code_cell rendered"><div class="input"><div class="prompt '
            'input_prompt">In&nbsp;[3]:</div><div class="inner_cell"><div class="input_area"><div class="highlight '
            'hl-ipython3"><pre><span></span>' + "\n".join(map(_spans, ls)) + "\n</pre></div></div></div></div></div>"
        ),
        # Pygments linenos="table" (Sphinx, MkDocs)
        "pygments-table": lambda ls: (
            '<div class="highlight"><table class="highlighttable"><tr><td class="linenos"><div class="linenodiv">'
            "<pre>" + "\n".join(numbered(ls)) + '</pre></div></td><td class="code"><div class="highlight"><pre>'
            + "\n".join(map(_spans, ls)) + "</pre></div></td></tr></table></div>"
        ),
    }


def _code_items() -> list[tuple[str, str]]:
    items = []
    with gzip.open(BENCH / "humaneval" / "HumanEval.jsonl.gz", "rt") as fh:
        for line in fh:
            row = json.loads(line)
            doc = re.search(r'"""(.*?)"""', row["prompt"], re.DOTALL)
            prose = " ".join((doc.group(1) if doc else row["entry_point"]).split(">>>")[0].split())
            items.append((prose, (row["prompt"] + row["canonical_solution"]).strip("\n")))
    for line in (BENCH / "mbpp" / "mbpp.jsonl").read_text().splitlines():
        row = json.loads(line)
        items.append((row["text"], row["code"].replace("\r\n", "\n").replace("\t", "    ").strip("\n")))
    return items


def code_pages(rng: random.Random, n: int) -> list[dict]:
    layouts = code_layouts()
    items = _code_items()
    pages = []
    for i in range(n):
        name = list(layouts)[i % len(layouts)]
        prose, code = rng.choice(items)
        lines = [x.rstrip() for x in code.split("\n")]
        title = f"Solving it in Python: {prose[:50]}"
        intro = f"In this post we look at the following task. {prose} The solution below is short and readable."
        outro = "Run it with a few inputs to check the edge cases; the tests in the repository cover the rest."
        main = (f'<article class="post"><h1 class="entry-title">{esc(title)}</h1><div class="entry-content">'
                f"<p>{esc(intro)}</p>{layouts[name](lines)}<p>{esc(outro)}</p></div></article>")
        gold = "\n".join([title, intro, *lines, outro])
        pages.append({"id": f"code-{i:03d}-{name}", "html": shell(rng, title, main), "gold": gold,
                      "code_lines": [x for x in lines if x.strip()], "formulas": []})
    return pages


# --- math --------------------------------------------------------------------------------------------------

_FORMULA = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.DOTALL)


def _mathml(tex: str, display: bool) -> str:
    from latex2mathml.converter import convert

    return convert(tex, display="block" if display else "inline")


def math_forms() -> dict[str, Callable[[str, bool], str]]:
    """One formula as each encoding renders it on real pages."""
    from urllib.parse import quote as urlquote

    return {
        "tex-dollars": lambda t, d: f"$${esc(t)}$$" if d else f"${esc(t)}$",
        "mathjax2": lambda t, d: (
            f'<span class="MathJax_Preview">{esc(t)}</span><span class="MathJax" role="presentation">'
            f'<nobr><span class="math"><span class="mrow">{esc(re.sub(r"[{}]", "", t))}</span></span></nobr></span>'
            f'<script type="math/tex{"; mode=display" if d else ""}">{esc(t)}</script>'
        ),
        "mathjax3": lambda t, d: (
            '<mjx-container class="MathJax CtxtMenu_Attached_0" jax="CHTML"' + (' display="true"' if d else "") + ">"
            f'<mjx-math class="MJX-TEX" aria-hidden="true"><mjx-mi class="mjx-i"><mjx-c class="mjx-c1D465 TEX-I">'
            f'</mjx-c></mjx-mi></mjx-math><mjx-assistive-mml unselectable="on" display="{"block" if d else "inline"}">'
            f"{_mathml(t, d)}</mjx-assistive-mml></mjx-container>"
        ),
        "katex": lambda t, d: (
            f'<span class="katex{"-display" if d else ""}"><span class="katex"><span class="katex-mathml">'
            + _mathml(t, d).replace("</math>", "").split(">", 1)[0] + "><semantics>"
            + _mathml(t, d).split(">", 1)[1].replace("</math>", "")
            + f'<annotation encoding="application/x-tex">{esc(t)}</annotation></semantics></math></span>'
            f'<span class="katex-html" aria-hidden="true"><span class="base">{esc(re.sub(r"[{}]", "", t))}'
            "</span></span></span></span>"
        ),
        "mathml": lambda t, d: _mathml(t, d),
        "wp-latex": lambda t, d: (
            f'<img src="https://s0.wp.com/latex.php?latex={urlquote(t)}&amp;bg=ffffff&amp;fg=000000&amp;s=0" '
            f'alt="{htmllib.escape(t)}" title="{htmllib.escape(t)}" class="latex" />'
        ),
        "codecogs": lambda t, d: (
            f'<img src="https://latex.codecogs.com/png.latex?{urlquote(t)}" alt="{htmllib.escape(t)}" '
            f'style="vertical-align:middle" />'
        ),
        "wikipedia": lambda t, d: (
            f'<span class="mwe-math-element"><span class="mwe-math-mathml-{"display" if d else "inline"} '
            f'mwe-math-mathml-a11y" style="display: none;">'
            + _mathml(t, d).replace("</math>", "").split(">", 1)[0] + "><semantics>"
            + _mathml(t, d).split(">", 1)[1].replace("</math>", "")
            + f'<annotation encoding="application/x-tex">{{\\displaystyle {esc(t)}}}</annotation></semantics></math>'
            f'</span><img src="https://wikimedia.org/api/rest_v1/media/math/render/svg/abc" '
            f'class="mwe-math-fallback-image-{"display" if d else "inline"}" aria-hidden="true" '
            f'alt="{{\\displaystyle {htmllib.escape(t)}}}"></span>'
        ),
    }


def _math_html(text: str, form: Callable[[str, bool], str]) -> tuple[str, str, list[str]]:
    """Prose with its formulas in one encoding; gold text with formulas as `\\( \\)`; the formulas."""
    html, gold, formulas, pos = [], [], [], 0
    for m in _FORMULA.finditer(text):
        tex, display = (m.group(1) or m.group(2)).strip(), m.group(1) is not None
        html.append(esc(text[pos:m.start()]))
        gold.append(text[pos:m.start()])
        try:
            html.append(form(tex, display))
        except Exception:  # noqa: BLE001 - latex2mathml cannot parse it: leave it as TeX, as a site would
            html.append(esc(m.group(0)))
        gold.append(f"\\[{tex}\\]" if display else f"\\({tex}\\)")
        formulas.append(tex)
        pos = m.end()
    html.append(esc(text[pos:]))
    gold.append(text[pos:])
    return "".join(html), "".join(gold), formulas


def math_pages(rng: random.Random, n: int) -> list[dict]:
    forms = math_forms()
    rows = [json.loads(x) for x in (BENCH / "math" / "MATH_test.jsonl").read_text().splitlines()]
    rows = [r for r in rows if 2 <= r["solution"].count("$") and "\\begin" not in r["solution"] + r["problem"]
            and "[asy]" not in r["solution"] + r["problem"]]
    pages = []
    for i in range(n):
        name = list(forms)[i % len(forms)]
        row = rng.choice(rows)
        title = f"{row['type']} problem, worked solution"
        parts = [_math_html(p, forms[name]) for p in (row["problem"], row["solution"])]
        main = (f'<article><h1>{esc(title)}</h1><h2>Problem</h2><p>{parts[0][0]}</p><h2>Solution</h2>'
                + "".join(f"<p>{para}</p>" for para in parts[1][0].split("\n\n")) + "</article>")
        head = '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
        gold = "\n".join([title, "Problem", parts[0][1], "Solution", parts[1][1]])
        pages.append({"id": f"math-{i:03d}-{name}", "html": shell(rng, title, main, head=head), "gold": gold,
                      "code_lines": [], "formulas": parts[0][2] + parts[1][2]})
    return pages


# --- Q&A / forum --------------------------------------------------------------------------------------------

_COMMENTS = ["Thanks, this works for my case too.", "Could you explain why the second step is needed?",
             "Nice answer, but what happens when the input is empty?", "This saved me a lot of time, thank you!",
             "I get a different result with large numbers; is overflow a concern here?",
             "Great explanation of the edge cases.", "Have you measured how fast this is on long inputs?"]
_USERS = ["alice_k", "bob.dev", "m_chen", "priya92", "tomasz", "user31337", "grace_h"]


def _qa_items() -> list[tuple[str, list[str], list[str]]]:
    """(question, answer texts, code lines of answers) from GSM8K and MBPP."""
    items = []
    for line in (BENCH / "gsm8k" / "test.jsonl").read_text().splitlines()[:400]:
        row = json.loads(line)
        answer = re.sub(r"<<.*?>>", "", row["answer"]).replace("####", "So the answer is")
        items.append((row["question"], [answer], []))
    for line in (BENCH / "mbpp" / "mbpp.jsonl").read_text().splitlines()[:400]:
        row = json.loads(line)
        code = [x.rstrip() for x in row["code"].replace("\r\n", "\n").replace("\t", "    ").strip("\n").split("\n")]
        items.append((f"How do I {row['text'][0].lower()}{row['text'][1:]}", ["This does it:", "\n".join(code)],
                      [x for x in code if x.strip()]))
    return items


def _answer_html(parts: list[str]) -> str:
    return "".join(f"<pre><code>{esc(p)}</code></pre>" if "\n" in p and ("def " in p or "return" in p)
                   else f"<p>{esc(p)}</p>" for p in parts)


def qa_engines() -> dict[str, Callable[[random.Random, str, list[list[str]], list[list[str]]], str]]:
    """Thread markup of Q&A and forum engines: (rng, question, answers, comments per post) -> main HTML."""
    def comments_se(cs: list[str]) -> str:
        return ('<div class="comments js-comments-container"><ul class="comments-list">' + "".join(
            f'<li class="comment js-comment"><div class="comment-body"><span class="comment-copy">{esc(c)}</span> – '
            f'<a class="comment-user">{_USERS[i % 7]}</a> <span class="comment-date">Mar {i + 3}, 2021</span></div></li>'
            for i, c in enumerate(cs)) + "</ul></div>")

    def stackexchange(rng, q, answers, comments):
        body = (f'<div id="question" class="question" itemprop="mainEntity" itemscope itemtype="https://schema.org/Question">'
                f'<h1 itemprop="name">{esc(q[:80])}</h1><div class="s-prose js-post-body" itemprop="text"><p>{esc(q)}</p></div>'
                f'<div class="post-signature">asked by {rng.choice(_USERS)}</div>{comments_se(comments[0])}</div>'
                f'<div id="answers"><h2>{len(answers)} Answers</h2>')
        for a, cs in zip(answers, comments[1:]):
            body += (f'<div class="answer js-answer" itemscope itemtype="https://schema.org/Answer">'
                     f'<div class="js-vote-count">{rng.randint(0, 40)}</div><div class="s-prose js-post-body" '
                     f'itemprop="text">{_answer_html(a)}</div><div class="post-signature">answered by '
                     f'{rng.choice(_USERS)}</div>{comments_se(cs)}</div>')
        return f'<div itemscope itemtype="https://schema.org/QAPage">{body}</div></div>'

    def discourse(rng, q, answers, comments):
        posts = [[q], *answers]
        return (f'<div id="topic-title"><h1>{esc(q[:80])}</h1></div><div class="topic-body">' + "".join(
            f'<div class="topic-post"><article class="boxed onscreen-post"><div class="topic-meta-data">'
            f'<span class="username">{rng.choice(_USERS)}</span></div><div class="regular contents">'
            f'<div class="cooked">{_answer_html(p)}{"".join(f"<p>{esc(c)}</p>" for c in cs)}</div></div></article></div>'
            for p, cs in zip(posts, comments)) + "</div>")

    def phpbb(rng, q, answers, comments):
        posts = [[q], *answers]
        return (f'<h2 class="topic-title">{esc(q[:80])}</h2>' + "".join(
            f'<div id="p{1000 + i}" class="post has-profile bg{1 + i % 2}"><div class="inner"><dl class="postprofile">'
            f'<dt><a class="username">{rng.choice(_USERS)}</a></dt><dd>Posts: {rng.randint(1, 900)}</dd></dl>'
            f'<div class="postbody"><h3>Re: {esc(q[:40])}</h3><div class="content">{_answer_html(p)}'
            f'{"".join(f"<p>{esc(c)}</p>" for c in cs)}</div></div></div></div>'
            for i, (p, cs) in enumerate(zip(posts, comments))))

    def vbulletin(rng, q, answers, comments):
        posts = [[q], *answers]
        return (f'<h1 class="threadtitle">{esc(q[:80])}</h1><ol id="posts" class="posts">' + "".join(
            f'<li class="postbitlegacy postcontainer" id="post_{i}"><div class="posthead"><span class="date">'
            f'03-0{i + 1}-2019</span></div><div class="userinfo"><a class="username">{rng.choice(_USERS)}</a></div>'
            f'<div class="postdetails"><div class="content"><blockquote class="postcontent restore">'
            f'{_answer_html(p)}{"".join(f"<p>{esc(c)}</p>" for c in cs)}</blockquote></div></div></li>'
            for i, (p, cs) in enumerate(zip(posts, comments))) + "</ol>")

    return {"stackexchange": stackexchange, "discourse": discourse, "phpbb": phpbb, "vbulletin": vbulletin}


def qa_pages(rng: random.Random, n: int) -> list[dict]:
    engines = qa_engines()
    generators = {"discourse": "Discourse 3.1.0", "phpbb": "", "vbulletin": "vBulletin 4.2.5", "stackexchange": ""}
    items = _qa_items()
    pages = []
    for i in range(n):
        name = list(engines)[i % len(engines)]
        question, answer, code = rng.choice(items)
        answers = [answer] + [[rng.choice(items)[1][0]] for _ in range(rng.randint(0, 2))]
        comments = [rng.sample(_COMMENTS, rng.randint(0, 3)) for _ in range(len(answers) + 1)]
        main = engines[name](rng, question, answers, comments)
        head = f'<meta name="generator" content="{generators[name]}">' if generators[name] else ""
        gold = "\n".join([question, *comments[0], *(x for a, cs in zip(answers, comments[1:]) for x in [*a, *cs])])
        pages.append({"id": f"qa-{i:03d}-{name}", "html": shell(rng, question[:60], main, head=head), "gold": gold,
                      "code_lines": code, "formulas": []})
    return pages


# --- Chinese -----------------------------------------------------------------------------------------------

_ZH_NAV = ["首页", "新闻", "财经", "科技", "体育", "娱乐", "评论", "视频", "图片", "专题"]


def chinese_pages(rng: random.Random, sources: Path) -> list[dict]:
    text = (sources / "clts-samples.txt").read_text(encoding="utf-8")
    articles = [json.loads(line)["article"] for line in text.splitlines() if line.startswith('{"article"')]
    summaries = [json.loads(line)["summarization"] for line in text.splitlines() if line.startswith('{"summ')]
    pages = []
    for i, (article, summary) in enumerate(zip(articles, summaries)):
        paras = [p for p in re.split(r"(?<=[。！？])", article) if p.strip()]
        chunk = max(1, len(paras) // 4)
        paras = ["".join(paras[k:k + chunk]) for k in range(0, len(paras), chunk)]
        for variant, charset in enumerate(("utf-8", "gb2312")):
            title = summary[:28]
            nav = "".join(f'<a href="/c/{k}">{x}</a>' for k, x in enumerate(rng.sample(_ZH_NAV, 7)))
            hot = "".join(f"<li><a href='/n/{k}'>{s[:20]}</a></li>" for k, s in enumerate(rng.sample(summaries, 4)))
            body = "".join(f"<p>{esc(p)}</p>" for p in paras)
            layout = ("<div class='news_txt'>" if variant else "<div class='article-content'>") + body + "</div>"
            page = (f'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
                    f"<title>{title}_澎湃新闻</title></head><body><div class='head'>{nav}</div>"
                    f"<div class='main'><h1 class='news_title'>{esc(title)}</h1><div class='news_about'>"
                    f"<p>澎湃新闻记者</p><p>2019-12-0{i + 1} 08:00 来源：澎湃新闻</p></div>{layout}"
                    f"<div class='news_editor'>责任编辑：王某</div></div><div class='side'><h2>热门新闻</h2><ul>{hot}</ul></div>"
                    f"<div class='foot'>沪ICP备14003370号 © 2014-2019 上海东方报业有限公司</div></body></html>")
            data = page.encode("gb18030" if charset == "gb2312" else "utf-8")
            pages.append({"id": f"zh-{i:02d}-{charset}", "bytes": data, "content_type": "text/html",
                          "gold": "\n".join([title, *paras]), "code_lines": [], "formulas": []})
    return pages


def write_set(out: Path, name: str, pages: list[dict]) -> None:
    (out / name).mkdir(parents=True, exist_ok=True)
    with open(out / name / "pages.jsonl", "w", encoding="utf-8") as fh:
        for page in pages:
            data = page.pop("bytes", None) or page.pop("html").encode("utf-8")
            page.setdefault("content_type", "text/html; charset=utf-8")
            fh.write(json.dumps({**page, "html_b64": base64.b64encode(data).decode()}, ensure_ascii=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not BENCH.is_dir():
        print(f"extract-pages: skipped, {BENCH} is absent")
        return 0
    rng = random.Random(SEED)
    write_set(args.out, "code", code_pages(rng, PAGES_PER_SET))
    write_set(args.out, "math", math_pages(rng, PAGES_PER_SET))
    write_set(args.out, "qa", qa_pages(rng, PAGES_PER_SET))
    if (args.out / "sources" / "clts-samples.txt").exists():
        write_set(args.out, "chinese", chinese_pages(rng, args.out / "sources"))
    else:
        print(f"extract-pages: no Chinese set, {args.out / 'sources' / 'clts-samples.txt'} is absent "
              "(fetch github.com/lxj5957/CLTS-Dataset samples.txt there)")
    print(f"wrote gold sets under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
