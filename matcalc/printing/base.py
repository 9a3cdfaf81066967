"""What every printer shares: dispatch, the precedence of each operator, one parenthesize.

A printer is a class per format with a `style` ("text", "unicode", "latex").
For a node it calls its own `print_<op>` method if it has one (the infix algebra,
leaves, notation such as A⁻¹), and otherwise lays the node out from the form its
operator's record gives for that style: a function name (`sigmoid` → σ(X)), a
template (`‖{0}‖`) or a callable.  So a new operator prints in every format
without any printer changing.

>>> from matcalc import ops
>>> from matcalc.printing.text import to_text
>>> from matcalc.ir.expr import var, call
>>> to_text(call("sigmoid", var("X", (2, 2))))
'sigmoid(X)'
"""
from __future__ import annotations

from typing import Optional

from ..ir.expr import Expr
from ..ir.limits import current_budget
from ..ir.operator import ATOM, POSTFIX, POWER, PREFIX, PRODUCT, REGISTRY, SUM

__all__ = ["Printer", "precedence", "shown", "format_number", "ATOM", "SUM", "PRODUCT", "PREFIX", "POWER", "POSTFIX"]


def shown(e: Expr, style: str) -> Expr:
    """The node printed for e in `style`: e itself, or the equal form its record displays (𝟏ᵀA)."""
    record = REGISTRY.get(e.op)
    display = record.display if record is not None else None
    return (display(e, style) or e) if display is not None else e


def precedence(e: Expr, style: str = "text") -> int:
    """How tightly e binds when printed in `style` (a negative constant binds like a negation)."""
    return binding_of_view(shown(e, style))


def binding_of_view(e: Expr) -> int:
    """How tightly a node already in its shown form binds."""
    if e.op == "const":
        return PREFIX if e.value < 0 else ATOM
    record = REGISTRY.get(e.op)
    return ATOM if record is None else record.precedence


def shared_nodes(root: Expr, names=()) -> set:
    """Nodes with more than one parent under root, not looking inside named ones: those worth a memo."""
    seen_once, shared, stack = set(), set(), [root]
    while stack:
        node = stack.pop()
        for a in node.args:
            if a in seen_once:
                shared.add(a)
            else:
                seen_once.add(a)
                if a not in names:
                    stack.append(a)
    return shared


def format_number(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".15g")


class Printer:
    """Shared layout: dispatch on op, parenthesize by precedence, function calls from the registry."""

    style = "text"
    inverse_as_superscript = False   # A^{-1}, A⁻¹: another superscript on it needs parentheses

    def __init__(self, names: Optional[dict] = None):
        self.names = names or {}
        self.memo: dict = {}        # strings of shared nodes only: a tree's partial strings are not kept
        self.shared: set = set()
        self.roots: set = set()
        self.methods: dict = {}     # op -> its print_<op> method, or None: the record lays it out
        self.views: dict = {}       # node -> the node shown for it; each asked for many times
        self.precedences: dict = {}
        self.budget = current_budget()   # the call's text budget: each partial string is built once

    def doprint(self, e: Expr, top: bool = True) -> str:
        if not top:
            if e in self.names:
                return self.name(self.names[e])
        elif e not in self.roots:
            self.roots.add(e)
            self.shared |= shared_nodes(e, self.names)
        remembered = e in self.shared
        if remembered:
            text = self.memo.get((e, top))
            if text is not None:
                return text
        view = self.view(e)
        self.views[view] = view   # the methods ask again about the node they are given
        op = view.op
        try:
            method = self.methods[op]
        except KeyError:   # the class's function: a bound method kept on self would be a reference cycle
            method = self.methods[op] = getattr(type(self), f"print_{op}", None)
        text = method(self, view) if method is not None else self.print_from_record(view)
        if self.budget is not None:
            self.budget.printed(len(text))
        if remembered:
            self.memo[(e, top)] = text
        return text

    def bodies(self, exprs: list) -> list:
        """Each expression written out (a named one by its body, not its name), with one memo for all."""
        return [self.doprint(e) for e in exprs]

    def sub(self, e: Expr) -> str:
        return self.doprint(e, top=False)

    def view(self, e: Expr) -> Expr:
        """shown(e, self.style), once per node."""
        v = self.views.get(e)
        if v is None:
            v = self.views[e] = shown(e, self.style)
        return v

    def prec(self, e: Expr) -> int:
        p = self.precedences.get(e)
        if p is None:
            p = self.precedences[e] = self._binding(e)
        return p

    def _binding(self, e: Expr) -> int:
        if e in self.names:
            return ATOM
        if e.op == "neg" and self.prec(e.args[0]) == PRODUCT:
            return PRODUCT   # -a*b is printed bare: it binds like the product it is
        if e.op == "inv" and self.inverse_as_superscript:
            return POSTFIX
        return binding_of_view(self.view(e))

    def parenthesize(self, e: Expr, needs: bool) -> str:
        s = self.doprint(e, False)
        return self.paren(s) if needs else s

    # -- functions, from the operator's record
    def print_from_record(self, e: Expr) -> str:
        record = REGISTRY[e.op]
        form = getattr(record, self.style)
        if callable(form):
            return form(self, e)
        args = [self.sub(a) for a in e.args]
        if form and "{0}" in form:
            return form.format(*args)
        params = [] if e.attr is None or not record.params else [str(p) for p in _as_tuple(e.attr)]
        return self.call(form or self.default_head(record), args + params)

    def dimension(self, d) -> str:
        """A dimension as this format writes it: 3, n, m*n (the input language reads it back)."""
        return str(d)

    def default_head(self, record) -> str:
        return record.spellings[0] if record.spellings else record.name

    def call(self, head: str, args: list) -> str:
        """name(a, b) in this format."""
        return f"{head}({', '.join(args)})"

    # -- binary and n-ary operators
    def operands(self, e: Expr) -> list:
        """The operand strings of an infix node, with the parentheses each needs."""
        p = binding_of_view(self.view(e))
        first, rest = e.args[0], e.args[1:]
        fp = self.prec(first)
        first_needs = fp < p or (fp == p and p == PRODUCT and self._mixed(self.view(first).op, e.op)
                                 and not _coefficient_led(first)
                                 and not (e.op == "div" and e.args[1].is_scalar))
        out = [self.parenthesize(first, first_needs)]
        for k, right in enumerate(rest, 1):
            rp = self.prec(right)
            out.append(self.parenthesize(right, rp < p or (rp == p and not self._associates(e, right, k))))
        return out

    def signed_operands(self, e: Expr) -> list:
        """[(minus, text)] of a sum: a term -t after the first is written `- t`, as in a - b."""
        plain = self.operands(e)
        out = []
        for k, term in enumerate(e.args):
            if k and term.op == "neg" and term not in self.names:
                inner = term.args[0]
                out.append((True, self.parenthesize(inner, self.prec(inner) <= SUM)))
            else:
                out.append((False, plain[k]))
        return out

    def join_sum(self, e: Expr, plus: str, minus: str) -> str:
        parts = self.signed_operands(e)
        return parts[0][1] + "".join((minus if neg else plus) + text for neg, text in parts[1:])

    def _mixed(self, inner: str, outer: str) -> bool:
        # (R@W2')*H reads better than R@W2'*H, though both mean the same
        return (inner == "matmul") != (outer == "matmul")

    def _associates(self, e: Expr, right: Expr, k: int = 1) -> bool:
        """Is e's k-th operand `right` printed bare: a op (b op2 c) == a op b op2 c?"""
        if right in self.names:
            return True
        right = self.view(right)
        if e.op == "add":
            return right.op == "add"
        if e.op == "matmul":
            return right.op == "matmul"
        if e.op == "mul":
            # 2*A@B is (2*A)@B = 2*(A@B); H*A@B would be (H*A)@B: bare only after numbers
            return right.op in ("mul", "div") or (right.op == "matmul" and all(a.is_const for a in e.args[:k]))
        return False


def _as_tuple(attr) -> tuple:
    return attr if isinstance(attr, tuple) else (attr,)


def _coefficient_led(e: Expr) -> bool:
    return e.op == "mul" and e.args[0].is_const
