"""The terminal report: funnel, decontamination, mix table and shard summary, readable at 100 columns."""
from __future__ import annotations

import statistics
import textwrap

from pipeline.accounting import format_accounting, format_funnel
from report.data import RunData

WIDTH = 100


def human(n: float) -> str:
    """1234 -> '1.2K', 5e9 -> '5.0G' (decimal units; exact figures are in the JSON files)."""
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}" if float(n).is_integer() else f"{n:.2f}"


def _title(text: str) -> list[str]:
    return ["", text, "=" * min(WIDTH, len(text))]


def format_decontamination(run: RunData) -> list[str]:
    d = run.decontamination
    if not d:
        return []
    lines = [f"{d['ngram']}-grams; whole strings of {d['exact_lengths']} grams matched exactly", ""]
    lines.append(f"{'benchmark':<20}{'items':>10}{'strings':>10}{'grams':>12}{'exact':>8}{'too short':>11}{'trivial':>10}")
    dropped = {
        reason.split(".", 1)[1]: n
        for s in run.funnel
        for reason, n in s.drops.items()
        if reason.startswith("contaminated.")
    }
    for name, st in d["benchmarks"].items():
        lines.append(
            f"{name:<20}{st['items']:>10,}{st['strings']:>10,}{st['grams']:>12,}{st['exact_strings']:>8,}"
            f"{st['too_short']:>11,}{st['trivial_skipped']:>10,}"
        )
    lines.append("documents dropped: " + (", ".join(f"{k} {v:,}" for k, v in sorted(dropped.items())) or "none"))
    return lines


def format_mix(run: RunData) -> list[str]:
    m = run.manifest
    if not m:
        return ["mix/manifest.json is absent: the run wrote no mix"]
    b = m["budget"]
    asked = "none (as much as the data allows)" if b["asked_total_tokens"] is None else human(b["asked_total_tokens"])
    lines = [f"tokenizer: {m['tokenizer']}"]
    lines.append(
        f"tokens: budget {asked}; planned {human(b['planned_total_tokens'])}; "
        f"written {human(b['achieved_total_tokens'])}"
    )
    fim = f"PSM at rate {m['fim']['rate']:g}" if m["fim"]["enabled"] else "off"
    lines.append(f"short groups: {b['short_policy']} (max repeats {b['max_repeats']:g}); FIM: {fim}")
    lines.append("")
    lines.append(f"{'group':<8}{'asked':>8}{'achieved':>10}{'status':>13}{'available':>12}{'target':>12}{'written':>12}"
                 f"{'rate':>9}  categories")
    for g, w in m["weights"].items():
        lines.append(
            f"{g:<8}{w['asked']:>8.1%}{w['achieved']:>10.1%}{w['status']:>13}{human(w['available_tokens']):>12}"
            f"{human(w['target_tokens']):>12}{human(w['tokens']):>12}{w['rate']:>9.3f}  {', '.join(w['categories'])}"
        )
    lines.append("")
    lines.append(f"{'category':<12}{'group':<8}{'rate':>8}{'docs in':>11}{'tokens in':>11}{'rows':>11}{'tokens':>11}"
                 f"{'shards':>8}{'bytes':>10}")
    for c, info in m["categories"].items():
        a = info["available"]
        lines.append(
            f"{c:<12}{info['group']:<8}{info['rate']:>8.3f}{human(a['docs']):>11}{human(a['tokens']):>11}"
            f"{human(info['docs']):>11}{human(info['tokens']):>11}{len(info['shards']):>8}{human(info['bytes']):>10}"
        )
    return lines


def format_shards(run: RunData) -> list[str]:
    m = run.manifest
    if not m:
        return []
    header = (
        f"{'category':<12}{'shards':>8}{'rows':>11}{'tokens':>11}{'min':>10}{'median':>10}{'max':>10}"
        f"{'total':>10}  tokenized"
    )
    lines = [header]
    for c, info in m["categories"].items():
        sizes = [s["bytes"] for s in info["shards"]]
        if not sizes:
            lines.append(f"{c:<12}{0:>8}  (no shard: rate 0)")
            continue
        tokenized = "yes" if "token_ids_path" in info["shards"][0] else "no"
        lines.append(
            f"{c:<12}{len(sizes):>8}{human(info['docs']):>11}{human(info['tokens']):>11}{human(min(sizes)):>10}"
            f"{human(statistics.median(sizes)):>10}{human(max(sizes)):>10}{human(sum(sizes)):>10}  {tokenized}"
        )
    t = m["totals"]
    lines.append(f"{'all':<12}{t['shards']:>8}{human(t['docs']):>11}{human(t['tokens']):>11}{'':>30}{human(t['bytes']):>10}")
    return lines


def format_report(run: RunData) -> str:
    """The whole terminal report; no line is wider than 100 columns."""
    lines = [f"codecorpus report: {run.output_dir}"]
    lines += _title("Funnel (stats/counts.json): records in, out and dropped by reason")
    lines += format_funnel(run.funnel).splitlines()
    lines += _title("Accounting: records in = out + dropped, per stage, between stages and for the whole run")
    lines += [w for line in format_accounting(run.funnel) for w in textwrap.wrap(line, WIDTH, subsequent_indent="    ")]
    if run.decontamination:
        lines += _title("Decontamination (stats/decontamination.json)") + format_decontamination(run)
    lines += _title("Mix (mix/manifest.json)") + format_mix(run)
    if run.manifest:
        lines += _title("Shards (Parquet, zstd; sizes in bytes)") + format_shards(run)
    if run.cluster_sizes:
        n = sum(run.cluster_sizes.values())
        lines += _title("Near-duplicate clusters (stats/dedup_clusters.json)")
        lines.append(f"{n:,} clusters; largest {max(run.cluster_sizes):,} members")
    if run.histograms:
        lines += _title("Classifier scores (recall/iter-*/score_histogram.json)")
        for h in run.histograms:
            lines.append(f"iteration {h.iteration} {h.classifier}: {sum(h.counts):,} pages scored")
    if run.notes:
        lines += _title("Not in this output")
        lines += [wrapped for note in run.notes for wrapped in textwrap.wrap(f"- {note}", WIDTH, subsequent_indent="  ")]
    return "\n".join(lines) + "\n"
