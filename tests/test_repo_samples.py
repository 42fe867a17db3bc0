"""Repository samples: dependency parsing, parts, DeepSeek-Coder's order, random order, sample text."""
from __future__ import annotations

import pytest

from repos.samples import (
    SourceFile,
    build_samples,
    connected_parts,
    dependencies,
    dependency_order,
    order_violations,
    random_order,
)


def _py(path: str, text: str) -> SourceFile:
    return SourceFile(path, "Python", text)


PYTHON_REPO = [
    _py("app/main.py", "from app.models import User\nimport app.utils as u, os\n\nUser()\n"),
    _py("app/models.py", "from .db import connect\n\nclass User: pass"),
    _py("app/db.py", "def connect(): pass\n"),
    _py("app/utils.py", "import os\n"),
    _py("scripts/standalone.py", "import sys\nprint(sys.argv)\n"),
]


def _orders(files: list[SourceFile]) -> list[list[str]]:
    deps = dependencies(files)
    return [dependency_order(part, deps) for part in connected_parts([f.path for f in files], deps)]


def test_python_imports_resolve_inside_the_repository():
    deps = dependencies(PYTHON_REPO)
    assert deps["app/main.py"] == {"app/models.py", "app/utils.py"}
    assert deps["app/models.py"] == {"app/db.py"}  # relative import
    assert deps["app/utils.py"] == set() and deps["scripts/standalone.py"] == set()


def test_python_dependency_order_and_disconnected_parts():
    assert _orders(PYTHON_REPO) == [
        ["app/db.py", "app/models.py", "app/utils.py", "app/main.py"],
        ["scripts/standalone.py"],
    ]


def test_a_cycle_is_tolerated_smallest_in_degree_first():
    files = [
        _py("a.py", "import b\n"),
        _py("b.py", "import c\n"),
        _py("c.py", "import a\n"),
        _py("d.py", "from a import thing\n"),
        _py("pkg/__init__.py", ""),
        _py("pkg/x.py", "from pkg import (\n    y,\n    z as zz,\n)\n"),
        _py("pkg/y.py", "from . import x\n"),  # a two-file cycle through a parenthesised import
    ]
    assert _orders(files) == [["a.py", "c.py", "b.py", "d.py"], ["pkg/__init__.py", "pkg/x.py", "pkg/y.py"]]


def test_java_imports_wildcards_and_static_imports():
    base = "src/main/java/com/x"
    files = [
        SourceFile(f"{base}/App.java", "Java", "import com.x.util.Strings;\nimport com.x.model.*;\nimport java.util.List;\n"),
        SourceFile(f"{base}/util/Strings.java", "Java", "package com.x.util;\n"),
        SourceFile(f"{base}/model/User.java", "Java", "package com.x.model;\n"),
        SourceFile(f"{base}/model/Order.java", "Java", "import static com.x.util.Strings.join;\n"),
    ]
    assert _orders(files) == [
        [f"{base}/model/User.java", f"{base}/util/Strings.java", f"{base}/model/Order.java", f"{base}/App.java"]
    ]


def test_csharp_using_resolves_through_namespace_declarations():
    files = [
        SourceFile("Program.cs", "C#", "using System;\nusing Acme.Core;\nclass P {}\n"),
        SourceFile("Core/Widget.cs", "C#", "namespace Acme.Core {\n class Widget {}\n}\n"),
        SourceFile("Core/Gadget.cs", "C#", "using Acme.Util;\nnamespace Acme.Core;\nclass Gadget {}\n"),
        SourceFile("Util/Log.cs", "C#", "namespace Acme.Util\n{\n}\n"),
    ]
    assert _orders(files) == [["Core/Widget.cs", "Util/Log.cs", "Core/Gadget.cs", "Program.cs"]]


def test_c_and_cpp_includes_relative_and_by_suffix():
    files = [
        SourceFile("src/main.cpp", "C++", '#include "util.h"\n#include <vector>\nint main() {}\n'),
        SourceFile("src/util.h", "C", "#pragma once\n"),
        SourceFile("src/util.cpp", "C++", '#  include "util.h"\n'),
        SourceFile("include/lib/api.h", "C", ""),
        SourceFile("src/api_user.c", "C", "#include <lib/api.h>\n"),
    ]
    assert _orders(files) == [["include/lib/api.h", "src/api_user.c"], ["src/util.h", "src/main.cpp", "src/util.cpp"]]


def test_samples_carry_path_comments_in_each_language():
    files = [
        _py("b.py", "import a\nx = 1"),  # no trailing newline: one is added
        _py("a.py", "y = 2\n"),
        SourceFile("Main.java", "Java", "class Main {}\n"),
    ]
    samples = build_samples(files, mode="dependency", seed=1, repo="r")
    assert [s.paths for s in samples] == [("Main.java",), ("a.py", "b.py")]
    assert samples[0].text == "// Main.java\nclass Main {}\n" and samples[0].language == "Java"
    assert samples[1].text == "# a.py\ny = 2\n# b.py\nimport a\nx = 1\n" and samples[1].language == "Python"


def test_random_order_is_seeded_and_keeps_the_parts():
    files = [_py(f"m{i}.py", "import hub\n") for i in range(12)] + [_py("hub.py", "")]
    one = build_samples(files, mode="random", seed=7, repo="r")
    assert len(one) == 1 and sorted(one[0].paths) == sorted(f.path for f in files)
    assert build_samples(list(reversed(files)), mode="random", seed=7, repo="r") == one  # not arrival order
    others = {random_order(sorted(one[0].paths), seed=s, repo="r")[0] for s in range(20)}
    assert len(others) > 1
    with pytest.raises(ValueError, match="mode"):
        build_samples(files, mode="off")


def test_dependencies_never_follow_a_file_outside_its_cycle():
    # A C file joins a cycle of two headers; Algorithm 1 alone would emit `app.c` (in-degree 0 once ...)
    # before `base.h`. Random acyclic graphs with planted cycles: no edge outside a cycle is violated.
    import random as _random

    rng = _random.Random(5)
    for trial in range(40):
        n = rng.randrange(2, 25)
        names = [f"m{i}" for i in range(n)]
        deps = {a: {b for b in names if b != a and rng.random() < 0.15} for a in names}
        order = dependency_order(sorted(names), deps)
        assert sorted(order) == sorted(names)
        _, outside = order_violations(order, deps)
        assert outside == 0, (trial, deps, order)
    files = [
        SourceFile("a.h", "C", '#include "b.h"\n'),
        SourceFile("b.h", "C", '#include "a.h"\n#include "base.h"\n'),
        SourceFile("base.h", "C", "int x;\n"),
        SourceFile("app.c", "C", '#include "a.h"\n'),
    ]
    assert _orders(files) == [["base.h", "a.h", "b.h", "app.c"]]


def test_python_resolves_as_the_interpreter_would():
    files = [
        _py("src/flask/__init__.py", "from .app import Flask\n"),
        _py("src/flask/app.py", "from flask.helpers import h\nfrom . import sessions\n"),
        _py("src/flask/helpers.py", ""),
        _py("src/flask/sessions.py", "from .. import nothing\n"),
        _py("tests/test_app/flask.py", "x = 1\n"),  # a fixture named like the package
        _py("tests/test_basic.py", "import flask\nfrom flask import app\nimport helpers_local\n"),
        _py("tests/helpers_local.py", ""),  # found beside the importer, as a script's sys.path[0]
        _py("pkg/sub/mod.py", "import pkg.other.leaf\n"),
        _py("pkg/__init__.py", ""),
        _py("pkg/other/__init__.py", ""),
        _py("pkg/other/leaf.py", ""),
    ]
    deps = dependencies(files)
    assert deps["tests/test_basic.py"] == {"src/flask/__init__.py", "src/flask/app.py", "tests/helpers_local.py"}
    assert deps["src/flask/app.py"] == {"src/flask/__init__.py", "src/flask/helpers.py", "src/flask/sessions.py"}
    assert deps["src/flask/sessions.py"] == set()  # `..` leaves the package: src/ has no __init__
    assert deps["pkg/sub/mod.py"] == {"pkg/__init__.py", "pkg/other/__init__.py", "pkg/other/leaf.py"}
    assert "tests/test_app/flask.py" not in set().union(*deps.values())


def test_imports_in_docstrings_comments_and_strings_are_not_edges():
    files = [
        _py("a.py", '"""Usage:\n\nimport b\nfrom c import d\n"""\n# import b\nx = "import b"\ns = r\'\'\'\nimport c\n\'\'\'\n'),
        _py("b.py", ""),
        _py("c.py", ""),
        SourceFile("Main.java", "Java", '/*\nimport x.Util;\n*/\n// import x.Util;\nString s = "\\nimport x.Util;";\n'),
        SourceFile("x/Util.java", "Java", ""),
        SourceFile("P.cs", "C#", '// using Acme;\nvar s = @"\nusing Acme;\n";\n'),
        SourceFile("Acme.cs", "C#", "namespace Acme {}\n"),
        SourceFile("m.c", "C", '/* #include "h.h" */\nconst char *s = "\\n#include \\"h.h\\"";\n#include "k.h" // "h.h"\n'),
        SourceFile("h.h", "C", ""),
        SourceFile("k.h", "C", ""),
    ]
    deps = dependencies(files)
    assert deps["a.py"] == set() and deps["Main.java"] == set() and deps["P.cs"] == set()
    assert deps["m.c"] == {"k.h"}


def test_java_static_wildcard_and_csharp_alias():
    files = [
        SourceFile("src/a/App.java", "Java", "import static a.util.Strings.*;\nimport a.model.*;\n"),
        SourceFile("src/a/util/Strings.java", "Java", ""),
        SourceFile("src/a/model/User.java", "Java", ""),
        SourceFile("P.cs", "C#", "using W = Acme.Core.Widget;\nusing static Acme.Core.Gadget;\n"),
        SourceFile("Core/Widget.cs", "C#", "namespace Acme.Core { public sealed class Widget {} }\n"),
        SourceFile("Core/Gadget.cs", "C#", "namespace Acme.Core;\nstatic class Gadget {}\n"),
        SourceFile("Core/Other.cs", "C#", "namespace Acme.Core;\nclass Other {}\n"),
    ]
    deps = dependencies(files)
    assert deps["src/a/App.java"] == {"src/a/util/Strings.java", "src/a/model/User.java"}
    assert deps["P.cs"] == {"Core/Widget.cs", "Core/Gadget.cs"}


def test_max_chars_splits_parts_at_file_boundaries_in_order():
    files = [_py(f"m{i}.py", f"import m{i - 1}\n" + "x = 1\n" * 10) for i in range(1, 8)] + [_py("m0.py", "y = 2\n")]
    whole = build_samples(files, mode="dependency", repo="r")
    assert len(whole) == 1
    split = build_samples(files, mode="dependency", repo="r", max_chars=200)
    assert [p for s in split for p in s.paths] == list(whole[0].paths)  # same files, same order
    assert "".join(s.text for s in split) == whole[0].text  # every file whole, none cut
    assert all(len(s.text) <= 200 for s in split) and len(split) > 1
    big = build_samples([_py("big.py", "z = 0\n" * 100)], repo="r", max_chars=50)
    assert len(big) == 1 and big[0].paths == ("big.py",)  # a file past the bound is a sample of its own


def test_samples_keep_the_provenance_their_files_share():
    from pipeline.record import Record
    from pipeline.repo_assembly import sample_meta

    def rec(path: str, **meta: str) -> Record:
        return Record(id=path, source="github", text="", path=path, meta={"commit": "abc", "license_file": "LICENSE", **meta})

    assert sample_meta([rec("a.py"), rec("b.py")]) == {"commit": "abc", "license_file": "LICENSE"}
    assert sample_meta([rec("a.py", encoding="latin-1"), rec("b.py", encoding="latin-1")])["encoding"] == "latin-1"
    assert sample_meta([rec("a.py"), rec("b.py", encoding="cp1252")])["encoding"] == "utf-8\ncp1252"  # per file
    assert "cutoff" not in sample_meta([rec("a.py", cutoff="created_at_unknown"), rec("b.py")])


def test_imports_after_non_ascii_text_and_a_lone_surrogate_resolve():
    """The import patterns run over UTF-8 bytes: offsets after multi-byte characters must still line up, and a
    lone surrogate (text decoded with surrogateescape) must not fail the repository."""
    files = [
        _py("pkg/__init__.py", ""),
        _py("pkg/ünï.py", "x = 1\n"),
        _py("pkg/b.py", "VALUE = 'é'\n"),
        _py("main.py", "# café \ud800 — naïve\ns = '日本語'\nfrom pkg import (\n    b,  # ✓\n    c,\n)\nimport pkg.b\n"),
        SourceFile("src/x.c", "C", '/* ünïcode */ char *s = "é";\n#include "y.h"\n'),
        SourceFile("src/y.h", "C", "int y;\n"),
        SourceFile("J.java", "Java", "// ü\nimport a.K;\n"),
        SourceFile("a/K.java", "Java", "class K {}\n"),
    ]
    deps = dependencies(files)
    assert deps["main.py"] == {"pkg/__init__.py", "pkg/b.py"}
    assert deps["src/x.c"] == {"src/y.h"} and deps["J.java"] == {"a/K.java"}


def test_java_and_c_files_read_up_to_the_last_import_line_give_the_whole_files_imports():
    files = [
        SourceFile("a/B.java", "Java", "class B {}\n"),
        SourceFile("a/C.java", "Java", "class C {}\n"),
        SourceFile("a/D.java", "Java", "class D {}\n"),
        # The last "import" sits in a block comment that closes after its line, the one before in a string.
        SourceFile("X.java", "Java", 'import a.B;\nString s = "import a.D;";\n/* old:\nimport a.C;\n */ class X {}\n'),
        SourceFile("y.h", "C", "int y;\n"),
        SourceFile("z.h", "C", "int z;\n"),
        SourceFile("m.c", "C", '#include "y.h"\n/*\n#include "z.h"\n*/ int main(void) { return 0; }\n'),
    ]
    deps = dependencies(files)
    assert deps["X.java"] == {"a/B.java"} and deps["m.c"] == {"y.h"}
