"""The HTML report: one self-contained file (inline CSS, plots as base64 PNG data URIs, no script, no
network), viewable offline and attachable to a message."""
from __future__ import annotations

import base64
import html

from pipeline.accounting import format_accounting
from report import plots
from report.data import DEDUP_CLUSTERS, LANGUAGES, MANIFEST, RECALL_HISTOGRAMS, RunData
from report.terminal import format_decontamination, format_mix, format_shards

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { padding: 2px 10px; text-align: right; }
td:first-child, th:first-child { text-align: left; } tr.reason td { color: #a55; font-size: 0.85em; }
pre { background: #f6f6f6; padding: 0.8em; font-size: 0.85em; overflow-x: auto; }
img { max-width: 100%; display: block; margin: 0.8em 0; } .missing { color: #888; font-style: italic; }
"""


def _img(png: bytes | None, alt: str, missing: str) -> str:
    if png is None:
        return f'<p class="missing">{html.escape(missing)}</p>'
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="plot" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _funnel_table(run: RunData) -> str:
    rows = ["<tr><th>stage</th><th>in</th><th>out</th><th>dropped</th></tr>"]
    for s in run.funnel:
        drops = s.drops
        rows.append(f"<tr><td>{html.escape(s.stage)}</td><td>{s.n_in:,}</td><td>{s.n_out:,}</td>"
                    f"<td>{sum(drops.values()):,}</td></tr>")
        for reason, n in sorted(drops.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append(f'<tr class="reason"><td>&nbsp;&nbsp;{html.escape(reason)}</td><td></td><td></td>'
                        f"<td>{n:,}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _pre(lines: list[str]) -> str:
    text = "\n".join(lines).strip("\n")
    return f"<pre>{html.escape(text)}</pre>" if text else ""


def render_html(run: RunData) -> str:
    """The whole report as one HTML string."""
    m = run.manifest
    sections = [
        ("Funnel", _funnel_table(run) + _img(plots.funnel_plot(run.funnel), "funnel", "")),
        ("Accounting", _pre(format_accounting(run.funnel))),
        ("Drop reasons", _img(plots.drop_reasons_plot(run.funnel), "drop reasons", "No record was dropped.")),
        ("Decontamination", _pre(format_decontamination(run)) or '<p class="missing">No decontamination index.</p>'),
        ("Top languages", _img(plots.languages_plot(run.languages), "top languages",
                               f"No code language statistics ({LANGUAGES}).")),
        ("Mix", _pre(format_mix(run)) + (
            _img(plots.category_tokens_plot(m), "tokens per category", "") if m else
            f'<p class="missing">No mix ({MANIFEST}).</p>')),
        ("Classifier scores per iteration", _img(plots.score_histograms_plot(run.histograms), "classifier scores",
                                                 f"No recall histograms ({RECALL_HISTOGRAMS}).")),
        ("Near-duplicate clusters", _img(plots.cluster_sizes_plot(run.cluster_sizes), "cluster sizes",
                                         f"No near-duplicate cluster statistics ({DEDUP_CLUSTERS}).")),
        ("Shards", (_pre(format_shards(run)) + _img(plots.shard_sizes_plot(m), "shard sizes", "No shards."))
         if m else f'<p class="missing">No shards ({MANIFEST}).</p>'),
    ]
    if run.notes:
        sections.append(("Not in this output", "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in run.notes)
                         + "</ul>"))
    body = "".join(f"<h2>{html.escape(title)}</h2>\n{content}\n" for title, content in sections)
    title = f"codecorpus report: {run.output_dir}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n{body}</body></html>\n"
    )
