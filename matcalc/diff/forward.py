"""Forward accumulation: the differential of f along a direction, from each operator's jvp rule.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> X, V = var("X", (3, 3)), var("V", (3, 3))
>>> differential(X @ X, X, V).shape
(3, 3)
"""
from __future__ import annotations

from ..ir.expr import Expr, walk, zeros
from ..ir.operator import operator, rule
from .reverse import depends_on, total

__all__ = ["differential"]


def differential(f: Expr, x: Expr, v: Expr) -> Expr:
    """The directional derivative of f at x along v (same shape as x), f's shape."""
    dep = depends_on(f, x)
    if f not in dep:
        return zeros(f.shape)
    tangents: dict[Expr, Expr] = {x: v}
    for node in walk(f):
        if node not in dep or node is x:
            continue
        jvp = rule(operator(node.op), "jvp")
        parts = [jvp(node, i, tangents[a]) for i, a in enumerate(node.args) if a in dep]
        tangents[node] = total(parts, node.shape)
    return tangents[f]
