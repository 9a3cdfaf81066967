"""The public entry points: derive, hessian, hvp; the Derivative they return.

>>> d = derive("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
>>> str(d)
"2*X'@(X@W - Y)"
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from .derive import differential, gradient, jacobian
from .errors import UnsupportedError
from .expr import Expr, deep, ones, replace, var
from .parse import parse
from .printing import intermediates, latex_name, to_latex, to_text
from .shapes import normalize_shape, show_shape, typecheck, unknown_variable
from .algebra import assume_symmetric
from .simplify import simplify


@dataclass(frozen=True)
class Derivative:
    """The derivative of f with respect to one variable, simplified.

    kind is "gradient" (scalar f; the variable's shape), "jacobian" (vector f,
    vector x; numerator layout, size(f) x size(x)), "hessian" or "hvp".
    """
    f: Expr
    wrt: str
    result: Expr
    kind: str
    shapes: dict
    direction: str | None = None
    names: list = field(default_factory=list)

    @deep
    def __str__(self) -> str:
        return to_text(self.result)

    @deep
    def text(self) -> str:
        """The readable form: named intermediates, then the result in terms of them."""
        named = self._named()   # a definition prints its own body: printers name only subexpressions
        lines = [f"{n} = {to_text(e, named)}" for n, e in self.names]
        lines.append(f"{self.symbol()} = {to_text(self.result, named)}")
        return "\n".join(lines)

    def symbol(self) -> str:
        """The left-hand side in plain text: df/dW, d2f/dx2, hvp(f, W)[V]."""
        if self.kind == "hvp":
            return f"hvp(f, {self.wrt})[{self.direction}]"
        if self.kind == "hessian":
            return f"d2f/d{self.wrt}2"
        return f"df/d{self.wrt}"

    def _named(self) -> dict:
        return {e: n for n, e in self.names}

    @property
    def intermediates(self) -> list:
        return list(self.names)

    @deep
    def latex(self, named: bool = False, steps: bool = False) -> str:
        """LaTeX of the result: \\frac{\\partial f}{\\partial W} = ...  (named=True: with intermediates;
        steps=True: the whole derivation, an `aligned` block)."""
        if steps:
            from .render import latex_aligned
            return latex_aligned(self.derivation)
        wrt = to_latex(var(self.wrt, (1, 1)))
        if self.kind == "hessian":
            lhs = rf"\frac{{\partial^2 f}}{{\partial {wrt}^2}}"
        elif self.kind == "hvp":
            lhs = rf"\nabla^2 f({wrt})[{to_latex(var(self.direction, (1, 1)))}]"
        else:
            lhs = rf"\frac{{\partial f}}{{\partial {wrt}}}"
        if not named:
            return f"{lhs} = {to_latex(self.result)}"
        named = self._named()
        rows = [rf"{latex_name(n)} &= {to_latex(e, named)}" for n, e in self.names]
        rows.append(rf"{lhs} &= {to_latex(self.result, named)}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$${self.latex(named=bool(self.names))}$$"

    def _repr_markdown_(self) -> str:
        return f"$$\n{self.latex(named=bool(self.names))}\n$$"

    def _repr_html_(self):
        """MathML (no network, no script); None without latex2mathml, so Jupyter uses the LaTeX."""
        from .render import html_table
        named = self._named()
        rows = [(latex_name(n), "=", to_latex(e, named), "") for n, e in self.names]
        rows.append((self.latex().split(" = ", 1)[0], "=", to_latex(self.result, named), ""))
        try:
            return html_table(rows)
        except UnsupportedError:
            return None

    @functools.cached_property
    def derivation(self):
        """The step-by-step derivation (steps.Derivation) of a gradient, computed on first use."""
        if self.kind != "gradient":
            raise UnsupportedError(f"step-by-step derivations are for gradients of scalar f, not a {self.kind}")
        from .steps import derivation_of
        return derivation_of(self.f, var(self.wrt, self.shapes[self.wrt]), self.shapes)

    @property
    def steps(self) -> list:
        """The derivation's steps: each has .rule (its name), .identity, .node and .terms ((u, G), ...)."""
        return list(self.derivation.steps)

    def evaluate(self, values: dict):
        from .evaluate import evaluate
        return evaluate(self.result, values)


def _prepare(f: str, wrt: str, shapes, vector: bool = False, symmetric=()):
    declared = dict(shapes or {})
    typed, found = typecheck(parse(f), declared, scalar_result=True, columns=(wrt,) if vector else (),
                             squares=tuple(symmetric))
    if wrt in found:
        x = var(wrt, found[wrt])
    elif wrt in declared:
        found[wrt] = normalize_shape(wrt, declared[wrt])
        x = var(wrt, found[wrt])
    else:
        raise unknown_variable(wrt, found)
    return typed, x, found


def _name(typed: Expr, result: Expr, found: dict) -> list:
    return intermediates([result], forward=typed, taken=found)


@deep
def derive(f: str, wrt: str, shapes: dict | None = None, *, symmetric=(), assume=(),
           layout: str = "numerator") -> Derivative:
    """df/dwrt in closed form: the gradient for scalar f, the Jacobian for vector f and x.

    shapes: name -> () scalar, (n,) column vector, (m, n) matrix; dimensions may be
    names; what is not declared is inferred.
    symmetric: names of symmetric matrix variables; the gradient of a symmetric one
    is taken on the space of symmetric matrices, sym(G) = (G + G')/2.
    assume: facts such as "rowsum(Y)=1" (rows of Y sum to one: one-hot labels).
    layout: "numerator" (J_ij = df_i/dx_j, default) or "denominator" (its transpose).
    """
    if layout not in ("numerator", "denominator"):
        raise UnsupportedError(f"layout is 'numerator' or 'denominator', not {layout!r}")
    typed, x, found = _prepare(f, wrt, shapes, symmetric=symmetric)
    if typed.shape == (1, 1):
        result, kind = gradient(typed, x), "gradient"
    elif 1 in typed.shape and 1 in x.shape:
        result, kind = jacobian(simplify(typed), x), "jacobian"   # diag(x)@a is x*a: vector steps only
        if layout == "denominator":
            result = result.T
    else:
        raise UnsupportedError(
            f"f is {show_shape(typed.shape)}, not a scalar, and {wrt} is {show_shape(x.shape)}: "
            f"differentiate a scalar such as sum(f), tr(f) or norm(f)^2; Jacobians need a vector f "
            f"and a vector {wrt}; for second derivatives use hessian (vector {wrt}) or hvp (matrix {wrt})")
    sym = [var(name, found[name]) for name in symmetric if name in found]
    for s in sym:
        if s.shape[0] != s.shape[1]:
            raise UnsupportedError(f"{s.attr} is {show_shape(s.shape)}: only a square matrix can be symmetric")
    with assume_symmetric(s.attr for s in sym):
        result = simplify(result)
        if x in sym:   # the gradient on symmetric matrices: sym(G), not the Cookbook's 2G - diag(G)
            result = simplify((result + result.T) / 2)
        result = _apply_facts(result, assume, found)
    return Derivative(typed, wrt, result, kind, found, names=_name(typed, result, found))


ROWSUM_FACT = re.compile(r"\s*rowsum\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*=\s*1\s*$")


def _apply_facts(result: Expr, assume, found: dict) -> Expr:
    """Use what the caller declared: Y@ones(k, 1) = ones(n, 1) if rowsum(Y) = 1."""
    mapping = {}
    for fact in assume:
        m = ROWSUM_FACT.match(fact)
        if not m:
            raise UnsupportedError(f"unknown assumption {fact!r}; matcalc knows rowsum(Y)=1")
        name = m.group(1)
        if name not in found:
            raise unknown_variable(name, found)
        y = var(name, found[name])
        mapping[y @ ones((y.shape[1], 1))] = ones((y.shape[0], 1))
    if not mapping:
        return result
    for _ in range(4):   # replacing can expose another match after simplification
        new = simplify(replace(result, mapping))
        if new is result:
            break
        result = new
    return result


@deep
def hessian(f: str, wrt: str, shapes: dict | None = None) -> Derivative:
    """The Hessian of scalar f with respect to a vector (n x n), in closed form."""
    typed, x, found = _prepare(f, wrt, shapes, vector=True)
    if typed.shape != (1, 1) or 1 not in x.shape:
        raise UnsupportedError(f"a Hessian needs a scalar f and a vector variable; "
                               f"for a matrix {wrt} use hvp(f, {wrt}, V)")
    g = simplify(gradient(typed, x))
    result = simplify(jacobian(g, x))
    return Derivative(typed, wrt, result, "hessian", found, names=_name(typed, result, found))


@deep
def hvp(f: str, wrt: str, shapes: dict | None = None, direction: str = "V") -> Derivative:
    """The Hessian-vector product: the derivative of the gradient along `direction` (wrt's shape)."""
    typed, x, found = _prepare(f, wrt, shapes)
    if typed.shape != (1, 1):
        raise UnsupportedError("hvp needs a scalar f")
    if direction in found:
        raise UnsupportedError(f"the direction `{direction}` is already a variable of f; choose another name")
    v = var(direction, x.shape)
    g = simplify(gradient(typed, x))
    result = simplify(differential(g, x, v))
    shapes_out = dict(found, **{direction: x.shape})
    return Derivative(typed, wrt, result, "hvp", shapes_out, direction, names=_name(typed, result, found))
