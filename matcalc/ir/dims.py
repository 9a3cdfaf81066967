"""Dimensions and the toolkit that shape rules are written with.

A dimension is an int or a symbolic name (str).  A shape rule takes a `dims`
object with `resolve(d)` and `equal(a, b, why)` and the argument shapes, and
returns the result shape.  When nodes are built, `dims` is ConcreteDims (equal
means identical); during inference it is the frontend's unifier, which binds
unknown dimensions.  So one rule serves both:

>>> matmul_shape(ConcreteDims, (5, 3), (3, 2))
(5, 2)
"""
from __future__ import annotations

from typing import Union

Dim = Union[int, str]
Shape = tuple          # (rows, cols) of Dim: every value is 2-D

SCALAR: Shape = (1, 1)


class ShapeClash(Exception):
    """Operand shapes do not fit an operator (the frontend turns it into a ShapeError with a caret)."""


class ConcreteDims:
    """Dimension arithmetic for building nodes: equal means identical."""

    @staticmethod
    def resolve(d: Dim) -> Dim:
        return d

    @staticmethod
    def equal(a: Dim, b: Dim, why: str) -> Dim:
        if a != b:
            raise ShapeClash(why)
        return a


def same_shape(dims, a: Shape) -> Shape:
    return a


def scalar_shape(dims, *shapes) -> Shape:
    return SCALAR


def square_shape(dims, a: Shape, what: str) -> Shape:
    dims.equal(a[0], a[1], f"{what} needs a square matrix")
    return a


def broadcast_shape(dims, *shapes: Shape) -> Shape:
    """NumPy broadcasting of 2-D shapes (1 stretches); other dimensions must agree."""
    out = list(shapes[0])
    for shape in shapes[1:]:
        for axis in range(2):
            x, y = dims.resolve(out[axis]), dims.resolve(shape[axis])
            if x == y or y == 1:
                out[axis] = x
            elif x == 1:
                out[axis] = y
            else:
                out[axis] = dims.equal(x, y, "operands do not broadcast")
    return tuple(out)


def matmul_shape(dims, *shapes: Shape) -> Shape:
    """A chain A1@A2@...@Ak: each inner pair of dimensions agrees."""
    for left, right in zip(shapes, shapes[1:]):
        dims.equal(left[1], right[0], "@ needs the inner dimensions to agree")
    return (shapes[0][0], shapes[-1][1])


def is_vector_shape(shape: Shape) -> bool:
    """A column or a row (a 1x1 scalar counts)."""
    return shape[0] == 1 or shape[1] == 1


def vector_length(shape: Shape):
    """n for an n×1 column or a 1×n row, else None."""
    rows, cols = shape
    if rows == 1:
        return cols
    if cols == 1:
        return rows
    return None


def show_shape(shape: Shape) -> str:
    """(3, 'n') -> '3×n'."""
    return "×".join(str(d) for d in shape)
