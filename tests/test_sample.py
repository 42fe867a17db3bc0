"""The bundled sample: on disk exactly as `sample/make_sample.py` writes it, and each file's fate known."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from filters.code_rules import DROP_REASONS, file_drop_reason
from filters.language import detect_language

REPO = Path(__file__).resolve().parent.parent

SAMPLE = REPO / "sample" / "github"


@pytest.fixture(scope="module")
def make_sample():
    spec = importlib.util.spec_from_file_location("make_sample", REPO / "sample" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_on_disk_matches_its_generator(make_sample):
    assert make_sample.differences(SAMPLE) == []


def test_generator_writes_what_it_checks(make_sample, tmp_path):
    make_sample.write(tmp_path)
    assert make_sample.differences(tmp_path) == []
    (tmp_path / "pyshapes" / "main.py").write_text("changed\n")
    (tmp_path / "pyshapes" / "extra.py").write_text("x\n")
    assert make_sample.differences(tmp_path) == [
        "extra file pyshapes/extra.py",
        "changed file pyshapes/main.py",
    ]


def test_every_file_meets_its_expected_fate(make_sample):
    outcomes = {}
    for repo, files in make_sample.REPOS.items():
        for path, text in files.items():
            language = detect_language(path, text)
            reason = "unknown_language" if language is None else file_drop_reason(text, language, path=path)
            outcomes[f"{repo}/{path}"] = reason
    dropped = {key: reason for key, reason in outcomes.items() if reason is not None}
    assert dropped == make_sample.EXPECTED_DROPS
    # Every rule drops something, and many files are kept.
    assert set(DROP_REASONS) <= set(dropped.values())
    assert sum(reason is None for reason in outcomes.values()) >= 40


def test_sample_is_small_and_has_no_git_dirs():
    files = [p for p in SAMPLE.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 1_000_000
    assert not any(p.name == ".git" for p in SAMPLE.rglob("*"))


def test_sample_has_cross_file_dependencies(make_sample):
    repos = make_sample.REPOS
    assert "from shapes.base import Shape" in repos["pyshapes"]["shapes/circle.py"]
    assert (
        "import org.sample.queue.util.Checks;"
        in repos["javaqueue"]["src/main/java/org/sample/queue/ArrayQueue.java"]
    )
    assert '#include "vec.h"' in repos["cvector"]["src/vec.c"]
    assert '#include "geom/point.h"' in repos["cppgeom"]["include/geom/polygon.hpp"]
    assert "using Sample.Ledger;" in repos["csledger"]["App/Program.cs"]


def _lines(path: Path) -> set[str]:
    return set(path.read_text("utf-8").splitlines())


def test_sample_has_near_duplicates_across_repositories():
    for a, b in [
        ("pyshapes/shapes/textutil.py", "pystats/stats/textutil.py"),
        ("cvector/src/vec.c", "cppgeom/third_party/vec.c"),
    ]:
        la, lb = _lines(SAMPLE / a), _lines(SAMPLE / b)
        assert la != lb and len(la & lb) / len(la | lb) > 0.8
