"""The rewrite rules: named, each with an example it fires on, most written in the input language.

A rule takes a normal-form node and proposes a replacement (or None).  The engine keeps a
replacement only if its normal form weighs less (simplify.order.weight), which is what makes
rewriting terminate; so a rule may propose freely (expand a product, say) and the measure decides.
RULES[op] lists the rules tried on nodes of that operator; GENERIC, on every node.  `widens` says
where a rule drops a condition the original needed (exp(log(x)) needs x > 0; x does not).

>>> from matcalc import ops
>>> [r.name for r in RULES["log"]]
['log of exp']
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from ..ir.dims import SCALAR
from ..ir.expr import Expr, const, dim, eye
from ..ir.operator import REGISTRY
from ..ops import diagonal_vector, is_diagonal_matrix
from .kron import KRON_RULES
from .normal import make_chain, make_pow, make_product, make_sum, make_transpose, normal_node, power, scaled, split
from .patterns import Pattern

__all__ = ["Rule", "RULES", "GENERIC", "all_rules"]


@dataclass(frozen=True)
class Rule:
    """A named rewrite: `apply(node)` proposes a replacement or None; `example` (input language,
    with `shapes`) is a node it fires on, for the tests; `widens` names a dropped condition."""
    name: str
    op: str
    apply: Callable
    example: str
    shapes: dict = field(default_factory=dict)
    widens: str = ""


def pattern(name: str, lhs: str, rhs: str, *, shapes=None, example: str = "", widens: str = "") -> Rule:
    p = Pattern(lhs, rhs, shapes)
    return Rule(name, p.root, p.rewrite, example or lhs, dict(shapes or {}), widens)


# ------------------------------------------------------------ helpers
def _items(e: Expr):
    """(coefficient, [(base, exponent), ...]) of a normal-form product."""
    c, rest = split(e)
    if rest is None:
        return c, []
    return c, [power(f) for f in (rest.args if rest.op == "mul" else (rest,))]


def _rebuild(c: float, items: list, shape) -> Expr:
    return make_product([const(c)] + [make_pow(b, const(p)) for b, p in items], shape)


def _terms(e: Expr) -> tuple:
    return e.args if e.op == "add" else (e,)


def _chain_of(rest: Expr):
    """(scalar factors, chain factors) of a term that is scalars times one matrix product, else None."""
    factors = rest.args if rest.op == "mul" else (rest,)
    matrices = [f for f in factors if f.shape != SCALAR]
    if len(matrices) != 1 or matrices[0].op != "matmul":
        return None
    return [f for f in factors if f.shape == SCALAR], list(matrices[0].args)


# ------------------------------------------------------ generic rules
def of_a_scalar(node: Expr) -> Optional[Expr]:
    # tr(s) -> s, sum(s) -> s, logdet(s) -> log(s), inv(s) -> 1/s: each operator's record says
    record = REGISTRY.get(node.op)
    if record is None or record.of_scalar is None or len(node.args) != 1 or node.args[0].shape != SCALAR:
        return None
    return record.of_scalar(node.args[0])


# ------------------------------------------------------------ chains
def inverses_cancel(node: Expr) -> Optional[Expr]:
    # A@inv(A) -> I ; inv(A)'@A' -> I : neighbours that are each other's inverse leave the chain
    chain = list(node.args)
    for k in range(len(chain) - 1):
        if _inverse_pair(chain[k], chain[k + 1]):
            rest = chain[:k] + chain[k + 2:]
            return make_chain(rest) if rest else eye(node.shape[0])
    return None


def _inverse_pair(a: Expr, b: Expr) -> bool:
    def inverse_of(x: Expr, y: Expr) -> bool:
        return x.op == "inv" and x.args[0] is y
    transposed = a.op == "transpose" and b.op == "transpose" and (inverse_of(a.args[0], b.args[0])
                                                                  or inverse_of(b.args[0], a.args[0]))
    return inverse_of(a, b) or inverse_of(b, a) or transposed


def diagonal_at_an_end(node: Expr) -> Optional[Expr]:
    # diag(v)@M -> v*M ; M@diag(v) -> M*v' : a diagonal matrix at an end of a chain scales rows or columns
    # (diag(vec(A))@M stays when M is a matrix: the vec-Jacobian of A ⊙ X, as the textbook writes it)
    first, last = node.args[0], node.args[-1]
    if is_diagonal_matrix(first) and (first.args[0].op != "vec" or 1 in node.shape):
        return make_product([diagonal_vector(first), make_chain(list(node.args[1:]))], node.shape)
    if is_diagonal_matrix(last) and (last.args[0].op != "vec" or 1 in node.shape):
        return make_product([make_chain(list(node.args[:-1])), make_transpose(diagonal_vector(last))], node.shape)
    return None


# -------------------------------------------------------------- sums
def common_factor(node: Expr) -> Optional[Expr]:
    # A'@x + A@x -> (A' + A)@x ; X'@A + X'@B -> X'@(A + B) : terms sharing a chain's end factor
    terms = [split(t) for t in node.args]
    for side in (-1, 0):
        groups: dict = {}
        for k, (c, rest) in enumerate(terms):
            chain = _chain_of(rest) if rest is not None else None
            if chain is not None:
                groups.setdefault(chain[1][side], []).append(k)
        shared = next(((f, ks) for f, ks in groups.items() if len(ks) >= 2), None)
        if shared is None:
            continue
        factor, ks = shared
        inner = []
        for k in ks:
            c, rest = terms[k]
            scalars, chain = _chain_of(rest)
            remaining = chain[:-1] if side == -1 else chain[1:]
            inner.append(make_product([const(c)] + scalars + [make_chain(remaining)]))
        combined = make_chain([make_sum(inner), factor] if side == -1 else [factor, make_sum(inner)])
        others = [t for k, t in enumerate(node.args) if k not in ks]
        return make_sum(others + [combined], node.shape)
    return None


def common_coefficient(node: Expr) -> Optional[Expr]:
    # 2*A@x - 2*a -> 2*(A@x - a) ; A/s + B/s -> (A + B)/s : what every term shares, outside the sum
    parts = [_items(t) for t in node.args]
    magnitude = abs(parts[0][0])
    c = magnitude if all(abs(ci) == magnitude for ci, _ in parts) else 1.0
    shared = [bp for bp in parts[0][1] if all(bp in items for _, items in parts[1:])]
    if c == 1 and not shared:
        return None
    inner = [_rebuild(ci / c, [bp for bp in items if bp not in shared], None) for ci, items in parts]
    return _rebuild(c, shared + [(make_sum(inner), 1.0)], node.shape)


def sum_of_diagonals(node: Expr) -> Optional[Expr]:
    # diag(u) + 2*diag(v) -> diag(u + 2*v) ; diag(u) + eye(n) -> diag(u + 1)
    diagonal, others = [], []
    for t in node.args:
        c, items = _items(t)
        matrices = [(b, p) for b, p in items if b.shape != SCALAR]
        if len(matrices) == 1 and matrices[0][1] == 1 and (is_diagonal_matrix(matrices[0][0])
                                                          or matrices[0][0].op == "eye"):
            m = matrices[0][0]
            v = diagonal_vector(m) if m.op != "eye" else const(1.0)
            diagonal.append(_rebuild(c, [bp for bp in items if bp[0].shape == SCALAR] + [(v, 1.0)], None))
        else:
            others.append(t)
    if len(diagonal) < 2:
        return None
    n = node.shape[0]
    total = make_product([make_sum(diagonal), Expr("ones", (), (n, 1))], (n, 1))
    return make_sum(others + [Expr("diag", (total,))], node.shape)


def expand_if_smaller(node: Expr) -> Optional[Expr]:
    # -(y - 1)*s - y*(1 - s) -> s - y : multiply out products of sums (kept only if it weighs less)
    expanded, changed = [], False
    for t in node.args:
        c, items = _items(t)
        k = next((i for i, (b, p) in enumerate(items) if p == 1 and b.op == "add"), None)
        if k is None or len(items) < 2:
            expanded.append(t)
            continue
        others = items[:k] + items[k + 1:]
        for inner in items[k][0].args:
            expanded.append(make_product([const(c), inner] + [make_pow(b, const(p)) for b, p in others]))
        changed = True
    return make_sum(expanded, node.shape) if changed else None


# ---------------------------------------------------------- products
def distribute(node: Expr) -> Optional[Expr]:
    # H*(a - Y/H) -> H*a - Y ; s*(eye(n) - ones(n,1)@s') -> diag(s) - s@s' : multiply a sum out
    # (kept only when that weighs less: a factor cancels, or structure appears)
    c, items = _items(node)
    for k, (s, p) in enumerate(items):
        if p != 1 or s.op != "add":
            continue
        others = items[:k] + items[k + 1:]
        if not others or not _may_merge(others, s):
            return None
        return make_sum([make_product([const(c), term] + [make_pow(b, const(q)) for b, q in others], node.shape)
                         for term in s.args], node.shape)
    return None


def _may_merge(factors: list, total: Expr) -> bool:
    """Could multiplying `factors` into the terms of `total` cancel or merge anything?  Only if a
    term shares a base with them, or holds structure a product folds (eye, diag, ones, an outer
    product); otherwise the expansion is heavier for sure and is not built."""
    bases = {b for b, _ in factors}
    for t in total.args:
        for b, _ in _items(t)[1]:
            if b in bases or b.op in ("eye", "diag", "ones") or (b.op == "matmul" and b.args[0].shape[1] == 1):
                return True
    return False


def coefficient_into_sum(node: Expr) -> Optional[Expr]:
    # 0.5*(2*A + 2*B) -> A + B : a coefficient goes into a sum (kept only when coefficients vanish)
    c, rest = split(node)
    if rest is None or c == 1 or rest.op != "add":
        return None
    return make_sum([scaled(c * ci, ri) if ri is not None else const(c * ci)
                     for ci, ri in (split(t) for t in rest.args)], node.shape)


# --------------------------------------------------------------- sums of entries
def sum_of_an_outer_product(node: Expr) -> Optional[Expr]:
    # sum(u@r) -> sum(u)*sum(r) ; sum((u@r)*M) -> u'@M@r' : the trace trick back to vectors
    if node.attr is not None:
        return None
    c, items = _items(node.args[0])
    scalars = [(b, p) for b, p in items if b.shape == SCALAR]
    matrices = [(b, p) for b, p in items if b.shape != SCALAR]
    outer = next((b for b, p in matrices if p == 1 and b.op == "matmul" and len(b.args) == 2
                  and b.args[0].shape[1] == 1 and b.args[1].shape[0] == 1), None)
    if outer is None or len(matrices) > 2 or any(p != 1 for _, p in matrices):
        return None
    u, r = outer.args
    others = [b for b, _ in matrices if b is not outer]
    if others and others[0].shape != outer.shape:
        return None
    core = make_chain([make_transpose(u), others[0], make_transpose(r)]) if others else \
        make_product([Expr("sum", (u,)), Expr("sum", (r,))])
    return _rebuild(c, scalars + [(core, 1.0)], SCALAR)


def _narrowed(e: Expr, axis: int) -> Optional[Expr]:
    """e with its extent along `axis` cut to 1, where e is the same all along that axis (built
    entrywise from operands that are broadcast along it, such as x*ones(3, 2)), else None."""
    if e.shape[axis] == 1:
        return e
    if e.op == "ones":
        return Expr("ones", (), (1, e.shape[1]) if axis == 0 else (e.shape[0], 1))
    record = REGISTRY.get(e.op)
    if record is None or not record.elementwise:
        return None
    args = [_narrowed(a, axis) for a in e.args]
    if any(a is None for a in args):
        return None
    shape = (1, e.shape[1]) if axis == 0 else (e.shape[0], 1)
    return normal_node(e.op, tuple(args), e.attr, shape)


def sum_along_a_broadcast(node: Expr) -> Optional[Expr]:
    # sum(exp(x*ones(3, 2)), 1) -> 2*exp(x) : the sum along an axis the argument is constant on
    a = node.args[0]
    if node.attr not in (0, 1) or a.shape[node.attr] == 1:
        return None
    narrow = _narrowed(a, node.attr)
    if narrow is None:
        return None
    return make_product([dim(a.shape[node.attr]), narrow], node.shape)


RULES: dict[str, list] = {}
GENERIC = [Rule("of a scalar", "*", of_a_scalar, "tr(s) + logdet(t) + inv(u)", {"s": (), "t": (), "u": ()})]

for _rule in [
    pattern("log of exp", "log(exp(A))", "A"),
    pattern("exp of log", "exp(log(A))", "A", widens="A > 0"),
    pattern("square of a square root", "sqrt(A)^2", "A", widens="A >= 0"),
    pattern("inverse of an inverse", "inv(inv(A))", "A", widens="A invertible"),
    pattern("inverse of a product with an inverse", "inv(inv(X)@A)", "inv(A)@X"),
    pattern("inverse of a product with an inverse, mirrored", "inv(A@inv(X))", "X@inv(A)"),
    pattern("trace of the identity", "tr(eye(n))", "n"),
    pattern("diagonal of the identity", "diag(eye(n))", "ones(n, 1)"),
    pattern("diagonal matrix of ones", "diag(ones(n, 1))", "eye(n)"),
    pattern("diagonal of a diagonal matrix", "diag(diag(v))", "v", shapes={"v": ("n",)}),
    pattern("diagonal of a diagonal matrix of a row", "diag(diag(r))", "r'", shapes={"r": (1, "n")}),
    pattern("sum of ones", "sum(ones(m, n))", "m*n"),
    pattern("product of ones", "ones(m, k)@ones(k, n)", "k*ones(m, n)"),
    pattern("trace as a masked sum", "sum(M*eye(n))", "tr(M)"),
    pattern("sigmoid from exp", "exp(a)/(1 + exp(a))", "sigmoid(a)"),
    pattern("sigmoid from exp of the negative", "1/(1 + exp(-a))", "sigmoid(a)"),
    pattern("tanh from exp", "(exp(a) - exp(-a))/(exp(a) + exp(-a))", "tanh(a)"),
    Rule("inverses cancel in a chain", "matmul", inverses_cancel, "B@inv(A)'@A'@C",
         {"A": (3, 3), "B": (2, 3), "C": (3, 4)}),
    Rule("diagonal matrix at an end of a chain", "matmul", diagonal_at_an_end, "diag(v)@A@B",
         {"v": (3,), "A": (3, 4), "B": (4, 2)}),
    Rule("common factor", "add", common_factor, "A'@x + A@x", {"A": (3, 3), "x": (3,)}),
    Rule("common coefficient", "add", common_coefficient, "2*A@x - 2*a", {"A": (3, 4), "x": (4,), "a": (3,)}),
    Rule("sum of diagonals", "add", sum_of_diagonals, "diag(u) + 2*diag(v) + eye(3)", {"u": (3,), "v": (3,)}),
    Rule("expand if smaller", "add", expand_if_smaller, "-(y - 1)*s - y*(1 - s)", {"y": (3,), "s": (3,)}),
    Rule("distribute", "mul", distribute, "H*(a - Y/H)", {"H": (3, 2), "a": (3, 2), "Y": (3, 2)}),
    Rule("coefficient into a sum", "mul", coefficient_into_sum, "0.5*(2*A + 2*B)", {"A": (2, 3), "B": (2, 3)}),
    Rule("sum of an outer product", "sum", sum_of_an_outer_product, "sum((u@r')*M)",
         {"u": (3,), "r": (4,), "M": (3, 4)}),
    Rule("sum along a broadcast axis", "sum", sum_along_a_broadcast, "sum(exp(x*ones(3, 2)), 1)", {"x": (3,)}),
]:
    RULES.setdefault(_rule.op, []).append(_rule)
for _name, _op, _apply, _example, _shapes in KRON_RULES:     # the vec/Kronecker algebra (simplify.kron)
    RULES.setdefault(_op, []).append(Rule(_name, _op, _apply, _example, _shapes))


def all_rules() -> list:
    """Every rule of the table, generic ones included (what the tests parametrize over)."""
    return GENERIC + [r for rules in RULES.values() for r in rules]
