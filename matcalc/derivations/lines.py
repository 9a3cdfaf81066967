"""The displayed lines of a derivation: df = sum of tr(G' E), one identity at a time.

A Line holds terms ((G, E), ...) meaning df = tr(G1' E1) + tr(G2' E2) + ..., where
E is an expression in the differentials d(u) of the engine's frontier (placeholder
variables, see Differentials).  For each rule the engine applied (steps.py):
  1. the rule's line: one d(u) expanded by the rule, tr(2R' X dW) [d(AB) = dA B + A dB];
  2. the trace-form line: coefficients moved next to each d(a), tr((2X'R)' dW)
     [tr(AB) = tr(BA)], dropped when it reads the same as line 1;
  3. when a variable is used several times, the line that sums its contributions.
Plumbing steps (d(A - Y) = dA) fold into the next rule's line, and the square of a
norm is one step, d‖A‖² = 2 tr(A' dA).  Every line is an equation (tests check it).

>>> from matcalc.derivations.steps import derivation
>>> dv = derivation("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
>>> [line.why for line in lines(dv)[0]]
[('norm squared',), ('sub', 'matmul'), ('cyclic',)]
"""
from __future__ import annotations

from dataclasses import dataclass

from ..diff import unbroadcast
from ..ir.dims import SCALAR
from ..ir.expr import Expr, call, const, ones, replace, var
from ..ir.operator import operator
from ..simplify import simplify
from .identities import FUSED, is_plumbing, trace_form_of
from ..printing.differentials import differentials_last


@dataclass(frozen=True)
class Line:
    """df = sum of tr(G' E) over terms ((G, E), ...); `why` names the identities used."""
    terms: tuple
    why: tuple
    expanded: bool = False     # a rule's line (coefficients still outside their d(u))


class Differentials:
    """A placeholder variable d(u) per frontier node u, so that d(u) can sit inside expressions."""

    def __init__(self):
        self.of: dict = {}
        self.back: dict = {}

    def __call__(self, u: Expr) -> Expr:
        if u not in self.of:
            d = var(f"d\x00{len(self.of)}", u.shape)   # a name no user variable can have
            self.of[u], self.back[d] = d, u
        return self.of[u]


def _broadcast(t: Expr, shape) -> Expr:
    """t stretched to `shape` with explicit ones, as the engine broadcasts (1 db for a bias)."""
    if t.shape == tuple(shape):
        return t
    if t.shape == SCALAR:
        return t * ones(shape)
    if t.shape[0] != shape[0]:
        t = ones((shape[0], 1)) @ t
    if t.shape[1] != shape[1]:
        t = t @ ones((1, shape[1]))
    return t


def _deps(node: Expr, after: dict) -> list:
    """Indices of node's arguments that depend on wrt: the engine put them in the next frontier."""
    return [i for i, a in enumerate(node.args) if a in after]


def _expand(node: Expr, after: dict, D: Differentials) -> Expr:
    """d(node) by its rule, in terms of the d(a) of its dependent arguments (a broadcast one as 1 da)."""
    record = operator(node.op)
    parts = [_broadcast(differentials_last(simplify(record.jvp(node, i, D(node.args[i]))), D.back), node.shape)
             for i in _deps(node, after)]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _folds(step, nxt, before: dict) -> bool:
    """Fold `step` into the next line: plumbing (or x^2 of a norm) feeding `nxt` alone."""
    deps = _deps(step.node, dict(step.terms))
    arg = step.node.args[deps[0]] if len(deps) == 1 else None
    if nxt is None or arg is not nxt.node or arg in before or arg.shape != step.node.shape:
        return False
    return is_plumbing(step.node) or ((step.op, nxt.op) in FUSED and step.node.args[1] is const(2))


def lines(dv) -> tuple:
    """(the displayed lines of a Derivation, the Differentials they use)."""
    D = Differentials()
    f = dv.f
    shown = [(const(1), D(f))]          # df = tr(1' df)
    before = {f: const(1)}              # the engine's frontier before each step
    out, group = [], []
    steps = list(dv.steps)
    for k, step in enumerate(steps):
        group.append(step)
        if _folds(step, steps[k + 1] if k + 1 < len(steps) else None, before):
            before = dict(step.terms)
            continue
        after = dict(step.terms)
        at = next(i for i, (_, E) in enumerate(shown) if E is D(group[0].node))
        E = D(group[0].node)
        for s in group:
            E = replace(E, {D(s.node): _expand(s.node, dict(s.terms), D)})
        expanded = shown[:at] + [(shown[at][0], E)] + shown[at + 1:]   # G of the group's first node
        moved, broadcast = _move(step, before[step.node], after, D)
        moved = shown[:at] + moved + shown[at + 1:]
        names = tuple(dict.fromkeys(s.op for s in group))
        scalar = all(a.shape == SCALAR for a in step.node.args + (step.node,))
        if names in FUSED:
            out.append(Line(tuple(moved), (FUSED[names],), expanded=True))
        elif scalar:                    # G du of scalars: moving the coefficient is commuting it
            out.append(Line(tuple(moved), names))
        else:
            out.append(Line(tuple(expanded), names, expanded=True))
            if not _same(expanded, moved):
                form = trace_form_of(step.node)
                why = ("broadcast",) if broadcast and is_plumbing(step.node) else (form,) + ("broadcast",) * broadcast
                out.append(Line(tuple(moved), why))
        us = [D.back[E] for _, E in moved]
        if len(set(us)) < len(us):      # a variable used several times: sum its contributions
            moved = [(after[u], D(u)) for u in dict.fromkeys(us)]
            out.append(Line(tuple(moved), ("collect",)))
        shown, before, group = moved, after, []
    return out, D


def _move(step, G: Expr, after: dict, D: Differentials):
    """The terms (contribution, d(a)) of the node's dependent arguments; and whether one was broadcast."""
    record = operator(step.node.op)
    terms, broadcast = [], False
    for i in _deps(step.node, after):
        a = step.node.args[i]
        c = record.vjp(step.node, i, G)
        broadcast |= c.shape != a.shape
        terms.append((simplify(unbroadcast(c, a.shape)), D(a)))
    return terms, broadcast


def _same(a: list, b: list) -> bool:
    return [_key(G, E) for G, E in a] == [_key(G, E) for G, E in b]


def _key(G: Expr, E: Expr):
    if E.shape == SCALAR:
        return simplify(G * E)
    return simplify(call("tr", E)) if _identity(G) else (G, E)


def _identity(G: Expr) -> bool:
    return G.op == "eye" or (G.op == "const" and G.value == 1)


def term_expr(G: Expr, E: Expr, expanded: bool = False) -> Expr:
    """The printable tr(G' E), or G E for a scalar; `expanded` pulls a coefficient out of G'."""
    if E.shape == SCALAR:
        return simplify(G * E)
    if _identity(G):
        return call("tr", E)
    if expanded and G.op == "mul" and G.args[0].is_const:
        rest = G.args[1] if len(G.args) == 2 else Expr("mul", G.args[1:])
        return call("tr", G.args[0] * (rest.T @ E))
    return call("tr", G.T @ E)

