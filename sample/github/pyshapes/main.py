"""Print the area of every shape named on the command line."""

import sys

from shapes.registry import build
from shapes.textutil import plural


def main(argv):
    shapes = [build(name, 1.0) for name in argv[1:]]
    for shape in shapes:
        print(f"{shape.name}: {shape.area():.3f}")
    print(plural(len(shapes), "shape"))


if __name__ == "__main__":
    main(sys.argv)
