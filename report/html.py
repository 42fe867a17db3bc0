"""The HTML report: one self-contained file (inline CSS, plots as base64 PNG data URIs, no script, no
network), viewable offline and attachable to a message."""
from __future__ import annotations

import base64
import html
import json

from pipeline.accounting import MERGE, format_accounting
from pipeline.layout import RUN_LOG
from report import plots
from report.data import DEDUP_CLUSTERS, LANGUAGES, MANIFEST, RECALL_HISTOGRAMS, RunData
from report.terminal import (
    format_decontamination,
    format_dedup,
    format_languages,
    format_mix,
    format_recall,
    format_run_log,
    format_shards,
    human,
)

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { padding: 2px 10px; text-align: right; }
td:first-child, th:first-child { text-align: left; } tr.reason td { color: #a55; font-size: 0.85em; }
tr.sampling td { color: #778; font-size: 0.85em; } tr.merge td { color: #357; font-size: 0.85em; }
h3 { font-size: 1.05em; margin-top: 1.4em; } .doc-id { color: #666; font-size: 0.8em; margin-bottom: 0; }
td { white-space: pre-wrap; vertical-align: top; }
pre { background: #f6f6f6; padding: 0.8em; font-size: 0.85em; overflow-x: auto; }
img { max-width: 100%; display: block; margin: 0.8em 0; } .missing { color: #888; font-style: italic; }
"""


def _img(png: bytes | None, alt: str, missing: str) -> str:
    if png is None:
        return f'<p class="missing">{html.escape(missing)}</p>'
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="plot" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(header: list[str], rows: list[list[object]], classes: list[str] | None = None) -> str:
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    return "<table>" + head + "".join(body) + "</table>"


def _funnel_table(run: RunData) -> str:
    """Records and text bytes per stage (bytes where the stage's step counts them: "" for a grouping stage)."""
    rows, classes = [], []
    for s in run.funnel:
        drops = s.drops
        b_in, b_out = s.text_bytes.get("in"), s.text_bytes.get("out")
        rows.append([s.stage, f"{s.n_in:,}", f"{s.n_out:,}", f"{sum(drops.values()):,}",
                     human(b_in) if b_in is not None else "", human(b_out) if b_out is not None else ""])
        classes.append("")
        if s.kind == MERGE:
            merged, samples = s.counts.get("merged", 0), s.counts.get("samples", 0)
            rows.append([f"  merged: {merged:,} records into {samples:,} (not dropped)", "", "", "", "", ""])
            classes.append("merge")
        for reason, n in sorted(drops.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append([f"  {reason}", "", "", f"{n:,}", "", ""])
            classes.append("sampling" if reason in plots.SAMPLING_REASONS else "reason")
    return _table(["stage", "in", "out", "dropped", "bytes in", "bytes out"], rows, classes)


def _pre(lines: list[str]) -> str:
    text = "\n".join(lines).strip("\n")
    return f"<pre>{html.escape(text)}</pre>" if text else ""


def _missing(text: str) -> str:
    return f'<p class="missing">{html.escape(text)}</p>'


def _sampling_note(run: RunData) -> str:
    sampled = sum(n for s in run.funnel for r, n in s.drops.items() if r in plots.SAMPLING_REASONS)
    quality = sum(n for s in run.funnel for r, n in s.drops.items() if r not in plots.SAMPLING_REASONS)
    return (f"<p>{quality:,} records dropped by a rule (filters, dedup, decontamination, unreadable input); "
            f"{sampled:,} more sampled out by the mix to reach its weights (not a judgement on quality).</p>")


def _languages_table(run: RunData) -> str:
    lines = format_languages(run)
    if not lines:
        return _missing(f"No language statistics ({LANGUAGES}).")
    return _pre(lines)


def _samples(run: RunData) -> str:
    if not run.samples:
        return _missing("No mix shards to sample.")
    parts = []
    for category, docs in run.samples.items():
        parts.append(f"<h3>{html.escape(category)}</h3>")
        parts += [f"<p class=\"doc-id\">{html.escape(d['id'])}</p><pre>{html.escape(d['text'])}</pre>" for d in docs]
    return "".join(parts)


def _rejects(run: RunData) -> str:
    if not run.rejects:
        return _missing("No rejects written (output.write_rejects is off, or nothing was dropped).")
    rows = []
    for key, docs in run.rejects.items():
        for d in docs:
            rows.append([key, d["id"], d["detail"][:160], d["text"][:160] or "(not kept: output.rejects_text_chars)"])
    return _table(["stage: reason", "id", "detail", "text"], rows)


def _run_log(run: RunData) -> str:
    if not run.run_log:
        return _missing(f"No run log ({RUN_LOG}): the run predates it, or was copied without logs/.")
    config = json.dumps(run.run_log.get("config", {}), indent=1, sort_keys=True)
    return _pre(format_run_log(run)) + f"<details><summary>config</summary><pre>{html.escape(config)}</pre></details>"


def render_html(run: RunData) -> str:
    """The whole report as one HTML string, in the order of a user's questions."""
    m = run.manifest
    questions = [
        ("Where did the data go?", [
            ("Funnel", _funnel_table(run) + _img(plots.funnel_plot(run.funnel), "funnel", "")),
            ("Accounting", _pre(format_accounting(run.funnel))),
            ("Drop reasons", _sampling_note(run) + _img(plots.drop_reasons_plot(run.funnel), "drop reasons",
                                                        "No record was dropped.")),
        ]),
        ("What is in the mix?", [
            ("Mix: asked against achieved", _pre(format_mix(run)) + (
                _img(plots.category_tokens_plot(m), "tokens per category", "") if m else
                _missing(f"No mix ({MANIFEST})."))),
            ("Languages", _languages_table(run) + _img(plots.languages_plot(run.languages), "top languages",
                                                       f"No code language statistics ({LANGUAGES}).")),
            ("Shards", (_pre(format_shards(run)) + _img(plots.shard_sizes_plot(m), "shard sizes", "No shards."))
             if m else _missing(f"No shards ({MANIFEST}).")),
        ]),
        ("How well did dedup, recall and decontamination work?", [
            ("Deduplication", (_pre(format_dedup(run)) or _missing("No dedup stage ran.")) + _img(
                plots.cluster_sizes_plot(run.cluster_sizes), "cluster sizes",
                f"No near-duplicate cluster statistics ({DEDUP_CLUSTERS}).")),
            ("Recall iterations", (_pre(format_recall(run)) or _missing("The recall did not run.")) + _img(
                plots.score_histograms_plot(run.histograms), "classifier scores",
                f"No recall histograms ({RECALL_HISTOGRAMS}).")),
            ("Decontamination", _pre(format_decontamination(run)) or _missing("No decontamination index.")),
        ]),
        ("What does the data look like?", [
            ("Sample documents per category", _samples(run)),
            ("Sample rejects per reason", _rejects(run)),
        ]),
        ("How was it made?", [("Run", _run_log(run))]),
    ]
    if run.notes:
        questions.append(("Not in this output", [("", "<ul>" + "".join(f"<li>{html.escape(n)}</li>"
                                                                          for n in run.notes) + "</ul>")]))
    body = []
    for question, sections in questions:
        body.append(f"<h2>{html.escape(question)}</h2>")
        body += [(f"<h3>{html.escape(title)}</h3>\n" if title else "") + content for title, content in sections]
    title = f"codecorpus report: {run.output_dir}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n" + "\n".join(body) + "</body></html>\n"
    )
