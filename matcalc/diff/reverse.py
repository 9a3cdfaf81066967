"""Reverse accumulation: the trace trick as an algorithm.  The driver knows no operator.

For scalar f, df = tr(G' dX) defines G = df/dX.  Visiting the DAG parents-first,
each node y = op(a, ...) hands its adjoint G_y to its arguments through the
operator's vjp rule (from the registry); a broadcast argument's adjoint is summed
over the broadcast axes; a shared node is visited once, after all its users.

>>> from matcalc import ops
>>> from matcalc.ir.expr import call, var
>>> X, W = var("X", (5, 3)), var("W", (3, 2))
>>> gradient(call("sum", X @ W), W).shape
(3, 2)
"""
from __future__ import annotations

from ..errors import UnsupportedError
from ..ir.dims import SCALAR, show_shape
from ..ir.expr import Expr, call, ones, walk, zeros
from ..ir.operator import operator, rule

__all__ = ["gradient", "gradients", "unbroadcast", "depends_on", "total"]


def depends_on(root: Expr, x: Expr) -> set:
    """The nodes of root whose value depends on x."""
    dep = set()
    for node in walk(root):
        if node is x or any(a in dep for a in node.args):
            dep.add(node)
    return dep


def unbroadcast(adjoint: Expr, shape) -> Expr:
    """Sum an adjoint over the axes along which an operand of `shape` was broadcast.

    A 1×n operand stretched over m rows gets sum(G, 0), its column sums (𝟏ᵀG in print).
    """
    shape = tuple(shape)
    if adjoint.shape == shape:
        return adjoint
    if shape == SCALAR:
        return call("sum", adjoint)
    if shape[0] == 1 and adjoint.shape[0] != 1:
        adjoint = call("sum", adjoint, attr=0)
    if shape[1] == 1 and adjoint.shape[1] != 1:
        adjoint = call("sum", adjoint, attr=1)
    return adjoint


def total(parts: list, shape) -> Expr:
    """The sum of contributions, broadcast to `shape` where they are narrower."""
    out = parts[0] if len(parts) == 1 else Expr("add", tuple(parts))
    return out if out.shape == tuple(shape) else out * ones(shape)


def gradient(f: Expr, x: Expr, trace=None) -> Expr:
    """df/dx for scalar f, with x's shape (reverse mode over the DAG).

    trace(node, op, frontier), if given, is called after each rule: frontier is
    [(u, G_u)] with df = sum of tr(G_u' du) at that point of the derivation.
    """
    return gradients(f, [x], trace)[x]


def gradients(f: Expr, xs: list, trace=None) -> dict:
    """{x: df/dx} for each x in xs, in one reverse sweep: a node's adjoint is computed once, whichever
    variables lie below it (the adjoint of a node is df/dnode, the same for every variable).

    >>> from matcalc import ops
    >>> from matcalc.ir.expr import call, var
    >>> X, W = var("X", (5, 3)), var("W", (3, 2))
    >>> [g.shape for g in gradients(call("sum", X @ W), [X, W]).values()]
    [(5, 3), (3, 2)]
    """
    if f.shape != SCALAR:
        raise UnsupportedError(f"f is {show_shape(f.shape)}, not a scalar")
    dep = set().union(*(depends_on(f, x) for x in xs))
    found = {x: zeros(x.shape) for x in xs}
    pending = set(xs)
    adjoints: dict[Expr, list] = {f: [ones(SCALAR)]} if f in dep else {}
    for node in reversed([n for n in walk(f) if n in dep]):
        if not pending:
            break
        parts = adjoints.pop(node, None)
        if parts is None:
            continue
        G = total(parts, node.shape)
        if node in pending:
            found[node] = G
            pending.discard(node)
            continue   # a variable: a leaf, with no arguments to pass G on to
        op = operator(node.op)
        vjp = rule(op, "vjp")
        for i, a in enumerate(node.args):
            if a in dep:
                adjoints.setdefault(a, []).append(unbroadcast(vjp(node, i, G), a.shape))
        if trace is not None:
            trace(node, op, [(u, total(ps, u.shape)) for u, ps in adjoints.items()])
    return found
