"""Printers, apart from the nodes: plain text (the input language) and LaTeX.

One precedence table and one `parenthesize` decide parentheses; each printer
is a class with a `print_<op>` method per operator.  `intermediates` picks the
subexpressions worth naming (H = sigmoid(X@W1 + b1), R = ...), so that the
readable form stays linear in size on deep nets.

>>> from .expr import var
>>> X, W = var("X", (5, 3)), var("W", (3, 2))
>>> to_text(2 * (X.T @ (X @ W)))
"2*X'@X@W"
"""
from __future__ import annotations

import re
from typing import Optional

from .expr import SCALAR, Expr, deep, walk

PRECEDENCE = {
    "add": 10, "sub": 10,
    "matmul": 20, "mul": 20, "div": 20,
    "neg": 30,
    "pow": 40,
    "transpose": 50,
}
ATOM = 60
FUNCTION_NAMES = {"diag_embed": "diag"}


def precedence(e: Expr) -> int:
    if e.op == "const" and e.value < 0:
        return PRECEDENCE["neg"]
    return PRECEDENCE.get(e.op, ATOM)


def format_number(v: float) -> str:
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".15g")


class Printer:
    """Shared layout: dispatch on op, parenthesize by the precedence table."""

    def __init__(self, names: Optional[dict] = None):
        self.names = names or {}
        self.memo: dict = {}

    def doprint(self, e: Expr, top: bool = True) -> str:
        if not top and e in self.names:
            return self.name(self.names[e])
        key = (e, top)
        if key not in self.memo:
            self.memo[key] = getattr(self, f"print_{e.op}", self.print_function)(e)
        return self.memo[key]

    def sub(self, e: Expr) -> str:
        return self.doprint(e, top=False)

    inverse_as_superscript = False   # A^{-1}, A⁻¹: another superscript on it needs parentheses

    def prec(self, e: Expr) -> int:
        if e in self.names:
            return ATOM
        if e.op == "neg" and self.prec(e.args[0]) == PRECEDENCE["mul"]:
            return PRECEDENCE["mul"]   # -a*b is printed bare: it binds like the product it is
        if e.op == "inv" and self.inverse_as_superscript:
            return PRECEDENCE["transpose"]
        return precedence(e)

    def parenthesize(self, e: Expr, needs: bool) -> str:
        s = self.sub(e)
        return self.paren(s) if needs else s

    def operands(self, e: Expr):
        """(left, right) strings of a binary node, with the parentheses they need."""
        p = PRECEDENCE[e.op]
        left, right = e.args
        lp, rp = self.prec(left), self.prec(right)
        left_needs = lp < p or (lp == p and p == 20 and self._mixed(left.op, e.op) and not _coefficient_led(left)
                                and not (e.op == "div" and right.shape == SCALAR))
        right_needs = rp < p or (rp == p and not self._associates(e, right))
        return self.parenthesize(left, left_needs), self.parenthesize(right, right_needs)

    def _mixed(self, inner: str, outer: str) -> bool:
        # (R@W2')*H reads better than R@W2'*H, though both mean the same
        return (inner == "matmul") != (outer == "matmul")

    def _associates(self, e: Expr, right: Expr) -> bool:
        """a op (b op2 c) == a op b op2 c, printed without parentheses?"""
        if right in self.names:
            return True
        if e.op == "add":
            return right.op == "add"
        if e.op == "matmul":
            return right.op == "matmul"
        if e.op == "mul":
            return right.op in ("mul", "div") or (right.op == "matmul" and e.args[0].is_const)
        return False


def _coefficient_led(e: Expr) -> bool:
    return e.op == "mul" and e.args[0].is_const


# ---------------------------------------------------------------------- text
class TextPrinter(Printer):
    """The input language: what `evaluate` reads back."""

    def name(self, n: str) -> str:
        return n

    def paren(self, s: str) -> str:
        return f"({s})"

    def print_var(self, e):
        return e.attr

    def print_const(self, e):
        return format_number(e.value)

    def _dims(self, e):
        return ", ".join(str(d) for d in e.shape)

    def print_ones(self, e):
        return f"ones({self._dims(e)})"

    def print_zeros(self, e):
        return f"zeros({self._dims(e)})"

    def print_eye(self, e):
        return f"eye({e.shape[0]})"

    def _binary(self, e, symbol):
        left, right = self.operands(e)
        return f"{left}{symbol}{right}"

    def print_add(self, e):
        return self._binary(e, " + ")

    def print_sub(self, e):
        return self._binary(e, " - ")

    def print_mul(self, e):
        return self._binary(e, "*")

    def print_div(self, e):
        return self._binary(e, "/")

    def print_matmul(self, e):
        return self._binary(e, "@")

    def print_neg(self, e):
        a = e.args[0]
        return "-" + self.parenthesize(a, self.prec(a) < PRECEDENCE["mul"] or a.op == "neg")

    def print_pow(self, e):
        base, p = e.args
        b = self.parenthesize(base, self.prec(base) <= PRECEDENCE["pow"])
        x = self.parenthesize(p, self.prec(p) < PRECEDENCE["neg"])
        return f"{b}^{x}"

    def print_transpose(self, e):
        a = e.args[0]
        return self.parenthesize(a, self.prec(a) < PRECEDENCE["transpose"]) + "'"

    def print_function(self, e):
        return f"{FUNCTION_NAMES.get(e.op, e.op)}({', '.join(self.sub(a) for a in e.args)})"


# --------------------------------------------------------------------- LaTeX
GREEK = {g: "\\" + g for g in (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()}
GREEK["lam"] = r"\lambda"
LATEX_FUNCTIONS = {
    "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos", "tanh": r"\tanh",
    "sigmoid": r"\sigma", "det": r"\det", "logdet": r"\log\det", "tr": r"\operatorname{tr}",
}


def latex_name(name: str) -> str:
    """W1 -> W_{1}, lam -> \\lambda, b_out -> b_{\\mathrm{out}}, loss -> \\mathrm{loss}."""
    m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    if m:
        return f"{latex_name(m.group(1))}_{{{m.group(2)}}}"
    if "_" in name.strip("_"):
        head, tail = name.split("_", 1)
        return f"{latex_name(head)}_{{{latex_name(tail) if tail in GREEK else chr(92) + 'mathrm{' + tail.replace('_', chr(92) + '_') + '}'}}}"
    if name in GREEK:
        return GREEK[name]
    if len(name) == 1:
        return name
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


class LatexPrinter(Printer):
    """LaTeX: juxtaposition for @, \\odot for *, ^\\top for transposes."""

    def name(self, n: str) -> str:
        return latex_name(n)

    def paren(self, s: str) -> str:
        return rf"\left({s}\right)"

    def print_var(self, e):
        return latex_name(e.attr)

    def print_const(self, e):
        return format_number(e.value)

    def _dims(self, e):
        return r" \times ".join(latex_name(str(d)) if isinstance(d, str) else str(d) for d in e.shape)

    def print_ones(self, e):
        return rf"\mathbf{{1}}_{{{self._dims(e)}}}"

    def print_zeros(self, e):
        return rf"\mathbf{{0}}_{{{self._dims(e)}}}"

    def print_eye(self, e):
        d = e.shape[0]
        return rf"I_{{{latex_name(d) if isinstance(d, str) else d}}}"

    def print_add(self, e):
        left, right = self.operands(e)
        return f"{left} + {right}"

    def print_sub(self, e):
        left, right = self.operands(e)
        return f"{left} - {right}"

    def print_mul(self, e):
        left, right = self.operands(e)
        scalar = SCALAR in (e.args[0].shape, e.args[1].shape)
        return f"{left} {right}" if scalar else rf"{left} \odot {right}"

    def print_div(self, e):
        a, b = e.args
        if b.shape == SCALAR:
            return rf"\frac{{{self.sub(a)}}}{{{self.sub(b)}}}"
        left, right = self.operands(e)
        return rf"{left} \oslash {right}"

    def print_matmul(self, e):
        left, right = self.operands(e)
        return f"{left} {right}"

    def print_neg(self, e):
        a = e.args[0]
        return "-" + self.parenthesize(a, self.prec(a) < PRECEDENCE["mul"] or a.op == "neg")

    def print_pow(self, e):
        base, p = e.args
        b = self.parenthesize(base, self.prec(base) <= PRECEDENCE["transpose"])
        hadamard = r"\circ " if base.shape != SCALAR else ""
        if p.is_const and p.value == 0.5 and base.shape == SCALAR:
            return rf"\sqrt{{{self.sub(base)}}}"
        return f"{b}^{{{hadamard}{self.sub(p)}}}"

    inverse_as_superscript = True

    def print_transpose(self, e):
        a = e.args[0]
        if a.op == "inv" and a not in self.names:
            inner = a.args[0]
            return self.parenthesize(inner, self.prec(inner) < ATOM) + r"^{-\top}"
        return self.parenthesize(a, self.prec(a) < ATOM) + r"^\top"

    def print_inv(self, e):
        a = e.args[0]
        return self.parenthesize(a, self.prec(a) < ATOM) + "^{-1}"

    def print_sqrt(self, e):
        return rf"\sqrt{{{self.sub(e.args[0])}}}"

    def print_abs(self, e):
        return rf"\left|{self.sub(e.args[0])}\right|"

    def print_norm(self, e):
        a = e.args[0]
        sub = "" if 1 in a.shape else "_F"
        return rf"\left\|{self.sub(a)}\right\|{sub}"

    def print_function(self, e):
        name = FUNCTION_NAMES.get(e.op, e.op)
        head = LATEX_FUNCTIONS.get(name, rf"\operatorname{{{name}}}")
        return rf"{head}\left({', '.join(self.sub(a) for a in e.args)}\right)"


@deep
def to_text(e: Expr, names: Optional[dict] = None) -> str:
    return TextPrinter(names).doprint(e)


@deep
def to_latex(e: Expr, names: Optional[dict] = None) -> str:
    return LatexPrinter(names).doprint(e)


# -------------------------------------------------------------- intermediates
FAMILIES = (("H", lambda e: e.op in ELEMENTWISE_NAMES or e.op == "softmax"),
            ("R", lambda e: e.op in ("add", "sub")),
            ("Z", lambda e: e.op == "matmul"),
            ("G", lambda e: True))
ELEMENTWISE_NAMES = frozenset({"exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "softplus",
                               "sqrt", "abs", "step", "sign"})


MIN_NAMED_SIZE = 3   # nodes: sigmoid(X@W) is worth a name, inv(S) and exp(x) are not


def _small_sizes(nodes: list) -> dict:
    """Tree size of each node, capped (a DAG's tree size can be exponential)."""
    size: dict = {}
    for n in nodes:
        size[n] = 0 if n.op == "const" else min(MIN_NAMED_SIZE, 1 + sum(size[a] for a in n.args))
    return size


def intermediates(roots: list, forward: Optional[Expr] = None, taken=()) -> list:
    """[(name, expr)] in definition order: the subexpressions worth naming.

    Named: any non-trivial node used twice or more, and any node of the forward
    function f used directly by the derivative (not only inside f).
    """
    nodes = walk(_bundle(roots))
    uses: dict[Expr, int] = {}
    forward_parent: dict[Expr, bool] = {}
    fwd = set(walk(forward)) if forward is not None else set()
    for node in nodes:
        for a in node.args:
            uses[a] = uses.get(a, 0) + 1
            if node not in fwd:
                forward_parent[a] = True
    size = _small_sizes(nodes)
    chosen = [n for n in nodes
              if size[n] >= MIN_NAMED_SIZE and n not in roots and n.op not in ("tuple", "transpose", "neg")
              and (uses.get(n, 0) >= 2 or (n in fwd and n is not forward and forward_parent.get(n)
                                             and _family(n) in ("H", "R")))]
    return _label(chosen, set(taken))


def _family(n: Expr) -> str:
    return next(letter for letter, test in FAMILIES if test(n))


def _bundle(roots: list) -> Expr:
    return roots[0] if len(roots) == 1 else Expr("tuple", tuple(roots), None, (1, 1))


def _label(chosen: list, taken: set) -> list:
    by_family: dict[str, list] = {}
    for n in chosen:
        family = _family(n)
        by_family.setdefault(family, []).append(n)
    label = {}
    for family, members in by_family.items():
        stem = family
        while stem in taken or any(t.startswith(stem) and t[len(stem):].isdigit() for t in taken):
            stem += "_"
        if len(members) == 1:
            label[members[0]] = stem
        else:
            for i, n in enumerate(members, 1):
                label[n] = f"{stem}{i}"
    return [(label[n], n) for n in chosen]
