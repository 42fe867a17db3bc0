"""After a run: do the written mix weights match the asked ones (SPEC §4: 60/10/30)? If not, say why.

A group misses its weight when its pool is empty or short (the recall collected no math pages, was
skipped, or was disabled; `max_repeats` capped the upsampling). `off_target` reads the manifest the mix
wrote and the recall's own records, and returns one line per group further than `mix.weight_tolerance`
from its asked weight, each with the reason; `codecorpus run` prints them at the end, writes them to
`stats/mix_off_target.json` for the report, and exits non-zero when `mix.on_off_target` is `fail`.
"""
from __future__ import annotations

from pipeline import layout
from pipeline.config import Config
from pipeline.files import read_json_if_exists, read_text_if_exists, write_json
from pipeline.schema import recall_category_of_group


def _recall_reason(config: Config, output_dir: str, group: str) -> str:
    """What the recall did for a group's web pages, in a few words ("" when it is not the cause)."""
    output_category = recall_category_of_group(group)  # code also comes from GitHub
    labels = [k for k, c in config.recall.categories.items() if c.output_category == output_category]
    if not labels:
        return ""
    if not config.recall.enabled:
        return "recall.enabled is false, so no web page is classified as " + output_category
    skipped = read_text_if_exists(layout.under(output_dir, layout.RECALL_SKIPPED))
    if skipped is not None:
        return "the recall was skipped: " + skipped
    summary = read_json_if_exists(layout.under(output_dir, layout.RECALL_SUMMARY))
    if summary is None:
        return "the recall did not run (no web pages were collected)"
    collected = sum(summary.get("collected", {}).get(k, 0) for k in labels)
    if not collected:
        return f"the recall collected no {'/'.join(labels)} page"
    if summary.get("weak"):
        return f"the recall collected {collected} {'/'.join(labels)} pages and was weak: {summary['weak'][0]}"
    return f"the recall collected {collected} {'/'.join(labels)} pages"


def off_target(config: Config, output_dir: str) -> list[str]:
    """One message per group whose written weight misses the asked one by more than the tolerance."""
    manifest = read_json_if_exists(layout.under(output_dir, layout.MANIFEST))
    if manifest is None:
        return []
    out = []
    for group, w in sorted(manifest.get("weights", {}).items()):
        asked, achieved = float(w.get("asked", 0.0)), float(w.get("achieved", 0.0))
        if abs(achieved - asked) <= config.mix.weight_tolerance:
            continue
        reasons = [f"its pool holds {w.get('available_tokens', 0)} tokens ({w.get('status', '?')})"]
        if w.get("status") == "missing" or achieved < asked:
            recall = _recall_reason(config, output_dir, group)
            if recall:
                reasons.append(recall)
        out.append(f"mix group {group}: written {achieved:.1%}, asked {asked:.1%} (tolerance "
                   f"{config.mix.weight_tolerance:.1%}): " + "; ".join(reasons))
    return out


def write_off_target(output_dir: str, messages: list[str], config: Config) -> None:
    doc = {"tolerance": config.mix.weight_tolerance, "on_off_target": config.mix.on_off_target, "off_target": messages}
    write_json(layout.under(output_dir, layout.MIX_OFF_TARGET), doc)
