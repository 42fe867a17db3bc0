"""Language of a source file from its file name and extension (the table is `configs/languages.yaml`)."""
from __future__ import annotations

import functools
import posixpath
from importlib import resources

import yaml


@functools.lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[str, str]]:
    data = yaml.safe_load(resources.files("configs").joinpath("languages.yaml").read_text("utf-8"))
    by_ext: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for lang, spec in data["languages"].items():
        for ext in spec.get("extensions", []):
            by_ext.setdefault(ext.lower(), lang)
        for name in spec.get("filenames", []):
            by_name.setdefault(name, lang)
    return by_ext, by_name


def detect_language(path: str) -> str | None:
    """The language of `path`, or None when neither its file name nor its extension is known."""
    by_ext, by_name = _table()
    name = posixpath.basename(path)
    if name in by_name:
        return by_name[name]
    _, dot, ext = name.rpartition(".")
    return by_ext.get("." + ext.lower()) if dot else None
