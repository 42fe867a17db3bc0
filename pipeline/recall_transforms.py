"""Beam wiring of the recall (DeepSeekMath §2.1, SPEC §2): read pages, pick the training set, score, collect
the top pages within a budget, find related domains, annotate their folders and grow the seed.

Two pipelines make one iteration (`pipeline/recall_driver.py` runs them in turn and trains in between):
- `build_select_pipeline`: positives (seed URL patterns, pages added to the seed earlier, seed files), each
  category capped at `max_seed_pages` by a seeded sample, and `negative_ratio` random negatives; written as
  Parquet shards for the trainer. Only this training set is ever gathered in one place.
- `build_score_pipeline`: scores every page with `ScorePages` (model and tokenizer load in `DoFn.setup`),
  finds each category's score cut from a histogram (a budget in pages or tokens), marks collected pages,
  counts collected pages per domain and per folder with `CombinePerKey`, writes the annotations, marks
  uncollected pages under annotated folders as seeds (`meta["recall_seed"]`) and writes every page with its
  category, scores and state. The next iteration reads those pages, so no join is needed. It also writes
  `score_histogram.json`: each category's scores of all scored pages in `HISTOGRAM_BINS` equal bins over
  [0, 1] (the report's plot), counted per (category, bin) with `CombinePerKey`.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from classifiers.fasttext_model import BPE, META_FILE, MODEL_FILE, TOKENIZER_FILE, TextClassifier
from classifiers.folded import FOLDED_FILE
from classifiers.recall_selection import (
    OTHER_LABEL,
    SCORE_BINS,
    Annotation,
    PrefixTable,
    budget_cut,
    folder_prefix,
    format_annotations,
    is_collected,
    merge_annotations,
    page_location,
    parse_prefix,
    path_is_annotated,
    related_label,
    score_bin,
)
from pipeline.config import Config, SeedFile
from pipeline.record import Drop, Record, stable_id
from pipeline.seeded import seeded_rank
from pipeline.sinks import Gather, WriteParquetShards, WriteTextFile
from pipeline.stages import Funnel

SCORE_PREFIX = "recall_"  # Record.scores keys: recall_code, recall_math, recall_other
META_SEED = "recall_seed"  # the category a page is a positive seed of (URL pattern or annotation)
META_LABEL = "recall_label"  # the category the last iteration collected the page under, or "other"
NOTHING_COLLECTED = (SCORE_BINS + 1, 0.0)  # the cut of a category no page reached
HISTOGRAM_BINS = 20  # bins of the score histogram the report plots (the budget cut uses SCORE_BINS)
# Pages a scoring batch holds: one tokenizer call for many pages (~0.95x the CPU of a call per page, within the
# noise: docs/measurements.md); the characters bound keeps a batch of long pages small (the stage holds one).
SCORE_BATCH_PAGES, SCORE_BATCH_CHARS = 64, 8_000_000
HISTOGRAM_FILE = "score_histogram.json"  # in recall/iter-<k>/ (pipeline.layout.RECALL_HISTOGRAMS)


# ---------------------------------------------------------------- reading
def parse_page_line(item: tuple[str, str]) -> Record | Drop:
    """One JSON line of a pages file as a Record; a bad line is a counted drop naming the file."""
    filename, line = item
    try:
        row = json.loads(line)
        return Record.from_row(row)
    except ValueError as err:
        return Drop("bad_json", stable_id(filename, line), f"{filename}: {err}")
    except TypeError as err:
        return Drop("bad_record", stable_id(filename, line), f"{filename}: {err}")


def read_pages(p: beam.Pipeline, funnel: Funnel, pattern: str, stage: str = "recall_read") -> beam.PCollection:
    """Records from Parquet shards (`*.parquet`, as the sinks write them) or JSON lines (`.jsonl[.gz]`)."""
    if pattern.endswith(".parquet"):
        return funnel.apply(p, stage, Record.from_row,
                            units=lambda begin: begin | "ReadParquet" >> beam.io.ReadFromParquet(pattern))
    return funnel.apply(p, stage, parse_page_line,
                        units=lambda begin: begin | "ReadLines" >> beam.io.ReadFromTextWithFilename(pattern))


def html_to_text(markup: str) -> str:
    """The text of an HTML fragment (a StackExchange Body): code blocks keep their lines."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        return lxml_html.fragment_fromstring(markup, create_parent="div").text_content()
    except (etree.ParserError, ValueError):  # lxml rejects empty or control-character-only markup
        return ""


def seed_record(text: Any, url: Any, *, label: str, where: str, key: str, html: bool = False) -> Record | Drop:
    """A seed example from one row of a seed corpus; a row without usable text is a counted drop."""
    if not isinstance(text, str):
        return Drop("bad_seed_row", stable_id(where, repr(text)[:200]), f"{where}: {key!r} is not a string")
    if html:
        text = html_to_text(text)
    if not text.strip():
        return Drop("empty_seed_row", stable_id(where, text), where)
    url = url if isinstance(url, str) else ""
    # The id leaves out the file's location, so a moved config gives the same examples.
    return Record(id=stable_id("seed", label, text), source="seed", text=text, url=url, meta={META_SEED: label})


def parse_seed_line(item: tuple[str, str], *, label: str, text_column: str = "text", url_column: str = "url",
                    fmt: str = "", html: bool = False) -> Record | Drop:
    """A line of a seed file as a positive example: JSON Lines with a `text_column` (and maybe a
    `url_column`), or a plain text line (a document per line)."""
    filename, line = item
    fmt = fmt or ("jsonl" if filename.endswith((".jsonl", ".jsonl.gz", ".json")) else "text")
    if fmt != "jsonl":
        return seed_record(line, "", label=label, where=filename, key="line")
    try:
        row = json.loads(line)
    except ValueError as err:
        return Drop("bad_seed_row", stable_id(filename, line), f"{filename}: not JSON ({err})")
    if not isinstance(row, dict) or text_column not in row:
        return Drop("bad_seed_row", stable_id(filename, line), f"{filename}: no key {text_column!r}")
    return seed_record(row[text_column], row.get(url_column), label=label, where=filename, key=text_column,
                       html=html)


def read_seed_file(p: beam.Pipeline, funnel: Funnel, config: Config, label: str, index: int,
                   spec: SeedFile) -> beam.PCollection | None:
    """The seed examples of one seed file as (label, Record) pairs (None for a URL-prefix list, which
    `RecallRules` reads)."""
    fmt, path, stage = spec.resolved_format(), spec.path.resolved, f"recall_seed_file_{label}_{index}"
    if fmt == "url_prefixes":
        return None
    if fmt == "parquet":
        records = funnel.apply(p, stage, lambda row, lb=label, sp=spec, pa=path: seed_record(
            row.get(sp.text_column), row.get(sp.url_column), label=lb, where=pa, key=sp.text_column, html=sp.html),
            units=lambda begin: begin | "ReadParquet" >> beam.io.ReadFromParquet(path))
    else:
        records = funnel.apply(p, stage, lambda x, lb=label, sp=spec, fm=fmt: parse_seed_line(
            x, label=lb, text_column=sp.text_column, url_column=sp.url_column, fmt=fm, html=sp.html),
            units=lambda begin: begin | "ReadLines" >> beam.io.ReadFromTextWithFilename(path))
    return records | f"SeedFileLabel_{label}_{index}" >> beam.Map(lambda r, lb=label: (lb, r))


def read_url_prefixes(config: Config) -> dict[str, list[str]]:
    """{label: [URL prefix, ...]} from the categories' URL-prefix seed files (one prefix a line, `#` comments)."""
    out: dict[str, list[str]] = {}
    for label, category in sorted(config.recall.categories.items()):
        for spec in category.seed_files:
            if spec.resolved_format() != "url_prefixes":
                continue
            path = spec.path.resolved
            try:
                matches = FileSystems.match([path])[0].metadata_list
                if not matches:
                    raise OSError("no file matches")
                for m in sorted(matches, key=lambda m: m.path):
                    with FileSystems.open(m.path) as fh:
                        text = fh.read().decode("utf-8")
                    out.setdefault(label, []).extend(
                        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
                    )
            except (OSError, UnicodeDecodeError) as err:
                raise ValueError(f"recall.categories.{label}.seed_files: cannot read {path}: {err}") from None
    return out


# ---------------------------------------------------------------- scoring
def _local_model_dir(model_dir: str) -> str:
    """The model directory on local disk: itself, or a copy of a gs:// / s3:// directory."""
    if os.path.isdir(model_dir):
        return model_dir
    local = tempfile.mkdtemp(prefix="recall-model-")
    # The folded table is what scoring reads; fastText's own file (~2 GB) only for a model made without one.
    names = (FOLDED_FILE, META_FILE, TOKENIZER_FILE)
    if not FileSystems.exists(f"{model_dir}/{FOLDED_FILE}"):
        names = (MODEL_FILE, META_FILE, TOKENIZER_FILE)
    for name in names:
        source = f"{model_dir}/{name}"
        if FileSystems.exists(source):
            with FileSystems.open(source) as src, open(os.path.join(local, name), "wb") as dst:
                shutil.copyfileobj(src, dst)
    return local


class ScorePages:
    """A step: sets `scores["recall_<label>"]` for every label of the model on a page (and, for a token
    budget, the page's token count when it has none). The model loads in `setup`, once per worker.

    Pages are scored in batches (the stage buffers up to `batch_records` pages or `batch_chars` characters of
    text): one tokenizer call encodes the batch. The scores are the ones page by page (tested)."""

    batch_records, batch_chars = SCORE_BATCH_PAGES, SCORE_BATCH_CHARS

    def __init__(self, model_dir: str, *, count_tokens: bool = False):
        self.model_dir, self.count_tokens = model_dir, count_tokens
        self._classifier: TextClassifier | None = None

    def setup(self) -> None:
        self._classifier = TextClassifier.load(_local_model_dir(self.model_dir))

    def __call__(self, record: Record) -> Record:
        return self.batch([record])[0]

    def batch(self, records: list[Record]) -> list[Record]:
        """Every page of `records` scored, in order."""
        if self._classifier is None:  # a runner that never called setup (plain use outside Beam)
            self.setup()
        classifier = self._classifier
        page_tokens = classifier.tokens
        texts = [record.text for record in records]  # the first max_chars characters are read
        if page_tokens.kind == BPE:  # token ids: no string per token
            tokens: list = page_tokens.many_ids(texts)
            score = classifier.scores_of_ids
        else:
            tokens, score = page_tokens.many(texts), classifier.scores_of_tokens
        # A page within max_chars was just encoded whole: its count is its tokens'; longer ones are encoded again.
        uncounted = [i for i, record in enumerate(records) if self.count_tokens and not record.tokens]
        longer = [i for i in uncounted if len(records[i].text) > page_tokens.max_chars]
        counts = {i: len(tokens[i]) for i in uncounted}
        counts.update(zip(longer, page_tokens.counts([records[i].text for i in longer])))
        out = []
        for i, record in enumerate(records):
            scores = dict(record.scores)
            for label, prob in score(tokens[i]).items():
                scores[SCORE_PREFIX + label] = prob
            out.append(record.replace(scores=scores, tokens=counts.get(i, record.tokens)))
        return out

    def __getstate__(self) -> dict[str, Any]:
        # A loaded fastText model is not picklable; each worker loads its own in setup().
        return {**self.__dict__, "_classifier": None}


# ---------------------------------------------------------------- the iteration's state on a page
class RecallRules:
    """What an iteration needs to know about a page, from config: its location, its seed label, its
    collection. Plain and picklable, so Beam steps can call it on workers."""

    def __init__(self, config: Config):
        recall = config.recall
        self.seed, self.source = config.seed, recall.source
        self.labels = sorted(recall.categories)
        self.min_score = recall.min_score or 0.0
        # A category without a budget keeps only the pages it wins (argmax), never every page above a floor.
        self.unbounded = {label for label, c in recall.categories.items() if c.budget == float("inf")}
        self.output_category = {label: c.output_category for label, c in recall.categories.items()}
        self.output_category[OTHER_LABEL] = recall.other_category
        prefixes = read_url_prefixes(config)
        self.seed_table = PrefixTable.from_patterns(
            {label: [*c.url_patterns, *prefixes.get(label, [])] for label, c in recall.categories.items()},
            recall.source,
        )

    def location(self, record: Record) -> tuple[str, str]:
        return page_location(self.source, url=record.url, repo=record.repo, path=record.path)

    def seed_label(self, record: Record) -> str:
        """The category a page is a seed of: added by an earlier iteration, or under a seed URL pattern."""
        return record.meta.get(META_SEED) or self.seed_table.label_of(*self.location(record))

    def collect(self, record: Record, cuts: dict[str, tuple[int, float]]) -> tuple[Record, str]:
        """The page with its collected label and category set; also returns the label it had before."""
        rank = seeded_rank(self.seed, "budget", record.id)
        collected = [
            label
            for label in self.labels
            if is_collected(record.scores[SCORE_PREFIX + label], cuts.get(label, NOTHING_COLLECTED), rank,
                            min_score=self.min_score)
            and (label not in self.unbounded or record.scores[SCORE_PREFIX + label] >= max(record.scores[
                SCORE_PREFIX + k] for k in [*self.labels, OTHER_LABEL] if SCORE_PREFIX + k in record.scores))
        ]
        # A page above two cuts goes to the category it scores higher in (ties: the first label).
        label = max(collected, key=lambda k: record.scores[SCORE_PREFIX + k]) if collected else OTHER_LABEL
        meta = dict(record.meta)
        previous = meta.get(META_LABEL, "")
        meta[META_LABEL] = label
        seed = self.seed_label(record)
        if seed:
            meta[META_SEED] = seed
        return record.replace(category=self.output_category[label], meta=meta), previous

    def add_to_seed(self, record: Record, annotated: dict[tuple[str, str], str]) -> Record:
        """An uncollected page under an annotated folder joins the seed of that folder's category."""
        if record.meta.get(META_LABEL) != OTHER_LABEL or record.meta.get(META_SEED):
            return record
        label = PrefixTable(annotated, subdomains=False).label_of(*self.location(record))
        if not label:
            return record
        return record.replace(meta={**record.meta, META_SEED: label})


# ---------------------------------------------------------------- counts as a JSON file
def write_json(named: dict[str, beam.PCollection], path: str, label: str) -> None:
    """Write {name: {key: value}} from PCollections of (key, value) pairs as one sorted JSON file."""
    tagged = [
        pcoll | f"{label}_tag_{name}" >> beam.Map(lambda kv, name=name: (name, kv[0], kv[1]))
        for name, pcoll in sorted(named.items())
    ]
    names = sorted(named)

    def to_json(items: list[tuple[str, Any, Any]]) -> str:
        doc: dict[str, dict] = {name: {} for name in names}
        for name, key, value in items:
            doc[name][str(key)] = value
        return json.dumps(doc, indent=1, sort_keys=True)

    (
        tagged
        | f"{label}_flatten" >> beam.Flatten()
        | f"{label}_json" >> Gather(to_json)
        | f"{label}_write" >> WriteTextFile(path)
    )


def _count_per_key(pcoll: beam.PCollection, label: str) -> beam.PCollection:
    return pcoll | f"{label}_one" >> beam.Map(lambda k: (k, 1)) | f"{label}_sum" >> beam.CombinePerKey(sum)


def _sum_vectors(vectors: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(sum(column) for column in zip(*vectors))


def score_histogram_json(
    items: Iterable[tuple[tuple[str, int], int]], labels: list[str], iteration: int, *, bins: int = HISTOGRAM_BINS
) -> str:
    """The histogram file from ((label, bin), pages) rows: every label with `bins` counts and `bins + 1`
    equal edges over [0, 1], including labels and bins no page fell in."""
    counts = {label: [0] * bins for label in labels}
    for (label, b), n in items:
        counts[label][b] += n
    edges = [i / bins for i in range(bins + 1)]
    doc = {"iteration": iteration, "classifiers": {k: {"edges": edges, "counts": counts[k]} for k in labels}}
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def histogram_bin(score: float, *, bins: int = HISTOGRAM_BINS) -> int:
    """A score's bin among `bins` equal ones over [0, 1]; a score of exactly 1 falls in the last."""
    return min(bins - 1, score_bin(score, bins=bins))


# ---------------------------------------------------------------- the select pipeline
def _example(record: Record, label: str, *, seed: int, max_chars: int) -> Record:
    # The id leads with a seeded rank so the sorted shards give the trainer a shuffled, repeatable order.
    rank = int(seeded_rank(seed, "order", record.id) * 2**64)
    return Record(
        id=f"{rank:016x}-{record.id}", source=record.source, text=record.text[:max_chars], url=record.url,
        repo=record.repo, path=record.path, category=label, meta={"page_id": record.id},
    )


def _cutoff_of(smallest: list[float], k: int) -> float:
    """The largest rank kept when keeping the `k` smallest (everything when there are not more)."""
    ordered = sorted(smallest)
    return ordered[k - 1] if 0 < k <= len(ordered) else (1.0 if k > 0 else -1.0)


def build_select_pipeline(p: beam.Pipeline, config: Config, pages_pattern: str, iter_dir: str) -> Funnel:
    """The training set of one iteration: capped positives and seeded random negatives, as Parquet shards
    under `iter_dir/train`, with counts in `iter_dir/stats/select.json`."""
    recall, seed = config.recall, config.seed
    rules = RecallRules(config)
    funnel = Funnel(config.output)
    pages = read_pages(p, funnel, pages_pattern)
    labelled = pages | "SeedLabel" >> beam.Map(lambda r: (rules.seed_label(r), r))
    from_files = []
    for label, category in sorted(recall.categories.items()):
        for i, spec in enumerate(category.seed_files):
            pairs = read_seed_file(p, funnel, config, label, i, spec)
            if pairs is not None:
                from_files.append(pairs)
    positives = (
        [labelled | "Positives" >> beam.Filter(lambda lr: lr[0] != "")] + from_files
    ) | "AllPositives" >> beam.Flatten()
    candidates = labelled | "Candidates" >> beam.Filter(lambda lr: lr[0] == "") | "CandidatePages" >> beam.Values()

    pos_cutoffs = (
        positives
        | "PositiveRanks" >> beam.Map(lambda lr: (lr[0], seeded_rank(seed, "positive", lr[1].id)))
        | "CapPositives" >> beam.combiners.Top.SmallestPerKey(recall.max_seed_pages)
        | "PositiveCutoff" >> beam.MapTuple(lambda label, ranks: (label, _cutoff_of(ranks, recall.max_seed_pages)))
    )
    kept_pos = positives | "KeepPositives" >> beam.Filter(
        lambda lr, cut: seeded_rank(seed, "positive", lr[1].id) <= cut[lr[0]], cut=beam.pvalue.AsDict(pos_cutoffs)
    )
    # Negatives balanced per class: as many as the largest category's positives times the ratio, so the
    # "other" class weighs like one category rather than like all of them together.
    n_pos = (
        kept_pos
        | "PositiveLabels" >> beam.Keys()
        | "CountPerLabel" >> beam.combiners.Count.PerElement()
        | "PerLabelCounts" >> beam.Values()
        | "LargestClass" >> beam.CombineGlobally(lambda counts: max(counts, default=0))
    )
    bound = math.ceil(recall.negative_ratio * recall.max_seed_pages)
    neg_cutoff = (
        candidates
        | "NegativeRanks" >> beam.Map(lambda r: seeded_rank(seed, "negative", r.id))
        | "SmallestNegatives" >> beam.combiners.Top.Smallest(bound)
        | "NegativeCutoff" >> beam.Map(
            lambda ranks, n: _cutoff_of(ranks, round(recall.negative_ratio * n)), n=beam.pvalue.AsSingleton(n_pos)
        )
    )
    kept_neg = candidates | "KeepNegatives" >> beam.Filter(
        lambda r, cut: seeded_rank(seed, "negative", r.id) <= cut, cut=beam.pvalue.AsSingleton(neg_cutoff)
    )
    max_chars = config.tokenizer.max_chars
    examples = (
        kept_pos | "PositiveExamples" >> beam.MapTuple(
            lambda label, r: _example(r, label, seed=seed, max_chars=max_chars)),
        kept_neg | "NegativeExamples" >> beam.Map(
            lambda r: _example(r, OTHER_LABEL, seed=seed, max_chars=max_chars)),
    ) | "Examples" >> beam.Flatten()
    examples | "WriteExamples" >> WriteParquetShards(f"{iter_dir}/train", config.output)
    write_json(
        {
            "seed_pages_found": _count_per_key(positives | "FoundLabels" >> beam.Keys(), "found"),
            "examples": _count_per_key(examples | "ExampleLabels" >> beam.Map(lambda r: r.category), "examples"),
            "negative_candidates": candidates
            | "CountCandidates" >> beam.combiners.Count.Globally()
            | "CandidatesKey" >> beam.Map(lambda n: ("pages", n)),
        },
        f"{iter_dir}/stats/select.json",
        "SelectCounts",
    )
    funnel.write_counts(p, f"{iter_dir}/stats/select")
    return funnel


# ---------------------------------------------------------------- the score pipeline
def build_score_pipeline(
    p: beam.Pipeline,
    config: Config,
    pages_pattern: str,
    model_dir: str,
    iter_dir: str,
    user_annotations: list[Annotation],
    iteration: int,
) -> Funnel:
    """Score and collect every page, discover related domains and annotate their folders; writes
    `iter_dir/pages`, `annotations.tsv`, `domains.tsv`, `stats/score.json` and `score_histogram.json`
    (scores of iteration `iteration`)."""
    recall = config.recall
    rules = RecallRules(config)
    labels = rules.labels
    by_tokens = recall.budget_unit == "tokens"
    funnel = Funnel(config.output)
    pages = read_pages(p, funnel, pages_pattern)
    scored = funnel.apply(pages, "recall_score", ScorePages(model_dir, count_tokens=by_tokens))

    def histogram(record: Record) -> Iterable[tuple[tuple[str, int], float]]:
        weight = record.tokens if by_tokens else 1
        for label in labels:
            score = record.scores[SCORE_PREFIX + label]
            if score >= rules.min_score:
                yield (label, score_bin(score)), weight

    # The report's histogram: every scored page, unweighted and below min_score too, in a few coarse bins.
    (
        scored
        | "ScoreBins" >> beam.FlatMap(
            lambda r: [((k, histogram_bin(r.scores[SCORE_PREFIX + k])), 1) for k in labels]
        )
        | "PagesPerBin" >> beam.CombinePerKey(sum)
        | "HistogramJson" >> Gather(score_histogram_json, labels, iteration)
        | "WriteHistogram" >> WriteTextFile(f"{iter_dir}/{HISTOGRAM_FILE}", newline=False)
    )

    budgets = {label: c.budget for label, c in recall.categories.items()}
    cuts = (
        scored
        | "Histogram" >> beam.FlatMap(histogram)
        | "SumBins" >> beam.CombinePerKey(sum)
        | "BinsByLabel" >> beam.MapTuple(lambda key, weight: (key[0], (key[1], weight)))
        | "GroupBins" >> beam.GroupByKey()
        | "Cut" >> beam.MapTuple(lambda label, bins: (label, budget_cut(dict(bins), budgets[label])))
    )
    collected_pairs = scored | "Collect" >> beam.Map(rules.collect, cuts=beam.pvalue.AsDict(cuts))
    collected = collected_pairs | "CollectedPages" >> beam.Keys()

    # Domains: (pages, collected per label) -> the related ones (DeepSeekMath: over 10% collected).
    def domain_vector(record: Record) -> tuple[str, tuple[int, ...]]:
        label = record.meta[META_LABEL]
        return rules.location(record)[0], (1, *(int(label == k) for k in labels))

    domain_counts = (
        collected | "DomainVector" >> beam.Map(domain_vector) | "SumDomains" >> beam.CombinePerKey(_sum_vectors)
    )

    def related(item: tuple[str, tuple[int, ...]]) -> Iterable[tuple[str, str]]:
        host, (total, *per_label) = item
        label = related_label(
            total,
            {k: n for k, n in zip(labels, per_label) if n},
            threshold=recall.domain_threshold,
            min_pages=recall.min_domain_pages,
        )
        if label:
            yield host, label

    related_domains = domain_counts | "Related" >> beam.FlatMap(related)

    # Folders of related domains: annotated when enough of their pages were collected.
    def folder_vector(record: Record, related: dict[str, str]) -> Iterable[tuple[tuple[str, str], tuple[int, int]]]:
        host, path = rules.location(record)
        label = related.get(host)
        prefix = folder_prefix(path, recall.path_depth) if label else ""
        if prefix:
            yield (host + prefix, label), (1, int(record.meta[META_LABEL] == label))

    def annotate(item: tuple[tuple[str, str], tuple[int, int]]) -> Iterable[Annotation]:
        (prefix, label), (total, hits) = item
        if path_is_annotated(hits, total, min_fraction=recall.path_min_fraction):
            yield Annotation(prefix, label, hits, total, "auto")

    annotations = (
        collected
        | "FolderVector" >> beam.FlatMap(folder_vector, related=beam.pvalue.AsDict(related_domains))
        | "SumFolders" >> beam.CombinePerKey(_sum_vectors)
        | "Annotate" >> beam.FlatMap(annotate)
        | "WithReviewed" >> Gather(merge_annotations, list(user_annotations))
    )
    annotations | "FormatAnnotations" >> beam.Map(format_annotations) | "WriteAnnotations" >> WriteTextFile(
        f"{iter_dir}/annotations.tsv", newline=False
    )
    annotated = annotations | "AnnotatedPrefixes" >> beam.FlatMap(
        lambda items: [(parse_prefix(a.prefix, recall.source), a.label) for a in items]
    )
    final = collected | "GrowSeed" >> beam.Map(rules.add_to_seed, annotated=beam.pvalue.AsDict(annotated))
    final | "WritePages" >> WriteParquetShards(f"{iter_dir}/pages", config.output)

    domain_rows = (
        domain_counts
        | "RelatedCounts" >> beam.Filter(lambda item, rel: item[0] in rel, rel=beam.pvalue.AsDict(related_domains))
        | "DomainRow" >> beam.MapTuple(lambda host, vec: "\t".join([host, *map(str, vec)]))
        | "DomainTable" >> Gather(
            lambda rows: "\t".join(["domain", "pages", *(f"collected_{k}" for k in labels)]) + "\n"
            + "".join(f"{row}\n" for row in sorted(rows))
        )
    )
    domain_rows | "WriteDomains" >> WriteTextFile(f"{iter_dir}/domains.tsv", newline=False)

    labels_now = collected_pairs | "LabelNow" >> beam.MapTuple(lambda r, prev: (r.meta[META_LABEL], prev))
    write_json(
        {
            "pages": _count_per_key(collected | "PageLabels" >> beam.Map(lambda r: r.meta[META_LABEL]), "pages"),
            "new": _count_per_key(
                labels_now
                | "NewLabels" >> beam.FlatMap(lambda lp: [lp[0]] if lp[0] != OTHER_LABEL and lp[0] != lp[1] else []),
                "new",
            ),
            "weight": collected
            | "Weights" >> beam.Map(lambda r: (r.meta[META_LABEL], r.tokens if by_tokens else 1))
            | "SumWeights" >> beam.CombinePerKey(sum),
            "cut_score": cuts | "CutScores" >> beam.MapTuple(lambda label, cut: (label, max(cut[0], 0) / SCORE_BINS)),
            "related_domains": _count_per_key(related_domains | "RelatedLabels" >> beam.Values(), "related"),
            "annotations": annotations
            | "AnnotationCounts" >> beam.FlatMap(lambda items: [(f"{a.origin}.{a.label}", 1) for a in items])
            | "SumAnnotations" >> beam.CombinePerKey(sum),
            "seed_pages": _count_per_key(
                final | "SeedLabels" >> beam.FlatMap(lambda r: [r.meta[META_SEED]] if r.meta.get(META_SEED) else []),
                "seeds",
            ),
        },
        f"{iter_dir}/stats/score.json",
        "ScoreCounts",
    )
    funnel.write_counts(p, f"{iter_dir}/stats/score")
    return funnel
