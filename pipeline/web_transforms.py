"""The Common Crawl branch of the graph: WARC files -> HTML pages -> text extraction -> URL dedup -> pages.

DeepSeekMath §2.1 (followed by DeepSeek-Coder-V2): Common Crawl pages are URL-deduplicated and
near-deduplicated before the fastText recall. Every stage goes through `Funnel`, so each WARC record is
either written or counted under a named reason (`revisit`, `mime`, `url_duplicate`, `extract_timeout`, ...).
URL dedup runs after extraction by default (config `web.url_dedup`): its GroupByKey then moves extracted text
instead of HTML, about 27x fewer bytes on real pages, which costs more than extracting the few duplicates.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

import apache_beam as beam

from filters.timed_worker import CallFailed, CallTimeout, TimedWorker, WorkerDied
from filters.url_normalize import normalize_url
from filters.web_extract import extract_text
from pipeline.config import Config, WebExtraction
from pipeline.dedup_transforms import deduplicate
from pipeline.layout import handoff_dir
from pipeline.record import Drop, Record, utf8_bytes
from pipeline.sinks import WriteParquetShards
from pipeline.sources.warc import WarcInput, expand_warc_input, read_warc_unit
from pipeline.stages import SOURCE, Funnel, GroupStep


def extract_options(settings: WebExtraction) -> dict[str, object]:
    """The section's options that `filters.web_extract.extract_text` takes (the rest is the runner's)."""
    return settings.model_dump(exclude={"timeout_s"})


def web_inputs(config: Config) -> list[WarcInput]:
    """The configured WARC inputs, relative paths resolved against the config file's folder (and kept as
    written, which is how output names the files)."""
    web = config.inputs.web
    entries = [WarcInput("path", path.resolved, given=str(path)) for path in web.paths]
    for pf in web.paths_files:
        entries.append(WarcInput("paths_file", pf.file.resolved, pf.prefix.resolved, str(pf.file), str(pf.prefix)))
    return entries


def _survivor_order(record: Record) -> tuple[str, str, str]:
    return (record.meta.get("warc_record_id", ""), record.meta.get("warc_file", ""), record.text)


def pick_url_survivor(group: tuple[str, Iterable[Record]]) -> Iterable[Record | Drop]:
    """One page per normalized URL: the latest fetch wins, then the smallest WARC record id (then file and
    text, so the choice never depends on arrival order). The others are `url_duplicate` drops."""
    url_key, records = group
    best: Record | None = None
    losers: list[tuple[str, str]] = []
    for record in records:
        if best is None:
            best = record
            continue
        if (record.fetch_date > best.fetch_date) or (
            record.fetch_date == best.fetch_date and _survivor_order(record) < _survivor_order(best)
        ):
            best, record = record, best
        losers.append((record.id, record.meta.get("warc_record_id", "")))
    if best is None:
        return
    yield best
    kept = best.meta.get("warc_record_id", "")
    for record_id, warc_id in sorted(losers, key=lambda x: x[1]):
        yield Drop("url_duplicate", record_id, f"{url_key} {warc_id} (kept {kept})")


def url_key(record: Record) -> str:
    return normalize_url(record.url)


def dedup_urls(pages: beam.PCollection, funnel: Funnel) -> beam.PCollection:
    """URL dedup as a grouping step on the normalized URL (counted as `url_duplicate`)."""
    step = GroupStep(("web_url_dedup",), key=url_key, resolve=pick_url_survivor)
    return funnel.group(pages, step)["kept"]


# Extracted once in each fresh extraction child, outside the budget: lazy imports and caches are not
# charged to whichever page comes first.
WARMUP_PAGE = (b"<html><body><article><h1>Warm-up</h1><p>A paragraph of text.</p></article></body></html>", "")


class PageExtractor:
    """Step `Record(html) -> Record(text) | Drop`: main text with code and math kept, under a time limit.

    Extraction runs in a child process (`TimedWorker`, started on first use in each worker and picklable),
    so a page that makes trafilatura spin is killed after `timeout_s` seconds of CPU time (not wall time:
    a busy machine drops the same pages as an idle one) and counted as `extract_timeout`.
    """

    def __init__(self, settings: WebExtraction):
        self.worker = TimedWorker(
            functools.partial(extract_text, **extract_options(settings)), settings.timeout_s, warmup=WARMUP_PAGE
        )
        self.extractor = extractor_name(settings.engine)

    def __call__(self, record: Record) -> Record | Drop:
        try:
            # UTF-8 bytes: cheaper to send, and what the parser wants (encoded once: `utf8_bytes`)
            text = self.worker(utf8_bytes(record.text), record.url)
        except CallTimeout as err:
            return Drop("extract_timeout", record.id, f"{record.url}: {err}")
        except (WorkerDied, CallFailed) as err:
            return Drop("extract_failed", record.id, f"{record.url}: {err}")
        if not text.strip():
            return Drop("extract_empty", record.id, record.url)
        return record.replace(text=text, meta={**record.meta, "extractor": self.extractor})


def extractor_name(engine: str) -> str:
    """The extractor and its version, recorded on every page (output depends on it)."""
    from importlib.metadata import version

    return f"{engine}-{version(engine)}"


def near_dedup_pages(pages: beam.PCollection, funnel: Funnel, config: Config) -> beam.PCollection:
    """Exact and MinHash near-dedup of page text before classification (DeepSeekMath §2.1, SPEC §2), with the
    same transform and `dedup` settings as code; stages `web_exact_dedup` and `web_near_dedup`."""
    if not config.dedup.enabled:
        return pages
    return deduplicate(
        pages, funnel, config.dedup, config.seed, exact_stage="web_exact_dedup", near_stage="web_near_dedup"
    )


def build_web_branch(p: beam.Pipeline, funnel: Funnel, config: Config, output_dir: str) -> beam.PCollection | None:
    """Add the web branch to `p` when the config lists WARC inputs; writes `output_dir/stages/pages/`."""
    entries = web_inputs(config)
    if not entries:
        return None
    web = config.web

    def files(begin: beam.pvalue.PBegin) -> beam.PCollection:
        return (
            begin
            | "WebInputs" >> beam.Create(entries, reshuffle=False)  # one graph shape for 1 or N entries
            | "ExpandWarcs" >> beam.FlatMap(expand_warc_input)
            | "SpreadWarcs" >> beam.Reshuffle()
        )

    pages = funnel.apply(
        p,
        "web_source",
        functools.partial(read_warc_unit, max_record_bytes=web.max_record_bytes, allowed_mime=tuple(web.allowed_mime)),
        kind=SOURCE,
        units=files,
    )
    if web.url_dedup == "before_extraction":  # extracts no duplicate, but shuffles every page's HTML
        pages = dedup_urls(pages, funnel)
        pages = funnel.apply(pages, "web_extract", PageExtractor(web.extraction))
    else:  # reading and extraction fuse in one worker; only extracted text is shuffled
        pages = funnel.apply(pages, "web_extract", PageExtractor(web.extraction))
        pages = dedup_urls(pages, funnel)
    pages = near_dedup_pages(pages, funnel, config)
    pages | "WritePages" >> WriteParquetShards(handoff_dir(output_dir, "pages"), config.output)
    return pages
