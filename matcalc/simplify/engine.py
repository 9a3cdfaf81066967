"""The simplifier: named rewrite rules keyed by operator, applied bottom-up to a fixed point.

A rule is (name, function): the function takes a node whose arguments are
already simple and returns a replacement, or None to decline.  The engine owns
recursion, memoization, the fixed point and a check that every rewrite keeps
the node's shape; `fired` records which rules ran (for --steps and tests).

Three canonical forms (their representations live in normal.py) do most of the work:
  products   c * a^p * b^q / ...   coefficient first, like bases merged, scalars first
  sums       like terms collected, constants folded, a positive term first
  matmuls    chains flattened, scalar factors pulled out, identities dropped

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> X = var("X", (2, 3))
>>> simplify((1 * X) + 0 * X).attr
'X'
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Optional

from ..ir.dims import SCALAR
from ..ir.expr import Expr, call, const, dim, eye, is_zero, ones, zeros
from ..ir.operator import REGISTRY
from ..ops import diagonal_vector, is_diagonal_matrix
from .kron import KRON_RULES
from .normal import (becomes_structured, build_monomial, chain_factors, chain_product, dag_size, is_symmetric,
                     matmul_chain, monomial, natural_shape, sum_of, terms_of)


Rewrite = Callable[[Expr], Optional[Expr]]


class SimplifyBug(AssertionError):
    """A rewrite changed a node's shape (a bug in a rule, never the user's fault)."""


def canonical_product(node: Expr) -> Optional[Expr]:
    # a*b/c*a -> a^2*b/c ; 2*(3*a) -> 6*a ; x*x^-1 -> 1 ; v*eye(n) -> diag(v)
    coef, items = monomial(node)
    return build_monomial(coef, items, node.shape)


def _odd(c: float) -> bool:
    return abs(c) != 1


def coefficient_into_sum(node: Expr) -> Optional[Expr]:
    # 0.5*(2*A + 2*B) -> A + B : a coefficient goes into a sum when that leaves fewer coefficients
    coef, items = monomial(node)
    if not _odd(coef) or len(items) != 1 or items[0][1] != 1 or items[0][0].op not in ("add", "sub"):
        return None
    terms = terms_of(items[0][0])
    before = 1 + sum(_odd(c) for c, _ in terms)
    after = sum(_odd(coef * c) for c, _ in terms)
    if after >= before:
        return None
    return sum_of([build_monomial(coef * c, list(t), natural_shape(t)) for c, t in terms]) * ones(node.shape)


def distribute_to_cancel(node: Expr) -> Optional[Expr]:
    # H*(a - Y/H) -> H*a - Y ; s*(eye(n) - ones(n,1)@s') -> diag(s) - s@s' : distribute over a sum
    # when a factor cancels, or a column meets eye/diag/ones@row and becomes diag or an outer product
    coef, items = monomial(node)
    for i, (s, p) in enumerate(items):
        if p != 1 or s.op not in ("add", "sub"):
            continue
        others = items[:i] + items[i + 1:]
        if not others:
            return None
        outside = dict(others)
        terms = terms_of(s)
        cancels = any(outside.get(b, 0) + q == 0 for _, t in terms for b, q in t)
        structural = any(becomes_structured(b) for _, t in terms for b, _ in t)
        if cancels or (structural and any(b.shape[1] == 1 and b.shape[0] != 1 for b, _ in others)):
            expanded = sum_of([build_monomial(c * coef, list(t) + others, node.shape) for c, t in terms])
            return expanded if expanded.shape == node.shape else expanded * ones(node.shape)
    return None


def canonical_sum(node: Expr) -> Optional[Expr]:
    # a + a -> 2*a ; a - a -> 0 ; 1 + 2 -> 3 ; -a + b -> b - a
    collected: dict[frozenset, list] = {}   # a*b and b*a are like terms
    for coef, items in terms_of(node):
        entry = collected.setdefault(frozenset(items), [0.0, items])
        entry[0] += coef
    terms = [(c, items) for c, items in collected.values() if c != 0]
    if not terms:
        return zeros(node.shape)
    first_positive = next((i for i, (c, _) in enumerate(terms) if c > 0), 0)
    terms.insert(0, terms.pop(first_positive))
    out = None
    for c, items in terms:
        if out is None:
            out = build_monomial(c, list(items), natural_shape(items))
        elif c > 0:
            out = out + build_monomial(c, list(items), natural_shape(items))
        else:
            out = out - build_monomial(-c, list(items), natural_shape(items))
    return out if out.shape == node.shape else out * ones(node.shape)


def sum_of_diagonals(node: Expr) -> Optional[Expr]:
    # diag(u) + 2*diag(v) -> diag(u + 2*v)
    diagonal, others = [], []
    for coef, items in terms_of(node):
        matrices = [(b, p) for b, p in items if b.shape != SCALAR]
        if len(matrices) == 1 and matrices[0][1] == 1 and is_diagonal_matrix(matrices[0][0]):
            scalars = [(b, p) for b, p in items if b.shape == SCALAR]
            v = diagonal_vector(matrices[0][0])
            diagonal.append(build_monomial(coef, scalars + [(v, 1.0)], v.shape))
        else:
            others.append(build_monomial(coef, list(items), natural_shape(items)))
    if len(diagonal) < 2:
        return None
    out = call("diag", sum_of(diagonal))
    return sum_of([out] + others) if others else out


def common_coefficient(node: Expr) -> Optional[Expr]:
    # 2*A@x - 2*a -> 2*(A@x - a) ; A/s + B/s -> (A + B)/s for a scalar s
    terms = terms_of(node)
    if len(terms) < 2:
        return None
    c = abs(terms[0][0])
    if any(abs(t) != c for t, _ in terms):
        c = 1.0
    shared = [(b, p) for b, p in terms[0][1] if b.shape == SCALAR and all((b, p) in items for _, items in terms[1:])]
    if c == 1 and not shared:
        return None
    inner = sum_of([build_monomial(t / c, [bp for bp in items if bp not in shared],
                                   natural_shape([bp for bp in items if bp not in shared])) for t, items in terms])
    out = build_monomial(c, shared + [(inner, 1.0)], node.shape)
    return out


def common_factor(node: Expr) -> Optional[Expr]:
    # A'@x + A@x -> (A' + A)@x ; X'@A + X'@B -> X'@(A + B)
    terms = terms_of(node)
    for side in (-1, 0):
        groups: dict = {}
        for i, (c, items) in enumerate(terms):
            chain = matmul_chain(items)
            if chain is not None and len(chain[1]) >= 2:
                groups.setdefault(chain[1][side], []).append(i)
        shared = next(((f, idx) for f, idx in groups.items() if len(idx) >= 2), None)
        if shared is None:
            continue
        factor, idx = shared
        rests = []
        for i in idx:
            c, items = terms[i]
            scalars, chain = matmul_chain(items)
            rest = chain_product(chain[:-1] if side == -1 else chain[1:])
            rests.append(build_monomial(c, scalars + [(rest, 1.0)], rest.shape))
        combined = sum_of(rests) @ factor if side == -1 else factor @ sum_of(rests)
        others = [build_monomial(c, list(items), natural_shape(items)) for j, (c, items) in enumerate(terms) if j not in idx]
        out = sum_of([combined] + others)
        return out if out.shape == node.shape else out * ones(node.shape)
    return None


def expand_if_smaller(node: Expr) -> Optional[Expr]:
    # -(y - 1)*s - y*(1 - s) -> s - y : multiply out products of sums when that shrinks the sum
    terms = terms_of(node)
    expanded, changed = [], False
    for c, items in terms:
        k = next((i for i, (b, p) in enumerate(items) if p == 1 and b.op in ("add", "sub")), None)
        if k is None or len(items) < 2:
            expanded.append(build_monomial(c, list(items), natural_shape(items)))
            continue
        others = list(items[:k]) + list(items[k + 1:])
        for c2, inner in terms_of(items[k][0]):
            expanded.append(build_monomial(c * c2, list(inner) + others, natural_shape(list(inner) + others)))
        changed = True
    if not changed:
        return None
    candidate = sum_of(expanded)
    candidate = canonical_sum(candidate if candidate.shape == node.shape else candidate * ones(node.shape))
    return candidate if dag_size(candidate) < dag_size(node) else None


def negate_sum(node: Expr) -> Optional[Expr]:
    # -(a - b) -> b - a
    return canonical_sum(node) if node.args[0].op in ("add", "sub") else None


def canonical_matmul(node: Expr) -> Optional[Expr]:
    # (2*A)@B -> 2*(A@B) ; A@eye(n) -> A ; s@A -> s*A for a 1x1 s ; A@(B@C) -> A@B@C
    factors: list = []
    chain_factors(node, factors)
    coef, scalars, chain, identity = 1.0, [], [], None
    for f in factors:
        if is_zero(f):
            return zeros(node.shape)
        c, items = monomial(f)
        coef *= c
        if f.shape == SCALAR:
            scalars.extend(items)
            continue
        scalars.extend((b, p) for b, p in items if b.shape == SCALAR)
        rest = [(b, p) for b, p in items if b.shape != SCALAR]
        matrix = build_monomial(1.0, rest, f.shape) if rest else ones(f.shape)
        if matrix.op == "eye":
            identity = matrix
        else:
            chain.append(matrix)
    if not chain and identity is not None:
        chain = [identity]
    product = chain_product(chain) if chain else None
    if product is not None and product.shape != node.shape:
        return None   # dropping a 1x1 factor changed the shape: leave as is
    items = scalars + ([(product, 1.0)] if product is not None else [])
    return build_monomial(coef, items, node.shape)


def diagonal_matmul(node: Expr) -> Optional[Expr]:
    # diag(v)@M -> v*M ; M@diag(v) -> M*v' ; ones(m,k)@ones(k,n) -> k*ones(m,n)
    if len(node.args) != 2:
        return None
    a, b = node.args
    if is_diagonal_matrix(a) and a.args[0].op != "vec":   # diag(vec(A))@J stays: the vec-Jacobian of A ⊙ X
        return diagonal_vector(a) * b
    if is_diagonal_matrix(b) and b.args[0].op != "vec":
        return a * diagonal_vector(b).T
    if a.op == "ones" and b.op == "ones":
        return dim(a.shape[1]) * ones(node.shape)
    return None


def transpose_rule(node: Expr) -> Optional[Expr]:
    # (A')' -> A ; s' -> s ; (A@B)' -> B'@A' ; (-A)' -> -A' ; ones(m,n)' -> ones(n,m)
    a = node.args[0]
    if is_symmetric(a):
        return a
    if a.op == "transpose":
        return a.args[0]
    if a.op == "ones":
        return ones((a.shape[1], a.shape[0]))
    if a.op == "zeros":
        return zeros((a.shape[1], a.shape[0]))
    if a.op == "matmul":
        return a.args[1].T @ a.args[0].T
    if a.op == "neg":
        return -(a.args[0].T)
    if a.op in ("add", "sub", "mul", "div") and sum(not is_symmetric(b) for b in a.args) <= 1:
        return Expr(a.op, tuple(b if is_symmetric(b) else b.T for b in a.args))   # (D + A)' -> D + A', (c*A)' -> c*A'
    return None   # (X@W - Y)' stays: pushing it into the sum would lose the shared X@W - Y


def of_a_scalar(node: Expr) -> Optional[Expr]:
    # tr(s) -> s, sum(s) -> s, logdet(s) -> log(s), inv(s) -> 1/s: each operator's record says
    of_scalar = REGISTRY[node.op].of_scalar
    if of_scalar is None or len(node.args) != 1 or node.args[0].shape != SCALAR:
        return None
    return of_scalar(node.args[0])


def _count(shape) -> Expr:
    rows, cols = shape
    return const(rows * cols) if isinstance(rows, int) and isinstance(cols, int) else dim(rows) * dim(cols)


def sum_rule(node: Expr) -> Optional[Expr]:
    # sum(ones(m,n)) -> m*n ; sum(zeros) -> 0 ; sum(c*A) -> c*sum(A) ; the same over one axis
    a = node.args[0]
    if is_zero(a):
        return zeros(node.shape)
    if a.op == "ones" and node.attr is None:
        return _count(a.shape)
    coef, items = monomial(a)
    if coef != 1 and items:
        return const(coef) * call("sum", build_monomial(1.0, items, a.shape), attr=node.attr)
    return sum_of_outer(items) if node.attr is None else None


def _is_outer(e: Expr) -> bool:
    return e.op == "matmul" and e.args[0].shape[1] == 1 and e.args[1].shape[0] == 1 and 1 not in e.shape


def sum_of_outer(items: list) -> Optional[Expr]:
    # sum((u@r)*M) -> u'@M@r' ; sum(u@r) -> sum(u)*sum(r) : the trace trick, back to vectors
    scalars = [(b, p) for b, p in items if b.shape == SCALAR]
    matrices = [(b, p) for b, p in items if b.shape != SCALAR]
    outer = next((b for b, p in matrices if p == 1 and _is_outer(b)), None)
    if outer is None or len(matrices) > 2 or any(p != 1 for _, p in matrices):
        return None
    u, r = outer.args
    others = [b for b, _ in matrices if b is not outer]
    core = u.T @ others[0] @ r.T if others else call("sum", u) * call("sum", r)
    return build_monomial(1.0, scalars + [(core, 1.0)], SCALAR)


def trace_rule(node: Expr) -> Optional[Expr]:
    # tr(eye(n)) -> n ; tr(zeros) -> 0 ; tr(c*A) -> c*tr(A)
    a = node.args[0]
    if a.op == "eye":
        return dim(a.shape[0])
    if is_zero(a):
        return const(0)
    coef, items = monomial(a)
    if coef != 1 and items:
        return const(coef) * call("tr", build_monomial(1.0, items, a.shape))
    return None


def diag_of_diagonal(node: Expr) -> Optional[Expr]:
    # diag(eye(n)) -> ones(n, 1) ; diag(diag(v)) -> v
    a = node.args[0]
    if a.op == "eye":
        return ones(node.shape)
    if is_diagonal_matrix(a):
        return diagonal_vector(a)
    return None


def diag_of_ones(node: Expr) -> Optional[Expr]:
    # diag(ones(n, 1)) -> eye(n)
    return eye(node.shape[0]) if node.args[0].op == "ones" and is_diagonal_matrix(node) else None


def pow_rule(node: Expr) -> Optional[Expr]:
    # A^1 -> A ; A^0 -> ones ; (A^p)^q -> A^(p*q) for integer q ; 2^3 -> 8
    base, p = node.args
    if not p.is_const:
        return None
    if p.value == 1:
        return base
    if p.value == 0:
        return ones(node.shape)
    if base.op in ("mul", "div", "neg", "const", "pow"):
        return canonical_product(node)
    return None


def _inverse_pair(outer: str, inner: str) -> Rewrite:
    return lambda node: node.args[0].args[0] if node.args[0].op == inner else None


RULES: dict[str, list] = {
    "mul": [("distribute to cancel", distribute_to_cancel), ("coefficient into sum", coefficient_into_sum),
            ("canonical product", canonical_product)],
    "div": [("distribute to cancel", distribute_to_cancel), ("coefficient into sum", coefficient_into_sum),
            ("canonical product", canonical_product)],
    "neg": [("negated sum", negate_sum), ("canonical product", canonical_product)],
    "pow": [("power", pow_rule)],
    "add": [("sum of diagonals", sum_of_diagonals), ("canonical sum", canonical_sum),
            ("expand if smaller", expand_if_smaller), ("common coefficient", common_coefficient),
            ("common factor", common_factor)],
    "sub": [("sum of diagonals", sum_of_diagonals), ("canonical sum", canonical_sum),
            ("expand if smaller", expand_if_smaller), ("common coefficient", common_coefficient),
            ("common factor", common_factor)],
    "matmul": [("diagonal matmul", diagonal_matmul), ("canonical matmul", canonical_matmul)],
    "transpose": [("transpose", transpose_rule)],
    "tr": [("trace", trace_rule)],
    "sum": [("sum", sum_rule)],
    "diag": [("diag of a diagonal", diag_of_diagonal), ("diag of ones", diag_of_ones)],
    "inv": [("inverse of inverse", _inverse_pair("inv", "inv"))],
    "log": [("log of exp", _inverse_pair("log", "exp"))],
    "exp": [("exp of log", _inverse_pair("exp", "log"))],
}
for _op, _rules in KRON_RULES.items():     # the vec/Kronecker algebra (kron.py)
    RULES.setdefault(_op, []).extend(_rules)


def simplify(root: Expr, fired: Optional[Counter] = None, memo: Optional[dict] = None) -> Expr:
    """The canonical simplified form of root; `fired` counts the rules that ran."""
    memo = {} if memo is None else memo
    for node in _unsimplified(root, memo):
        if node in memo:
            continue
        args = tuple(memo[a] for a in node.args)
        current = node if args == node.args else Expr(node.op, args, node.attr)
        memo[node] = _rewrite(current, fired, memo)
    return memo[root]


def _unsimplified(root: Expr, memo: dict) -> list:
    """Nodes below root not yet in memo, children first (simplified parts are not walked again)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in memo and node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(node.args))
    return order


GENERIC = [("of a scalar", of_a_scalar)]   # rules every operator's node is tried with


def _rewrite(node: Expr, fired, memo) -> Expr:
    if memo.get(node) is node:
        return node
    for name, rule in GENERIC + RULES.get(node.op, []):
        out = rule(node)
        if out is None or out is node:
            continue
        if out.shape != node.shape:
            raise SimplifyBug(f"rule `{name}` turned a {node.shape} node into {out.shape}")
        if fired is not None:
            fired[name] += 1
        memo[node] = node  # taken as simple while its replacement is simplified: no cycles
        out = simplify(out, fired, memo)
        memo[node] = out
        return out
    memo[node] = node
    return node
