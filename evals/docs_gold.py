"""Real-page gold sets from rendered documentation committed next to its sources (Sphinx / Jupyter Book).

    .venv/bin/python -m evals.docs_gold --mirrors DIR [--out /work/cache/extract-eval]

Why these pages: a Sphinx or Jupyter Book build keeps, beside every rendered page, the source it came from
(`_sources/<page>.md|.ipynb|.rst[.txt]`). So each page is real site output (theme navigation, sidebars,
tables of contents, previous/next bars, highlighted code, MathJax markup) whose gold does not depend on any
extractor:
- gold text: the page's document body, i.e. the outermost `section` elements inside its `role="main"`
  element or Jupyter Book's `article.bd-article` (docutils writes the source's sections there and nothing
  else), without permalink anchors and toctree link lists (navigation);
- gold code lines: the code blocks of the source (fenced blocks, notebook code cells, rst literal blocks),
  tabs as the page renders them (kept, or expanded to 8 columns); a line the page does not show (a removed
  cell) is left out;
- gold formulas: the TeX of the source (`$..$`, `$$..$$`, `{math}` blocks, `:math:`, `.. math::`,
  `\\begin{env}..\\end{env}`); a formula the page does not show is left out.
Pages whose body has under MIN_GOLD_CHARS characters (toctree-only index pages) are skipped. The data stays
outside the repository: `<out>/<set>/pages.jsonl` (the format of evals/extract_pages.py) plus a SOURCE file
naming the repositories, commits and licences. The repositories (DOCS_SETS, pinned commits) are cloned by
hand into DIR: no package registry serves them, so `make eval-extract` shows these rows only where they exist.
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import lxml.html

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evals.eval_extract import tex_key

OUT = Path("/work/cache/extract-eval")
MIN_GOLD_CHARS = 300
_BLOCK = {"p", "div", "section", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "dt",
          "dd", "br", "table", "blockquote", "figure", "figcaption", "ul", "ol", "dl"}
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*(\{?)([^\s`}]*)\}?(.*)$")
_DOLLARS = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$(?!\d)", re.DOTALL)
_ENV = re.compile(r"\\begin\{(equation|align|gather|multline|eqnarray)(\*?)\}.*?\\end\{\1\2\}", re.DOTALL)
_RST_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_TEXISH = re.compile(r"[A-Za-z0-9\\]")
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_CODE_DIRECTIVES = {"", "code-cell", "code-block", "code", "sourcecode"}


def _is_section(el: lxml.html.HtmlElement) -> bool:
    return el.tag == "section" or (el.tag == "div" and "section" in (el.get("class") or "").split())


def body_text(html: bytes) -> str:
    """The page's document body: outermost sections inside the role=main element, permalinks removed."""
    root = lxml.html.fromstring(html)
    main = root.xpath("//*[@role='main']|//article[contains(concat(' ', @class, ' '), ' bd-article ')]")
    if not main:
        return ""
    for el in main[0].xpath(".//a[contains(concat(' ', @class, ' '), ' headerlink ')]|.//script|.//style"
                           "|.//div[contains(concat(' ', @class, ' '), ' toctree-wrapper ')]"):
        el.drop_tree()
    sections = [el for el in main[0].iter("section", "div") if _is_section(el)
                and not any(_is_section(up) for up in el.iterancestors() if main[0] in up.iterancestors())]
    for section in sections:
        for el in section.iter():
            if isinstance(el.tag, str) and el.tag in _BLOCK:
                el.tail = "\n" + (el.tail or "")
    return "\n".join("".join(s.itertext()) for s in sections).strip()


def markdown_blocks(text: str) -> tuple[list[list[str]], str]:
    """(code blocks of a MyST/CommonMark page, the prose with code blocks and inline code removed)."""
    blocks: list[list[str]] = []
    prose: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            prose.append(_INLINE_CODE.sub(" ", lines[i]))
            i += 1
            continue
        indent, fence, directive, name = len(m.group(1)), m.group(2), m.group(3), m.group(4)
        body: list[str] = []
        i += 1
        while i < len(lines) and not (lines[i].lstrip().startswith(fence) and not lines[i].strip(fence[0]).strip()):
            body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
            i += 1
        i += 1
        if directive and name == "math":
            prose.append("$$" + "\n".join(x for x in body if not re.match(r"\s*:\w[\w-]*:", x)) + "$$")
        elif not directive or name in _CODE_DIRECTIVES:
            if directive:  # MyST directive options: `:key: value` lines, or a `---` YAML block
                if body and body[0].strip() == "---":
                    end = body.index("---", 1) if "---" in body[1:] else 0
                    body = body[end + 1:]
                while body and re.match(r":\w[\w-]*:", body[0]):
                    body = body[1:]
            blocks.append(body)
        else:
            prose.extend(body)  # admonitions and other directives hold prose (and nested math)
    return blocks, "\n".join(prose)


def rst_blocks(text: str) -> tuple[list[list[str]], str]:
    """(literal/code blocks of an rst page, the prose with formulas as `$$..$$`)."""
    blocks: list[list[str]] = []
    prose: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = re.match(r"\s*\.\. (code-block|code|sourcecode|math)::", line)
        if directive or (line.rstrip().endswith("::") and not line.lstrip().startswith("..")):
            base = len(line) - len(line.lstrip())
            i += 1
            while i < len(lines) and re.match(r"\s+:\w[\w-]*:", lines[i]):
                i += 1
            body: list[str] = []
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > base):
                body.append(lines[i])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            while body and not body[0].strip():
                body.pop(0)
            indent = min((len(x) - len(x.lstrip()) for x in body if x.strip()), default=0)
            body = [x[indent:] for x in body]
            if directive and directive.group(1) == "math":
                prose.extend("$$" + part + "$$" for part in "\n".join(body).split("\n\n") if part.strip())
            else:
                blocks.append(body)
                if not directive:
                    prose.append(line.rstrip()[:-2])
            continue
        prose.append(_RST_MATH_ROLE.sub(lambda m: "$" + m.group(1) + "$", line))
        i += 1
    return blocks, "\n".join(prose)


def notebook_blocks(raw: str) -> tuple[list[list[str]], str]:
    """(code cells of a notebook, its markdown cells' code blocks too; the markdown prose)."""
    blocks: list[list[str]] = []
    prose: list[str] = []
    for cell in json.loads(raw).get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.get("cell_type") == "code" and not tags & {"remove-input", "remove-cell", "remove_input", "remove_cell"}:
            blocks.append(source.split("\n"))
        elif cell.get("cell_type") == "markdown":
            more, text = markdown_blocks(source)
            blocks.extend(more)
            prose.append(text)
    return blocks, "\n".join(prose)


def formulas_in(prose: str) -> list[str]:
    """TeX formulas of source prose, in order: `$$..$$`, `$..$`, and bare amsmath environments."""
    found = [m.group(1) or m.group(2) for m in _DOLLARS.finditer(prose)]
    found += [m.group(0) for m in _ENV.finditer(_DOLLARS.sub(" ", prose))]
    # a `$` pair around CJK prose or around no letter, digit or command is shell/Makefile talk, not TeX
    return [f.strip() for f in found if f and _TEXISH.search(f) and not _CJK.search(f)]


def page_gold(html: bytes, source_name: str, source: str) -> dict | None:
    """The gold record of one rendered page and its source (None when the body is too short)."""
    text = body_text(html)
    if len(text) < MIN_GOLD_CHARS:
        return None
    if source_name.endswith(".ipynb"):
        blocks, prose = notebook_blocks(source)
    elif source_name.endswith((".rst", ".rst.txt")):
        blocks, prose = rst_blocks(source)
    else:
        blocks, prose = markdown_blocks(source)
    shown = {line.rstrip() for line in text.split("\n")}
    code = [next((v for v in (x.rstrip(), x.expandtabs(8).rstrip()) if v in shown), x.rstrip())
            for block in blocks for x in block if x.strip()]
    text_key = tex_key(text)
    formulas = formulas_in(prose)
    return {"gold": text, "code_lines": [x for x in code if x in shown],
            "formulas": [f for f in formulas if tex_key(f) and tex_key(f) in text_key],
            "dropped_code_lines": sum(x not in shown for x in code),
            "dropped_formulas": sum(not (tex_key(f) and tex_key(f) in text_key) for f in formulas)}


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True).stdout


def repo_pages(git_dir: Path, html_root: str, commit: str = "HEAD") -> list[tuple[str, bytes, str, str]]:
    """(page path, rendered HTML, source name, source text) for every rendered page with a source."""
    names = _git(git_dir, "ls-tree", "-r", "-z", "--name-only", commit, html_root + "/").decode().split("\0")
    sources = {n[len(html_root) + len("/_sources/"):]: n for n in names if n.startswith(html_root + "/_sources/")}
    out = []
    for name in sorted(n for n in names if n.endswith(".html") and "/_sources/" not in n):
        stem = name[len(html_root) + 1:-len(".html")]
        source = next((sources[stem + ext + tail] for ext in (".md", ".ipynb", ".rst") for tail in ("", ".txt")
                       if stem + ext + tail in sources), None)
        if source is not None:
            out.append((name, _git(git_dir, "show", f"{commit}:{name}"), source,
                        _git(git_dir, "show", f"{commit}:{source}").decode("utf-8", "replace")))
    return out


# (set, repository, commit, build folder, licence): the pages measured; pinned so reruns give the same gold.
DOCS_SETS = (
    ("code-docs", "programming-pybook/introProgramming", "72486aab507f38853a00b6861976c80b4a5b7a0e",
     "book/_build/html", "CC BY-NC-SA (LICENSE)"),
    ("code-docs", "dr-saad-la/Julia-Distilled", "ecd0b1b6ec168c715ddbf75b93b71ecb9367105b", "book/_build/html", "MIT"),
    ("code-docs", "UCLNatSci/Scientific-Computing-Tutorials", "b07476ff1f99c71f0da821fb15b4f15f49d430e6",
     "book/_build/html", None),
    ("math-docs", "Basics2022/bbooks-physics-mechanics", "0116648ef07845c34b9112260e65c388aacaf839", "_build/html", None),
    ("math-docs", "Basics2022/bbooks-math-miscellanea-hs", "ade59fac93f73d90abd59e709aa4877b7ab4a2dc", "_build/html",
     None),
    ("math-docs", "drflorianberger/TopicsInPhysics", "c16e3647bdf398623cfd88a08a4d42aa2b75524e", "book/_build/html",
     None),
    ("math-docs", "JayChen35/propulsion_notes", "b3a625d57ab8b77d91c18771134862795370ac7f", "book/_build/html", None),
    ("chinese-docs", "100askTeam/Embedded-Linux-Application-Development-Complete-Manual-Second-Edition",
     "1a2a9fb5bde8fae8eaded49472dfc7b88297bb8b", "_build/html", None),
    ("chinese-docs", "WSF-xiaowei/Test", "469e6cd4ec0721e6dc4bb876b29763d9109dafd2", "build/html", None),
    ("chinese-docs", "Boomshakal/BLOG", "d72b98313547d8cc5cc210cd672344521c8eb2d7", "_build/html", None),
    ("chinese-docs", "CPU-Code/ReadTheDocs", "29dd0a77081e3610d9f8375c02f86a6834bbd999", "_build/html", None),
)


def git_dir(mirrors: Path, repo: str) -> Path:
    """A bare or working clone of `repo` under `mirrors` (folder `owner+name`, `owner+name/repo` or `owner/name`)."""
    for folder in (mirrors / repo.replace("/", "+") / "repo", mirrors / repo.replace("/", "+"), mirrors / repo):
        for candidate in (folder / ".git", folder):
            if (candidate / "HEAD").is_file():
                return candidate
    raise SystemExit(f"docs_gold: no clone of github.com/{repo} under {mirrors} (clone it there first)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirrors", type=Path, required=True, help="folder holding clones of the DOCS_SETS repositories")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    written: dict[str, list[str]] = {}
    for set_name, repo, commit, html_root, licence in DOCS_SETS:
        folder = args.out / set_name
        if set_name not in written:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "pages.jsonl").write_text("")
            written[set_name] = []
        kept = lines = formulas = dropped_lines = dropped_formulas = 0
        with open(folder / "pages.jsonl", "a", encoding="utf-8") as fh:
            for name, html, source_name, source in repo_pages(git_dir(args.mirrors, repo), html_root, commit):
                gold = page_gold(html, source_name, source)
                if gold is None:
                    continue
                kept, lines, formulas = kept + 1, lines + len(gold["code_lines"]), formulas + len(gold["formulas"])
                dropped_lines += gold.pop("dropped_code_lines")
                dropped_formulas += gold.pop("dropped_formulas")
                fh.write(json.dumps({"id": f"github.com/{repo}/{name}", "content_type": "text/html",
                                     "html_b64": base64.b64encode(html).decode(), **gold}, ensure_ascii=False) + "\n")
        written[set_name].append(
            f"github.com/{repo} @ {commit} ({html_root}): {kept} pages, {lines} code lines (+{dropped_lines} not"
            f" shown by the page), {formulas} formulas (+{dropped_formulas} not shown); licence:"
            f" {licence or 'none stated in the repository'}")
        print(written[set_name][-1])
    for set_name, rows in written.items():
        (args.out / set_name / "SOURCE").write_text(
            "Real rendered documentation pages with gold from their committed sources (evals/docs_gold.py).\n"
            "Used for evaluation only; not redistributed.\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
