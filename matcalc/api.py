"""The public entry points: derive, hessian, hvp.

>>> d = derive("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
>>> str(d)
"2*X'@(X@W - Y)"
"""
from __future__ import annotations

import re

from .diff import differential, gradient, jacobian
from .errors import UnsupportedError
from .frontend import prepare as _prepare
from .frontend import unknown_variable
from .ir.dims import show_shape
from .ir.expr import Expr, deep, ones, replace, var
from .printing import intermediates
from .result import Derivative
from .simplify import assume_symmetric, simplify

__all__ = ["derive", "hessian", "hvp", "Derivative", "ROWSUM_FACT"]


def _name(typed: Expr, result: Expr, found: dict) -> list:
    # the result is in normal form: so is the f its names are looked up in (R = X@W - Y in both)
    return intermediates([result], forward=simplify(typed), taken=found)


@deep
def derive(f: str, wrt: str, shapes: dict | None = None, *, symmetric=(), assume=(),
           layout: str = "numerator") -> Derivative:
    """df/dwrt in closed form: the gradient for scalar f, the Jacobian for vector f and x.

    shapes: name -> () scalar, (n,) column vector, (m, n) matrix; dimensions may be
    names; what is not declared is inferred.
    symmetric: names of symmetric matrix variables; the gradient of a symmetric one
    is taken on the space of symmetric matrices, sym(G) = (G + G')/2.
    assume: facts such as "rowsum(Y)=1" (rows of Y sum to one: one-hot labels).
    layout: "numerator" (J_ij = df_i/dx_j, default) or "denominator" (its transpose).
    """
    if layout not in ("numerator", "denominator"):
        raise UnsupportedError(f"layout is 'numerator' or 'denominator', not {layout!r}")
    typed, x, found = _prepare(f, wrt, shapes, symmetric=symmetric)
    if typed.shape == (1, 1):
        result, kind = gradient(typed, x), "gradient"
    elif 1 in typed.shape and 1 in x.shape:
        result, kind = jacobian(simplify(typed), x), "jacobian"   # diag(x)@a is x*a: vector steps only
        if layout == "denominator":
            result = result.T
    else:
        raise UnsupportedError(
            f"f is {show_shape(typed.shape)}, not a scalar, and {wrt} is {show_shape(x.shape)}: "
            f"differentiate a scalar such as sum(f), tr(f) or norm(f)^2; Jacobians need a vector f "
            f"and a vector {wrt}; for second derivatives use hessian (vector {wrt}) or hvp (matrix {wrt})")
    sym = [var(name, found[name]) for name in symmetric if name in found]
    for s in sym:
        if s.shape[0] != s.shape[1]:
            raise UnsupportedError(f"{s.attr} is {show_shape(s.shape)}: only a square matrix can be symmetric")
    with assume_symmetric(s.attr for s in sym):
        result = simplify(result)
        if x in sym:   # the gradient on symmetric matrices: sym(G), not the Cookbook's 2G - diag(G)
            result = simplify((result + result.T) / 2)
        result = _apply_facts(result, assume, found)
    return Derivative(typed, wrt, result, kind, found, names=_name(typed, result, found))


ROWSUM_FACT = re.compile(r"\s*rowsum\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*=\s*1\s*$")


def _apply_facts(result: Expr, assume, found: dict) -> Expr:
    """Use what the caller declared: Y@ones(k, 1) = ones(n, 1) if rowsum(Y) = 1."""
    mapping = {}
    for fact in assume:
        m = ROWSUM_FACT.match(fact)
        if not m:
            raise UnsupportedError(f"unknown assumption {fact!r}; matcalc knows rowsum(Y)=1")
        name = m.group(1)
        if name not in found:
            raise unknown_variable(name, found)
        y = var(name, found[name])
        mapping[y @ ones((y.shape[1], 1))] = ones((y.shape[0], 1))
    if not mapping:
        return result
    for _ in range(4):   # replacing can expose another match after simplification
        new = simplify(replace(result, mapping))
        if new is result:
            break
        result = new
    return result


@deep
def hessian(f: str, wrt: str, shapes: dict | None = None) -> Derivative:
    """The Hessian of scalar f with respect to a vector (n x n), in closed form."""
    typed, x, found = _prepare(f, wrt, shapes, vector=True)
    if typed.shape != (1, 1) or 1 not in x.shape:
        raise UnsupportedError(f"a Hessian needs a scalar f and a vector variable; "
                               f"for a matrix {wrt} use hvp(f, {wrt}, V)")
    g = simplify(gradient(typed, x))
    result = simplify(jacobian(g, x))
    return Derivative(typed, wrt, result, "hessian", found, names=_name(typed, result, found))


@deep
def hvp(f: str, wrt: str, shapes: dict | None = None, direction: str = "V") -> Derivative:
    """The Hessian-vector product: the derivative of the gradient along `direction` (wrt's shape)."""
    typed, x, found = _prepare(f, wrt, shapes)
    if typed.shape != (1, 1):
        raise UnsupportedError("hvp needs a scalar f")
    if direction in found:
        raise UnsupportedError(f"the direction `{direction}` is already a variable of f; choose another name")
    v = var(direction, x.shape)
    g = simplify(gradient(typed, x))
    result = simplify(differential(g, x, v))
    shapes_out = dict(found, **{direction: x.shape})
    return Derivative(typed, wrt, result, "hvp", shapes_out, direction, names=_name(typed, result, found))
