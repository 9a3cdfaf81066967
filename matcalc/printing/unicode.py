"""Math as a lecture writes it in plain text: XᵀR, A ⊙ B, ‖R‖², σ(Z), juxtaposition for @.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var, call
>>> X, W1 = var("X", (5, 3)), var("W1", (3, 2))
>>> to_unicode(call("sigmoid", X @ W1).T)
'σ(XW₁)ᵀ'
"""
from __future__ import annotations

import re
from typing import Optional

from ..ir.dims import SCALAR, dim_factors
from ..ir.expr import Expr, deep
from .base import ATOM, POSTFIX, PRODUCT, Printer, format_number

__all__ = ["UnicodeMath", "to_unicode", "unicode_name", "SUBSCRIPT", "SUPERSCRIPT"]

_HEAD = re.compile(r"([^\W\d_][^\W_]*(?: [^\W\d_]+)*)\(")   # the name a call is printed with
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
SUBSCRIPT = str.maketrans("0123456789x", "₀₁₂₃₄₅₆₇₈₉ₓ")
GREEK_UNICODE = dict(zip(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda lam mu nu xi pi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
    "αβγδεζηθικλλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ"))


def unicode_name(name: str) -> str:
    """W1 -> W₁, lam -> λ, b_out -> b_out."""
    m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    if m:
        return unicode_name(m.group(1)) + m.group(2).translate(SUBSCRIPT)
    return GREEK_UNICODE.get(name, name)


class UnicodeMath(Printer):
    """Unicode math for terminals and notes."""

    style = "unicode"
    inverse_as_superscript = True

    def name(self, n):
        return unicode_name(n)

    def paren(self, s):
        return f"({s})"

    def print_var(self, e):
        return unicode_name(e.attr)

    def dimension(self, d) -> str:
        coef, factors = dim_factors(d)
        names = "".join(unicode_name(f) for f in factors)
        return names if coef == 1 and names else f"{coef}{names}"

    def print_const(self, e):
        return format_number(e.value).replace("-", "−")

    def print_dim(self, e):
        return unicode_name(str(e.attr))

    def print_ones(self, e):
        rows, cols = e.shape
        if cols == 1 or rows == 1:
            return "𝟏" if cols == 1 else "𝟏ᵀ"
        if isinstance(rows, int) and isinstance(cols, int):
            return "𝟏" + f"{rows}x{cols}".translate(SUBSCRIPT)    # the all-ones matrix 𝟏₁₀ₓ₄
        return f"ones({self.dimension(rows)}, {self.dimension(cols)})"

    def print_zeros(self, e):
        return "0"

    def print_eye(self, e):
        return "I"

    def _juxtapose(self, left_node, right_node, left, right):
        # XW and Xᵀ(XW − Y), but X dW and H exp(Z): a space where names would run together
        a, b = self._edge(left_node, -1), self._edge(right_node, 0)
        a_word, b_word = (t is not None and len(t.rstrip("₀₁₂₃₄₅₆₇₈₉")) > 1 for t in (a, b))
        tight = not (a_word or b_word) or (not b_word and (left.endswith(")") or right.startswith("(")))
        return f"{left} {right}" if "d?" in (a, b) or not tight else left + right

    def _juxtapose_all(self, e, parts):
        out = parts[0]
        for k in range(1, len(parts)):
            out = self._juxtapose(e.args[k - 1], e.args[k], out, parts[k])
        return out

    def _edge(self, e, side):
        """The word printed at one end of e (side 0: start, -1: end), or None for a symbol."""
        while True:
            if e in self.names:
                return self.name(self.names[e])
            if e in getattr(self, "differentials", {}):
                return "d?"
            if e.op == "var":
                return unicode_name(e.attr)
            if e.op in ("matmul", "mul") and self.prec(e.args[side]) >= PRODUCT:
                e = e.args[side]
            elif e.op in ("transpose", "inv", "pow") and side == 0 and self.prec(e.args[0]) == ATOM:
                e = e.args[0]
            elif side == 0 and e.op not in ("const", "ones", "zeros", "eye", "dim"):
                word = _HEAD.match(self.sub(e)) if self.prec(e) == ATOM else None   # σ(…), tr(…), log det(…)
                return word.group(1) if word else None
            else:
                return None

    def print_add(self, e):
        return self.join_sum(e, " + ", " − ")

    def print_sub(self, e):
        return " − ".join(self.operands(e))

    def print_mul(self, e):
        parts = self.operands(e)
        out = parts[0]
        for k in range(1, len(parts)):
            a, b = e.args[k - 1], e.args[k]
            if SCALAR in (a.shape, b.shape):
                out = f"{out} {parts[k]}" if a.is_const else self._juxtapose(a, b, out, parts[k])
            else:
                out = f"{out} ⊙ {parts[k]}"
        return out

    def print_div(self, e):
        left, right = self.operands(e)
        return f"{left}/{right}" if e.args[1].shape == SCALAR else f"{left} ⊘ {right}"

    def print_matmul(self, e):
        return self._juxtapose_all(e, self.operands(e))

    def print_neg(self, e):
        a = e.args[0]
        return "−" + self.parenthesize(a, self.prec(a) < PRODUCT or a.op == "neg")

    def print_pow(self, e):
        base, p = e.args
        b = self.parenthesize(base, self.prec(base) <= POSTFIX)
        hadamard = "∘" if base.shape != SCALAR else ""
        if p.is_const and float(p.value).is_integer():
            return b + hadamard + format_number(p.value).translate(SUPERSCRIPT)
        return f"{b}^{hadamard}{self.parenthesize(p, self.prec(p) < ATOM)}"

    def print_transpose(self, e):
        a = e.args[0]
        if a.op == "inv" and a not in self.names:
            inner = a.args[0]
            return self.parenthesize(inner, self.prec(inner) < ATOM) + "⁻ᵀ"
        return self.parenthesize(a, self.prec(a) < ATOM) + "ᵀ"

    def print_inv(self, e):
        a = e.args[0]
        return self.parenthesize(a, self.prec(a) < ATOM) + "⁻¹"


@deep
def to_unicode(e: Expr, names: Optional[dict] = None) -> str:
    return UnicodeMath(names).doprint(e)
