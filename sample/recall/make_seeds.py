"""Generate the bundled recall sample's seed corpora, in the layouts users download (`make sample-seeds`).

- `seeds/math-owm.parquet`: OpenWebMath's Parquet layout (`url`, `text`, `metadata` as a JSON string);
- `seeds/code-stackexchange.jsonl`: a StackExchange posts export converted to JSON Lines (`Id`, `PostTypeId`,
  `Title`, `Tags`, `Body` as HTML, `Url`);
- `seeds/code-docs.urls`: documentation sites as URL prefixes, one a line.

The pages come from sample/recall/make_pages.py with another seed than the sample's crawl, so no seed text
is a page of the crawl. Deterministic: the same seed gives the same rows.

    python sample/recall/make_seeds.py [OUT_DIR]
"""
from __future__ import annotations

import html
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_pages import CODE, MATH, generate_pages

SEED = 101  # not the crawl's seed (0)
SEED_SITES = {"stackoverflow.com", "segmentfault.com", "math.stackexchange.com", "mathoverflow.net",
              "shuxue.example.cn"}
DOC_SITES = ["docs.python.org/3", "# documentation sites: every crawled page under a prefix is a code seed"]


def _body_html(text: str) -> str:
    """A page's text as a StackExchange Body: paragraphs in <p>, multi-line blocks in <pre><code>."""
    parts = []
    for block in text.split("\n\n"):
        tag = ("<pre><code>", "</code></pre>") if "\n" in block else ("<p>", "</p>")
        parts.append(f"{tag[0]}{html.escape(block)}{tag[1]}")
    return "\n".join(parts)


def write_seeds(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = [p for p in generate_pages(seed=SEED, scale=1.0) if p["domain"] in SEED_SITES]
    math = [p for p in pages if p["meta"]["truth"] == MATH]
    code = [p for p in pages if p["meta"]["truth"] == CODE]
    table = pa.table({
        "url": [p["url"] for p in math],
        "text": [p["text"] for p in math],
        "metadata": [json.dumps({"lang": p["meta"]["lang"], "source": "make_seeds"}) for p in math],
    })
    owm = out_dir / "math-owm.parquet"
    pq.write_table(table, owm, compression="zstd")
    posts = out_dir / "code-stackexchange.jsonl"
    with posts.open("w", encoding="utf-8") as fh:
        for i, p in enumerate(code, 1):
            title = p["text"].split("\n\n")[1][:80] if "\n\n" in p["text"] else p["text"][:80]
            row = {"Id": i, "PostTypeId": 1, "Title": title, "Tags": "<python>", "Body": _body_html(p["text"]),
                   "Url": p["url"]}
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    urls = out_dir / "code-docs.urls"
    urls.write_text("\n".join(reversed(DOC_SITES)) + "\n", encoding="utf-8")
    return [owm, posts, urls]


if __name__ == "__main__":
    for path in write_seeds(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "seeds"):
        print(path)
