"""Build shapes by name."""

from shapes import circle, square

_KINDS = {"circle": circle.Circle, "square": square.Square}


def build(name, size):
    try:
        return _KINDS[name](size)
    except KeyError:
        raise ValueError(f"unknown shape {name!r}; known: {sorted(_KINDS)}") from None
