"""Language detection: the table covers the 338 languages, ambiguity is always documented and resolved."""

from __future__ import annotations

import pytest
import yaml

from filters.language import (
    LanguageTableError,
    bundled_table,
    detect_language,
    load_table,
    parse_table,
    shebang_interpreter,
)

TABLE = bundled_table()


def _probe(language: str) -> str | None:
    """A path the table maps to `language` without content, or None if only content rules reach it."""
    for name, lang in TABLE.by_filename.items():
        if lang == language:
            return name
    for ext, langs in TABLE.by_extension.items():
        if langs == (language,) and ext not in TABLE.disambiguations:
            return "file" + ext
    for glob, lang in TABLE.patterns:
        if lang == language:
            return glob.replace("*", "x")
    return None


def test_every_supported_language_is_in_the_table_and_reachable(shared_dir):
    names = (shared_dir / "reference" / "supported_langs.txt").read_text("utf-8").splitlines()
    names = [n for n in names if n.strip()]
    assert len(names) == 338
    missing = sorted(set(names) - set(TABLE.languages))
    assert missing == []
    unreachable = []
    for name in names:
        probe = _probe(name)
        if probe is not None:
            assert detect_language(probe) == name, probe
        elif not any(name in d.candidates() for d in TABLE.disambiguations.values()):
            unreachable.append(name)
    assert unreachable == []


def test_code_related_text_languages():
    assert detect_language("docs/guide.md") == "Markdown"
    assert detect_language("notes.txt") == "Text"
    assert detect_language("README") == "Text"
    assert detect_language("config.yml") == "YAML"


def test_no_extension_is_ambiguous_without_a_documented_disambiguation():
    for ext, languages in TABLE.by_extension.items():
        if len(languages) > 1:
            rule = TABLE.disambiguations.get(ext)
            assert rule is not None, ext
            assert rule.candidates() == set(languages), ext
            assert rule.why.strip(), ext


def test_no_content_rule_matches_empty_text():
    # A pattern that matches nothing would claim every file of its extension.
    for ext, rule in TABLE.disambiguations.items():
        for language, patterns in rule.rules:
            assert not any(pattern.search("") for pattern in patterns), (ext, language)


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("a/vec.h", "int vec_len(const struct vec *v);\n", "C"),
        ("a/point.h", "#pragma once\nnamespace geom {\nclass Point {};\n}\n", "C++"),
        ("a/view.h", "#import <UIKit/UIKit.h>\n@interface View : UIView\n@end\n", "Objective-C"),
        ("a/vec.h", None, "C"),
        ("a/main.m", '#import "App.h"\n@implementation App\n@end\n', "Objective-C"),
        ("a/fit.m", "function p = fit(x, y)\n% FIT least squares\n  p = x \\ y;\nend\n", "MATLAB"),
        ("a/fit.m", "function p = fit(x, y)\n  # least squares\n  p = x \\ y;\nendfunction\n", "Octave"),
        ("a/sys.m", "Sys: module {\n  print: fn(s: string): int;\n};\n", "Limbo"),
        ("a/routine.m", 'START ; entry point\n W "hi",!\n Q\n', None),  # MUMPS
        ("a/types.hh", "<?hh // strict\nclass A {}\n", None),  # Hack
        ("a/types.hh", "class A {};\n", "C++"),
        ("a/tool.pl", "use strict;\nuse warnings;\nprint 1;\n", "Perl"),
        ("a/tool.pl", "use v6;\nsay 'hi';\n", "Perl 6"),
        ("a/family.pl", "parent(tom, bob).\nancestor(X, Y) :- parent(X, Y).\n", None),
        ("a/Mod.pm", "package Mod;\nuse strict;\n1;\n", "Perl"),
        ("a/basic.t", "use Test::More;\nok(1);\ndone_testing;\n", "Perl"),
        ("a/hello.t", 'var x : int := 1\nput "hello"\n', "Turing"),
        ("a/top.v", "module top(input clk);\nendmodule\n", "Verilog"),
        ("a/proof.v", "Require Import Arith.\nTheorem t : 1 = 1.\nProof. reflexivity. Qed.\n", None),
        ("a/app.ts", "export const x: number = 1;\n", "TypeScript"),
        ("a/app_de.ts", '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n<TS version="2.1">\n', "XML"),
        ("a/q.sql", "SELECT id FROM users;\n", "SQL"),
        ("a/q.sql", "DECLARE @n INT = 1;\nSELECT @n;\nGO\n", "Transact-SQL"),
        ("a/prog.cbl", "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. HELLO.\n", "COBOL"),
        ("a/prog.cbl", "IDENTIFICATION DIVISION.\nPROGRAM-ID. HELLO.\n", "COBOLFree"),
        ("a/page.inc", "<?php\necho 'hi';\n", "PHP"),
        ("a/blob.inc", "just some words\n", None),
        ("a/k.cl", "__kernel void add(__global float *a) { a[0] = 1; }\n", "OpenCL"),
        ("a/k.cl", "(defun add (a b) (+ a b))\n", "Common Lisp"),
        ("a/s.asm", "section .text\nglobal _start\n_start:\n  mov eax, 1\n", "NASM"),
        ("a/s.asm", "MOV AX, 1\n", "Assembly"),
        ("a/go.mod", "module example.com/x\n\ngo 1.21\n", None),
        ("a/key.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n", None),
    ],
)
def test_ambiguous_extensions_resolve_by_content(path, text, expected):
    assert detect_language(path, text) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("CMakeLists.txt", "CMake"),  # a file name beats the .txt extension
        ("sub/Makefile", "Makefile"),
        ("GNUmakefile", "Makefile"),
        ("makefile", "Makefile"),
        ("Dockerfile", "Dockerfile"),
        ("Dockerfile.dev", "Dockerfile"),  # glob pattern
        ("build.docker", "Docker"),
        ("pkg/debian/control", "Debian Control File"),  # path pattern
        ("control", None),
        ("Kconfig.debug", "Kconfig"),
        ("views/show.html.erb", "HTML ERB"),  # the longest listed ending wins
        ("app/view.erb", "HTML ERB"),
        ("page.rhtml", "RHTML"),
        ("Main.JAVA", "Java"),  # extensions ignore case
        ("lib/jquery.min.js", "JavaScript"),
        ("x.jsx", "JSX"),
        ("a.bro", "Bro"),
        ("a.zeek", "Zeek"),
        ("legacy.f", "Fortran Fixed Form"),
        ("modern.f90", "Fortran"),
        ("a.unknownext", None),
        ("noextension", None),
        ("C:\\src\\main.c", "C"),
    ],
)
def test_detection_by_name(path, expected):
    assert detect_language(path) == expected


def test_shebang_for_extensionless_scripts():
    assert detect_language("bin/run", "#!/usr/bin/env python3\nprint(1)\n") == "Python"
    assert detect_language("bin/run", "#!/usr/bin/env -S python3.11 -u\nprint(1)\n") == "Python"
    assert detect_language("bin/run", "#!/bin/bash\necho hi\n") == "Shell"
    assert detect_language("bin/run", "#!/usr/bin/env node\n") == "JavaScript"
    assert detect_language("bin/run", "#!/usr/bin/unknown-tool\n") is None
    assert detect_language("bin/run", "no shebang\n") is None
    assert shebang_interpreter("#!\n") is None
    assert shebang_interpreter("#!/usr/bin/env\n") is None
    # The extension wins over the #! line.
    assert detect_language("tool.rb", "#!/usr/bin/env python\n") == "Ruby"


def _table(languages: dict, disambiguations: dict | None = None) -> dict:
    data = {"languages": languages}
    if disambiguations is not None:
        data["disambiguations"] = disambiguations
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _table({"A": {"extensions": [".x"]}, "B": {"extensions": [".x"]}}),
            "extension .x is listed by A, B",
        ),
        (
            _table(
                {"A": {"extensions": [".x"]}, "B": {"extensions": [".x"]}},
                {".x": {"why": "w", "rules": [], "default": "A"}},
            ),
            "disambiguations..x names ['A']",
        ),
        (
            _table(
                {"A": {"extensions": [".x"]}, "B": {"extensions": [".x"]}},
                {".x": {"why": "", "rules": [{"language": "B", "pattern": "b"}], "default": "A"}},
            ),
            "disambiguations..x.why",
        ),
        (
            _table(
                {"A": {"extensions": [".x"]}},
                {".x": {"why": "w", "rules": [{"language": "A", "pattern": "("}], "default": None}},
            ),
            "disambiguations..x.rules[0].pattern",
        ),
        (
            _table({"A": {"extensions": [".x"]}}, {".y": {"why": "w", "rules": [], "default": "A"}}),
            "no language lists .y",
        ),
        (
            _table({"A": {"extensions": [".x"]}}, {".x": {"why": "w", "rules": [], "default": "Z"}}),
            "unknown language 'Z'",
        ),
        (
            _table(
                {"A": {"extensions": [".x"]}},
                {".x": {"why": "w", "rules": [{"language": "A", "pattern": []}], "default": None}},
            ),
            "disambiguations..x.rules[0].pattern: no pattern given",
        ),
        (
            _table({"A": {"filenames": ["f"]}, "B": {"filenames": ["f"]}}),
            "languages.B.filenames: 'f' is also A",
        ),
        (_table({"A": {"extensions": ["x"]}}), "must start with '.'"),
        (yaml.safe_load("languages:\n  A: {extensions: [.1]}\n"), "languages.A.extensions must be a list"),
        (_table({"A": {"suffixes": [".x"]}}), "languages.A must map some of"),
        ({"langs": {}}, "'languages' mapping"),
    ],
)
def test_malformed_tables_are_refused_with_the_key(data, message):
    with pytest.raises(LanguageTableError) as err:
        parse_table(data, "t.yaml")
    assert "t.yaml" in str(err.value) and message in str(err.value)


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        # A comment mentioning a C++ keyword is no evidence: the rules are anchored at line starts.
        ("mm/vmem.h", "/* Remove pages by physical or virtual address */\nvoid vmem_free(void *p);\n", "C"),
        ("mm/a.h", "/* the class of errors; std::string in C++ */\nint f(void);\n", "C++"),  # std:: still counts
        ("mm/b.h", "class Widget {\n  public:\n    virtual void draw() = 0;\n};\n", "C++"),
        ("config.h.in", "#undef HAVE_STDINT_H\n", "C"),  # a configure template is what it becomes
        ("lib/init.tcl.in", "proc x {} {}\n", "Tcl"),
        ("Makefile.linux", "all:\n\tcc x.c\n", "Makefile"),
        ("makefile.win", "all:\n", "Makefile"),
        ("Makefile.PL", "use ExtUtils::MakeMaker;\n", "Perl"),  # an exact name still wins
        ("tools/run.txt", "#!/bin/sh\necho hi\n", "Shell"),
        ("notes.txt", "# heading\nwords\n", "Text"),
        ("Warp.sc", "Warp {\n\t*new {|p|\n\t\t^super.new.init();\n\t}\n}\n", "SuperCollider"),
        ("Main.sc", "import scala.io.Source\nobject Main\n", "Scala"),
        ("lib/A.pm", "unit module A;\nsub f() is export { }\n", "Perl 6"),
        ("lib/B.pm", "class B {\n  has $.x;\n}\n", "Perl 6"),
        ("lib/C.pm", "package C;\nuse strict;\nsub new { bless {}, shift }\n1;\n", "Perl"),
        ("App.vcxproj", "<?xml version=\"1.0\"?>\n<Project/>\n", "XML"),
        ("App.vcxproj.filters", "<?xml version=\"1.0\"?>\n<Project/>\n", "XML"),
        ("Types.natvis", "<AutoVisualizer/>\n", "XML"),
        ("App.slnx", "<Solution/>\n", "XML"),
    ],
)
def test_reported_language_classes(path, text, expected):
    assert detect_language(path, text) == expected


def test_linguist_supplement_never_overrides_the_hand_table(tmp_path):
    hand = tmp_path / "hand.yaml"
    hand.write_text("languages:\n  C: {extensions: [.c]}\n  XML: {extensions: [.xml]}\n")
    extra = tmp_path / "extra.yaml"
    extra.write_text("languages:\n  XML: {extensions: [.c, .natvis], filenames: [x.c]}\n  Gone: {extensions: [.g]}\n")
    table = load_table(hand, extra)
    assert table.detect("a.c") == "C" and table.detect("a.natvis") == "XML" and table.detect("a.g") is None
