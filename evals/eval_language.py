"""Language detection against GitHub linguist's own labelled samples (`make eval-language`).

Reads a checkout of github-linguist/linguist (`samples/<Language>/<file>`, `samples/<Language>/filenames/<name>`)
from LINGUIST_DIR (default /work/cache/linguist), outside the repository. Scored: files whose linguist
language is one of DeepSeek-Coder's 338 (../shared/reference/supported_langs.txt), mapped by name, by an
explicit table for renamed languages, and counting the 338 list's own synonyms (Bro/Zeek, Jade/Pug, ...) as
one language. Prints accuracy, the confusion table (truth -> predicted, count) and the misses.
"""
from __future__ import annotations

import collections
import os
import sys
from pathlib import Path

from filters.language import SNIFF_CHARS, detect_language

LINGUIST_DIR = Path(os.environ.get("LINGUIST_DIR", "/work/cache/linguist"))
SUPPORTED = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "supported_langs.txt"
# Linguist names of languages that the 338 list spells differently (older linguist or Pygments names).
RENAMED = {
    "Classic ASP": "ASP", "Awk": "AWK", "Brightscript": "BrightScript", "C2hs Haskell": "C2HS Haskell",
    "Cuda": "CUDA", "fish": "Fish", "FLUX": "Flux", "G-code": "G-Code", "Unix Assembly": "GAS", "Roff": "Groff",
    "Roff Manpage": "Groff", "Jinja": "HTML Django", "HTML+Django": "HTML Django", "HTML+ERB": "HTML ERB",
    "HTML+PHP": "HTML PHP", "Moocode": "MooCode", "mupad": "MuPAD", "Nginx": "Nginx Configuration File",
    "ObjDump": "Objdump", "Pawn": "PAWN", "Pod": "POD", "POV-Ray SDL": "POV-Ray", "Raku": "Perl 6",
    "pkg-config": "PkgConfig", "q": "Q", "RobotFramework": "Robot Framework", "Velocity Template Language": "Velocity",
    "Vim Script": "VimL", "Vim script": "VimL", "Visual Basic .NET": "Visual Basic", "WebIDL": "Web IDL",
    "xBase": "XBase", "Nim": "Nimrod", "Reason": "ReasonML", "TSQL": "Transact-SQL", "Graphviz (DOT)": "Graphviz DOT",
    "ApacheConf": "Apache Configuration", "Debian Package Control File": "Debian Control File",
    "KConfig": "Kconfig", "Fortran Free Form": "Fortran", "Fortran": "Fortran Fixed Form", "R console": "RConsole",
    "Lighttpd configuration file": "Lighttpd Configuration File", "Ragel": "Ragel in Ruby Host",
    "Gentoo Eclass": "Gentoo Eclass", "Gentoo Ebuild": "Gentoo Ebuild", "Genshi": "Genshi",
    "OMG IDL": "OMG Interface Definition Language", "Mathematica": None,
}
# The 338 list names some languages twice; either name is right.
SYNONYMS = [
    {"Bro", "Zeek"}, {"Jade", "Pug"}, {"Docker", "Dockerfile"}, {"RHTML", "HTML ERB"}, {"COBOL", "COBOLFree"},
    {"Fortran", "Fortran Fixed Form"}, {"MATLAB", "Octave"}, {"JavaScript", "JSX"}, {"Assembly", "NASM"},
    {"S", "R"}, {"Visual Basic", "VBScript"},
    {"Arduino", "C++"},  # linguist has since merged Arduino sketches (.ino) into C++
]


def canonical(name: str | None) -> str | None:
    for group in SYNONYMS:
        if name in group:
            return min(group)
    return name


def samples(root: Path) -> list[tuple[str, Path]]:
    out = []
    for folder in sorted((root / "samples").iterdir()):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.append((folder.name, path))
    return out


def main() -> int:
    if not (LINGUIST_DIR / "samples").is_dir():
        print(f"no linguist checkout at {LINGUIST_DIR} (set LINGUIST_DIR): nothing measured")
        return 0
    supported = set(SUPPORTED.read_text().split("\n")) - {""}
    total = right = 0
    confusion: collections.Counter[tuple[str, str]] = collections.Counter()
    misses: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    per_language: collections.Counter[str] = collections.Counter()
    skipped = 0
    for label, path in samples(LINGUIST_DIR):
        truth = RENAMED.get(label, label) if label in RENAMED or label not in supported else label
        if truth not in supported:
            skipped += 1
            continue
        rel = path.relative_to(LINGUIST_DIR / "samples" / label)
        name = rel.name if rel.parts[0] == "filenames" else str(rel)
        text = path.read_bytes()[: SNIFF_CHARS * 4].decode("utf-8", "replace")
        got = detect_language(name, text)
        total += 1
        if canonical(got) == canonical(truth):
            right += 1
        else:
            confusion[(truth, str(got))] += 1
            per_language[truth] += 1
            misses[(truth, str(got))].append(name)
    print(f"linguist samples: {total} files in the 338 languages ({skipped} others not scored)")
    print(f"right: {right} / {total} = {right / total:.1%}")
    print("\n| linguist language | detected | files | examples |\n|---|---|---|---|")
    for (truth, got), n in confusion.most_common():
        print(f"| {truth} | {got} | {n} | {', '.join(misses[(truth, got)][:3])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
