"""The report's plots as PNG bytes (matplotlib's Agg canvas, no display, no pyplot global state)."""
from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from pipeline.accounting import StageCounts
from report.data import ScoreHistogram

DPI = 100
TOP_REASONS = 20
TOP_LANGUAGES = 15
_BLUE, _ORANGE, _GREY = "#3b6ea8", "#e08a2c", "#b8c4d0"
# Drops that are the mix reaching its weights, not a judgement on quality: plotted apart.
SAMPLING_REASONS = frozenset({"sampled_out"})


def _short(n: float, _pos: object = None) -> str:
    """Axis labels that never run together: 1.2K, 80K, 3.4M."""
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.3g}"


def _readable_axis(axis) -> None:
    axis.set_major_formatter(FuncFormatter(_short))
    axis.set_major_locator(MaxNLocator(nbins=6))


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height))


def funnel_plot(funnel: list[StageCounts]) -> bytes:
    fig = _figure(9, 0.45 * len(funnel) + 1.5)
    ax = fig.add_subplot()
    names = [s.stage for s in funnel][::-1]
    ax.barh(names, [s.n_in for s in funnel][::-1], color=_GREY, label="in")
    ax.barh(names, [s.n_out for s in funnel][::-1], color=_BLUE, height=0.5, label="out")
    ax.set_xlabel("records")
    _readable_axis(ax.xaxis)
    ax.set_title("Funnel: records in and out of every stage")
    ax.legend(loc="lower right")
    return _png(fig)


def drop_reasons_plot(funnel: list[StageCounts]) -> bytes | None:
    """Quality and validity drops by reason on a log scale (counts span orders of magnitude); the mix's
    sampling to its weights in grey, apart, so it does not drown the rest."""
    every = sorted(
        ((n, f"{s.stage}: {r}", r in SAMPLING_REASONS) for s in funnel for r, n in s.drops.items() if n),
        key=lambda x: (x[2], -x[0], x[1]),
    )
    reasons = [x for x in every if not x[2]][:TOP_REASONS] + [x for x in every if x[2]]
    if not reasons:
        return None
    fig = _figure(9, 0.35 * len(reasons) + 1.5)
    ax = fig.add_subplot()
    ax.barh([r for _, r, _ in reasons][::-1], [n for n, _, _ in reasons][::-1],
            color=[_GREY if sampling else _ORANGE for _, _, sampling in reasons][::-1])
    ax.set_xscale("log")
    ax.set_xlim(left=0.5)  # a reason counted once still shows a bar
    ax.xaxis.set_major_formatter(FuncFormatter(_short))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("records dropped (log scale); grey: sampled out by the mix, not a quality drop")
    ax.set_title(f"Drop reasons (top {TOP_REASONS})")
    return _png(fig)


def languages_plot(languages: list[dict[str, Any]]) -> bytes | None:
    rows = [r for r in languages if r["set"] == "available" and r["category"] == "code"]
    if not rows:
        return None
    fig = _figure(11, 0.3 * min(len(rows), TOP_LANGUAGES) + 2)
    for i, (key, label) in enumerate((("files", "source files"), ("tokens", "tokens"))):
        ax = fig.add_subplot(1, 2, i + 1)
        top = sorted(rows, key=lambda r: (-r.get(key, r["docs"]), r["language"]))[:TOP_LANGUAGES][::-1]
        ax.barh([r["language"] or "(unknown)" for r in top], [r.get(key, r["docs"]) for r in top], color=_BLUE)
        ax.set_title(f"Top languages by {label} (code entering the mix)")
        ax.set_xlabel(label)
        _readable_axis(ax.xaxis)
    return _png(fig)


def category_tokens_plot(manifest: dict[str, Any]) -> bytes:
    groups = list(manifest["weights"])
    w = manifest["weights"]
    fig = _figure(8, 4)
    ax = fig.add_subplot()
    xs = range(len(groups))
    ax.bar([x - 0.2 for x in xs], [w[g]["target_tokens"] for g in groups], width=0.4, color=_GREY, label="target")
    ax.bar([x + 0.2 for x in xs], [w[g]["tokens"] for g in groups], width=0.4, color=_BLUE, label="written")
    ax.set_xticks(list(xs), [f"{g}\nasked {w[g]['asked']:.0%}, got {w[g]['achieved']:.0%}" for g in groups])
    ax.set_ylabel("tokens")
    _readable_axis(ax.yaxis)
    ax.set_title("Tokens per group: target against written")
    ax.legend()
    return _png(fig)


def score_histograms_plot(histograms: list[ScoreHistogram]) -> bytes | None:
    if not histograms:
        return None
    classifiers = sorted({h.classifier for h in histograms})
    fig = _figure(5 * len(classifiers), 3.8)
    for i, name in enumerate(classifiers):
        ax = fig.add_subplot(1, len(classifiers), i + 1)
        mine = [h for h in histograms if h.classifier == name]
        for h in mine:
            ax.stairs(h.counts, h.edges, baseline=None, label=f"iteration {h.iteration}")
        ax.set_yscale("log" if all(c > 0 for h in mine for c in h.counts) else "symlog")
        ax.set_xlabel("score")
        ax.set_ylabel("pages")
        ax.set_title(f"Classifier scores: {name}")
        ax.legend()
    return _png(fig)


def cluster_sizes_plot(cluster_sizes: dict[int, int]) -> bytes | None:
    if not cluster_sizes:
        return None
    fig = _figure(8, 3.8)
    ax = fig.add_subplot()
    sizes = sorted(cluster_sizes)
    ax.bar([str(s) for s in sizes], [cluster_sizes[s] for s in sizes], color=_BLUE)
    ax.set_yscale("log")
    ax.set_xlabel("cluster size (documents)")
    ax.set_ylabel("clusters")
    ax.set_title("Near-duplicate cluster sizes")
    if len(sizes) > 20:
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
    return _png(fig)


def shard_sizes_plot(manifest: dict[str, Any]) -> bytes | None:
    shards = [(c, s["bytes"]) for c, info in manifest["categories"].items() for s in info["shards"]]
    if not shards:
        return None
    fig = _figure(8, 3.8)
    ax = fig.add_subplot()
    categories = sorted({c for c, _ in shards})
    largest = max(b for _, b in shards)
    unit, scale = next((u, s) for u, s in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("bytes", 1)) if largest >= s or s == 1)
    ax.hist([[b / scale for c, b in shards if c == cat] for cat in categories], bins=20, label=categories, stacked=True)
    ax.set_xlabel(f"shard size ({unit}, Parquet zstd)")
    ax.set_ylabel("shards")
    ax.set_title(f"Shard sizes ({len(shards)} shards)")
    ax.legend()
    return _png(fig)
