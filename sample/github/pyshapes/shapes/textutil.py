"""Small text helpers shared by the command-line tools."""

import textwrap


def wrap(text, width=72):
    """Wrap `text` to lines of at most `width` characters."""
    return "\n".join(textwrap.wrap(text, width=width))


def title_case(words):
    """Capitalise every word of `words` except short joining words."""
    small = {"a", "an", "and", "of", "the", "to"}
    out = []
    for i, word in enumerate(words.split()):
        out.append(word if i and word in small else word.capitalize())
    return " ".join(out)


def plural(count, noun):
    """'1 file', '2 files'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
