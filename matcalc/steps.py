"""Step-by-step derivations, as a lecture writes them: one rule at a time, in trace form.

Each step states df = tr(G1' dU1) + tr(G2' dU2) + ... after one rule of the
table, until only d(wrt) is left: df = tr(G' dX), so df/dX = G.

>>> d = derivation("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
>>> [s.rule for s in d.steps][:2]
['elementwise power', 'Frobenius norm']
"""
from __future__ import annotations

from dataclasses import dataclass

from .derive import gradient
from .api import Derivative, _prepare
from .expr import Expr, deep
from .printing import intermediates
from .simplify import simplify


@dataclass(frozen=True)
class Step:
    """df = sum of tr(G' du) over terms [(u, G)], reached by `rule` (its name and identity)."""
    rule: str
    identity: str
    node: Expr
    terms: tuple

    @property
    def expression(self) -> tuple:
        """The (u, G) pairs of this step."""
        return self.terms


@dataclass(frozen=True)
class Derivation:
    """The steps from df to tr(G' dX), the derivative they end in, and shared names."""
    derivative: Derivative
    steps: tuple
    names: tuple


@deep
def derivation(f: str, wrt: str, shapes: dict | None = None) -> Derivation:
    """The derivative of scalar f with each step of its trace-trick derivation."""
    typed, x, found = _prepare(f, wrt, shapes)
    return derivation_of(typed, x, found)


@deep
def derivation_of(typed: Expr, x: Expr, found: dict) -> Derivation:
    """The derivation for a typed f and variable x (what Derivative.steps uses)."""
    wrt = x.attr
    if typed.shape != (1, 1):
        from .errors import UnsupportedError
        raise UnsupportedError("step-by-step derivations are for scalar f")
    memo: dict = {}
    raw: list = []
    gradient(typed, x, trace=lambda node, rule, frontier: raw.append((node, rule, frontier)))
    steps = []
    for node, rule, frontier in raw:
        terms = tuple((u, simplify(G, memo=memo)) for u, G in frontier)
        steps.append(Step(rule.name, rule.identity, node, terms))
    result = simplify(gradient(typed, x), memo=memo)
    names = tuple(intermediates([result], forward=typed, taken=found))   # the result's names keep lines short
    d = Derivative(typed, wrt, result, "gradient", found, names=list(names))
    return Derivation(d, tuple(steps), names)
