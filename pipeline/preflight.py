"""Checks a run needs before any work: every file the config names, the output folder, the tokenizer.

`codecorpus validate` prints them; `codecorpus run` stops with exit 2 on the first run of them, before the
collect phase starts, so a typo in a benchmark path no longer surfaces in the mix phase an hour later.
Each check reuses the function the pipeline itself calls to expand that input, so the two cannot disagree;
every problem is collected (not only the first) and names the config key.
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from pipeline.config import Config, ConfigError, ConfigPath
from pipeline.sources.input_files import has_glob, is_remote

# The config file's name that the pipeline's own errors start with; the report names the file once.
_FILE_PREFIX = re.compile(r"^(invalid )?config [^\n]*?:(\n| )")


def _collect(problems: list[str], check: Callable[[], object]) -> None:
    """Run one check; a ConfigError or ValueError becomes problem lines, each naming its key."""
    try:
        check()
    except (ConfigError, ValueError) as err:
        problems += [line.strip() for line in _FILE_PREFIX.sub("", str(err), count=1).splitlines() if line.strip()]


def _matches(pattern: str) -> bool:
    from pipeline.sources.input_files import match_paths

    return bool(match_paths(pattern))


def input_problems(config: Config) -> list[str]:
    """Every configured input that names nothing: GitHub, text and WARC inputs, metadata, benchmarks, recall
    seeds and annotations."""
    from pipeline.decontam_transforms import benchmark_files
    from pipeline.github_transforms import github_entries, metadata_location

    problems: list[str] = []
    _collect(problems, lambda: github_entries(config))
    _collect(problems, lambda: metadata_location(config))
    if config.decontamination.enabled:
        _collect(problems, lambda: benchmark_files(config))

    def need(key: str, path: ConfigPath) -> None:
        location = path.resolved
        if not is_remote(location) and not _matches(location):
            what = "glob matches nothing" if has_glob(location) else "no such file"
            problems.append(f"{key}: {what}: {location}")

    for i, path in enumerate(config.inputs.text.paths):
        need(f"inputs.text.paths.{i}", path)
    for i, path in enumerate(config.inputs.web.paths):
        need(f"inputs.web.paths.{i}", path)
    for i, paths_file in enumerate(config.inputs.web.paths_files):
        need(f"inputs.web.paths_files.{i}.file", paths_file.file)
    if config.recall.enabled:
        for label, category in sorted(config.recall.categories.items()):
            for i, seed_file in enumerate(category.seed_files):
                need(f"recall.categories.{label}.seed_files.{i}", seed_file.path)
        if config.recall.annotations_file:
            need("recall.annotations_file", config.recall.annotations_file)
    return problems


def tokenizer_problems(config: Config) -> list[str]:
    """The configured tokenizer must load (the recall reads pages with it, the mix counts tokens with it) and
    hold the special tokens the mix inserts; loaded once, by the mix's own token counter."""
    if not config.tokenizer.path:
        return []
    if is_remote(config.tokenizer.path.resolved):
        return []  # read by the workers through Beam's filesystems; checked when the recall opens it
    from pipeline.mix_transforms import mix_counter

    try:
        mix_counter(config)
    except ValueError as err:  # names tokenizer.path or mix.special_tokens.<name>
        return [str(err)]
    return []


def output_problems(output: str) -> list[str]:
    """The output folder must be a folder this process can write (or a remote prefix, checked by Beam)."""
    if is_remote(output):
        return []
    path = Path(output)
    if path.exists() and not path.is_dir():
        return [f"--output {output}: exists and is not a folder"]
    parent = path if path.exists() else next((p for p in path.parents if p.exists()), Path("."))
    if not parent.is_dir():
        return [f"--output {output}: {parent} is not a folder"]
    probe = parent / f".codecorpus-write-check-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        return [f"--output {output}: cannot write in {parent}: {err.strerror or err}"]
    if not os.access(parent, os.W_OK | os.X_OK):
        return [f"--output {output}: {parent} is not writable"]
    return []


def preflight_problems(config: Config, output: str) -> list[str]:
    """Everything wrong with running `config` into `output`, each line naming the key or option."""
    return input_problems(config) + tokenizer_problems(config) + output_problems(output)
