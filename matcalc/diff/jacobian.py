"""Jacobians in vec form: J = ∂vec(f)/∂vec(x)ᵀ, numerator layout, size(f) × size(x), for any f and x.

The lecture's method: the differential D f[V] is linear in the direction V, and vec
pulls through it one operator at a time,
  vec(A V B) = (Bᵀ ⊗ A) vec(V),   vec(A ⊙ V) = diag(vec A) vec(V),   vec(Vᵀ) = K vec(V),
so that vec(D f[V]) = J vec(V).  Each operator's record gives its step (its `vec_jacobian`
rule: the matrix of the linear map from one argument); the driver walks the differential
once, children first, and widens the Jacobian of a broadcast operand.  Vector Jacobians are
the case where every vec is the vector itself and the Kronecker factors are 1×1.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> A, X, B = var("A", (2, 3)), var("X", (3, 4)), var("B", (4, 5))
>>> jacobian(A @ X @ B, X).shape
(10, 12)
"""
from __future__ import annotations

from typing import Callable

from ..ir.dims import SCALAR, dim_product
from ..ir.expr import Expr, eye, ones, var, walk, zeros
from ..ir.operator import operator, rule
from ..ops.structure import kron
from .forward import differential
from .reverse import depends_on

__all__ = ["jacobian", "linear_jacobian", "widen", "fresh_direction"]


def size_of(shape) -> object:
    """The number of entries of a shape, a dimension (m*n stays symbolic)."""
    return dim_product(*shape)


def fresh_direction(f: Expr, x: Expr) -> Expr:
    """A variable of x's shape that f does not use: the direction of the differential."""
    taken = {n.attr for n in walk(f) if n.op == "var"}
    name = "V" if "V" not in taken else "V_"
    while name in taken:
        name += "_"
    return var(name, x.shape)


def jacobian(f: Expr, x: Expr, tidy: Callable[[Expr], Expr] = lambda e: e) -> Expr:
    """∂vec(f)/∂vec(x)ᵀ; `tidy` rewrites the differential first (the API passes the simplifier)."""
    v = fresh_direction(f, x)
    return linear_jacobian(tidy(differential(f, x, v)), v)


def linear_jacobian(D: Expr, v: Expr) -> Expr:
    """M with vec(D) = M vec(v), for D linear in the variable v."""
    dep = depends_on(D, v)
    if D not in dep:
        return zeros((size_of(D.shape), size_of(v.shape)))
    jac: dict[Expr, Expr] = {v: eye(size_of(v.shape))}
    for node in walk(D):
        if node not in dep or node is v:
            continue
        record = operator(node.op)
        step = rule(record, "vec_jacobian")
        parts = []
        for i, a in enumerate(node.args):
            if a in dep:
                J = widen(jac[a], a.shape, node.shape) if record.elementwise else jac[a]
                parts.append(step(node, i, J))
        jac[node] = parts[0] if len(parts) == 1 else Expr("add", tuple(parts))
    return jac[D]


def widen(J: Expr, shape, to) -> Expr:
    """The Jacobian of an operand of `shape` broadcast to `to`: vec(𝟏 r) = (I ⊗ 𝟏) vec(r) for a row r,
    vec(c 𝟏ᵀ) = (𝟏 ⊗ I) c for a column c, and 𝟏 s for a 1×1 s."""
    rows, cols = shape
    to_rows, to_cols = to
    if tuple(shape) == tuple(to):
        return J
    if tuple(shape) == SCALAR:
        return ones((size_of(to), 1)) @ J
    if rows == 1 and to_rows != 1:
        J = kron(eye(cols), ones((to_rows, 1))) @ J
    if cols == 1 and to_cols != 1:
        J = kron(ones((to_cols, 1)), eye(to_rows)) @ J
    return J
