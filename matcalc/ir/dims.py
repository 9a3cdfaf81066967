"""Dimensions and the toolkit that shape rules are written with.

A dimension is an int, a symbolic name (str), or a product of names that stays
symbolic (DimProduct: m*n, the rows of vec(X) for X m×n); `dim_product` builds
one and multiplies ints out, so concrete shapes stay ints.  A shape rule takes a `dims`
object with `resolve(d)` and `equal(a, b, why)` and the argument shapes, and
returns the result shape.  When nodes are built, `dims` is ConcreteDims (equal
means identical); during inference it is the frontend's unifier, which binds
unknown dimensions.  So one rule serves both:

>>> matmul_shape(ConcreteDims, (5, 3), (3, 2))
(5, 2)
>>> dim_product("n", "m"), dim_product(3, 4), dim_product("m", 1)
(m*n, 12, 'm')
"""
from __future__ import annotations

from typing import Union


class DimProduct:
    """A product of dimensions that stays symbolic: coef * f1 * f2 * ... (factors sorted, repeats kept).

    Build it with dim_product, which keeps the canonical form (so equal products are equal
    and hash alike).  Factors are names, or the frontend's unknowns while shapes are inferred.
    """
    __slots__ = ("coef", "factors", "_hash")

    def __init__(self, coef: int, factors: tuple):
        self.coef, self.factors = coef, factors
        self._hash = hash((coef, factors))

    def __eq__(self, other):
        return isinstance(other, DimProduct) and self.coef == other.coef and self.factors == other.factors

    def __hash__(self):
        return self._hash

    def __reduce__(self):
        return (DimProduct, (self.coef, self.factors))

    def __repr__(self):
        return "*".join(([str(self.coef)] if self.coef != 1 else []) + [str(f) for f in self.factors])


Dim = Union[int, str, DimProduct]


def _factor_order(f) -> tuple:
    # names alphabetically, then the frontend's unknowns in the order they were made
    return (0, f, 0) if isinstance(f, str) else (1, "", getattr(f, "serial", 0))


def dim_factors(d) -> tuple:
    """(coefficient, factors) of a dimension: 12 -> (12, ()), 'm' -> (1, ('m',)), m*n -> (1, ('m', 'n'))."""
    if isinstance(d, int):
        return d, ()
    if isinstance(d, DimProduct):
        return d.coef, d.factors
    return 1, (d,)


def dim_product(*dims) -> Dim:
    """The product of dimensions in canonical form: an int when all are ints, a name when one is left."""
    coef, factors = 1, []
    for d in dims:
        c, fs = dim_factors(d)
        coef *= c
        factors += fs
    if not factors:
        return coef
    factors.sort(key=_factor_order)
    if coef == 1 and len(factors) == 1:
        return factors[0]
    return DimProduct(coef, tuple(factors))


def dim_names(d) -> tuple:
    """The symbolic names a dimension is made of: m*n -> ('m', 'n'), 3 -> ()."""
    return tuple(f for f in dim_factors(d)[1] if isinstance(f, str))


def resolve_dim(d, size_of) -> int:
    """The size of a dimension, with size_of(name) for each name in it."""
    coef, factors = dim_factors(d)
    for f in factors:
        coef *= size_of(f)
    return coef

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
