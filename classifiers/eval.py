"""Evaluation of a page classifier on a labelled set: precision, recall and F1 per category, and recall at
a fixed precision (how the BPE-versus-whitespace claim of DeepSeek-Coder-V2 §2 is measured).

A labelled set is JSON lines, each with a "label" and either a "text" or an "html" (whose visible text is
extracted first); an optional "lang" splits the figures by language.
"""
from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.json_lines import json_lines


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    lang: str = ""


def html_text(html: str) -> str:
    """The visible text of an HTML page: trafilatura's main text, else every text node."""
    import trafilatura
    from lxml import html as lxml_html

    text = trafilatura.extract(html, include_comments=False)
    if text:
        return text
    try:
        return lxml_html.fromstring(html).text_content()
    except (ValueError, TypeError):  # lxml rejects empty documents
        return ""


def read_labelled(path: str | Path, labels: Iterable[str]) -> list[Example]:
    """Read a labelled JSONL file (optionally gzipped); errors name the file, the line and the key."""
    allowed = set(labels)
    opener = gzip.open if str(path).endswith(".gz") else open
    out = []
    with opener(path, "rb") as fh:
        for line in json_lines(fh, max_line_bytes=None, invalid_utf8="not_json"):
            number, row = line.number, line.value
            if line.problem:
                raise ValueError(f"{path}:{number}: not JSON ({line.detail})")
            label = row.get("label")
            if label not in allowed:
                raise ValueError(f"{path}:{number}: key 'label' is {label!r}, expected one of {sorted(allowed)}")
            if isinstance(row.get("text"), str):
                text = row["text"]
            elif isinstance(row.get("html"), str):
                text = html_text(row["html"])
            else:
                raise ValueError(f"{path}:{number}: needs a string 'text' or 'html'")  # noqa: TRY004 (bad input)
            out.append(Example(text, label, str(row.get("lang", ""))))
    return out


def per_label_metrics(truth: Sequence[str], predicted: Sequence[str], labels: Iterable[str]) -> dict[str, dict]:
    """Precision, recall, F1 and support of each label (0.0 where undefined), for argmax predictions."""
    out = {}
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted))
        n_pred = sum(p == label for p in predicted)
        n_true = sum(t == label for t in truth)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": n_true}
    return out


def recall_at_precision(scores: Sequence[float], positive: Sequence[bool], min_precision: float) -> float:
    """The highest recall of a threshold on `scores` whose precision is at least `min_precision`
    (0.0 when no threshold reaches it or there are no positives)."""
    n_pos = sum(positive)
    if not n_pos:
        return 0.0
    best, tp, seen = 0.0, 0, 0
    ranked = sorted(zip(scores, positive), key=lambda sp: -sp[0])
    for i, (score, is_pos) in enumerate(ranked):
        tp += is_pos
        seen += 1
        # Only a cut between distinct scores is a threshold anyone can set.
        if i + 1 < len(ranked) and ranked[i + 1][0] == score:
            continue
        if tp / seen >= min_precision:
            best = max(best, tp / n_pos)
    return best


def format_metrics(metrics: dict[str, dict], title: str = "") -> str:
    """A plain-text table: one row per label, then the macro average."""
    lines = [title] if title else []
    lines.append(f"{'label':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for label, m in metrics.items():
        lines.append(f"{label:<12}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>10}")
    if metrics:
        macro = {k: sum(m[k] for m in metrics.values()) / len(metrics) for k in ("precision", "recall", "f1")}
        lines.append(f"{'macro':<12}{macro['precision']:>10.3f}{macro['recall']:>10.3f}{macro['f1']:>10.3f}")
    return "\n".join(lines)
