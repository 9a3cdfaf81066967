"""Normal forms the simplifier works in: monomials, term lists, product chains, symmetry.

A product c * a^p * b^q is (c, [(a, p), (b, q)]); a sum is a list of such
terms; a matrix product is its chain of factors.  build_monomial turns a
monomial back into the canonical expression.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> x = var("x", (3, 1))
>>> monomial(2 * x * x)
(2.0, [(var('x', (3, 1)), 2.0)])
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Optional

from ..ir.dims import SCALAR
from ..ir.expr import Expr, call, const, is_one, is_zero, ones, zeros
from ..ir.operator import operator
from ..ops import column as as_column
from ..ops import is_diagonal_matrix


def _integer(p: float) -> bool:
    return float(p).is_integer()


def monomial(e: Expr):
    """(coefficient, [(base, exponent), ...]) of a product of powers, bases in first-appearance order."""
    coef = 1.0
    powers: dict[Expr, float] = {}

    def collect(node: Expr, k: float):
        nonlocal coef
        op = node.op
        if op == "mul":
            for a in node.args:
                collect(a, k)
        elif op == "div":
            collect(node.args[0], k)
            collect(node.args[1], -k)
        elif op == "neg" and _integer(k):
            coef *= (-1.0) ** k
            collect(node.args[0], k)
        elif op == "const" and (node.value > 0 or _integer(k)):
            coef *= node.value ** k if node.value != 0 or k > 0 else float("nan")
        elif op == "ones":
            pass  # the shape guard puts ones back where broadcasting needs it
        elif op == "pow" and node.args[1].is_const and _integer(k):
            base, p = node.args[0], node.args[1].value
            if base.is_const or (base.op in ("mul", "div", "neg", "pow") and _integer(p)):
                collect(base, k * p)
            else:
                powers[base] = powers.get(base, 0.0) + k * p
        else:
            powers[node] = powers.get(node, 0.0) + k

    collect(e, 1.0)
    items = [(b, p) for b, p in powers.items() if p != 0]
    items.sort(key=lambda bp: bp[0].shape != SCALAR)  # stable: scalars first
    return coef, items


def _power(base: Expr, p: float) -> Expr:
    return base if p == 1 else base ** const(p)


def _product(factors: list) -> Optional[Expr]:
    out = None
    for f in factors:
        out = f if out is None else out * f
    return out


def build_monomial(coef: float, items: list, shape) -> Expr:
    """The canonical expression of coef * prod(base^p), broadcast to shape."""
    if coef == 0 or any(is_zero(b) for b, _ in items):
        return zeros(shape)
    items = _outer_product(_diag_from_eye(_sigmoid_from_exp(items)))
    magnitude, divisor = abs(coef), None
    reciprocal = 1 / magnitude
    if magnitude < 1 and reciprocal == round(reciprocal) and any(p > 0 for _, p in items):
        magnitude, divisor = 1.0, const(round(reciprocal))   # X/6 reads better than 0.166666666666667*X
    num = _product([_power(b, p) for b, p in items if p > 0])
    den = _product(([divisor] if divisor is not None else []) + [_power(b, -p) for b, p in items if p < 0])
    if num is None:
        num = ones(shape) if magnitude == 1 and den is None else const(magnitude)
    elif magnitude != 1:
        num = const(magnitude) * num
    out = num if den is None else num / den
    if coef < 0:
        out = -out
    if out.shape != tuple(shape):
        out = out * ones(shape)
    return out


def _outer_product(items: list) -> list:
    """u * v' (a column times a row, broadcast) is the outer product u@v'; so is u * (ones(n,1)@v')."""
    items = [(_row_of_ones_product(b), p) if p == 1 and b.shape != SCALAR else (b, p) for b, p in items]
    matrices = [(b, p) for b, p in items if b.shape != SCALAR]
    if len(matrices) != 2 or any(p != 1 for _, p in matrices):
        return items
    (a, _), (b, _) = matrices
    if a.shape[1] == 1 and b.shape[0] == 1 and a.shape[0] != 1 and b.shape[1] != 1:
        return [(x, p) for x, p in items if x.shape == SCALAR] + [(a @ b, 1.0)]
    if b.shape[1] == 1 and a.shape[0] == 1 and b.shape[0] != 1 and a.shape[1] != 1:
        return [(x, p) for x, p in items if x.shape == SCALAR] + [(b @ a, 1.0)]
    return items


def becomes_structured(b: Expr) -> bool:
    return b.op == "eye" or is_diagonal_matrix(b) or _row_of_ones_product(b) is not b


def _row_of_ones_product(b: Expr) -> Expr:
    """ones(n,1)@r is r broadcast over n rows: r itself, as a factor of an elementwise product."""
    if b.op == "matmul" and b.args[0].op == "ones" and b.args[0].shape[1] == 1 and b.args[1].shape[0] == 1:
        return b.args[1]
    return b


def _diag_from_eye(items: list) -> list:
    """v * eye(n) -> diag(v) and v * diag(u) -> diag(v*u), for vectors v (the form Jacobians come in)."""
    diagonal = next((b for b, p in items if p == 1 and (b.op == "eye" or is_diagonal_matrix(b))), None)
    if diagonal is None:
        return items
    n = diagonal.shape[0]
    others = [(b, p) for b, p in items if b is not diagonal]
    vectors = [(b, p) for b, p in others if b.shape != SCALAR]
    if not vectors or not all(b.shape in ((n, 1), (1, n)) for b, _ in vectors):
        return items
    inner = [] if diagonal.op == "eye" else [as_column(diagonal.args[0])]
    v = _product([_power(as_column(b), p) for b, p in vectors] + inner)
    scalars = [(b, p) for b, p in others if b.shape == SCALAR]
    return scalars + [(call("diag", v), 1.0)]


def _sigmoid_from_exp(items: list) -> list:
    """exp(a)/(1 + exp(a)) -> sigmoid(a).

    A lone 1/(1 + exp(a)) is left alone: simplification runs bottom-up, and the
    exp(a) that pairs with it often sits one product further out.
    """
    for b, p in items:
        if p != -1 or b.op != "add" or not any(is_one(x) for x in b.args):
            continue
        e = b.args[1] if is_one(b.args[0]) else b.args[0]
        if e.op != "exp":
            continue
        a = e.args[0]
        rest = [(x, q) for x, q in items if x is not b]
        if (e, 1.0) in rest:
            rest.remove((e, 1.0))
            return rest + [(call("sigmoid", a), 1.0)]
    return items


def _terms(node: Expr, sign: float, out: list):
    if node.op == "add":
        for a in node.args:
            _terms(a, sign, out)
    elif node.op == "sub":
        _terms(node.args[0], sign, out)
        _terms(node.args[1], -sign, out)
    elif node.op == "neg":
        _terms(node.args[0], -sign, out)
    elif is_zero(node):
        return
    else:
        coef, items = monomial(node)
        rest = items[0][0] if len(items) == 1 and items[0][1] == 1 else None
        if len(items) == 1 and rest is not None and rest.op in ("add", "sub") and abs(coef) == 1:
            _terms(rest, sign * coef, out)   # -(a - b) + c  ->  -a + b + c
        else:
            out.append((sign * coef, tuple(items)))


def terms_of(node: Expr) -> list:
    out: list = []
    _terms(node, 1.0, out)
    return out


def natural_shape(items) -> tuple:
    rows, cols = 1, 1
    for b, _ in items:
        rows = b.shape[0] if rows == 1 else rows
        cols = b.shape[1] if cols == 1 else cols
    return (rows, cols)


def sum_of(terms: list) -> Expr:
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def matmul_chain(items):
    """(scalar items, chain factors) of a term that is scalars times one matrix product, else None."""
    matrices = [(b, p) for b, p in items if b.shape != SCALAR]
    if len(matrices) != 1 or matrices[0][1] != 1 or matrices[0][0].op != "matmul":
        return None
    chain: list = []
    chain_factors(matrices[0][0], chain)
    return [(b, p) for b, p in items if b.shape == SCALAR], chain


def dag_size(e: Expr, cap: int = 300) -> int:
    """Distinct nodes of e, counting at most `cap` (enough to compare two rewrites)."""
    seen, stack = set(), [e]
    while stack and len(seen) < cap:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(n.args)
    return len(seen)


def chain_factors(node: Expr, out: list):
    for a in node.args:
        if a.op == "matmul":
            chain_factors(a, out)
        else:
            out.append(a)


def chain_product(chain: list) -> Expr:
    out = chain[0]
    for f in chain[1:]:
        out = out @ f
    return out


SYMMETRIC_VARIABLES: contextvars.ContextVar = contextvars.ContextVar("symmetric", default=frozenset())


@contextlib.contextmanager
def assume_symmetric(names):
    """Within the block, variables with these names are symmetric matrices (S' = S)."""
    token = SYMMETRIC_VARIABLES.set(frozenset(names))
    try:
        yield
    finally:
        SYMMETRIC_VARIABLES.reset(token)


def is_symmetric(e: Expr, depth: int = 0) -> bool:
    """Structurally symmetric: A'@A, A@D@A' with D symmetric, inv/elementwise of symmetric, ..."""
    if e.shape == SCALAR or e.op == "eye" or is_diagonal_matrix(e):
        return True
    if e.op == "var":
        return e.attr in SYMMETRIC_VARIABLES.get()
    if e.shape[0] != e.shape[1] or depth > 32:
        return False
    if e.op in ("ones", "zeros"):
        return True
    if e.op == "matmul":
        chain: list = []
        chain_factors(e, chain)
        k = len(chain)
        mirrored = all(_mirror(chain[i], chain[k - 1 - i], depth) for i in range(k // 2))
        return mirrored and (k % 2 == 0 or is_symmetric(chain[k // 2], depth + 1))
    if e.op == "inv" or operator(e.op).elementwise:
        return all(is_symmetric(a, depth + 1) for a in e.args)
    return False


def _mirror(a: Expr, b: Expr, depth: int) -> bool:
    """a = b' (so that a@...@b reads the same transposed)."""
    return a is _transposed(b) or (a is b and is_symmetric(a, depth + 1))


def _transposed(e: Expr) -> Expr:
    if e.op == "transpose":
        return e.args[0]
    return Expr("transpose", (e,))
