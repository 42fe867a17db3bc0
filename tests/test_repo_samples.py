"""Repository samples: dependency parsing, parts, DeepSeek-Coder's order, random order, sample text."""
from __future__ import annotations

import pytest

from repos.samples import (
    SourceFile,
    build_samples,
    connected_parts,
    dependencies,
    dependency_order,
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
