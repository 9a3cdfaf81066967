"""The input language: what `evaluate` and `derive` read back.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> X, W = var("X", (5, 3)), var("W", (3, 2))
>>> to_text(2 * (X.T @ (X @ W)))
"2*X'@X@W"
"""
from __future__ import annotations

from typing import Optional

from ..ir.expr import Expr, deep
from .base import POWER, POSTFIX, PREFIX, PRODUCT, Printer, format_number

__all__ = ["TextPrinter", "to_text", "to_program"]


class TextPrinter(Printer):
    """The input language: `@`, `*`, `'`, function calls."""

    style = "text"

    def name(self, n: str) -> str:
        return n

    def paren(self, s: str) -> str:
        return f"({s})"

    def print_var(self, e):
        return e.attr

    def print_const(self, e):
        return format_number(e.value)

    def print_dim(self, e):
        return str(e.attr)

    def _dims(self, e):
        return ", ".join(str(d) for d in e.shape)

    def print_ones(self, e):
        return f"ones({self._dims(e)})"

    def print_zeros(self, e):
        return f"zeros({self._dims(e)})"

    def print_eye(self, e):
        return f"eye({e.shape[0]})"

    def _join(self, e, symbol):
        return symbol.join(self.operands(e))

    def print_add(self, e):
        return self.join_sum(e, " + ", " - ")

    def print_sub(self, e):
        return self._join(e, " - ")

    def print_mul(self, e):
        return self._join(e, "*")

    def print_div(self, e):
        return self._join(e, "/")

    def print_matmul(self, e):
        return self._join(e, "@")

    def print_neg(self, e):
        a = e.args[0]
        return "-" + self.parenthesize(a, self.prec(a) < PRODUCT or a.op == "neg")

    def print_pow(self, e):
        base, p = e.args
        b = self.parenthesize(base, self.prec(base) <= POWER)
        x = self.parenthesize(p, self.prec(p) < PREFIX)
        return f"{b}^{x}"

    def print_transpose(self, e):
        a = e.args[0]
        return self.parenthesize(a, self.prec(a) < POSTFIX) + "'"


@deep
def to_text(e: Expr, names: Optional[dict] = None) -> str:
    return TextPrinter(names).doprint(e)


def to_program(e: Expr, definitions: list) -> str:
    """e after `name = expr` definitions, in the input language (what `evaluate` and `derive` read).

    >>> from matcalc import ops
    >>> from matcalc.ir.expr import var
    >>> X, Y = var("X", (3, 2)), var("Y", (3, 2))
    >>> R = X - Y
    >>> to_program(R.T @ R, [("R", R)])
    "R = X - Y; R'@R"
    """
    printer = _NameRecorder({x: n for n, x in definitions})
    result = printer.doprint(e)
    bodies = {}
    for n, x in reversed(definitions):   # a definition only a display form hid (1/H in H1/H) is left out
        if n in printer.used:
            bodies[n] = printer.doprint(x)
    return "; ".join([f"{n} = {bodies[n]}" for n, _ in definitions if n in bodies] + [result])


class _NameRecorder(TextPrinter):
    def __init__(self, names):
        super().__init__(names)
        self.used: set = set()

    def name(self, n: str) -> str:
        self.used.add(n)
        return n
