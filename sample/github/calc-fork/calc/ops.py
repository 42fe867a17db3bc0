"""Arithmetic operations of the calc sample package."""
from __future__ import annotations

from fractions import Fraction


def add(a: Fraction, b: Fraction) -> Fraction:
    """Return the sum of two numbers."""
    return a + b


def subtract(a: Fraction, b: Fraction) -> Fraction:
    """Return the difference of two numbers."""
    return a - b


def multiply(a: Fraction, b: Fraction) -> Fraction:
    """Return the product of two numbers."""
    return a * b


def divide(a: Fraction, b: Fraction) -> Fraction:
    """Return the quotient of two numbers; dividing by zero raises ZeroDivisionError."""
    if b == 0:
        raise ZeroDivisionError("cannot divide by zero")
    return a / b


def power(base: Fraction, exponent: int) -> Fraction:
    """Return base raised to an integer exponent."""
    return base**exponent


OPERATIONS = {
    "+": add,
    "-": subtract,
    "*": multiply,
    "/": divide,
}
