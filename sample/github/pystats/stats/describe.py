"""A one-paragraph description of a sample."""

from stats.mean import mean, variance
from stats.textutil import plural, wrap


def describe(values):
    values = list(values)
    text = (
        f"{plural(len(values), 'value')} with mean {mean(values):.3f} "
        f"and variance {variance(values):.3f}."
    )
    return wrap(text)
