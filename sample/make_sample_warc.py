"""Write the bundled sample WARC `sample/web/sample.warc.gz` (run: python sample/make_sample_warc.py).

A few pages the project made up, covering the web path: code pages (`<pre><code>`, a line-number table),
math pages (MathJax scripts, KaTeX, MathML), prose, the same URL fetched twice, a 404, a redirect, a PDF, a
gb2312 page declaring its charset only in a meta tag, a revisit, a request and the warcinfo record.
Deterministic: fixed record ids and dates, so rerunning gives the same bytes.
"""
from __future__ import annotations

import html
import io
import sys
import uuid
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

OUT = Path(__file__).resolve().parent / "web" / "sample.warc.gz"

PARAGRAPH = (
    "<p>{topic} is explained here step by step, with the reasoning behind each choice, so that a reader who "
    "has never seen it before can follow along and check every claim against a small example of their own. "
    "The notes were written for a study group and revised after their questions.</p>"
)

CODE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Binary search in Python</title></head>
<body><nav><a href="/">Home</a> | <a href="/python/">Python</a></nav>
<article><h1>Binary search in Python</h1>{intro}
<pre><code class="language-python">def bisect_left(xs, x):
    lo, hi = 0, len(xs)
    while lo &lt; hi:
        mid = (lo + hi) // 2

        if xs[mid] &lt; x:
            lo = mid + 1
        else:
            hi = mid
    return lo
</code></pre>
<p>The loop keeps the invariant that every element left of <code>lo</code> is smaller than <code>x</code>
and every element from <code>hi</code> on is not, which is why it returns the insertion point.</p>
</article><footer>Copyright the example authors</footer></body></html>"""

C_TABLE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Linked lists in C</title></head>
<body><article><h1>Reversing a linked list in C</h1>{intro}
<figure class="highlight c"><table><tr><td class="gutter"><pre><span class="line">1</span><br><span class="line">2</span><br><span class="line">3</span><br><span class="line">4</span><br><span class="line">5</span><br><span class="line">6</span><br><span class="line">7</span><br><span class="line">8</span></pre></td><td class="code"><pre><span class="line"><span class="keyword">struct</span> node *<span class="title">reverse</span>(<span class="keyword">struct</span> node *head) {</span><br><span class="line">    <span class="keyword">struct</span> node *prev = NULL;</span><br><span class="line">    <span class="keyword">while</span> (head) {</span><br><span class="line">        <span class="keyword">struct</span> node *next = head-&gt;next;</span><br><span class="line">        head-&gt;next = prev;</span><br><span class="line">        prev = head; head = next;</span><br><span class="line">    }</span><br><span class="line">    <span class="keyword">return</span> prev;</span><br><span class="line">}</span></pre></td></tr></table></figure>
{outro}</article></body></html>"""

MATHJAX_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sum of squares</title>
<script src="https://cdn.example.org/mathjax/2.7/MathJax.js?config=TeX-AMS_HTML"></script></head>
<body><div id="question"><h1>Closed form for the sum of the first n squares</h1>{intro}
<p>For every natural number <script type="math/tex">n</script> we have</p>
<script type="math/tex; mode=display">\\sum_{k=1}^{n} k^2 = \\frac{n(n+1)(2n+1)}{6}</script>
<p>and the proof is an induction on <script type="math/tex">n</script> whose step adds
<script type="math/tex">(n+1)^2</script> to both sides.</p></div></body></html>"""

KATEX_MATHML_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Eigenvalues</title></head>
<body><main><h1>Eigenvalues of a 2 by 2 matrix</h1>{intro}
<p>The eigenvalues solve <span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML"><semantics><mrow><mi>det</mi><mo>(</mo><mi>A</mi><mo>-</mo><mi>λ</mi><mi>I</mi><mo>)</mo><mo>=</mo><mn>0</mn></mrow><annotation encoding="application/x-tex">\\det(A - \\lambda I) = 0</annotation></semantics></math></span><span class="katex-html" aria-hidden="true"><span class="base">det(A−λI)=0</span></span></span>,
and for a symmetric matrix the product of the eigenvalues is
<math display="block"><mrow><msub><mi>λ</mi><mn>1</mn></msub><msub><mi>λ</mi><mn>2</mn></msub><mo>=</mo><mfrac><mrow><mi>a</mi><mi>d</mi><mo>-</mo><mi>b</mi><mi>c</mi></mrow><mn>1</mn></mfrac></mrow></math>
which is the determinant.</p>{outro}</main></body></html>"""

PROSE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Council meeting</title></head>
<body><header>City News</header><article><h1>Council approves the new library hours</h1>{intro}{outro}
</article><aside>Related: weather, sports</aside></body></html>"""

CHINESE_PAGE = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>快速排序</title></head><body><div class="content"><h1>快速排序算法简介</h1>
<p>快速排序是一种常用的排序算法。它选择一个基准元素，把数组分成两部分，左边的元素都比基准小，右边的元素都比基准大，然后递归地排序这两部分。</p>
<p>在平均情况下，快速排序的时间复杂度是 O(n log n)，在最坏情况下是 O(n^2)。选择好的基准可以避免最坏情况。</p>
<pre><code>def quicksort(xs):
    if len(xs) &lt;= 1:
        return xs
    pivot = xs[0]
    return quicksort([x for x in xs[1:] if x &lt; pivot]) + [pivot] + quicksort([x for x in xs[1:] if x &gt;= pivot])
</code></pre></div></body></html>"""


def _page(template: str, topic: str) -> str:
    intro = PARAGRAPH.format(topic=topic)
    outro = PARAGRAPH.format(topic=f"The last part about {topic.lower()}")
    return template.replace("{intro}", intro).replace("{outro}", outro)


def _record_id(name: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'codecorpus-sample/' + name)}>"


def _response(writer, name, url, date, body: bytes, *, status="200 OK", content_type="text/html; charset=utf-8"):
    http = StatusAndHeaders(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                            protocol="HTTP/1.1")
    headers = {"WARC-Record-ID": _record_id(name), "WARC-Date": date}
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                       warc_headers_dict=headers)
    writer.write_record(record)


def write_sample(path: Path = OUT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        info = writer.create_warcinfo_record("sample.warc.gz", {"software": "codecorpus sample/make_sample_warc.py"})
        info.rec_headers.replace_header("WARC-Record-ID", _record_id("warcinfo"))
        info.rec_headers.replace_header("WARC-Date", "2024-03-01T00:00:00Z")
        writer.write_record(info)
        request = writer.create_warc_record(
            "https://docs.example.org/python/binary-search.html", "request",
            payload=io.BytesIO(b"GET /python/binary-search.html HTTP/1.1\r\nHost: docs.example.org\r\n\r\n"),
            warc_headers_dict={"WARC-Record-ID": _record_id("request"), "WARC-Date": "2024-03-01T10:00:00Z"},
        )
        writer.write_record(request)
        code = _page(CODE_PAGE, "Binary search").encode()
        _response(writer, "code-old", "https://docs.example.org/python/binary-search.html", "2024-03-01T10:00:00Z",
                  code.replace(b"The loop keeps", b"An older revision: the loop keeps"))
        _response(writer, "c-table", "http://blog.example.com/c/linked-list", "2024-03-01T10:01:00Z",
                  _page(C_TABLE_PAGE, "Pointer juggling").encode())
        _response(writer, "mathjax", "https://math.example.net/questions/101/sum-of-squares",
                  "2024-03-01T10:02:00Z", _page(MATHJAX_PAGE, "Induction").encode())
        _response(writer, "katex", "https://notes.example.edu/linear-algebra/eigen", "2024-03-01T10:03:00Z",
                  _page(KATEX_MATHML_PAGE, "The characteristic polynomial").encode())
        _response(writer, "prose", "https://news.example.com/2024/03/library-hours", "2024-03-01T10:04:00Z",
                  _page(PROSE_PAGE, "The vote on the opening hours").encode())
        _response(writer, "gb2312", "http://zh.example.cn/algo/quicksort.html", "2024-03-01T10:05:00Z",
                  CHINESE_PAGE.encode("gb2312"), content_type="text/html")
        _response(writer, "not-found", "https://docs.example.org/missing", "2024-03-01T10:06:00Z",
                  b"<html><body><h1>Not found</h1></body></html>", status="404 Not Found")
        _response(writer, "redirect", "http://example.com/", "2024-03-01T10:07:00Z", b"",
                  status="301 Moved Permanently")
        _response(writer, "pdf", "https://docs.example.org/manual.pdf", "2024-03-01T10:08:00Z",
                  b"%PDF-1.4\n% not really a manual\n", content_type="application/pdf")
        # The same page fetched again later under a differently spelled URL: this fetch survives URL dedup.
        _response(writer, "code-new", "https://DOCS.Example.org:443/python/./binary-search.html#intro",
                  "2024-03-05T09:00:00Z", code)
        revisit = writer.create_revisit_record(
            "https://news.example.com/2024/03/library-hours", digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            refers_to_uri="https://news.example.com/2024/03/library-hours", refers_to_date="2024-03-01T10:04:00Z",
        )
        revisit.rec_headers.replace_header("WARC-Record-ID", _record_id("revisit"))
        revisit.rec_headers.replace_header("WARC-Date", "2024-03-06T00:00:00Z")
        writer.write_record(revisit)
    return path


RECALL_OUT = OUT.parent / "recall-pages.warc.gz"
RECALL_SCALE = 0.3  # ~320 pages: enough seed for the recall loop, small enough for every test run


def _html_of(page: dict) -> bytes:
    """A recall sample page (sample/recall/make_pages.py) as HTML: blocks of several lines become <pre>."""
    blocks = [b for b in page["text"].split("\n\n") if b.strip()]
    body = []
    for block in blocks:
        if "\n" in block:
            body.append(f"<pre><code>{html.escape(block)}</code></pre>")
        else:
            body.append(f"<p>{html.escape(block)}</p>")
    title = html.escape(blocks[0][:80]) if blocks else ""
    lang = page["meta"].get("lang", "en")
    doc = (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
           f"<body><article>{''.join(body)}</article></body></html>")
    return doc.encode("utf-8")


def write_recall_pages(path: Path = RECALL_OUT) -> Path:
    """The recall sample's pages as a WARC, so `make run` exercises the recall loop on collected pages."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "recall"))
    from make_pages import generate_pages

    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i, page in enumerate(generate_pages(seed=0, scale=RECALL_SCALE)):
            date = f"2024-04-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
            _response(writer, f"recall-{i}", page["url"], date, _html_of(page))
    return path


if __name__ == "__main__":
    print(write_sample())
    print(write_recall_pages())
