"""The Derivative that derive, hessian and hvp return: the result and every way to show it.

>>> from matcalc.api import derive
>>> d = derive("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
>>> d.kind, d.symbol()
('gradient', 'df/dW')
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from .diff import gradient
from .errors import UnsupportedError
from .frontend.parse import bracket_depth
from .ir.expr import Expr, deep, var
from .printing.differentials import STYLES, plain_symbol
from .printing import LatexPrinter, TextPrinter, inlining_growth, latex_name, to_latex, to_program, to_text
from .simplify import simplify

__all__ = ["Derivative"]

INLINING_LIMIT = 2.0   # str(d) keeps a shared intermediate inline until that doubles its length
INLINE_BRACKETS = 64   # ... and until brackets nest deeper than this


@dataclass(frozen=True)
class Derivative:
    """The derivative of f with respect to one variable, simplified.

    kind is "gradient" (scalar f; the variable's shape), "jacobian" (any other f:
    d vec(f)/d vec(x)', numerator layout, size(f) x size(x)), "hessian" (of a scalar f,
    size(x) x size(x)) or "hvp".
    """
    f: Expr
    wrt: str
    result: Expr
    kind: str
    shapes: dict
    direction: str | None = None
    names: list = field(default_factory=list)
    notes: tuple = ()    # "note: x taken as 1×1 ..." for each shape a default chose; warnings for likely slips

    @deep
    def __str__(self) -> str:
        """The result in the input language: one expression, or a program `H = ...; ...` once
        writing the shared intermediates out in full would make it INLINING_LIMIT times longer."""
        named = self._named()
        if named and inlining_growth(self.result, named) > INLINING_LIMIT:
            return to_program(self.result, self.names)
        inline = to_text(self.result)
        if named and bracket_depth(inline) > INLINE_BRACKETS:
            return to_program(self.result, self.names)
        return inline

    @deep
    def text(self) -> str:
        """The readable form: named intermediates, then the result in terms of them."""
        # a definition prints its own body: printers name only subexpressions
        bodies = TextPrinter(self._named()).bodies([e for _, e in self.names] + [self.result])
        lhs = [n for n, _ in self.names] + [self.symbol()]
        return "\n".join(f"{n} = {body}" for n, body in zip(lhs, bodies))

    def symbol(self) -> str:
        """The left-hand side in plain text: df/dW, d2f/dx2, hvp(f, W)[V]."""
        return plain_symbol(self.kind, self.wrt, self.direction)

    def _named(self) -> dict:
        return {e: n for n, e in self.names}

    @property
    def intermediates(self) -> list:
        return list(self.names)

    def latex_symbol(self) -> str:
        r"""The left-hand side in LaTeX: \frac{\partial f}{\partial W}, ..."""
        return STYLES["latex"].symbol(self.kind, self.wrt, self.direction)

    @deep
    def latex(self, named: bool = False, steps: bool = False) -> str:
        """LaTeX of the result: \\frac{\\partial f}{\\partial W} = ...  (named=True: with intermediates;
        steps=True: the whole derivation, an `aligned` block)."""
        if steps:
            from .derivations import latex_aligned   # steps and evaluation load when asked for
            return latex_aligned(self.derivation)
        lhs = self.latex_symbol()
        if not named:
            return f"{lhs} = {to_latex(self.result)}"
        bodies = self._latex_bodies()
        rows = [rf"{latex_name(n)} &= {body}" for (n, _), body in zip(self.names, bodies)]
        rows.append(rf"{lhs} &= {bodies[-1]}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex(named=bool(self.names))}$$"

    def _repr_markdown_(self) -> str:
        return f"$$\n{self.latex(named=bool(self.names))}\n$$"

    def _repr_html_(self) -> str:
        """MathML in an aligned table (no network, no script); a wide one scrolls rather than overflows."""
        bodies = self._latex_bodies()
        rows = [(latex_name(n), "=", body, "") for (n, _), body in zip(self.names, bodies)]
        rows.append((self.latex_symbol(), "=", bodies[-1], ""))
        from .derivations import html_table
        return '<div class="matcalc" style="overflow-x:auto">' + html_table(rows) + "</div>"

    def _latex_bodies(self) -> list:
        return LatexPrinter(self._named()).bodies([e for _, e in self.names] + [self.result])

    @functools.cached_property
    def derivation(self) -> "Derivation":
        """The step-by-step derivation of a gradient, computed on first use."""
        from .derivations import derivation_of, vec_derivation_of
        x = var(self.wrt, self.shapes[self.wrt])
        if self.kind == "jacobian":
            return vec_derivation_of(self.f, x, self.shapes, "jacobian", self.result)
        if self.kind == "hessian":      # the Jacobian of the gradient
            return vec_derivation_of(simplify(gradient(self.f, x)), x, self.shapes, "hessian", self.result)
        if self.kind != "gradient":
            raise UnsupportedError(f"step-by-step derivations are for gradients, Jacobians and Hessians, "
                                   f"not a {self.kind}")
        return derivation_of(self.f, x, self.shapes)

    @property
    def steps(self) -> list:
        """The derivation's steps: each has .rule (its name), .identity, .node and .terms ((u, G), ...)."""
        return list(self.derivation.steps)

    def evaluate(self, values: dict):
        from .numerics.evaluate import evaluate
        return evaluate(self.result, values, shapes=self.shapes)   # f's variables fix the dimensions
