"""The calc sample package: exact arithmetic on fractions."""
from .ops import add, divide, multiply, power, subtract

__all__ = ["add", "divide", "multiply", "power", "subtract"]
