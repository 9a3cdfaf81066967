"""The identities a derivation cites, each written once in the input language and printed per style.

Two kinds:
  an operator's rule: d op(A, B) = its jvp, built from the record (so it cannot
    disagree with the rule the engine applies); the arguments are named as in the
    record's `syntax` (A ^ p, max(A, B));
  a trace form: TRACE_FORMS[name] = (lhs, rhs), the trace identities that move a
    coefficient next to d(a), with `dA` meaning the differential of A.

>>> identity("matmul", "unicode")
'd(AB) = dA B + A dB'
>>> identity("cyclic", "ascii")
'tr(A@B) = tr(B@A)'
"""
from __future__ import annotations

import functools
import re

from ..frontend import parse, typecheck
from ..ir.expr import Expr, const, is_zero, var, walk
from ..ir.operator import REGISTRY
from ..simplify import simplify
from ..simplify.normal import scaled, split
from ..printing.differentials import STYLES, differentials_last

__all__ = ["identity", "vec_identity", "VEC_FORMS", "TRACE_FORMS", "trace_form_of", "is_plumbing", "FUSED"]

TRACE_FORMS = {   # name -> (lhs, rhs[, declared shapes])
    "linearity": ("tr(A + B)", "tr(A) + tr(B)"),
    "transpose invariance": ("tr(A')", "tr(A)"),
    "cyclic": ("tr(A@B)", "tr(B@A)"),
    "hadamard": ("tr(A'@(B*C))", "tr((A*B)'@C)"),
    "trace of a scaled identity": ("a*tr(B)", "tr((a*eye(n))'@B)", {"a": ()}),
    "sum as a trace": ("a*sum(B)", "tr((a*(ones(m, 1)@ones(1, n)))'@B)", {"a": ()}),
    "inner product": ("sum(A*B)", "tr(A'@B)"),
    "diag as a trace": ("a'@diag(B)", "tr(diag(a)'@B)"),
    "diag as a product": ("tr(A'@diag(b))", "diag(A)'@b"),
    "broadcast": ("tr(A'@(ones(m, 1)@B))", "tr(sum(A, 0)'@B)"),
    "collect": ("tr(A'@C) + tr(B'@C)", "tr((A + B)'@C)"),
    "norm squared": ("d(norm(A)^2)", "2*tr(A'@dA)"),
}
VEC_FORMS = {   # operator -> (lhs, rhs[, declared shapes]): how vec pulls through it (docs/kronecker.md)
    "matmul": ("vec(A@X@B)", "kron(B', A)@vec(X)"),
    "mul": ("vec(A*X)", "diag(vec(A))@vec(X)", {"A": ("m", "n"), "X": ("m", "n")}),
    "div": ("vec(X/A)", "diag(vec(1/A))@vec(X)", {"A": ("m", "n"), "X": ("m", "n")}),
    "transpose": ("vec(X')", "commutation(m, n)@vec(X)", {"X": ("m", "n")}),
    "add": ("vec(A + B)", "vec(A) + vec(B)", {"A": ("m", "n"), "B": ("m", "n")}),
    "sub": ("vec(A - B)", "vec(A) - vec(B)", {"A": ("m", "n"), "B": ("m", "n")}),
    "neg": ("vec(-A)", "-vec(A)", {"A": ("m", "n")}),
    "scale": ("vec(c*A)", "c*vec(A)", {"c": (), "A": ("m", "n")}),
    "tr": ("tr(X)", "vec(eye(n))'@vec(X)", {"X": ("n", "n")}),
    "kron": ("vec(kron(A, X))", "kron(eye(q), kron(commutation(s, m), eye(r)))@kron(vec(A), eye(r*s))@vec(X)",
             {"A": ("m", "q"), "X": ("r", "s")}),
}
PLUMBING = frozenset({"linearity", "transpose invariance"})   # these steps fold into the next line
FUSED = {("pow", "norm"): "norm squared"}                     # x^2 of a norm: one step, d‖A‖² = 2 tr(Aᵀ dA)

_DIFFERENTIAL = re.compile(r"^d\((.*)\)$")


def trace_form_of(node: Expr) -> str:
    """The trace identity that moves the adjoint of node's rule next to d(argument)."""
    form = REGISTRY[node.op].trace_form
    return form(node) if callable(form) else form


def is_plumbing(node: Expr) -> bool:
    return trace_form_of(node) in PLUMBING


def identity(name: str, style: str) -> str:
    """The identity `name` (an operator's name or a trace form) in style ascii, unicode or latex."""
    return _rendered(name, style)


@functools.lru_cache(maxsize=None)
def _rendered(name: str, style: str) -> str:
    if name in TRACE_FORMS:
        lhs, rhs, *declared = TRACE_FORMS[name]
        differential = _DIFFERENTIAL.match(lhs)
        if differential:
            lhs = differential.group(1)
        left, right = _typed_pair(lhs, rhs, declared[0] if declared else {})
        marks = _differentials(left, right)
        if differential:
            marks[_placeholder(left)] = left
            left = _placeholder(left)
        return _show(left, right, marks, style)
    record = REGISTRY[name]
    example = _first_alternative(record.syntax)
    y, _ = typecheck(parse(example), {})
    marks, parts = {}, []
    for i, a in enumerate(y.args):
        if a.op != "var":
            continue
        t = var(f"d{a.attr}", a.shape)
        marks[t] = a
        parts.append(record.jvp(y, i, t))
    parts = [differentials_last(simplify(p), marks) for p in parts if not is_zero(simplify(p))]
    rhs = parts[0] if parts else const(0)   # d step(A) = 0, whatever A's shape
    for part in parts[1:]:                  # in the order of the arguments: dA B + A dB
        c, rest = split(part)
        rhs = Expr("sub", (rhs, scaled(-c, rest))) if c < 0 and rest is not None else Expr("add", (rhs, part))
    lhs = _placeholder(y)
    marks[lhs] = y
    return _show(lhs, rhs, marks, style)


def vec_identity(op: str, style: str) -> str:
    """How vec pulls through operator op, vec(AXB) = (Bᵀ ⊗ A) vec(X); the operator's own rule where
    the table has no line for it (an elementwise function's differential is a Hadamard product)."""
    return _rendered_vec(op, style) if op in VEC_FORMS else identity(op, style)


@functools.lru_cache(maxsize=None)
def _rendered_vec(op: str, style: str) -> str:
    lhs, rhs, *declared = VEC_FORMS[op]
    left, right = _typed_pair(lhs, rhs, declared[0] if declared else {})
    return _show(left, right, {}, style)


def _first_alternative(syntax: str) -> str:
    """'sum(A), sum(A, 0)' -> 'sum(A)': the first of the spellings the docs list."""
    depth = 0
    for k, ch in enumerate(syntax):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            return syntax[:k]
    return syntax


def _typed_pair(lhs: str, rhs: str, declared: dict):
    """lhs and rhs typed together, so that their shapes agree."""
    both, _ = typecheck(parse(f"({lhs}) + ({rhs})"), declared)
    return both.args


def _differentials(*exprs) -> dict:
    """{var dA: var A} for every name dA whose A also occurs."""
    names = {n.attr: n for e in exprs for n in walk(e) if n.op == "var"}
    return {n: names[n.attr[1:]] for n in names.values() if n.attr.startswith("d") and n.attr[1:] in names}


def _placeholder(u: Expr) -> Expr:
    """A variable standing for d(u) (a name no user variable can have)."""
    return var(f"d\x00{id(u)}", u.shape)


def _show(lhs: Expr, rhs: Expr, marks: dict, style: str) -> str:
    printer = STYLES[style].printer({}, marks)
    return f"{printer.doprint(lhs)} = {printer.doprint(rhs)}"
