"""The columns of a record and the values of its `category`, defined once and Beam-free: the stages' Parquet
hand-offs (`pipeline.record`'s ARROW_SCHEMA) and the mix's flat Parquet (`mixing.schema.MIX_SCHEMA`) are both
made from RECORD_FIELDS; the recall's labels, the categories and the mix groups meet in CATEGORY_TABLE."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from classifiers.recall_selection import OTHER_LABEL

# (name, Arrow type in the stages' hand-offs), in column order.
RECORD_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("id", pa.string()),
    ("source", pa.string()),
    ("text", pa.large_string()),
    ("repo", pa.string()),
    ("path", pa.string()),
    ("repo_url", pa.string()),
    ("repo_created_at", pa.string()),
    ("repo_license", pa.string()),
    ("repo_stars", pa.int64()),
    ("url", pa.string()),
    ("domain", pa.string()),
    ("fetch_date", pa.string()),
    ("language", pa.string()),
    ("category", pa.string()),
    ("scores", pa.map_(pa.string(), pa.float64())),  # score name -> float
    ("tokens", pa.int64()),
    ("meta", pa.map_(pa.string(), pa.string())),
)


@dataclass(frozen=True)
class Category:
    """One value of a record's `category`; the fastText label of the recall that puts a web page in it (by
    default: config `recall.categories.<label>.output_category`, `recall.other_category`); the mix group whose
    weight it fills (SPEC §4; `code_web`'s is config `mix.code_web_counts_as`)."""

    name: str
    label: str  # "" for GitHub code, which no classifier sorts
    group: str


# The one table of the three words for one idea: record category <-> fastText label <-> mix group.
CATEGORY_TABLE: tuple[Category, ...] = (
    Category("code", label="", group="code"),  # GitHub files
    Category("code_web", label="code", group="code"),  # web pages the recall labels code
    Category("math_web", label="math", group="math"),
    Category("text", label=OTHER_LABEL, group="text"),  # general text, and pages of no recall label
)
CATEGORIES = tuple(c.name for c in CATEGORY_TABLE)
PAGE_CATEGORIES = tuple(c.name for c in CATEGORY_TABLE if c.label)  # what a classified page can carry


def category_of_label(label: str) -> str:
    """The record category of pages the recall gives fastText label `label` (the paper's defaults)."""
    return next(c.name for c in CATEGORY_TABLE if c.label == label)


def recall_category_of_group(group: str) -> str:
    """The category of web pages a classifier collects for mix group `group` ("" for text: no classifier)."""
    return next((c.name for c in CATEGORY_TABLE if c.group == group and c.label not in ("", OTHER_LABEL)), "")
