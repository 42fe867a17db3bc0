"""The run configuration: YAML validated at start-up into typed objects.

Every value has one home here; code receives these objects and never re-reads or re-defaults a value.
An unknown key, a wrong type or an out-of-range value raises `ConfigError` naming the file, the key
and what is allowed, before any work starts.
Relative paths in a config file resolve against the directory holding that file, when it is loaded: a path
value is a `ConfigPath`, the string as written (what outputs, fingerprints and the manifest show, so a run moved
to another folder writes the same bytes) carrying `.resolved`, where it is.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from classifiers.recall_selection import OTHER_LABEL
from dedup.survivor import SurvivorRule
from filters import code_rules, web_extract
from filters import decontaminate as _decontam
from mixing import fim as _fim
from mixing import plan as _plan
from pipeline.schema import CATEGORIES, category_of_label
from pipeline.sources import github as _github
from pipeline.sources.file_dumps import DumpColumns
from pipeline.sources.git_clone import SCP_LIKE
from repos.samples import REPO_LANGUAGES, RepoLanguage, SampleMode


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the file and the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigPath(str):
    """A path, glob or URL as the config spells it, carrying `resolved`: a local path made absolute against
    the config file's folder (`~` expanded), a URL, gs://, s3:// or git URL as it is, an empty value empty."""

    resolved: str

    def __new__(cls, spelled: str, resolved: str | None = None) -> Self:
        path = super().__new__(cls, spelled)
        path.resolved = spelled if resolved is None else resolved
        return path

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (ConfigPath, (str(self), self.resolved))


CONFIG_DIR = "config_dir"  # the validation context's key: the folder relative paths resolve against


def _config_path(value: str, info: ValidationInfo) -> ConfigPath:
    folder = (info.context or {}).get(CONFIG_DIR)
    if not value or not folder or "://" in value or SCP_LIKE.match(value):
        return ConfigPath(value)
    return ConfigPath(value, str((Path(folder) / Path(value).expanduser()).resolve()))


PathValue = Annotated[str, AfterValidator(_config_path)]


class GithubInputs(Section):
    """Where code comes from. Each entry is a path, glob or URL; its kind is detected unless given."""

    paths: list[PathValue] = Field(default_factory=list, description="dirs, repo folders, archives, dumps, git URLs")


class GithubDumpColumns(Section):
    """Column (or JSON field) names of a file-level dump, per field; the first one present wins.
    Defaults cover The Stack v1/v2 and StarCoderData. `created_at` must be a repository creation date
    (The Stack v2: gha_created_at), never a commit date."""

    repo: list[str] = Field(default=list(DumpColumns.repo), min_length=1)
    path: list[str] = Field(default=list(DumpColumns.path), min_length=1)
    content: list[str] = Field(default=list(DumpColumns.content), min_length=1)
    url: list[str] = Field(default=list(DumpColumns.url))
    created_at: list[str] = Field(default=list(DumpColumns.created_at))
    stars: list[str] = Field(default=list(DumpColumns.stars))
    license: list[str] = Field(default=list(DumpColumns.license))


def dataclass_fields(cls: type) -> dict[str, Any]:
    """Pydantic fields of a plain module's settings dataclass: type, default, and the bounds and description
    in each field's metadata, so the plain module stays the one home of its defaults."""
    hints = typing.get_type_hints(cls)
    return {
        f.name: (hints[f.name], Field(default=f.default, **{k: v for k, v in f.metadata.items() if v != ""}))
        for f in dataclasses.fields(cls)
    }


def _github_fields() -> dict[str, Any]:
    """`ReadLimits`' fields in their order, the metadata file before the dump columns (config-only keys)."""
    fields: dict[str, Any] = {}
    for name, spec in dataclass_fields(_github.ReadLimits).items():
        if name == "dump_columns":
            fields["metadata"] = (PathValue | None, Field(
                default=None, description="JSONL or CSV file (optionally .gz): repo -> url, created_at, stars, license"
            ))
            spec = (GithubDumpColumns, Field(default_factory=GithubDumpColumns))
        fields[name] = spec
    return fields


class GithubSource(pydantic.create_model("GithubSourceFields", __base__=Section, **_github_fields())):
    """Limits that keep a hostile repository from hurting the run (each breach is a counted drop): the fields,
    defaults, bounds and descriptions are `pipeline.sources.github.ReadLimits`'; `read_limits` makes one of
    this section."""

    @model_validator(mode="after")
    def _archive_holds_a_file(self) -> GithubSource:
        for key in ("max_archive_bytes", "max_repo_bytes"):
            if getattr(self, key) < self.max_file_bytes:
                raise ValueError(f"{key} ({getattr(self, key)}) must be >= max_file_bytes ({self.max_file_bytes})")
        return self


class FileRules(pydantic.create_model("FileRuleFields", __base__=Section, **dataclass_fields(code_rules.FileRuleSettings))):
    """DeepSeek-Coder file-level rules (SPEC §1) and the StarCoder2-style generated-file rules.

    The fields, their defaults (the paper's values) and bounds are `filters.code_rules.FileRuleSettings`'s;
    `file_drop_reason` takes this section as its `settings`.
    """

    @model_validator(mode="after")
    def _json_yaml_range(self) -> FileRules:
        if self.json_yaml_min_chars > self.json_yaml_max_chars:
            raise ValueError("json_yaml_min_chars must not exceed json_yaml_max_chars")
        return self


class TextInputs(Section):
    """General natural-language text for the mix's `text` category: JSON lines (optionally .gz) or Parquet."""

    paths: list[PathValue] = Field(default_factory=list, description="files or globs (local, gs://, s3://)")
    format: Literal["auto", "jsonl", "parquet"] = Field(
        default="auto", description="auto: .parquet is Parquet, anything else JSON lines"
    )
    text_field: str = "text"
    id_field: str | None = Field(default=None, description="a stable id column; default: file and row number")
    url_field: str | None = None
    # A 200 MB one-line row peaked at 4.2 GB: the cap bounds a worker's memory per row.
    max_row_bytes: int = Field(
        default=64_000_000, gt=0, le=1 << 31,
        description="longer JSON lines are dropped as row_too_large without being held in memory",
    )


class RepoSamples(Section):
    """Repository-level samples (DeepSeek-Coder §2.2, SPEC §1): files of these languages in one repository
    become one sample per connected part of their dependency graph; other files stay single."""

    mode: SampleMode = Field(
        default="dependency", description="dependency order (Coder), random concatenation (Coder-V2), or off"
    )
    languages: list[RepoLanguage] = Field(default_factory=lambda: list(REPO_LANGUAGES))
    max_chars: int | None = Field(
        default=None,
        ge=1,
        description="split a sample at file boundaries beyond this many characters; none: the papers' whole parts",
    )


class Dedup(Section):
    """Exact then MinHash near-deduplication (SPEC §1; parameters from BigCode, DeepSeek states none)."""

    enabled: bool = True
    ngram: int = Field(default=5, ge=1, le=16, description="words per shingle")
    num_perm: int = Field(default=256, ge=2, le=2048, description="MinHash permutations")
    threshold: float = Field(default=0.7, gt=0, lt=1, description="Jaccard similarity of a near duplicate")
    false_positive_weight: float = Field(default=0.5, ge=0, le=1, description="LSH bands x rows optimisation")
    false_negative_weight: float = Field(default=0.5, ge=0, le=1)
    # On by default: without it, real code lost files at exact Jaccard < 0.5 (docs/user-guide.md, `make eval-dedup`).
    verify_jaccard: bool = Field(default=True, description="check candidate pairs' exact Jaccard first")
    max_rounds: int = Field(
        default=3, ge=1, le=100,
        description="connected-components star rounds in the job graph; what is still open is solved by union-find",
    )
    survivor: SurvivorRule = Field(default="most_stars", description="who is kept; ties: smallest id")

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> Dedup:
        if abs(self.false_positive_weight + self.false_negative_weight - 1.0) > 1e-9:
            raise ValueError("false_positive_weight + false_negative_weight must be 1")
        return self


class PathsFile(Section):
    """A Common Crawl style list of WARC paths (`warc.paths.gz`), one per line, each joined to `prefix`."""

    file: PathValue = Field(description="the paths file (gzipped or not), local or gs://, s3://, http(s)://")
    prefix: PathValue = Field(
        default="", validate_default=True, description="joined before each line, e.g. https://data.commoncrawl.org/"
    )


class WebInputs(Section):
    """Where WARC/ARC files come from; lists expand at run time, one file per unit of work."""

    paths: list[PathValue] = Field(default_factory=list, description="WARC/ARC files or globs (gz or not)")
    paths_files: list[PathsFile] = Field(default_factory=list)


class WebExtraction(
    pydantic.create_model("WebExtractionFields", __base__=Section, **dataclass_fields(web_extract.ExtractionOptions))
):
    """Main-text extraction of pages: the engine, what keeps code and math, and trafilatura's options (fields,
    defaults and descriptions: `filters.web_extract.ExtractionOptions`), and the per-page time limit.

    Resiliparse is the default engine (docs/web-extraction.md, `make eval-extract` and `make bench`): article
    F1 within 0.01 of trafilatura's defaults at ~40x its speed; trafilatura stays selectable."""

    timeout_s: float = Field(default=5.0, gt=0, le=3600, description="per page; slower pages are dropped")

    @pydantic.model_validator(mode="after")
    def _one_bias(self) -> WebExtraction:
        if self.favor_recall and self.favor_precision:
            raise ValueError("favor_recall and favor_precision cannot both be true")
        return self


class WebSource(Section):
    """Which WARC records become pages (SPEC §2: Common Crawl HTML responses)."""

    max_record_bytes: int = Field(default=5_000_000, gt=0, description="larger records are dropped as too_large")
    url_dedup: Literal["after_extraction", "before_extraction"] = Field(
        default="after_extraction",
        description="where URL dedup's GroupByKey sits: after extraction it shuffles text, not HTML (~27x less)",
    )
    allowed_mime: list[str] = Field(default_factory=lambda: ["text/html", "application/xhtml+xml"], min_length=1)
    extraction: WebExtraction = Field(default_factory=WebExtraction)

    @pydantic.field_validator("allowed_mime")
    @classmethod
    def _mime_types(cls, value: list[str]) -> list[str]:
        bad = [m for m in value if "/" not in m]
        if bad:
            raise ValueError(f"not MIME types (type/subtype): {bad}")
        return [m.strip().lower() for m in value]


class Inputs(Section):
    github: GithubInputs = Field(default_factory=GithubInputs)
    text: TextInputs = Field(default_factory=TextInputs)
    web: WebInputs = Field(default_factory=WebInputs)


class Benchmark(Section):
    """One benchmark: its files and which fields are benchmark text (defaults for the four SPEC §3 names)."""

    name: str = Field(pattern=r"^[a-z0-9_]+$", description="names the drop reason contaminated.<name>")
    paths: list[PathValue] = Field(min_length=1, description=".jsonl, .json (an array), optionally .gz; globs ok")
    fields: list[str] | None = Field(default=None, description="fields matched by n-grams")
    exact_fields: list[str] | None = Field(default=None, description="fields whose short strings match exactly")
    id_fields: list[str] | None = Field(default=None, description="first present names the item")

    @model_validator(mode="after")
    def _known_or_described(self) -> Benchmark:
        if self.name not in _decontam.KNOWN_BENCHMARKS and self.fields is None:
            known = ", ".join(sorted(_decontam.KNOWN_BENCHMARKS))
            raise ValueError(f"benchmark {self.name!r} is not one of {known}: give its `fields`")
        return self

    def field_spec(self) -> _decontam.BenchmarkFields:
        """The configured fields, the built-in defaults filling what is not configured."""
        known = _decontam.KNOWN_BENCHMARKS.get(self.name)
        return _decontam.BenchmarkFields(
            tuple(self.fields if self.fields is not None else known.fields),
            tuple(self.exact_fields if self.exact_fields is not None else (known.exact_fields if known else ())),
            tuple(self.id_fields if self.id_fields is not None else (known.id_fields if known else ())),
            known.why if known else "configured",
        )


class Decontamination(Section):
    """Benchmark n-gram decontamination (SPEC §3) of every document before the mix."""

    enabled: bool = True
    ngram: int = Field(default=_decontam.NGRAM, ge=2)
    min_exact_grams: int = Field(default=_decontam.MIN_EXACT_GRAMS, ge=1)
    index_trivial_grams: bool = Field(
        default=_decontam.INDEX_TRIVIAL_GRAMS, description="also index grams of only numbers and single characters (the literal rule)"
    )
    benchmarks: list[Benchmark] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Decontamination:
        if self.min_exact_grams >= self.ngram:
            raise ValueError(f"min_exact_grams ({self.min_exact_grams}) must be below ngram ({self.ngram})")
        names = [b.name for b in self.benchmarks]
        if len(set(names)) != len(names):
            raise ValueError(f"benchmark names must be unique, got {names}")
        return self


class Fim(Section):
    """Fill-in-the-middle for code documents (SPEC §4; the 16B model only)."""

    enabled: bool = False
    rate: float = Field(default=_fim.FIM_RATE, ge=0, le=1)
    mode: Literal["psm"] = "psm"


class SpecialTokens(Section):
    """The strings the mix inserts as single tokens; each is checked against `tokenizer.path` at start-up."""

    end: str | None = Field(
        default=None,
        description="ends a PSM document and (tokens.append_end) every document in token outputs; "
        "null: DeepSeek's <\uff5cend\u2581of\u2581sentence\uff5c> when the tokenizer has it, else <|eos|>",
    )
    fim_begin: str = _fim.FIM_BEGIN
    fim_hole: str = _fim.FIM_HOLE
    fim_end: str = _fim.FIM_END


class TokenOutput(Section):
    """Token ids of the mix for training stacks, under `tokens/<format>/` (README "Token output")."""

    formats: list[Literal["megatron", "u32"]] = Field(
        default_factory=list,
        description="megatron: Megatron-LM/NeMo .bin+.idx per shard; u32: .tokens.u32 + .offsets.u64; "
        "empty: Parquet text only",
    )
    append_end: bool = Field(default=True, description="end every document with the end token (Megatron's append-eod)")


class Mix(Section):
    """The training mix: weights per group over a token budget, shards and the manifest (SPEC §4)."""

    weights: dict[Literal["code", "math", "text"], float] = Field(
        default_factory=lambda: dict(_plan.DEFAULT_WEIGHTS)
    )
    code_web_counts_as: Literal["code", "text"] = "code"
    total_tokens: int | None = Field(default=None, gt=0, description="budget; null: as much as the data allows")
    short_policy: Literal["upsample", "shrink"] = _plan.SHRINK
    max_repeats: float = Field(default=_plan.MAX_REPEATS, ge=1)
    target_shard_bytes: int = Field(default=_plan.TARGET_SHARD_BYTES, gt=0, description="text bytes per shard")
    tokens: TokenOutput = Field(default_factory=TokenOutput)
    special_tokens: SpecialTokens = Field(default_factory=SpecialTokens)
    fim: Fim = Field(default_factory=Fim)
    weight_tolerance: float = Field(
        default=0.02, ge=0, le=1, description="a written group weight further than this from the asked one is off target"
    )
    on_off_target: Literal["fail", "warn"] = Field(
        default="warn", description="off-target weights: warn at the end, or also exit non-zero"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Mix:
        if any(w < 0 for w in self.weights.values()) or abs(sum(self.weights.values()) - 1) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 1, got {dict(self.weights)}")
        return self


class Output(Section):
    num_shards: int = Field(default=4, gt=0, description="at least this many shards per output table")
    # Bounds memory by design: the writer of a shard sorts it whole (by a content key, for byte-identical
    # output), so the shard count grows with the input instead of the shards growing with it.
    shard_bytes: int = Field(
        default=256 * 2**20, gt=0,
        description="text bytes per shard of stages/, recall/ and rejects/ (more shards as the input grows)",
    )
    write_rejects: bool = Field(default=False, description="write dropped records' ids and reasons")
    # Opt-in because the rejects then grow with the corpus: a user reading why a rule dropped a file wants
    # to see the file, and the head of it is enough to judge the rule.
    rejects_text_chars: int = Field(
        default=0, ge=0, description="keep the first N characters of a dropped record's text in the rejects (0: none)"
    )


class TokenizerSection(Section):
    """The BPE tokenizer the recall classifier reads pages with (SPEC §2, §4; DeepSeek-Coder-V2 §2)."""

    path: PathValue = Field(
        default="",
        validate_default=True,
        description="a Hugging Face tokenizer.json (e.g. DeepSeek-V2's); empty: train a byte-level BPE on the seed",
    )
    vocab_size: int = Field(default=100_000, ge=300, description="vocabulary of a trained BPE (DeepSeek-V2: 100K)")
    min_frequency: int = Field(default=2, ge=1, description="a pair seen fewer times is never merged")
    train_max_docs: int = Field(default=200_000, gt=0, description="seeded sample of training pages for the BPE")
    max_chars: int = Field(
        default=100_000, gt=0, description="characters of a page read for training and scoring (bounds the work)"
    )


class FastTextSection(Section):
    """fastText supervised hyperparameters; defaults are DeepSeekMath's (§2.1)."""

    dim: int = Field(default=256, gt=0)
    lr: float = Field(default=0.1, gt=0, lt=5, description="fastText diverges (NaN) at lr >= 5")
    word_ngrams: int = Field(default=3, ge=1)
    min_count: int = Field(default=3, ge=1)
    epoch: int = Field(default=3, ge=1)
    # Not stated by the paper; fastText's default. The model holds (words + bucket) x dim floats: 2M x 256
    # is a 2 GB model.bin, so small runs lower it.
    bucket: int = Field(default=2_000_000, ge=0, description="hash buckets for word n-grams")
    # fastText is only deterministic on one thread; more threads train faster but give other bytes each run.
    thread: int = Field(default=1, ge=1, description="training threads; 1 gives byte-identical models")
    loss: Literal["softmax", "ova"] = Field(
        default="softmax", description="softmax: one multi-class model; ova: one binary model per category"
    )


class SeedFile(Section):
    """A seed corpus file as users download it: OpenWebMath's Parquet shards (`url`, `text`, `metadata`), a
    StackExchange posts export converted to JSON Lines, plain text (a document per line), or a list of URL
    prefixes (documentation sites, one per line: pages of the crawl under them are seeds)."""

    path: PathValue = Field(description="a file or glob; relative paths resolve against the config's folder")
    format: Literal["auto", "parquet", "jsonl", "text", "url_prefixes"] = Field(
        default="auto", description="auto: by extension (.parquet, .jsonl[.gz], .txt; .urls -> url_prefixes)"
    )
    text_column: str = Field(default="text", min_length=1, description="the column / JSON field with the text")
    url_column: str = Field(default="url", min_length=1, description="the column / field with the URL, if any")
    html: bool = Field(default=False, description="the text column holds HTML (StackExchange's Body): read its text")

    def resolved_format(self) -> str:
        """The format, with `auto` decided by the file name's ending."""
        if self.format != "auto":
            return self.format
        name = self.path.lower()
        for ending, fmt in ((".parquet", "parquet"), (".jsonl", "jsonl"), (".jsonl.gz", "jsonl"),
                            (".json", "jsonl"), (".urls", "url_prefixes"), (".txt", "text"), (".txt.gz", "text")):
            if name.endswith(ending):
                return fmt
        raise ValueError(f"cannot tell the format of seed file {self.path!r}: set format")


def _seed_file(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


class RecallCategory(Section):
    """One category the recall collects: where its seed comes from and how much of it to keep."""

    url_patterns: list[str] = Field(
        default_factory=list,
        description="a domain (matches its subdomains) or domain/path prefix; for GitHub owner/name[/dir]",
    )
    seed_files: list[SeedFile] = Field(
        default_factory=list,
        description="seed corpora: a path (format by extension) or {path, format, text_column, url_column}",
    )
    budget: float = Field(
        default=float("inf"), gt=0,
        description="per iteration, the top-ranked pages kept, in recall.budget_unit; none: pages it wins (argmax)"
    )
    output_category: str = Field(description="the Record category of a collected page")

    @field_validator("seed_files", mode="before")
    @classmethod
    def _seed_file_paths(cls, value: Any) -> Any:
        return [_seed_file(v) for v in value] if isinstance(value, list) else value

    @field_validator("seed_files")
    @classmethod
    def _known_formats(cls, value: list[SeedFile]) -> list[SeedFile]:
        for f in value:
            f.resolved_format()
        return value


def _paper_categories() -> dict[str, RecallCategory]:
    return {
        "code": RecallCategory(
            url_patterns=["stackoverflow.com/questions", "docs.python.org", "pytorch.org/docs"],
            output_category=category_of_label("code"),
        ),
        "math": RecallCategory(
            url_patterns=["math.stackexchange.com", "mathoverflow.net/questions"],
            output_category=category_of_label("math"),
        ),
    }


class RecallSection(Section):
    """DeepSeekMath's iterative recall (§2.1), as DeepSeek-Coder-V2 ran it on the web and on GitHub (SPEC §2)."""

    enabled: bool = Field(
        default=True,
        description="classify the collected web pages in `codecorpus run` (off: every page is text in the mix)",
    )
    source: Literal["web", "github"] = Field(
        default="web", description="web: domains and URL paths; github: repositories and folders"
    )
    categories: dict[str, RecallCategory] = Field(default_factory=_paper_categories)
    other_category: str = Field(
        default=category_of_label(OTHER_LABEL), description="the Record category of a page not collected"
    )
    fasttext: FastTextSection = Field(default_factory=FastTextSection)
    tokens: Literal["bpe", "whitespace"] = Field(
        default="bpe", description="fastText reads BPE tokens (Coder-V2) or space-split words (the baseline)"
    )
    iterations: int = Field(default=3, ge=1, description="Coder-V2: 3 on the web, 2 on GitHub")
    max_seed_pages: int = Field(default=500_000, gt=0, description="positives per category (paper: 500K)")
    negative_ratio: float = Field(default=1.0, gt=0, description="random negatives per positive (paper: 1:1)")
    budget_unit: Literal["pages", "tokens"] = "pages"
    min_score: float | None = Field(
        default=None, ge=0, le=1, description="optional floor: a page below it is never collected, whatever the rank"
    )
    validation_fraction: float = Field(
        default=0.1, gt=0, lt=1, description="seeded share of seeds and negatives held out to measure P/R per class"
    )
    on_weak: Literal["fail", "warn"] = Field(
        default="fail", description="a weak recall (few seeds, low validation P/R, nothing collected) fails or warns"
    )
    min_seed_pages: int = Field(default=100, ge=0, description="fewer seed examples of a class is weak")
    min_validation_precision: float = Field(default=0.7, ge=0, le=1, description="a class below it is weak")
    min_validation_recall: float = Field(default=0.5, ge=0, le=1, description="a class below it is weak")
    domain_threshold: float = Field(
        default=0.10, ge=0, le=1, description="a domain with more of its pages collected is code/math-related"
    )
    min_domain_pages: int = Field(default=1, ge=1, description="smaller domains are never called related")
    path_depth: int = Field(default=1, ge=1, description="folders in an automatically annotated path prefix")
    path_min_fraction: float = Field(
        default=0.5, ge=0, le=1, description="a prefix is annotated when this share of its pages was collected"
    )
    annotations_file: PathValue = Field(
        default="", validate_default=True, description="reviewed annotations (label<TAB>prefix); they override the automatic ones"
    )
    min_new_fraction: float = Field(
        default=0.02, ge=0, le=1, description="stop when an iteration's newly collected share falls below this"
    )

    @field_validator("categories")
    @classmethod
    def _check_categories(cls, value: dict[str, RecallCategory]) -> dict[str, RecallCategory]:
        for label, category in value.items():
            if not label.isidentifier() or label == OTHER_LABEL:
                raise ValueError(f"category name {label!r} must be an identifier other than {OTHER_LABEL!r}")
            if category.output_category not in CATEGORIES:
                raise ValueError(f"{label}.output_category must be one of {CATEGORIES}")
        if not value:
            raise ValueError("at least one category is needed")
        return value

    @field_validator("other_category")
    @classmethod
    def _check_other(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"must be one of {CATEGORIES}")
        return value


class Config(Section):
    """The whole run. Sections are added here as stages are; each is its own model."""

    seed: int = Field(default=1234, description="every sample, shuffle and tie-break derives from it")
    max_error_fraction: float = Field(
        default=0.001,
        ge=0,
        le=1,
        description="a step raising on more of a stage's records than this fails the run (fewer: error.<stage> drops)",
    )
    inputs: Inputs = Field(default_factory=Inputs)
    github: GithubSource = Field(default_factory=GithubSource)
    filters: FileRules = Field(default_factory=FileRules)
    repo_samples: RepoSamples = Field(default_factory=RepoSamples)
    dedup: Dedup = Field(default_factory=Dedup)
    web: WebSource = Field(default_factory=WebSource)
    output: Output = Field(default_factory=Output)
    decontamination: Decontamination = Field(default_factory=Decontamination)
    mix: Mix = Field(default_factory=Mix)
    tokenizer: TokenizerSection = Field(default_factory=TokenizerSection)
    recall: RecallSection = Field(default_factory=RecallSection)
    @model_validator(mode="after")
    def _token_ids_need_a_tokenizer(self) -> Config:
        if self.mix.tokens.formats and not self.tokenizer.path:
            raise ValueError("mix.tokens.formats needs tokenizer.path (a tokenizer.json to encode with)")
        return self

    # The file this config was loaded from (not a YAML key); relative paths resolve against its folder.
    _source_file: str = PrivateAttr(default="")

    @property
    def source_file(self) -> str:
        return self._source_file

    def fingerprint(self) -> str:
        """sha256 of the validated config: equal configs give equal fingerprints."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


def _format_error(source: str, err: ValidationError) -> str:
    lines = [f"invalid config {source}:"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key")
        else:
            got = e.get("input")
            got_s = "" if isinstance(got, dict) else f" (got {got!r})"
            lines.append(f"  {key}: {e['msg']}{got_s}")
    return "\n".join(lines)


def parse_config(data: dict[str, Any], source: str = "<dict>") -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"invalid config {source}: the top level must be a mapping, got {type(data).__name__}")
    try:
        folder = str(Path(source).parent) if source != "<dict>" else None
        config = Config.model_validate(data, context={CONFIG_DIR: folder})
    except ValidationError as err:
        raise ConfigError(_format_error(source, err)) from None
    config._source_file = source if source != "<dict>" else ""
    return config


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML config file; errors name the file and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read config {path}: {err.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"invalid YAML in config {path}: {err}") from None
    return parse_config(data, str(path.resolve()))


def bundled_config_path(name: str = "local.yaml") -> Path:
    """The path of a config shipped in the `configs` package."""
    return Path(str(resources.files("configs").joinpath(name)))
