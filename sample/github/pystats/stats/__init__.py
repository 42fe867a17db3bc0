"""Descriptive statistics."""

from stats.describe import describe
