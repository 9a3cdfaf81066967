"""Step-by-step derivations, as a lecture writes them: one rule at a time, in trace form.

Each step states df = tr(G1' dU1) + tr(G2' dU2) + ... after one rule of the
registry, until only d(wrt) is left: df = tr(G' dX), so df/dX = G.

>>> d = derivation("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
>>> [s.rule for s in d.steps][:2]
['elementwise power', 'Frobenius norm']
"""
from __future__ import annotations

from dataclasses import dataclass

from ..diff import gradient
from ..errors import UnsupportedError
from ..frontend import prepare
from ..ir.dims import SCALAR
from ..ir.expr import Expr, deep, walk
from ..printing import intermediates
from ..simplify import simplify
from .identities import identity
from ..printing.differentials import plain_symbol

__all__ = ["Step", "Derivation", "derivation", "derivation_of", "summary"]


@dataclass(frozen=True)
class Step:
    """df = sum of tr(G' du) over terms [(u, G)], reached by the rule of operator `op` (titled `rule`)."""
    rule: str
    op: str
    node: Expr
    terms: tuple

    @property
    def identity(self) -> str:
        """The rule's identity in the input language: d(A@B) = dA@B + A@dB."""
        return identity(self.op, "ascii")

    @property
    def expression(self) -> tuple:
        """The (u, G) pairs of this step."""
        return self.terms


@dataclass(frozen=True)
class Derivation:
    """A derivative of f (kind gradient, jacobian, hessian or hvp), the steps that reached it
    (a gradient's steps, or a Jacobian's vec_lines) and the named intermediates it is shown with."""
    f: Expr
    wrt: str
    result: Expr
    kind: str
    steps: tuple
    names: tuple
    direction: str | None = None
    aliases: tuple = ()
    vec_lines: tuple = ()        # a Jacobian's or Hessian's vec derivation (vec_steps.py)
    differentials: dict | None = None   # their d(u) placeholders -> u

    def name_map(self) -> dict:
        """{node: name} for the printers: each named intermediate and f's own node for it."""
        return {**{e: n for n, e in self.names}, **dict(self.aliases)}

    def symbol(self) -> str:
        return plain_symbol(self.kind, self.wrt, self.direction)


@deep
def derivation(f: str, wrt: str, shapes: dict | None = None) -> Derivation:
    """The derivative of scalar f with each step of its trace-trick derivation."""
    q = prepare(f, [wrt], shapes)
    return derivation_of(q.f, q.variables[wrt], q.shapes)


@deep
def derivation_of(typed: Expr, x: Expr, found: dict) -> Derivation:
    """The derivation for a typed f and variable x (what Derivative.steps uses)."""
    if typed.shape != SCALAR:
        raise UnsupportedError("step-by-step derivations are for scalar f")
    raw: list = []
    gradient(typed, x, trace=lambda node, op, frontier: raw.append((node, op, frontier)))
    steps = []
    for node, op, frontier in raw:
        terms = tuple((u, simplify(G)) for u, G in frontier)
        steps.append(Step(op.title, op.name, node, terms))
    result = simplify(gradient(typed, x))
    names = tuple(intermediates([result], forward=simplify(typed), taken=found))   # they keep lines short
    return Derivation(typed, x.attr, result, "gradient", tuple(steps), names, aliases=raw_aliases(typed, names))


def raw_aliases(typed: Expr, names) -> tuple:
    """(node of f as written, name) for each named intermediate: dR names the R of f = ‖XW − Y‖²
    although R itself is kept in normal form."""
    named = {e: n for n, e in names}
    return tuple((u, named[simplify(u)]) for u in walk(typed) if u not in named and simplify(u) in named)


def summary(d) -> Derivation:
    """A derivation without steps, for any Derivative: a format then shows f, the names and the result."""
    return Derivation(d.f, d.wrt, d.result, d.kind, (), tuple(d.names), d.direction,
                      aliases=raw_aliases(d.f, d.names))
