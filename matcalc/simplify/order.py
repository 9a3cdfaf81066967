"""Analyses of a node that the simplifier orders and measures by, each computed once per node.

  digest(e)       a deterministic 64-bit fingerprint of e's structure (Python's own hash of a
                  string changes from run to run; this does not), the last tie-breaker of the order
  leading_name(e) the first variable printed in e, so that terms read alphabetically
  weight(e)       the tree size of e, inverses weighing more: the measure every rewrite must decrease
  term_key(e), factor_key(e)  the total order of the terms of a sum and the factors of a product

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> A, B = var("A", (2, 2)), var("B", (2, 2))
>>> sorted([B, A.T, A], key=term_key) == [A.T, A, B]
True
"""
from __future__ import annotations

import hashlib

from ..ir.dims import SCALAR
from ..ir.expr import Expr

__all__ = ["digest", "leading_name", "weight", "term_key", "factor_key"]

LEAVES = frozenset({"var", "dim", "const", "ones", "zeros", "eye"})
CONSTANTS = frozenset({"const", "ones", "zeros", "eye"})
HEAVY = {"inv": 3,   # inv(inv(X)@A) -> inv(A)@X keeps the tree size but sheds an inverse
         "commutation": 2}   # a permutation weighs more than the identity it may turn out to be


def digest(e: Expr) -> int:
    return e.cached("digest", _digest)


def _digest(e: Expr) -> int:
    data = f"{e.op}|{e.attr!r}|{e.shape!r}".encode() + b"".join(digest(a).to_bytes(8, "little") for a in e.args)
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def leading_name(e: Expr) -> str:
    return e.cached("leading_name", _leading_name)


def _leading_name(e: Expr) -> str:
    if e.op == "var":
        return e.attr
    if e.op == "dim":
        return str(e.attr)
    for a in e.args:
        name = leading_name(a)
        if name:
            return name
    return ""


def weight(e: Expr) -> int:
    """Tree size (shared subexpressions counted at each use), with inverses weighing 3."""
    return e.cached("weight", lambda n: HEAVY.get(n.op, 1) + sum(weight(a) for a in n.args))


def _kind(e: Expr) -> int:
    if e.op in CONSTANTS:
        return 2
    return 1 if e.op in LEAVES else 0


def term_key(e: Expr) -> tuple:
    """Order of the terms of a sum (coefficients stripped): compound terms, then variables, then
    constants; alphabetically by leading variable; larger first, as polynomials are written
    (x'@A@x + b'@x); the digest breaks ties."""
    return e.cached("term_key", lambda n: (_kind(n), leading_name(n), -weight(n), digest(n)))


def factor_key(e: Expr) -> tuple:
    """Order of the factors of a product: scalars, then vectors, then matrices (y^2*H*(1 - H)*X);
    within each, products and calls, variables, sums; larger first, so that an adjoint leads its
    local derivative: (R@W2')*H*(1 - H)."""
    def key(n: Expr) -> tuple:
        width = 0 if n.shape == SCALAR else 1 if 1 in n.shape else 2
        rank = 2 if n.op == "add" else 1 if n.op in LEAVES else 0
        return (width, rank, -weight(n), leading_name(n), digest(n))
    return e.cached("factor_key", key)
