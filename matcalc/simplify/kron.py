"""Rewrite rules for the vec/Kronecker algebra: kron, vec, unvec, the commutation matrix.

Each rule takes a normal-form node and proposes an equal node, or None (simplify.rules'
contract: the engine keeps a proposal only if it weighs less).  `KRON_RULES` lists them as
(name, operator, rule, example, shapes) for the rule table.  The identities (Magnus and
Neudecker, ch. 2-3), for A m×n, B p×q:
  (A ⊗ B)(C ⊗ D) = AC ⊗ BD             mixed product
  K(n, m) K(m, n) = I,  K(p, m)(A ⊗ B) = (B ⊗ A) K(q, n)   the commutation matrix moves right
  (A ⊗ B) vec(X) = vec(B X Aᵀ),  vec(X)ᵀ(A ⊗ B) = vec(Bᵀ X A)ᵀ,  K(m, n) vec(X) = vec(Xᵀ)
  (I ⊗ 𝟏ᵀ) diag(vec A) (I ⊗ 𝟏) = diag(𝟏ᵀA)   the diagonal blocks summed (a bias's Hessian)
Transposes ((A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ, K(m, n)ᵀ = K(n, m)) and scalar factors of kron are the normal
form's business (simplify.normal).

>>> from matcalc import ops
>>> from matcalc.ir.expr import var, eye
>>> A, B = var("A", (2, 3)), var("B", (4, 5))
>>> mixed_product(make_chain([kron(B.T, eye(2)), kron(eye(4), A)])) is kron(B.T, A)
True
"""
from __future__ import annotations

from typing import Optional

from ..ir.dims import SCALAR
from ..ir.expr import Expr, call, eye, is_zero, ones, zeros
from ..ops.structure import commutation, kron, vec
from .normal import make_chain, make_product, make_sum, make_transpose

__all__ = ["KRON_RULES"]


def _is_diag_of_vec(e: Expr) -> bool:
    return e.op == "diag" and e.args[0].op == "vec"


def _rewrite_pairs(node: Expr, combine) -> Optional[Expr]:
    """The chain with the first adjacent pair that `combine(left, right)` rewrites replaced."""
    factors = list(node.args)
    for k in range(len(factors) - 1):
        out = combine(factors[k], factors[k + 1])
        if out is not None:
            rest = factors[:k] + out + factors[k + 2:]
            return make_chain(rest, node.shape) if rest else eye(node.shape[0])
    return None


# ------------------------------------------------------------------------------- kron
def kron_of_scalar(node: Expr) -> Optional[Expr]:
    # kron(s, A) -> s*A ; kron(0, A) -> 0 ; kron(eye(m), eye(n)) -> eye(m*n) ; kron(𝟏, 𝟏) -> 𝟏
    a, b = node.args
    if is_zero(a) or is_zero(b):
        return zeros(node.shape)
    if SCALAR in (a.shape, b.shape):
        return make_product([a, b], node.shape)
    if a.op == b.op == "eye":
        return eye(node.shape[0])
    if a.op == b.op == "ones":
        return ones(node.shape)
    return None


# ----------------------------------------------------------------------------- matmul
def _mixed(left: Expr, right: Expr):
    # kron(A, B)@kron(C, D) -> kron(A@C, B@D) when A@C and B@D are defined
    if left.op == right.op == "kron":
        (a, b), (c, d) = left.args, right.args
        if a.shape[1] == c.shape[0] and b.shape[1] == d.shape[0]:
            return [kron(make_chain([a, c]), make_chain([b, d]))]
    return None


def mixed_product(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _mixed)


def commutation_cancels(node: Expr) -> Optional[Expr]:
    # K(p, m)@kron(A, B)@K(n, q) -> kron(B, A) ; K(m, n)@vec(X) -> vec(X') : K moves right through
    # Kronecker products (each swaps its factors) until it meets its inverse or a vec
    factors = list(node.args)
    for k, f in enumerate(factors):
        if f.op != "commutation":
            continue
        p, m = f.attr
        moved = []
        for j in range(k + 1, len(factors)):
            g = factors[j]
            if g.op == "commutation" and g.attr == (m, p):
                rest = factors[:k] + moved + factors[j + 1:]
                return make_chain(rest, node.shape) if rest else eye(node.shape[0])
            if g.op == "vec" and g.args[0].shape == (p, m):
                return make_chain(factors[:k] + moved + [vec(make_transpose(g.args[0]))] + factors[j + 1:],
                                  node.shape)
            if g.op != "kron" or (g.args[0].shape[0], g.args[1].shape[0]) != (m, p):
                break
            a, b = g.args
            moved.append(kron(b, a))
            p, m = b.shape[1], a.shape[1]
    return None


def _vec_trick(left: Expr, right: Expr):
    # kron(A, B)@vec(X) -> vec(B@X@A') ; vec(X)'@kron(A, B) -> vec(B'@X@A)' : without forming A ⊗ B
    if left.op == "kron" and right.op == "vec":
        a, b = left.args
        x = right.args[0]
        if x.shape == (b.shape[1], a.shape[1]):
            return [vec(make_chain([b, x, make_transpose(a)]))]
    if left.op == "transpose" and left.args[0].op == "vec" and right.op == "kron":
        a, b = right.args
        x = left.args[0].args[0]
        if x.shape == (b.shape[0], a.shape[0]):
            return [make_transpose(vec(make_chain([make_transpose(b), x, a])))]
    return None


def kron_times_vec(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _vec_trick)


def _hadamard(left: Expr, right: Expr):
    # diag(vec(A))@diag(vec(B)) -> diag(vec(A*B))
    if _is_diag_of_vec(left) and _is_diag_of_vec(right):
        a, b = left.args[0].args[0], right.args[0].args[0]
        if a.shape == b.shape:
            return [call("diag", vec(make_product([a, b], a.shape)))]
    return None


def product_of_diagonals(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _hadamard)


def _block_sums(left: Expr, a: Expr, right: Expr):
    """The axis whose sums (𝟏ᵀA or A𝟏) left@diag(vec(A))@right takes, or None.

    vec(𝟏ᵀA) = (I_n ⊗ 𝟏ᵀ_m) vec(A) and vec(A𝟏) = (𝟏ᵀ_n ⊗ I_m) vec(A) for A m×n; the sandwich
    with the transposed map sums each diagonal block.
    """
    m, n = a.shape
    if left is kron(eye(n), ones((1, m))) and right is kron(eye(n), ones((m, 1))):
        return 0
    if left is kron(ones((1, n)), eye(m)) and right is kron(ones((n, 1)), eye(m)):
        return 1
    return None


def summed_blocks(node: Expr) -> Optional[Expr]:
    # kron(I, 𝟏ᵀ)@diag(vec(A))@kron(I, 𝟏) -> diag(sum(A, 0)) ; kron(𝟏ᵀ, I)@diag(vec(A))@kron(𝟏, I) -> diag(sum(A, 1))
    factors = list(node.args)
    for k in range(len(factors) - 2):
        left, middle, right = factors[k:k + 3]
        if not _is_diag_of_vec(middle):
            continue
        a = middle.args[0].args[0]
        axis = _block_sums(left, a, right)
        if axis is not None:
            sums = Expr("sum", (a,), axis)
            block = call("diag", sums if axis == 1 else make_transpose(sums))
            rest = factors[:k] + [block] + factors[k + 3:]
            return make_chain(rest, node.shape)
    return None


def _diagonal_times_ones(left: Expr, right: Expr):
    # diag(v)@ones(n, 1) -> v ; ones(1, n)@diag(v) -> v' : the row sums of a diagonal matrix
    if left.op == "diag" and 1 in left.args[0].shape and right.op == "ones" and right.shape[1] == 1:
        v = left.args[0]
        return [v if v.shape[1] == 1 else make_transpose(v)]
    if right.op == "diag" and 1 in right.args[0].shape and left.op == "ones" and left.shape[0] == 1:
        v = right.args[0]
        return [v if v.shape[0] == 1 else make_transpose(v)]
    return None


def diagonal_times_ones(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _diagonal_times_ones)


def _row_scaling(left: Expr, right: Expr):
    # (A*r)@B -> A@(r'*B) for a row r scaling A's columns: A diag(r) B, so that a differential
    # dx' inside r reaches the vector side ((X*dx')@c = X@(dx*c)); kept where it weighs less
    if left.op == "mul" and len(left.args) == 2 and 1 not in left.shape:
        for k, r in enumerate(left.args):
            a = left.args[1 - k]
            if r.shape == (1, left.shape[1]) and a.shape == left.shape:
                return [a, make_product([make_transpose(r), right], right.shape)]
    return None


def row_scaling(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _row_scaling)


# ------------------------------------------------------------------------------- diag
def _outer(e: Expr):
    """(u, w) for u@w' with u and w columns, else None."""
    if e.op == "matmul" and len(e.args) == 2 and e.args[0].shape[1] == 1 and e.args[1].shape[0] == 1:
        return e.args[0], make_transpose(e.args[1])
    return None


def diagonal_of_outer(node: Expr) -> Optional[Expr]:
    # diag(u@w') -> u*w ; diag(u@w' + A) -> u*w + diag(A) : the diagonal of an outer product
    a = node.args[0]
    if 1 in a.shape:
        return None              # diag of a vector builds a matrix
    if _outer(a) is not None:
        u, w = _outer(a)
        return make_product([u, w], node.shape)
    if a.op == "add" and any(_outer(t) is not None for t in a.args):
        return make_sum([Expr("diag", (t,)) for t in a.args], node.shape)
    return None


# -------------------------------------------------------------------------- vec, unvec
def vec_rule(node: Expr) -> Optional[Expr]:
    # vec(x) -> x for a column, vec(r) -> r' for a row ; vec(unvec(v, m, n)) -> v ; vec(𝟏) -> 𝟏
    a = node.args[0]
    if a.shape[1] == 1:
        return a
    if a.shape[0] == 1:
        return make_transpose(a)
    if a.op == "unvec":
        return a.args[0]
    if a.op in ("ones", "zeros"):
        return Expr(a.op, (), node.shape)
    return None


def unvec_rule(node: Expr) -> Optional[Expr]:
    # unvec(vec(X), m, n) -> X when X is m×n ; unvec(v, n, 1) -> v ; unvec(v, 1, n) -> v'
    v = node.args[0]
    if v.op == "vec" and v.args[0].shape == node.shape:
        return v.args[0]
    if node.shape[1] == 1:
        return v
    if node.shape[0] == 1:
        return make_transpose(v)
    return None


def trivial_commutation(node: Expr) -> Optional[Expr]:
    # commutation(1, n) -> eye(n) ; commutation(m, 1) -> eye(m)
    return eye(node.shape[0]) if 1 in node.attr else None


_MN = {"A": ("m", "n"), "B": ("p", "q")}
KRON_RULES = [
    ("Kronecker product with a scalar or identities", "kron", kron_of_scalar, "kron(s, A) + kron(eye(2), eye(3))",
     {"s": (), "A": (6, 6)}),
    ("mixed product", "matmul", mixed_product, "kron(B', eye(2))@kron(eye(4), A)", {"A": (2, 3), "B": (4, 5)}),
    ("commutation matrix cancels", "matmul", commutation_cancels,
     "commutation(2, 3)@kron(A, B)@commutation(4, 5)", {"A": (3, 4), "B": (2, 5)}),
    ("Kronecker product times a vec", "matmul", kron_times_vec, "kron(eye(4), A)@vec(X)",
     {"A": (2, 3), "X": (3, 4)}),
    ("product of diagonals", "matmul", product_of_diagonals, "diag(vec(A))@diag(vec(B))",
     {"A": (2, 3), "B": (2, 3)}),
    ("summed diagonal blocks", "matmul", summed_blocks, "kron(eye(3), ones(1, 2))@diag(vec(A))@kron(eye(3), ones(2, 1))",
     {"A": (2, 3)}),
    ("diagonal matrix times ones", "matmul", diagonal_times_ones, "diag(vec(A))@ones(6, 1)@r", {"A": (2, 3), "r": (1, 4)}),
    ("row scaling moves into the next factor", "matmul", row_scaling, "(X*x')@c", {"X": (3, 4), "x": (4,), "c": (4,)}),
    ("diagonal of an outer product", "diag", diagonal_of_outer, "diag(u@w' + A)",
     {"u": (3,), "w": (3,), "A": (3, 3)}),
    ("vec of a vector, an unvec or ones", "vec", vec_rule, "vec(r)", {"r": (1, 4)}),
    ("unvec of a vec or into a vector", "unvec", unvec_rule, "unvec(vec(X), 2, 3)", {"X": (2, 3)}),
    ("trivial commutation matrix", "commutation", trivial_commutation, "commutation(1, 3)", {}),
]
