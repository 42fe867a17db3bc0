"""Code with its comments and string literals blanked, in one linear pass, so that import parsers see only
code: an `import x` inside a docstring, a comment or a string is not a dependency.

Each step searches forward from the current position for one character class and never looks back, so the
work is linear in the file's length whatever it holds (unterminated strings and comments run to the end of
their line or of the file). Blanked spans keep their newlines, so line-anchored patterns see the same lines.
"""
from __future__ import annotations

import re

# What may open a comment, a string or (C, C++) a preprocessor line that is kept verbatim.
_PY_OPEN = re.compile(r"[#'\"]")
_C_OPEN = re.compile(r"(?m)^[ \t]*#|[/'\"@$]")
_JAVA_OPEN = re.compile(r"[/'\"@$]")
_PY_PREFIX = frozenset("rRbBuUfFtT")
_STOPS = {q: re.compile(r"[\\\n" + q + "]") for q in "'\""}


def _newlines(text: str, start: int, end: int) -> str:
    return "\n" * text.count("\n", start, end)


def _string_end(text: str, pos: int, quote: str, *, triple: bool) -> int:
    """The index just past the string whose body starts at `pos` (a one-line string left open ends at its
    newline, a triple-quoted one at the end of the text)."""
    stops, n = _STOPS[quote], len(text)
    while True:
        m = stops.search(text, pos)
        if m is None:
            return n
        i, ch = m.start(), m.group()
        if ch == "\\":
            pos = i + 2
        elif ch == "\n":
            if not triple:
                return i
            pos = i + 1
        elif not triple:
            return i + 1
        elif text.startswith(quote * 3, i):
            return i + 3
        else:
            pos = i + 1


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end == -1 else end


def python_code(text: str) -> str:
    """Python source with comments, strings and docstrings removed (newlines kept)."""
    out: list[str] = []
    pos = 0
    while (m := _PY_OPEN.search(text, pos)) is not None:
        i = m.start()
        if text[i] == "#":
            out.append(text[pos:i])
            pos = _line_end(text, i)
            continue
        triple = text.startswith(text[i] * 3, i)
        j = i  # a prefix (r, b, f, rb, ...) right before the quote belongs to the literal
        while j > pos and i - j < 2 and text[j - 1] in _PY_PREFIX:
            j -= 1
        if j < i and j > 0 and (text[j - 1].isalnum() or text[j - 1] == "_"):
            j = i  # the end of a name, not a prefix
        end = _string_end(text, i + (3 if triple else 1), text[i], triple=triple)
        out.append(text[pos:j] + '""' + _newlines(text, i, end))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _verbatim_end(text: str, pos: int) -> int:
    """End of a C# verbatim string body starting at `pos` ("" is an escaped quote)."""
    while True:
        close = text.find('"', pos)
        if close == -1:
            return len(text)
        if not text.startswith('""', close):
            return close + 1
        pos = close + 2


def c_like_code(text: str, *, language: str) -> str:
    """C, C++, Java or C# source with comments and string/char literals removed (newlines kept).

    C and C++ preprocessor lines are kept as they are: the quoted name of `#include "x.h"` is the import.
    """
    opener = _C_OPEN if language in ("C", "C++") else _JAVA_OPEN
    out: list[str] = []
    pos, n = 0, len(text)
    while (m := opener.search(text, pos)) is not None:
        i, token = m.start(), m.group()
        if token.endswith("#"):
            end = _line_end(text, i)
            out.append(text[pos:end])
            pos = end
            continue
        if token == "/":
            if text.startswith("//", i):
                end = _line_end(text, i)
            elif text.startswith("/*", i):
                close = text.find("*/", i + 2)
                end = n if close == -1 else close + 2
            else:
                out.append(text[pos : i + 1])
                pos = i + 1
                continue
            out.append(text[pos:i] + " " + _newlines(text, i, end))
            pos = end
            continue
        if token in "@$":
            verbatim = language == "C#" and (text.startswith('@"', i) or text[i : i + 3] in ('$@"', '@$"'))
            if verbatim:
                end = _verbatim_end(text, text.find('"', i) + 1)
            elif language == "C#" and text.startswith('$"', i):
                end = _string_end(text, i + 2, '"', triple=False)
            else:
                out.append(text[pos : i + 1])
                pos = i + 1
                continue
            out.append(text[pos:i] + '""' + _newlines(text, i, end))
            pos = end
            continue
        if token == '"' and text.startswith('"""', i) and language in ("Java", "C#"):
            close = text.find('"""', i + 3)
            end = n if close == -1 else close + 3
        else:
            end = _string_end(text, i + 1, token, triple=False)
        out.append(text[pos:i] + '""' + _newlines(text, i, end))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def code_only(text: str, language: str) -> str:
    """`text` without comments and literals, for the import parsers of `language`."""
    return python_code(text) if language == "Python" else c_like_code(text, language=language)
