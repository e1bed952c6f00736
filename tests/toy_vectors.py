"""A toy array library, for the test of a backend defined outside ``tangent/``.

Vectors are immutable tuples of floats wrapped in ``Vec``, with element-wise
arithmetic against other vectors and numbers. Nothing here knows tangent.
"""

from __future__ import annotations

import math


class Vec:
    """An immutable vector of floats."""

    __slots__ = ('items',)

    def __init__(self, items):
        self.items = tuple(float(item) for item in items)

    def _zip(self, other, op):
        if isinstance(other, Vec):
            if len(other.items) != len(self.items):
                raise ValueError(f'vectors of lengths {len(self.items)} and {len(other.items)}')
            return Vec(op(a, b) for a, b in zip(self.items, other.items))
        return Vec(op(a, other) for a in self.items)

    def __add__(self, other):
        return self._zip(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._zip(other, lambda a, b: b + a)

    def __sub__(self, other):
        return self._zip(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._zip(other, lambda a, b: b - a)

    def __mul__(self, other):
        return self._zip(other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._zip(other, lambda a, b: b * a)

    def __truediv__(self, other):
        return self._zip(other, lambda a, b: a / b)

    def __neg__(self):
        return Vec(-a for a in self.items)

    def __len__(self):
        return len(self.items)

    def __eq__(self, other):
        return isinstance(other, Vec) and self.items == other.items

    def __hash__(self):
        return hash(self.items)

    def __repr__(self):
        return f'Vec({list(self.items)})'


def vsum(v: Vec) -> float:
    return math.fsum(v.items)


def vdot(u: Vec, v: Vec) -> float:
    return math.fsum(a * b for a, b in zip(u.items, v.items, strict=True))


def vsin(v: Vec) -> Vec:
    return Vec(math.sin(a) for a in v.items)


def vcos(v: Vec) -> Vec:
    return Vec(math.cos(a) for a in v.items)


def vexp(v: Vec) -> Vec:
    return Vec(math.exp(a) for a in v.items)


def full_like(v: Vec, value: float) -> Vec:
    return Vec([value] * len(v.items))


def size(v: Vec) -> int:
    return len(v.items)
