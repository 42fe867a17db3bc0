"""Shapes with area and perimeter."""

from shapes.circle import Circle
from shapes.square import Square

__all__ = ["Circle", "Square"]
