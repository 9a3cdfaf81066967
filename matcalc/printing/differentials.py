"""The math styles a derivation is shown in, with differentials: dW, d(XW − Y), \\mathrm{d}W.

A placeholder variable stands for d(u) (see lines.Differentials); these printers
write it as d followed by u.  Each Style also knows how to write a line's fixed
parts: df, ⇒, ∂f/∂W.

>>> STYLES["unicode"].symbol("gradient", "W1")
'∂f/∂W₁'
"""
from __future__ import annotations

import re

from ..ir.expr import Expr
from .base import ATOM, POWER, precedence
from .latex import LatexPrinter, juxtapose, latex_name
from .text import TextPrinter
from .unicode import UnicodeMath, unicode_name

__all__ = ["STYLES", "Style", "plain_symbol", "differentials_last"]


class DifferentialMixin:
    """Prints a placeholder d(u) as dW, d(XW − Y) or d‖R‖."""
    D_PREFIX = "d"

    def __init__(self, names=None, differentials=None):
        super().__init__(names)
        self.differentials = differentials or {}

    def prec(self, e):
        # d(X)ᵀ needs its parentheses, X dW does not: a differential binds like a product of d and X
        return POWER + 5 if e in self.differentials else super().prec(e)

    def print_var(self, e):
        u = self.differentials.get(e)
        if u is None:
            return super().print_var(e)
        atom = u in self.names or (precedence(u, self.style) == ATOM and u.op not in ("ones", "zeros", "eye"))
        body = self.sub(u) if atom else self.paren(self.sub(u))
        return self.D_PREFIX + (" " if re.match(r"[A-Za-z]{2}", body) else "") + body   # d log(H), not dlog(H)

    def operands(self, e):
        # A(−B) rather than A−B: a negative right operand of a product keeps its parentheses
        parts = super().operands(e)
        if e.op not in ("matmul", "mul"):
            return parts
        for k in range(1, len(parts)):
            b = e.args[k]
            if (b.op == "neg" or (b.is_const and b.value < 0)) and not parts[k].startswith(("(", r"\left(")):
                parts[k] = self.paren(parts[k])
        return parts


class UnicodePrinter(DifferentialMixin, UnicodeMath):
    """Unicode math with differentials: tr(2 RᵀX dW)."""


class AsciiPrinter(DifferentialMixin, TextPrinter):
    """The input language with differentials (dW, d(X@W - Y)): for plain terminals."""


class LatexStepPrinter(DifferentialMixin, LatexPrinter):
    """LaTeX with \\mathrm{d}W for differentials (KaTeX and MathJax read it too)."""
    D_PREFIX = r"\mathrm{d}"

    def print_matmul(self, e):
        # X\,\mathrm{d}W: a thin space sets a differential apart, as in print
        parts = self.operands(e)
        out = parts[0]
        for a, b, s in zip(e.args, e.args[1:], parts[1:]):
            out = juxtapose(out, s, r"\," if a in self.differentials or b in self.differentials else " ")
        return out


def plain_symbol(kind: str, wrt: str, direction=None) -> str:
    """The left-hand side in plain text: df/dW, d2f/dx2, hvp(f, W)[V]."""
    if kind == "hvp":
        return f"hvp(f, {wrt})[{direction}]"
    if kind == "hessian":
        return f"d2f/d{wrt}2"
    return f"df/d{wrt}"


class Style:
    """How one math style writes the fixed parts of a line (df, ⇒, ∂f/∂W, brackets)."""
    printer = UnicodePrinter
    df, implies, plus, minus = "df", "⇒ ", " + ", " − "

    def symbol(self, kind: str, wrt: str, direction=None) -> str:
        """The left side for a derivative of any kind: ∂f/∂W, ∂²f/∂x², ∇²f(W)[V]."""
        if kind == "hessian":
            return f"∂²f/∂{unicode_name(wrt)}²"
        if kind == "hvp":
            return f"∇²f({unicode_name(wrt)})[{unicode_name(direction)}]"
        return f"∂f/∂{unicode_name(wrt)}"


class Ascii(Style):
    printer = AsciiPrinter
    implies, minus = "=> ", " - "

    def symbol(self, kind: str, wrt: str, direction=None) -> str:
        return plain_symbol(kind, wrt, direction)


class Latex(Style):
    printer = LatexStepPrinter
    df, implies, minus = r"\mathrm{d}f", r"\Rightarrow ", " - "

    def symbol(self, kind: str, wrt: str, direction=None) -> str:
        if kind == "hessian":
            return rf"\frac{{\partial^2 f}}{{\partial {latex_name(wrt)}^2}}"
        if kind == "hvp":
            return rf"\nabla^2 f({latex_name(wrt)})[{latex_name(direction)}]"
        return rf"\frac{{\partial f}}{{\partial {latex_name(wrt)}}}"


STYLES = {"unicode": Style(), "ascii": Ascii(), "latex": Latex()}


def differentials_last(e: Expr, differentials) -> Expr:
    """e with each product's differential factors moved to its end: σ(A) ⊙ (1 − σ(A)) ⊙ dA.

    The normal form orders factors by structure; a derivation reads better with d(...) last.
    """
    if e.op in ("add", "sub", "neg"):
        args = tuple(differentials_last(a, differentials) for a in e.args)
        return e if args == e.args else Expr(e.op, args)
    if e.op != "mul":
        return e
    rest = [a for a in e.args if a not in differentials]
    moved = [a for a in e.args if a in differentials]
    return e if not moved or e.args[-len(moved):] == tuple(moved) else Expr("mul", tuple(rest + moved))

