"""Structural symmetry: which matrices equal their transpose, given the variables declared symmetric.

A'@A, A@D@A' with D symmetric, inverses and elementwise functions of symmetric matrices, diag(v),
eye, ones: symmetric whatever the values.  The answer is cached per node and per set of symmetric
variables.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> A = var("A", (3, 2))
>>> is_symmetric(A.T @ A), is_symmetric(A @ A.T @ A @ A.T)
(True, True)
"""
from __future__ import annotations

import contextlib
import contextvars

from ..ir.dims import SCALAR
from ..ir.expr import Expr
from ..ir.operator import REGISTRY
from ..ops import is_diagonal_matrix, split_coefficient

__all__ = ["is_symmetric", "assume_symmetric", "symmetric_variables"]

SYMMETRIC_VARIABLES: contextvars.ContextVar = contextvars.ContextVar("symmetric", default=frozenset())


@contextlib.contextmanager
def assume_symmetric(names):
    """Within the block, variables with these names are symmetric matrices (S' = S)."""
    token = SYMMETRIC_VARIABLES.set(frozenset(names))
    try:
        yield
    finally:
        SYMMETRIC_VARIABLES.reset(token)


def symmetric_variables() -> frozenset:
    return SYMMETRIC_VARIABLES.get()


def is_symmetric(e: Expr) -> bool:
    """e equals e' for all values of its variables (as far as its structure shows)."""
    declared = SYMMETRIC_VARIABLES.get()
    return e.cached(("symmetric", declared), lambda n: _symmetric(n, declared))


def _symmetric(e: Expr, declared: frozenset) -> bool:
    if e.shape == SCALAR or e.op == "eye" or is_diagonal_matrix(e):
        return True
    if e.op == "var":
        return e.attr in declared
    if e.shape[0] != e.shape[1]:
        return False
    if e.op in ("ones", "zeros"):
        return True
    if e.op == "matmul":
        chain = _chain(e)
        k = len(chain)
        mirrored = all(_mirror(chain[i], chain[k - 1 - i]) for i in range(k // 2))
        return mirrored and (k % 2 == 0 or is_symmetric(chain[k // 2]))
    if e.op == "add":
        return _closed_under_transpose(e.args)
    record = REGISTRY.get(e.op)
    if e.op in ("inv", "kron") or (record is not None and record.elementwise):
        return all(is_symmetric(a) for a in e.args)
    return False


def _closed_under_transpose(terms) -> bool:
    """A sum whose terms are symmetric or come in pairs c*A + c*A' (A + A' is symmetric)."""
    split = [split_coefficient(t) for t in terms]
    present = set(split)
    for c, rest in split:
        if rest is None or is_symmetric(rest):
            continue
        mirrored = rest.args[0] if rest.op == "transpose" else Expr("transpose", (rest,))
        if (c, mirrored) not in present:
            return False
    return True


def _chain(e: Expr) -> list:
    """The factors of a matrix product, nested products flattened: (A@B)@C is A, B, C."""
    out, stack = [], [e]
    while stack:
        n = stack.pop()
        if n.op == "matmul":
            stack.extend(reversed(n.args))
        else:
            out.append(n)
    return out


def _mirror(a: Expr, b: Expr) -> bool:
    """a = b' (so that a@...@b reads the same transposed)."""
    return (a.op == "transpose" and a.args[0] is b) or (b.op == "transpose" and b.args[0] is a) \
        or (a is b and is_symmetric(a))
