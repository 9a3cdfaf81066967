"""Rewrites of the expression DAG that make generated code cheaper; the value never changes.

  constants    a 1×1 subexpression of numbers alone (exp(2), 1/3) is computed once, here, and written
               as a Python number: a number keeps the inputs' dtype in every backend, where a
               float64 array made from exp(2) would turn float32 code into float64;
  display      the simplifier's normal form (a + (-1)*b, a*b^-1) as the text printer shows it,
               by each operator's own display hook (a - b, a/b): fewer operations, and code
               that reads like the formulas in its docstring;

  multiples    c*a*b*... where the product a*b*... is computed elsewhere anyway is c times that
               product: d(b1) = 2*S shares S with d(W1) = 2*X'@S (the simplifier flattens 2*S);
  broadcasts   u*ones(m, n) inside an elementwise operation of that m×n shape is u, which broadcasts:
               eye(n) - p'*ones(n, n) is eye(n) - p', with no n×n array of ones;
  scaled       c*(A@G) where c*G is computed anyway is A@(c*G): d(W1) = 2*X'@G with d(b1) = 2*G
               reads the one scaled array instead of scaling twice;
  chains       a product A@B@C (nested binary products used once are one chain) is associated
               by its cost when every size is known: the classic dynamic programme over the
               chain's dimensions, as numpy.linalg.multi_dot does at run time (a chain with a
               symbolic size stays n-ary and is left to multi_dot in the generated code);
  diagonals    diag(v) inside a product scales the rows or columns of its smaller neighbour,
               X'@diag(d)@X -> X'@(d*X): no dense diagonal matrix is built;
  outer        a product with inner dimension 1, u@v' (m×1 @ 1×n), is the elementwise u*v',
               which elementwise code fuses with what follows;
  symmetric    a product whose structure makes it symmetric (X'@diag(d)@X, A@A') is reported
               to the caller, whose code may compute only the blocks on and above the diagonal.

For JAX, row_vector_products then writes A'@b as (b'@A)' (see there).

Each rewrite keeps shapes (nodes are interned, so shared parts stay shared).

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> A, B, c = var("A", (100, 2)), var("B", (2, 100)), var("c", (100, 1))
>>> chain = lower([A @ B @ c])[0]
>>> chain.args[1].op, chain.args[1].shape     # A@(B@c): 400 multiplications, not 20,000
('matmul', (2, 1))
"""
from __future__ import annotations

from ..errors import MatcalcError
from ..ir.expr import Expr, const, walk
from ..ir.operator import REGISTRY
from ..ops import diagonal_vector, is_diagonal_matrix
from ..printing.base import shown
from ..simplify import is_symmetric

__all__ = ["lower", "row_vector_products", "use_counts", "chain_order", "bundle"]


def use_counts(roots: list) -> dict:
    """How many times each node is an argument, plus once per root it is."""
    uses: dict = {}
    for node in walk(bundle(roots)):
        for a in node.args:
            uses[a] = uses.get(a, 0) + 1
    for r in roots:
        uses[r] = uses.get(r, 0) + 1
    return uses


def bundle(roots: list) -> Expr:
    """One node whose arguments are the roots, to walk several roots as one DAG."""
    return Expr("tuple", tuple(roots), None, (1, 1))


def displayed(roots: list) -> list:
    """The roots with every node in the form the text printer shows (a - b for a + (-1)*b)."""
    memo: dict = {}

    def visit(node: Expr) -> Expr:
        if node not in memo:
            form = _difference(shown(node, "text"))
            args = tuple(visit(a) for a in form.args)
            memo[node] = form if args == form.args else Expr(form.op, args, form.attr)
        return memo[node]
    return [visit(r) for r in roots]


def _difference(e: Expr) -> Expr:
    """a + (-b) + (-c) as a - (b + c): one subtraction, not a negation per term."""
    if e.op != "add":
        return e
    minus = [a.args[0] for a in e.args if a.op == "neg"]
    plus = [a for a in e.args if a.op != "neg"]
    if not minus or not plus:
        return e
    def total(terms):
        return terms[0] if len(terms) == 1 else Expr("add", tuple(terms))
    return Expr("sub", (total(plus), total(minus)))


def folded(roots: list) -> list:
    """The roots with each 1×1 subexpression of numbers alone replaced by its value (exp(2) -> 7.389...)."""
    constant: dict = {}
    new: dict = {}
    for node in walk(bundle(roots)):
        if node.op == "tuple":
            continue
        record = REGISTRY.get(node.op)
        constant[node] = (node.op != "var" and all(constant[a] for a in node.args)
                          and all(isinstance(d, int) for d in node.shape)
                          and not (node.op == "dim" and not isinstance(node.attr, int)))
        args = tuple(new[a] for a in node.args)
        if constant[node] and node.shape == (1, 1) and node.op != "const" and not record.leaf:
            value = _value(node)
            if value is not None:
                new[node] = const(value)
                continue
        new[node] = node if args == node.args else Expr(node.op, args, node.attr)
    return [new[r] for r in roots]


def _value(node: Expr):
    """node's number, or None where numpy cannot compute it here (generated code will say why)."""
    from ..numerics.backends import numpy_backend
    from ..numerics.evaluate import run
    try:
        return float(run(node, {}, numpy_backend()).reshape(()))
    except (MatcalcError, ArithmeticError, ValueError):
        return None


def without_broadcast_ones(roots: list) -> list:
    """The roots with u*ones(shape) written u wherever an elementwise parent broadcasts u to that shape anyway."""
    new: dict = {}
    for node in walk(bundle(roots)):
        if node.op == "tuple":
            continue
        args = tuple(new[a] for a in node.args)
        record = REGISTRY.get(node.op)
        if record is not None and record.elementwise and not record.leaf:
            for i, a in enumerate(args):
                rest = tuple(x for x in a.args if not (x.op == "ones" and x.shape == a.shape)) if a.op == "mul" else ()
                if 0 < len(rest) < len(a.args):
                    trial = args[:i] + ((rest[0] if len(rest) == 1 else Expr("mul", rest)),) + args[i + 1:]
                    if Expr(node.op, trial, node.attr).shape == node.shape:
                        args = trial
        new[node] = node if args == node.args else Expr(node.op, args, node.attr)
    return [new[r] for r in roots]


def scaled_factors(roots: list) -> list:
    """The roots with c*(A@G) written A@(c*G) wherever c*G is a node of its own."""
    nodes = set(walk(bundle(roots)))
    memo: dict = {}

    def visit(node: Expr) -> Expr:
        if node not in memo:
            form = node
            if node.op == "mul" and len(node.args) == 2 and node.args[0].op == "const" \
                    and node.args[1].op == "matmul":
                c, product = node.args
                for i, factor in enumerate(product.args):
                    if Expr("mul", (c, factor)) in nodes:
                        form = Expr("matmul", product.args[:i] + (Expr("mul", (c, factor)),) + product.args[i + 1:])
                        break
            args = tuple(visit(a) for a in form.args)
            memo[node] = form if args == form.args else Expr(form.op, args, form.attr)
        return memo[node]
    return [visit(r) for r in roots]


def shared_multiples(roots: list) -> list:
    """The roots with c*a*b*... written c*(a*b*...) wherever the product a*b*... is a node of its own."""
    nodes = set(walk(bundle(roots)))
    new: dict = {}
    for node in walk(bundle(roots)):
        if node.op == "tuple":
            continue
        args = tuple(new[a] for a in node.args)
        if node.op == "mul" and len(args) > 2:
            numbers = tuple(a for a in node.args if a.op == "const")
            rest = tuple(a for a in node.args if a.op != "const")
            if numbers and len(rest) > 1 and Expr("mul", rest) in nodes:
                args = tuple(new[a] for a in numbers) + (new[Expr("mul", rest)],)
        new[node] = node if args == node.args else Expr(node.op, args, node.attr)
    return [new[r] for r in roots]


def row_vector_products(roots: list) -> list:
    """The roots with A'@b (A a matrix, b a column) written (b'@A)': for JAX, whose compiler copies
    the transpose of a tall A before a matrix-vector product, but reads A as it is laid out for a
    row vector times A (one pass over A instead of two)."""
    new: dict = {}
    for node in walk(bundle(roots)):
        if node.op == "tuple":
            continue
        args = tuple(new[a] for a in node.args)
        form = node if args == node.args else Expr(node.op, args, node.attr)
        if form.op == "matmul" and len(args) == 2 and args[0].op == "transpose" and args[1].shape[1] == 1 \
                and 1 not in args[0].shape:
            form = Expr("transpose", (Expr("matmul", (Expr("transpose", (args[1],)), args[0].args[0])),))
        new[node] = form
    return [new[r] for r in roots]


def lower(roots: list, uses: dict | None = None, symmetric: set | None = None) -> list:
    """The roots rewritten for generated code (see the module docstring); uses: use_counts(roots).

    symmetric: a set to which the lowered products known to be symmetric are added (X'@diag(d)@X
    lowers to X'@(d*X), whose structure no longer shows it), for code that computes half of them.
    """
    roots = scaled_factors(shared_multiples(without_broadcast_ones(displayed(folded(roots)))))
    uses = use_counts(roots) if uses is None else uses
    new: dict = {}
    for node in walk(bundle(roots)):
        if node.op == "tuple":
            continue
        args = tuple(new[a] for a in node.args)
        if node.op == "matmul":
            new[node] = _product([new[a] for a in _operands(node, uses)])
            if symmetric is not None and new[node].op == "matmul" and is_symmetric(node):
                symmetric.add(new[node])
        else:
            new[node] = node if args == node.args else Expr(node.op, args, node.attr)
    return [new[r] for r in roots]


def _operands(node: Expr, uses: dict) -> list:
    """The factors of a chain, through nested products used nowhere else."""
    out = []
    for a in node.args:
        if a.op == "matmul" and uses.get(a, 0) == 1:
            out += _operands(a, uses)
        else:
            out.append(a)
    return out


def _size(shape) -> float:
    rows, cols = shape
    return rows * cols if isinstance(rows, int) and isinstance(cols, int) else float("inf")


def _product(factors: list) -> Expr:
    factors = _without_diagonals(factors)
    if len(factors) == 1:
        return factors[0]
    if all(isinstance(d, int) for f in factors for d in f.shape):
        return _associate(factors, chain_order([f.shape for f in factors]))
    return Expr("matmul", tuple(factors))


def _without_diagonals(factors: list) -> list:
    """diag(v) folded into a neighbour: diag(v)@B = v*B (rows scaled), A@diag(v) = A*v' (columns)."""
    factors = list(factors)
    i = 0
    while len(factors) > 1 and i < len(factors):
        f = factors[i]
        if not is_diagonal_matrix(f):
            i += 1
            continue
        v = diagonal_vector(f)
        left = factors[i - 1] if i > 0 else None
        right = factors[i + 1] if i + 1 < len(factors) else None
        if right is not None and (left is None or _size(right.shape) <= _size(left.shape)):
            factors[i:i + 2] = [v * right]
        else:
            factors[i - 1:i + 1] = [left * v.T]
            i -= 1
    return factors


def chain_order(shapes: list) -> dict:
    """split[(i, j)] = k: the cheapest product of factors i..j multiplies (i..k) by (k+1..j).

    The textbook dynamic programme on dimensions p0, p1, ..., pn (factor i is p_i × p_{i+1}).
    """
    p = [shapes[0][0]] + [s[1] for s in shapes]
    n = len(shapes)
    cost = {(i, i): 0 for i in range(n)}
    split: dict = {}
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            best = None
            for k in range(i, j):
                c = cost[(i, k)] + cost[(k + 1, j)] + p[i] * p[k + 1] * p[j + 1]
                if best is None or c < best:
                    best, split[(i, j)] = c, k
            cost[(i, j)] = best
    return split


def _associate(factors: list, split: dict, i: int = 0, j: int | None = None) -> Expr:
    j = len(factors) - 1 if j is None else j
    if i == j:
        return factors[i]
    k = split[(i, j)]
    return _binary(_associate(factors, split, i, k), _associate(factors, split, k + 1, j))


def _binary(a: Expr, b: Expr) -> Expr:
    """a@b; with inner dimension 1 (an outer product, or a scalar factor) the elementwise a*b."""
    if a.shape[1] == 1:
        return a * b
    return a @ b
