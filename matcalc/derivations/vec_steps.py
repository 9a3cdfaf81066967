"""The vec derivation of a Jacobian (or of a Hessian, the Jacobian of the gradient), as the lecture writes it.

First the differential dF, one line; then vec pulls through it one operator at a time:
vec(dF) = Σ M_k vec(E_k), each step replacing one vec(E) by its operator's vec rule (the same
`vec_jacobian` rule the driver applies, so the derivation cannot cite another), until only
vec(dX) is left: vec(dF) = J vec(dX), so ∂vec(F)/∂vec(X)ᵀ = J.

>>> from matcalc.frontend import prepare
>>> q = prepare("A@X@B", ["X"], {"A": (2, 3), "X": (3, 4), "B": (4, 5)})
>>> dv = vec_derivation_of(q.f, q.variables["X"], q.shapes, "jacobian")
>>> [why for _, why in dv.vec_lines]
[('matmul',), ('vec',), ('matmul',)]
"""
from __future__ import annotations

from ..diff import depends_on, differential, widen
from ..ir.dims import SCALAR, dim_product
from ..ir.expr import Expr, call, const, deep, eye, walk
from ..ir.operator import operator, rule
from ..printing import intermediates
from ..simplify import simplify
from ..simplify.normal import split
from .lines import Differentials
from .steps import Derivation

__all__ = ["vec_derivation_of", "vec_line_expr"]

MAX_LINES = 40    # a long chain of steps is cut short: the result line still follows


@deep
def vec_derivation_of(F: Expr, x: Expr, found: dict, kind: str, result: Expr | None = None) -> Derivation:
    """The vec derivation of ∂vec(F)/∂vec(x)ᵀ for a typed F (kind "jacobian", or "hessian" with F the gradient).

    Derivation.vec_lines holds the lines: first ((None, dF),) with the operators whose rules gave
    dF, then ((M1, E1), ...) meaning vec(dF) = M1 vec(E1) + ..., each with the operator it pulled
    vec through.
    """
    D = Differentials()
    dx = D(x)
    dF = simplify(differential(F, x, dx))
    ops = tuple(dict.fromkeys(n.op for n in walk(F) if n in depends_on(F, x) and n.args))
    lines = [(((None, dF),), ops)]
    terms = [(eye(dim_product(*dF.shape)), dF)]
    lines.append((tuple(terms), ("vec",)))
    while len(lines) < MAX_LINES:
        k = next((k for k, (_, E) in enumerate(terms) if E is not dx and E in depends_on(E, dx)), None)
        if k is None:
            break
        M, E = terms[k]
        record = operator(E.op)
        step = rule(record, "vec_jacobian")
        dep = depends_on(E, dx)
        parts = []
        for i, a in enumerate(E.args):
            if a in dep:
                J = eye(dim_product(*a.shape))
                J = widen(J, a.shape, E.shape) if record.elementwise else J
                parts.append((simplify(M @ step(E, i, J)), a))
        terms = _collect(terms[:k] + parts + terms[k + 1:])
        scaling = E.op == "mul" and all(a.shape == SCALAR for a in E.args if a not in dep)
        lines.append((tuple(terms), ("scale",) if scaling else (E.op,)))
    names = tuple(intermediates([result], forward=simplify(F), taken=found)) if result is not None else ()
    return Derivation(F, x.attr, result if result is not None else _total(terms, dx), kind, (), names,
                      vec_lines=tuple(lines), differentials=D.back)


def _collect(terms: list) -> list:
    """M1 vec(E) + M2 vec(E) = (M1 + M2) vec(E): one term per E, in first-seen order."""
    out: dict = {}
    for M, E in terms:
        out[E] = simplify(out[E] + M) if E in out else M
    return [(M, E) for E, M in out.items()]


def _total(terms: list, dx: Expr) -> Expr:
    return next((M for M, E in terms if E is dx), None)


def vec_line_expr(terms: tuple) -> Expr:
    """The printable M1 vec(E1) + M2 vec(E2) + ... (an identity M is left out)."""
    out = None
    for M, E in terms:
        v = call("vec", E) if E.shape[1] != 1 else E
        c, rest = split(M)
        if rest is not None and rest.op == "eye":       # c*I vec(E) is c vec(E)
            t = v if c == 1 else Expr("mul", (const(c), v))
        else:
            t = Expr("matmul", (M, v))
        out = t if out is None else Expr("add", (out, t))
    return out
