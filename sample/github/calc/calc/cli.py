"""Command line of the calc sample package: `python -m calc.cli 3 + 4`."""
from __future__ import annotations

import sys
from fractions import Fraction

from calc.ops import OPERATIONS


def evaluate(left: str, operator: str, right: str) -> Fraction:
    """Evaluate one binary expression given as three words."""
    if operator not in OPERATIONS:
        raise ValueError(f"unknown operator {operator!r}; expected one of {sorted(OPERATIONS)}")
    return OPERATIONS[operator](Fraction(left), Fraction(right))


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: calc LEFT OPERATOR RIGHT", file=sys.stderr)
        return 2
    print(evaluate(*argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
