"""The terminal report: where the data went, what is in the mix, how dedup and recall did, how the run was
made; every line fits an 80-column terminal."""
from __future__ import annotations

import statistics
import textwrap
from typing import Any

from pipeline.accounting import format_accounting, format_funnel
from report.data import RunData

WIDTH = 80


def human(n: float) -> str:
    """1234 -> '1.2K', 5e9 -> '5.0G' (decimal units; exact figures are in the JSON files)."""
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:.0f}" if float(n).is_integer() else f"{n:.2f}"


def _title(text: str) -> list[str]:
    return ["", text, "=" * min(WIDTH, len(text))]


def format_stage_bytes(run: RunData) -> list[str]:
    """UTF-8 text bytes in and out per stage that counts them (per-record steps and sources), with the share
    kept: dropping 5% of files can remove 30% of the bytes."""
    rows = [s for s in run.funnel if s.text_bytes]
    if not rows:
        return []
    lines = [f"{'stage':<38}{'bytes in':>14}{'bytes out':>14}{'kept':>14}"]
    for s in rows:
        b_in, b_out = s.text_bytes.get("in"), s.text_bytes.get("out", 0)
        kept = f"{b_out / b_in:.1%}" if b_in else ""
        lines.append(f"{s.stage[:37]:<38}{human(b_in) if b_in is not None else '':>14}{human(b_out):>14}{kept:>14}")
    return lines


def format_decontamination(run: RunData) -> list[str]:
    d = run.decontamination
    if not d:
        return []
    lines = [f"{d['ngram']}-grams; whole strings of {d['exact_lengths']} grams matched exactly", ""]
    lines.append(f"{'benchmark':<14}{'items':>8}{'strings':>9}{'grams':>10}{'exact':>7}{'too short':>11}{'trivial':>9}")
    dropped = {
        reason.split(".", 1)[1]: n
        for s in run.funnel
        for reason, n in s.drops.items()
        if reason.startswith("contaminated.")
    }
    for name, st in d["benchmarks"].items():
        lines.append(
            f"{name[:13]:<14}{st['items']:>8,}{st['strings']:>9,}{st['grams']:>10,}{st['exact_strings']:>7,}"
            f"{st['too_short']:>11,}{st['trivial_skipped']:>9,}"
        )
    lines.append("documents dropped: " + (", ".join(f"{k} {v:,}" for k, v in sorted(dropped.items())) or "none"))
    return lines


def format_weights(manifest: dict[str, Any]) -> list[str]:
    """The mix groups, asked against achieved, with the tokens available, targeted and written (80 columns);
    printed at the end of `codecorpus run` and in the report. A field a manifest lacks (an older run's, a
    hand-made one) shows as 0: the end of a run never fails on its summary."""
    header = (f"{'group':<7}{'asked':>7}{'achieved':>9}{'status':>13}{'available':>10}{'target':>10}"
              f"{'written':>10}{'rate':>8}")
    lines = [header]
    for g, w in manifest.get("weights", {}).items():
        n = {k: w.get(k, 0) for k in ("asked", "achieved", "available_tokens", "target_tokens", "tokens", "rate")}
        lines.append(
            f"{g[:6]:<7}{n['asked']:>7.1%}{n['achieved']:>9.1%}{str(w.get('status', '?'))[:12]:>13}"
            f"{human(n['available_tokens']):>10}{human(n['target_tokens']):>10}{human(n['tokens']):>10}{n['rate']:>8.3f}"
        )
    return lines


def format_mix(run: RunData) -> list[str]:
    m = run.manifest
    if not m:
        return ["mix_manifest.json is absent: the run wrote no mix"]
    b = m["budget"]
    asked = "none (as much as the data allows)" if b["asked_total_tokens"] is None else human(b["asked_total_tokens"])
    tok = m["tokenizer"]
    if tok.get("kind") == "tokenizer.json":
        lines = [f"tokenizer: {tok['path']} (sha256 {tok['sha256'][:12]}, {tok['vocab_size']} ids)"]
    else:
        lines = [f"tokenizer: {tok.get('description', tok)}"]
    lines.append(
        f"tokens: budget {asked}; planned {human(b['planned_total_tokens'])}; "
        f"written {human(b['achieved_total_tokens'])}"
    )
    fim = f"PSM at rate {m['fim']['rate']:g}" if m["fim"]["enabled"] else "off"
    lines.append(f"short groups: {b['short_policy']} (max repeats {b['max_repeats']:g}); FIM: {fim}")
    lines.append("")
    lines += format_weights(m)
    lines += textwrap.wrap("groups: " + "; ".join(f"{g} = {', '.join(w['categories'])}" for g, w in m["weights"].items()),
                           WIDTH, subsequent_indent="  ")
    lines += format_off_target(run)
    lines.append("")
    lines.append(f"{'category':<10}{'group':<6}{'rate':>7}{'docs in':>9}{'tokens in':>10}{'rows':>8}{'tokens':>9}"
                 f"{'shards':>7}{'bytes':>9}")
    for c, info in m["categories"].items():
        a = info["available"]
        lines.append(
            f"{c[:9]:<10}{info['group'][:5]:<6}{info['rate']:>7.3f}{human(a['docs']):>9}{human(a['tokens']):>10}"
            f"{human(info['docs']):>8}{human(info['tokens']):>9}{len(info['shards']):>7}{human(info['bytes']):>9}"
        )
    return lines


def format_off_target(run: RunData) -> list[str]:
    """The end-of-run check of the weights (stats/mix_off_target.json): each group off target and why."""
    check = run.off_target
    if not check:
        return []
    tolerance = f"{check.get('tolerance', 0):.1%}"
    if not check.get("off_target"):
        return [f"on target: every group within {tolerance} of its asked weight"]
    lines = [f"OFF TARGET (tolerance {tolerance}; mix.on_off_target: {check.get('on_off_target')}):"]
    return lines + [w for m in check["off_target"] for w in textwrap.wrap(f"- {m}", WIDTH, subsequent_indent="  ")]


def format_languages(run: RunData, top: int = 25) -> list[str]:
    """Per language, what the mix wrote: source files, documents (a repository sample is one document of
    several files), tokens, bytes and the share of the category's tokens."""
    rows = [r for r in run.languages if r["set"] == "written"]
    if not rows:
        return []
    per_category: dict[str, int] = {}
    for r in rows:
        per_category[r["category"]] = per_category.get(r["category"], 0) + r["tokens"]
    lines = [f"{'category':<10}{'language':<18}{'files':>9}{'documents':>11}{'tokens':>10}{'bytes':>10}{'share':>8}"]
    ordered = sorted(rows, key=lambda r: (r["category"], -r["tokens"], r["language"]))
    for r in ordered[:top]:
        share = r["tokens"] / per_category[r["category"]] if per_category[r["category"]] else 0.0
        lines.append(
            f"{r['category'][:9]:<10}{(r['language'] or '(none)')[:17]:<18}{human(r.get('files', r['docs'])):>9}"
            f"{human(r['docs']):>11}{human(r['tokens']):>10}{human(r['bytes']):>10}{share:>8.1%}"
        )
    if len(ordered) > top:
        lines.append(f"... {len(ordered) - top} more rows in stats/mix_languages.json")
    return lines


def dedup_rates(run: RunData) -> list[tuple[str, int, int, int]]:
    """(stage, in, removed, clusters) of every dedup stage: the stages whose name says dedup."""
    return [
        (s.stage, s.n_in, sum(s.drops.values()), s.counts.get("clusters", 0)) for s in run.funnel if "dedup" in s.stage
    ]


def format_dedup(run: RunData) -> list[str]:
    rates = dedup_rates(run)
    if not rates:
        return []
    lines = [f"{'stage':<24}{'in':>12}{'removed':>12}{'rate':>9}{'clusters':>11}"]
    for stage, n_in, removed, clusters in rates:
        lines.append(f"{stage[:23]:<24}{n_in:>12,}{removed:>12,}{(removed / n_in if n_in else 0):>9.2%}{clusters:>11,}")
    if run.cluster_sizes:
        n = sum(run.cluster_sizes.values())
        lines.append(f"{n:,} clusters; largest {max(run.cluster_sizes):,} members")
    return lines


def _per_class(doc: Any, cls: str, key: str) -> Any:
    """doc[key][cls] or doc[cls][key] (the recall's JSONs keep per-class figures either way), else None."""
    if not isinstance(doc, dict):
        return None
    for outer, inner in ((key, cls), (cls, key)):
        if isinstance(doc.get(outer), dict) and inner in doc[outer]:
            return doc[outer][inner]
    for nested in ("per_class", "classes", "by_class"):
        if isinstance(doc.get(nested), dict):
            return _per_class(doc[nested], cls, key)
    return None


def recall_rows(run: RunData) -> list[dict[str, Any]]:
    """One row per (iteration, class): training examples, validation precision/recall, pages collected,
    new pages, related domains, path annotations."""
    rows = []
    for it in run.recall_iterations:
        select, score, validation = it.get("select", {}), it.get("score", {}), it.get("validation", {})
        classes = sorted(set(score.get("new") or {}) | set(select.get("examples") or {}) - {"other"})
        for cls in classes:
            rows.append({
                "iteration": it["iteration"], "class": cls,
                "train": _per_class(select, cls, "examples"),
                "precision": _per_class(validation, cls, "precision"),
                "recall": _per_class(validation, cls, "recall"),
                "pages": _per_class(score, cls, "pages"),
                "new": _per_class(score, cls, "new"),
                "domains": _per_class(score, cls, "related_domains"),
                "annotations": (score.get("annotations") or {}).get(f"auto.{cls}"),
            })
    return rows


def _cell(value: Any, width: int, pct: bool = False) -> str:
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>{width}.2f}" if pct else f"{value:>{width},}"


def format_recall(run: RunData) -> list[str]:
    """One row per iteration and class; then why the recall stopped and whether it was weak (or skipped)."""
    if run.recall_skipped:
        return textwrap.wrap(f"the recall was skipped: {run.recall_skipped}", WIDTH, subsequent_indent="  ")
    lines = []
    rows = recall_rows(run)
    if rows:
        lines.append(f"{'iter':<5}{'class':<8}{'train':>8}{'val P':>8}{'val R':>8}{'pages':>9}{'new':>8}"
                     f"{'domains':>9}{'paths':>7}")
    for r in rows:
        lines.append(
            f"{r['iteration']:<5}{r['class'][:7]:<8}{_cell(r['train'], 8)}{_cell(r['precision'], 8, True)}"
            f"{_cell(r['recall'], 8, True)}{_cell(r['pages'], 9)}{_cell(r['new'], 8)}{_cell(r['domains'], 9)}"
            f"{_cell(r['annotations'], 7)}"
        )
    summary = run.recall_summary or {}
    if summary.get("stopped"):
        lines.append(f"stopped: {summary['stopped']}")
    lines += [w for weak in summary.get("weak", []) for w in textwrap.wrap(f"WEAK: {weak}", WIDTH, subsequent_indent="  ")]
    return lines


def format_run_log(run: RunData) -> list[str]:
    log = run.run_log
    if not log:
        return []
    versions = ", ".join(f"{k} {v}" for k, v in sorted(log.get("versions", {}).items()))
    ended = f"ended {log.get('ended')}, {log.get('seconds', 0):.1f} s, exit {log.get('exit_code')}"
    lines = [f"config: {log.get('config_file')} (sha256 {str(log.get('config_fingerprint'))[:12]})",
             f"runner: {log.get('runner')}; host {log.get('host')}",
             f"started {log.get('started')}, {ended}"]
    lines += [f"  phase {p['phase']}: {p['seconds']:.1f} s" for p in log.get("phases", [])]
    lines += textwrap.wrap(f"versions: {versions}", WIDTH, subsequent_indent="  ")
    lines += [w for warning in log.get("warnings", [])
              for w in textwrap.wrap(f"warning: {warning}", WIDTH, subsequent_indent="  ")]
    return lines


def format_shards(run: RunData) -> list[str]:
    m = run.manifest
    if not m:
        return []
    header = (
        f"{'category':<10}{'shards':>7}{'rows':>9}{'tokens':>9}{'min':>8}{'median':>8}{'max':>8}"
        f"{'total':>9}  tokens"
    )
    lines = [header]
    for c, info in m["categories"].items():
        sizes = [s["bytes"] for s in info["shards"]]
        if not sizes:
            lines.append(f"{c[:9]:<10}{0:>7}  (no shard: rate 0)")
            continue
        tokenized = "yes" if "token_ids_path" in info["shards"][0] else "no"
        lines.append(
            f"{c[:9]:<10}{len(sizes):>7}{human(info['docs']):>9}{human(info['tokens']):>9}{human(min(sizes)):>8}"
            f"{human(statistics.median(sizes)):>8}{human(max(sizes)):>8}{human(sum(sizes)):>9}  {tokenized}"
        )
    t = m["totals"]
    lines.append(f"{'all':<10}{t['shards']:>7}{human(t['docs']):>9}{human(t['tokens']):>9}{'':>24}{human(t['bytes']):>9}")
    return lines


def format_report(run: RunData) -> str:
    """The whole terminal report; no line is wider than 80 columns."""
    lines = [f"codecorpus report: {run.output_dir}"]
    lines += _title("Funnel (stats/counts.json): records in, out and dropped by reason")
    lines += format_funnel(run.funnel).splitlines()
    if any(s.text_bytes for s in run.funnel):
        lines += _title("Text bytes per stage (UTF-8; sources and per-record steps)") + format_stage_bytes(run)
    lines += _title("Accounting: in = out + dropped, per stage, between stages, whole run")
    lines += [w for line in format_accounting(run.funnel) for w in textwrap.wrap(line, WIDTH, subsequent_indent="    ")]
    if run.decontamination:
        lines += _title("Decontamination (stats/decontamination.json)") + format_decontamination(run)
    lines += _title("Mix (mix_manifest.json)") + format_mix(run)
    if run.languages:
        lines += _title("Languages in the mix (stats/mix_languages.json)") + format_languages(run)
    if run.manifest:
        lines += _title("Shards (Parquet, zstd; sizes in bytes)") + format_shards(run)
    if dedup_rates(run):
        lines += _title("Deduplication: removed per stage; near-duplicate clusters") + format_dedup(run)
    if run.recall_iterations or run.recall_skipped:
        lines += _title("Recall iterations (recall/iter-*)") + format_recall(run)
    if run.histograms:
        lines += _title("Classifier scores (recall/iter-*/score_histogram.json)")
        for h in run.histograms:
            lines.append(f"iteration {h.iteration} {h.classifier}: {sum(h.counts):,} pages scored")
    if run.run_log:
        lines += _title("How the run was made (logs/run.json)") + format_run_log(run)
    if run.notes:
        lines += _title("Not in this output")
        lines += [wrapped for note in run.notes for wrapped in textwrap.wrap(f"- {note}", WIDTH, subsequent_indent="  ")]
    return "\n".join(lines) + "\n"
