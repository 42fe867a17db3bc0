"""Every regular expression matched against file contents runs in linear time (issue 12's class of hangs:
20 KB of blank lines took 24-104 s as `.h`/`.v`/`.inc`, a 1 MB `.py` 27 s in import parsing).

Adversarial inputs are long runs of the pieces these parsers look for (blank lines, separators, comment and
string openers, repeated statement prefixes). A run within a CPU-time budget passes (1 s for work that took
tens of seconds before); one over it passes only if the same work on a quarter of the input cost more than a
fifth as much (linear: a quarter; quadratic: a sixteenth), so a loaded machine does not make it flaky.
"""
from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from filters.language import SNIFF_CHARS, bundled_table
from repos.samples import REPO_LANGUAGES, SourceFile, dependencies

BUDGET_S = 1.0
PIECES = [
    "\n", "\r\n", " ", "\t", "\n\n\n", " \t\n", "#", "//", "/*", "*/", "'", '"', '"""', "'''", "\\", "(", ")",
    "<", ">", ";", ":", ",", ".", "=", "@\"", "$\"", "a", "_x1", "import ", "from a import (", "from . import ",
    "import static a.", "using a = ", "using ", "namespace a.", "#include \"", "#include <", "template <",
    "virtual ", "class ", "@interface", "%", "{", "}", "-", "<?", "end", "module ",
]
_EXTENSIONS = {"Python": "py", "Java": "java", "C#": "cs", "C": "c", "C++": "cpp"}


def _cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def _linear(run, text: str) -> bool:
    """Whether `run(text)` is within budget or, when over it, grows linearly from a quarter of `text`."""
    full = _cpu(lambda: run(text))
    if full < BUDGET_S:
        return True
    quarter = min(_cpu(lambda: run(text[: len(text) // 4])) for _ in range(2))
    return full < 5 * quarter


adversarial = st.builds(
    lambda pieces, n: "".join(pieces) * (n // max(1, len("".join(pieces)))),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=3),
    st.sampled_from([SNIFF_CHARS, 200_000]),
)


@settings(max_examples=40, deadline=None)
@given(adversarial)
def test_language_rules_are_linear_on_every_ambiguous_extension(text):
    table = bundled_table()
    for ext in table.disambiguations:
        assert _linear(lambda t, ext=ext: table.detect("x" + ext, t), text), ext


@settings(max_examples=40, deadline=None)
@given(adversarial, st.sampled_from(REPO_LANGUAGES))
def test_import_parsers_are_linear(text, language):
    def run(t: str) -> None:
        dependencies([SourceFile(f"x.{_EXTENSIONS[language]}", language, t), SourceFile("a.h", "C", "")])

    assert _linear(run, text * 5), language


def test_the_reported_cases():
    table = bundled_table()
    blank = "\n" * 20_000
    for ext in (".h", ".v", ".inc"):
        assert _linear(lambda t, ext=ext: table.detect("x" + ext, t), blank)
    one_mb = ("from a import (\n" + "import b.c.d,\n") * 35_000
    assert _linear(lambda t: dependencies([SourceFile("m.py", "Python", t)]), one_mb)
