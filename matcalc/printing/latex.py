r"""LaTeX: juxtaposition for @, \odot for *, ^\top for transposes, \frac for scalar denominators.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> to_latex(var("W1", (3, 2)).T)
'W_{1}^\\top'
"""
from __future__ import annotations

import re
from typing import Optional

from ..ir.dims import SCALAR, dim_factors
from ..ir.expr import Expr, deep
from .base import ATOM, POSTFIX, PRODUCT, Printer, format_number

__all__ = ["LatexPrinter", "to_latex", "latex_name", "juxtapose", "GREEK"]

GREEK = {g: "\\" + g for g in (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()}
GREEK["lam"] = r"\lambda"


def latex_name(name: str) -> str:
    """W1 -> W_{1}, lam -> \\lambda, b_out -> b_{\\mathrm{out}}, loss -> \\mathrm{loss}."""
    m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    if m:
        return f"{latex_name(m.group(1))}_{{{m.group(2)}}}"
    if "_" in name.strip("_"):
        head, tail = name.split("_", 1)
        inner = latex_name(tail) if tail in GREEK else r"\mathrm{" + tail.replace("_", r"\_") + "}"
        return f"{latex_name(head)}_{{{inner}}}"
    if name in GREEK:
        return GREEK[name]
    if len(name) == 1:
        return name
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


_LEADING_DIGIT = re.compile(r"\d|\\math(bf|rm)\{\d")


def juxtapose(left: str, right: str, space: str = " ") -> str:
    r"""left right, as a product; 2 \cdot \mathbf{1}: a number before a digit (the ones vector) would read as 21."""
    if left[-1:].isdigit() and _LEADING_DIGIT.match(right):
        return rf"{left} \cdot {right}"
    return f"{left}{space}{right}"


def _dimension(d) -> str:
    """3, n, n_{1}; a product m*n as mn (2*m as 2m)."""
    coef, factors = dim_factors(d)
    names = " ".join(latex_name(f) for f in factors)
    return names if coef == 1 and names else f"{coef}{names}"


class LatexPrinter(Printer):
    """LaTeX for notes: amsmath, renders in KaTeX and MathJax too."""

    style = "latex"
    inverse_as_superscript = True

    def name(self, n: str) -> str:
        return latex_name(n)

    def paren(self, s: str) -> str:
        return rf"\left({s}\right)"

    def call(self, head: str, args: list) -> str:
        return rf"{head}\left({', '.join(args)}\right)"

    def default_head(self, record) -> str:
        return rf"\operatorname{{{super().default_head(record)}}}"

    def print_var(self, e):
        return latex_name(e.attr)

    def dimension(self, d) -> str:
        return _dimension(d)

    def print_const(self, e):
        return format_number(e.value)

    def print_dim(self, e):
        return _dimension(e.attr)

    def _dims(self, e):
        return r" \times ".join(_dimension(d) for d in e.shape)

    def print_ones(self, e):
        return rf"\mathbf{{1}}_{{{self._dims(e)}}}"

    def print_zeros(self, e):
        return rf"\mathbf{{0}}_{{{self._dims(e)}}}"

    def print_eye(self, e):
        return rf"I_{{{_dimension(e.shape[0])}}}"

    def print_add(self, e):
        return self.join_sum(e, " + ", " - ")

    def print_sub(self, e):
        return " - ".join(self.operands(e))

    def print_mul(self, e):
        parts = self.operands(e)
        out = parts[0]
        for a, b, s in zip(e.args, e.args[1:], parts[1:]):
            out = juxtapose(out, s) if SCALAR in (a.shape, b.shape) else rf"{out} \odot {s}"
        return out

    def print_div(self, e):
        a, b = e.args
        if b.shape == SCALAR:
            return rf"\frac{{{self.sub(a)}}}{{{self.sub(b)}}}"
        left, right = self.operands(e)
        return rf"{left} \oslash {right}"

    def print_matmul(self, e):
        parts = self.operands(e)
        out = parts[0]
        for s in parts[1:]:
            out = juxtapose(out, s)
        return out

    def print_neg(self, e):
        a = e.args[0]
        return "-" + self.parenthesize(a, self.prec(a) < PRODUCT or a.op == "neg")

    def print_pow(self, e):
        base, p = e.args
        b = self.parenthesize(base, self.prec(base) <= POSTFIX)
        hadamard = r"\circ " if base.shape != SCALAR else ""
        if p.is_const and p.value == 0.5 and base.shape == SCALAR:
            return rf"\sqrt{{{self.sub(base)}}}"
        return f"{b}^{{{hadamard}{self.sub(p)}}}"

    def print_transpose(self, e):
        a = e.args[0]
        if a.op == "inv" and a not in self.names:
            inner = a.args[0]
            return self.parenthesize(inner, self.prec(inner) < ATOM) + r"^{-\top}"
        return self.parenthesize(a, self.prec(a) < ATOM) + r"^\top"

    def print_inv(self, e):
        a = e.args[0]
        return self.parenthesize(a, self.prec(a) < ATOM) + "^{-1}"


@deep
def to_latex(e: Expr, names: Optional[dict] = None) -> str:
    return LatexPrinter(names).doprint(e)
