"""Language of a source file from its path, and for a few ambiguous extensions from its content.

The table is `configs/languages.yaml` (its header documents the conventions and every disambiguation).
Detection order: exact file name, file name ignoring case, glob pattern, longest listed extension (with
content rules when that extension is ambiguous; a `#!` line wins over a prose ending such as `.txt`), the
name without a configure `.in` suffix, then the `#!` interpreter of an unknown file.
"""

from __future__ import annotations

import fnmatch
import functools
import posixpath
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import re2
import yaml

# Content rules read only the head of a file: markers that tell languages apart sit near the top.
SNIFF_CHARS = 20_000
# Languages of prose: a `#!` first line overrides them (the file is a script, whatever its ending says).
PROSE = frozenset({"Text", "Markdown"})
TEMPLATE_SUFFIX = ".in"
_SPEC_KEYS = ("extensions", "filenames", "patterns", "interpreters")
_VERSION_SUFFIX = re.compile(r"[\d.]+$")


class LanguageTableError(ValueError):
    """A language table that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Disambiguation:
    """How one ambiguous extension is resolved: the first matching rule wins, else `default`."""

    # (language, patterns): the rule holds when any of its patterns matches.
    rules: tuple[tuple[str | None, tuple[re2._Regexp, ...]], ...]
    default: str | None
    why: str

    def resolve(self, text: str | None) -> str | None:
        if text is None:
            return self.default
        head = text[:SNIFF_CHARS]
        for language, patterns in self.rules:
            if any(pattern.search(head) for pattern in patterns):
                return language
        return self.default

    def candidates(self) -> set[str]:
        """Every language this entry can answer (None, "not one of ours", excluded)."""
        names = {language for language, _ in self.rules} | {self.default}
        return {n for n in names if n is not None}


@dataclass(frozen=True)
class LanguageTable:
    languages: tuple[str, ...]
    by_extension: dict[str, tuple[str, ...]]  # lower-case extension -> languages listing it
    by_filename: dict[str, str]
    by_filename_folded: dict[str, str]
    patterns: tuple[tuple[str, str], ...]  # (glob, language), in table order
    interpreters: dict[str, str]
    disambiguations: dict[str, Disambiguation]

    def detect(self, path: str, text: str | None = None) -> str | None:
        """The language of `path` (content `text` resolves ambiguous extensions), or None if unknown."""
        name = posixpath.basename(path.replace("\\", "/"))
        language = self.by_filename.get(name) or self.by_filename_folded.get(name.casefold())
        if language:
            return language
        for pattern, language in self.patterns:
            if _glob_matches(pattern, name, path):
                return language
        extension = self._extension(name)
        if extension is not None:
            rule = self.disambiguations.get(extension)
            language = rule.resolve(text) if rule else self.by_extension[extension][0]
            if language in PROSE and text and text.startswith("#!"):
                return self._from_shebang(text) or language  # a script saved as `.txt`
            return language
        if name.lower().endswith(TEMPLATE_SUFFIX) and len(name) > len(TEMPLATE_SUFFIX):
            # `config.h.in`, `init.tcl.in`: a configure template is written in the language it becomes.
            return self.detect(path[: -len(TEMPLATE_SUFFIX)], text)
        return self._from_shebang(text) if text else None

    def _extension(self, name: str) -> str | None:
        """The longest listed ending of `name` (`.html.erb` before `.erb`), lower-cased."""
        lowered = name.lower()
        start = lowered.find(".")
        while start != -1:
            if lowered[start:] in self.by_extension:
                return lowered[start:]
            start = lowered.find(".", start + 1)
        return None

    def _from_shebang(self, text: str) -> str | None:
        program = shebang_interpreter(text)
        if not program:
            return None
        return self.interpreters.get(program) or self.interpreters.get(_VERSION_SUFFIX.sub("", program))


def _glob_matches(pattern: str, name: str, path: str) -> bool:
    if "/" not in pattern:
        return fnmatch.fnmatchcase(name, pattern)
    path = path.replace("\\", "/")
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, "*/" + pattern)


def shebang_interpreter(text: str) -> str | None:
    """The program a `#!` line runs (`#!/usr/bin/env -S python3 -u` gives `python3`), or None."""
    if not text.startswith("#!"):
        return None
    end = text.find("\n")
    words = text[2 : end if end != -1 else 200].split()
    if not words:
        return None
    program = posixpath.basename(words[0])
    if program == "env":
        rest = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        program = rest[0] if rest else ""
    return program or None


def _string_list(source: str, key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LanguageTableError(f"{source}: {key} must be a list of non-empty strings, got {value!r}")
    return value


def parse_table(data: object, source: str = "<dict>") -> LanguageTable:
    """Validate a language table; every ambiguous extension must have a documented disambiguation."""
    if not isinstance(data, dict) or not isinstance(data.get("languages"), dict):
        raise LanguageTableError(f"{source}: top level must be a mapping with a 'languages' mapping")
    by_extension: dict[str, list[str]] = {}
    by_filename: dict[str, str] = {}
    by_filename_folded: dict[str, str] = {}
    patterns: list[tuple[str, str]] = []
    interpreters: dict[str, str] = {}
    for language, spec in data["languages"].items():
        key = f"languages.{language}"
        if not isinstance(spec, dict) or not spec or set(spec) - set(_SPEC_KEYS):
            raise LanguageTableError(f"{source}: {key} must map some of {', '.join(_SPEC_KEYS)}")
        for ext in _string_list(source, f"{key}.extensions", spec.get("extensions", [])):
            if not ext.startswith("."):
                raise LanguageTableError(f"{source}: {key}.extensions: {ext!r} must start with '.'")
            by_extension.setdefault(ext.lower(), []).append(language)
        for table, field in ((by_filename, "filenames"), (interpreters, "interpreters")):
            for name in _string_list(source, f"{key}.{field}", spec.get(field, [])):
                if table.setdefault(name, language) != language:
                    raise LanguageTableError(f"{source}: {key}.{field}: {name!r} is also {table[name]}")
                if field == "filenames":
                    by_filename_folded.setdefault(name.casefold(), language)
        for glob in _string_list(source, f"{key}.patterns", spec.get("patterns", [])):
            patterns.append((glob, language))
    disambiguations = {
        ext: _parse_disambiguation(source, ext, entry, data["languages"])
        for ext, entry in (data.get("disambiguations") or {}).items()
    }
    for ext, languages in sorted(by_extension.items()):
        rule = disambiguations.get(ext)
        if len(languages) > 1 and rule is None:
            raise LanguageTableError(
                f"{source}: extension {ext} is listed by {', '.join(languages)} but has no disambiguation"
            )
        if rule is not None and rule.candidates() != set(languages):
            raise LanguageTableError(
                f"{source}: disambiguations.{ext} names {sorted(rule.candidates())}, "
                f"but the extension is listed by {sorted(languages)}"
            )
    for ext in disambiguations:
        if ext not in by_extension:
            raise LanguageTableError(f"{source}: disambiguations.{ext}: no language lists {ext}")
    return LanguageTable(
        languages=tuple(data["languages"]),
        by_extension={ext: tuple(langs) for ext, langs in by_extension.items()},
        by_filename=by_filename,
        by_filename_folded=by_filename_folded,
        patterns=tuple(patterns),
        interpreters=interpreters,
        disambiguations=disambiguations,
    )


def _parse_disambiguation(source: str, ext: str, entry: object, languages: dict) -> Disambiguation:
    key = f"disambiguations.{ext}"
    if not isinstance(entry, dict) or set(entry) != {"why", "rules", "default"}:
        raise LanguageTableError(f"{source}: {key} must map exactly why, rules, default")
    if not isinstance(entry["why"], str) or not entry["why"].strip():
        raise LanguageTableError(f"{source}: {key}.why must say why the default and rules are right")
    rules = []
    for i, rule in enumerate(entry["rules"] or []):
        if not isinstance(rule, dict) or set(rule) != {"language", "pattern"}:
            raise LanguageTableError(f"{source}: {key}.rules[{i}] must map language and pattern")
        # RE2 (multi-line mode): linear time on any content; Python's backtracking engine took 24-104 s on
        # 20 KB of blank lines with `^\s*` rules. RE2 refuses what it cannot run linearly (backreferences).
        sources = rule["pattern"] if isinstance(rule["pattern"], list) else [rule["pattern"]]
        try:
            patterns = tuple(re2.compile("(?m)" + regex) for regex in sources)
        except (re2.error, TypeError) as err:
            raise LanguageTableError(f"{source}: {key}.rules[{i}].pattern: {err}") from None
        if not patterns:
            raise LanguageTableError(f"{source}: {key}.rules[{i}].pattern: no pattern given")
        rules.append((rule["language"], patterns))
    for name in [language for language, _ in rules] + [entry["default"]]:
        if name is not None and name not in languages:
            raise LanguageTableError(f"{source}: {key}: unknown language {name!r}")
    return Disambiguation(tuple(rules), entry["default"], entry["why"])


def with_supplement(hand: dict, supplement: dict) -> dict:
    """The hand table completed by a supplement (`configs/languages_linguist.yaml`, generated from GitHub
    linguist's data): its endings, file names and interpreters are added where the hand table lists none
    of them, so every choice the hand table makes wins."""
    merged = {**hand, "languages": {name: dict(spec) for name, spec in hand["languages"].items()}}
    taken = {key: set() for key in ("extensions", "filenames", "interpreters")}
    for spec in hand["languages"].values():
        for key, values in taken.items():
            values.update(v.lower() if key == "extensions" else v for v in spec.get(key, []))
    for name, spec in (supplement.get("languages") or {}).items():
        if name not in merged["languages"]:
            continue  # a language the hand table dropped from the 338
        target = merged["languages"][name]
        for key, values in taken.items():
            extra = [v for v in spec.get(key, []) if (v.lower() if key == "extensions" else v) not in values]
            if extra:
                target[key] = [*target.get(key, []), *extra]
    return merged


def load_table(path: str | Path | None = None, supplement: str | Path | None = None) -> LanguageTable:
    """Read and validate a language table (default: the bundled `configs/languages.yaml` completed by
    `configs/languages_linguist.yaml`)."""
    if path is None:
        resource = resources.files("configs").joinpath("languages.yaml")
        extra = yaml.safe_load(resources.files("configs").joinpath("languages_linguist.yaml").read_text("utf-8"))
        return parse_table(with_supplement(yaml.safe_load(resource.read_text("utf-8")), extra), str(resource))
    data = yaml.safe_load(Path(path).read_text("utf-8"))
    if supplement is not None:
        data = with_supplement(data, yaml.safe_load(Path(supplement).read_text("utf-8")))
    return parse_table(data, str(path))


@functools.lru_cache(maxsize=1)
def bundled_table() -> LanguageTable:
    """The bundled table, loaded once per process (it is read-only)."""
    return load_table()


def detect_language(path: str, text: str | None = None) -> str | None:
    """The language of `path` per the bundled table, or None; `text` resolves ambiguous extensions."""
    return bundled_table().detect(path, text)
