import math

from shapes.circle import Circle


def test_area():
    assert math.isclose(Circle(1.0).area(), math.pi)


def test_perimeter():
    assert math.isclose(Circle(0.5).perimeter(), math.pi)
