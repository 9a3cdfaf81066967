"""Rewrite rules for the vec/Kronecker algebra: kron, vec, unvec, the commutation matrix.

Each rule takes a node whose arguments are already simplified and returns an equal node,
or None to decline (the engine's contract); KRON_RULES maps an operator to its (name, rule)
pairs, which the engine appends to its own.  The identities (Magnus & Neudecker, ch. 2-3),
for A m×n, B p×q:
  (A ⊗ B)(C ⊗ D) = AC ⊗ BD             mixed product
  (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ,  K(m, n)ᵀ = K(n, m),  K(n, m) K(m, n) = I
  K(p, m)(A ⊗ B) = (B ⊗ A) K(q, n)       the commutation matrix moves right
  (A ⊗ B) vec(X) = vec(B X Aᵀ),  K(m, n) vec(X) = vec(Xᵀ)
  (I ⊗ 𝟏ᵀ) diag(vec A) (I ⊗ 𝟏) = diag(𝟏ᵀA)   the diagonal blocks summed (a bias's Hessian)
and two that let a differential reach vector form: (A ⊙ 𝟏r) B = A (rᵀ ⊙ B), diag(u wᵀ) = u ⊙ w.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var, eye
>>> A, B = var("A", (2, 3)), var("B", (4, 5))
>>> mixed_product(kron(B.T, eye(2)) @ kron(eye(4), A)) is kron(B.T, A)
True
"""
from __future__ import annotations

from typing import Optional

from ..ir.dims import SCALAR
from ..ir.expr import Expr, call, const, eye, is_zero, ones, zeros
from ..ops.structure import commutation, kron, vec

__all__ = ["KRON_RULES"]


def _chain(node: Expr) -> list:
    """The factors of a matrix product, nested products flattened."""
    out, stack = [], [node]
    while stack:
        e = stack.pop()
        if e.op == "matmul":
            stack.extend(reversed(e.args))
        else:
            out.append(e)
    return out


def _product(factors: list) -> Expr:
    out = factors[0]
    for f in factors[1:]:
        out = out @ f
    return out


def _scalar_and_matrix(e: Expr):
    """(c, A) with e = c*A for a 1×1 c, or None: -A, c*A, A/c."""
    if e.op == "neg":
        return const(-1), e.args[0]
    if e.op == "mul" and len(e.args) == 2:
        a, b = e.args
        if a.shape == SCALAR and b.shape != SCALAR:
            return a, b
        if b.shape == SCALAR and a.shape != SCALAR:
            return b, a
    if e.op == "div" and e.args[1].shape == SCALAR and e.args[0].shape != SCALAR:
        return 1 / e.args[1], e.args[0]
    return None


def _is_diag_of_vec(e: Expr) -> bool:
    return e.op == "diag" and e.args[0].op == "vec"


# ------------------------------------------------------------------------------- kron
def kron_of_scalar(node: Expr) -> Optional[Expr]:
    # kron(s, A) -> s*A ; kron(A, s) -> s*A ; kron(0, A) -> 0 ; kron(I, I) -> I ; kron(𝟏, 𝟏) -> 𝟏
    a, b = node.args
    if is_zero(a) or is_zero(b):
        return zeros(node.shape)
    if a.shape == SCALAR:
        return a * b
    if b.shape == SCALAR:
        return b * a
    if a.op == b.op == "eye":
        return eye(node.shape[0])
    if a.op == b.op == "ones":
        return ones(node.shape)
    return None


def kron_scalar_factor(node: Expr) -> Optional[Expr]:
    # kron(c*A, B) -> c*kron(A, B) ; kron(A, -B) -> -kron(A, B)
    a, b = node.args
    for k, arg in enumerate((a, b)):
        split = _scalar_and_matrix(arg)
        if split is not None:
            c, rest = split
            return c * (kron(rest, b) if k == 0 else kron(a, rest))
    return None


# -------------------------------------------------------------------------- transpose
def transpose_of_kron(node: Expr) -> Optional[Expr]:
    # kron(A, B)' -> kron(A', B') ; commutation(m, n)' -> commutation(n, m)
    a = node.args[0]
    if a.op == "kron":
        return kron(a.args[0].T, a.args[1].T)
    if a.op == "commutation":
        return commutation(*reversed(a.attr))
    return None


# ----------------------------------------------------------------------------- matmul
def _rewrite_pairs(node: Expr, combine) -> Optional[Expr]:
    """The chain with the first adjacent pair that `combine(left, right)` rewrites replaced."""
    factors = _chain(node)
    for k in range(len(factors) - 1):
        out = combine(factors[k], factors[k + 1])
        if out is not None:
            return _product(factors[:k] + out + factors[k + 2:])
    return None


def _mixed(left: Expr, right: Expr):
    # kron(A, B)@kron(C, D) -> kron(A@C, B@D) when A@C and B@D are defined
    if left.op == right.op == "kron":
        (a, b), (c, d) = left.args, right.args
        if a.shape[1] == c.shape[0] and b.shape[1] == d.shape[0]:
            return [kron(a @ c, b @ d)]
    return None


def mixed_product(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _mixed)


def _commute(left: Expr, right: Expr):
    # commutation(n, m)@commutation(m, n) -> I ; commutation(p, m)@kron(A, B) -> kron(B, A)@commutation(q, n)
    if left.op != "commutation":
        return None
    p, m = left.attr
    if right.op == "commutation" and right.attr == (m, p):
        return [eye(left.shape[0])]
    if right.op == "kron":
        a, b = right.args
        if (a.shape[0], b.shape[0]) == (m, p):
            return [kron(b, a), commutation(b.shape[1], a.shape[1])]
    if right.op == "vec" and right.args[0].shape == (p, m):
        return [vec(right.args[0].T)]                            # K(m, n) vec(X) = vec(X')
    return None


def commutation_product(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _commute)


def _vec_trick(left: Expr, right: Expr):
    # kron(A, B)@vec(X) -> vec(B@X@A') : the product without forming A ⊗ B
    if left.op == "kron" and right.op == "vec":
        a, b = left.args
        x = right.args[0]
        if x.shape == (b.shape[1], a.shape[1]):
            return [vec(b @ x @ a.T)]
    return None


def kron_times_vec(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _vec_trick)


def _hadamard(left: Expr, right: Expr):
    # diag(vec(A))@diag(vec(B)) -> diag(vec(A*B))
    if _is_diag_of_vec(left) and _is_diag_of_vec(right) and left.args[0].args[0].shape == right.args[0].args[0].shape:
        return [call("diag", vec(left.args[0].args[0] * right.args[0].args[0]))]
    return None


def product_of_diagonals(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _hadamard)


def _block_sums(left: Expr, a: Expr, right: Expr):
    """The axis whose sums (𝟏ᵀA or A𝟏) left@diag(vec(A))@right takes, or None.

    vec(𝟏ᵀA) = (I_n ⊗ 𝟏ᵀ_m) vec(A) and vec(A𝟏) = (𝟏ᵀ_n ⊗ I_m) vec(A) for A m×n; the sandwich
    with the transposed map sums each diagonal block.
    """
    m, n = a.shape
    over_rows = kron(eye(n), ones((1, m)))
    if left is over_rows and right is kron(eye(n), ones((m, 1))):
        return 0
    over_columns = kron(ones((1, n)), eye(m))
    if left is over_columns and right is kron(ones((n, 1)), eye(m)):
        return 1
    return None


def summed_blocks(node: Expr) -> Optional[Expr]:
    # kron(I, 𝟏ᵀ)@diag(vec(A))@kron(I, 𝟏) -> diag(sum(A, 0)) ; kron(𝟏ᵀ, I)@diag(vec(A))@kron(𝟏, I) -> diag(sum(A, 1))
    factors = _chain(node)
    for k in range(len(factors) - 2):
        left, middle, right = factors[k:k + 3]
        if not _is_diag_of_vec(middle):
            continue
        a = middle.args[0].args[0]
        axis = _block_sums(left, a, right)
        if axis is not None:
            return _product(factors[:k] + [call("diag", call("sum", a, attr=axis))] + factors[k + 3:])
    return None


def _row_scaling(left: Expr, right: Expr):
    # (A*r)@B -> A@(r'*B) for a row r scaling A's columns: A diag(r) B, so a direction inside r reaches B
    if left.op == "mul" and len(left.args) == 2 and 1 not in left.shape:
        for k, r in enumerate(left.args):
            a = left.args[1 - k]
            if r.shape == (1, left.shape[1]) and a.shape == left.shape:
                return [a, r.T * right]
    return None


def row_scaling(node: Expr) -> Optional[Expr]:
    return _rewrite_pairs(node, _row_scaling)


def _outer(e: Expr):
    """(u, w) for u@w' with u and w columns, else None."""
    if e.op == "matmul" and len(e.args) == 2 and e.args[0].shape[1] == 1 and e.args[1].shape[0] == 1:
        return e.args[0], e.args[1].T
    return None


def diagonal_of_outer(node: Expr) -> Optional[Expr]:
    # diag(u@w') -> u*w ; diag(u@w' + A) -> u*w + diag(A) : the diagonal of an outer product
    a = node.args[0]
    if 1 in a.shape:
        return None              # diag of a vector builds a matrix
    if _outer(a) is not None:
        u, w = _outer(a)
        return u * w
    if a.op in ("add", "sub") and any(_outer(t) is not None for t in a.args):
        return Expr(a.op, tuple(call("diag", t) for t in a.args))
    return None


# -------------------------------------------------------------------------- vec, unvec
def vec_rule(node: Expr) -> Optional[Expr]:
    # vec(x) -> x for a column, vec(r) -> r' for a row ; vec(unvec(v)) -> v ; vec(c*A) -> c*vec(A) ; vec(𝟏) -> 𝟏
    a = node.args[0]
    if a.shape[1] == 1:
        return a
    if a.shape[0] == 1:
        return a.T
    if a.op == "unvec":
        return a.args[0]
    if a.op in ("ones", "zeros"):
        return Expr(a.op, (), node.shape)
    split = _scalar_and_matrix(a)
    if split is not None:
        return split[0] * vec(split[1])
    return None


def unvec_rule(node: Expr) -> Optional[Expr]:
    # unvec(vec(X), m, n) -> X when X is m×n ; unvec(v, n, 1) -> v ; unvec(v, 1, n) -> v'
    v = node.args[0]
    if v.op == "vec" and v.args[0].shape == node.shape:
        return v.args[0]
    if node.shape[1] == 1:
        return v
    if node.shape[0] == 1:
        return v.T
    return None


def trivial_commutation(node: Expr) -> Optional[Expr]:
    # commutation(1, n) -> I ; commutation(m, 1) -> I
    return commutation(*node.attr) if 1 in node.attr else None


KRON_RULES = {
    "kron": [("kron of a scalar", kron_of_scalar), ("kron scalar factor", kron_scalar_factor)],
    "transpose": [("transpose of kron", transpose_of_kron)],
    "matmul": [("mixed product", mixed_product), ("commutation product", commutation_product),
               ("kron times vec", kron_times_vec), ("product of diagonals", product_of_diagonals),
               ("summed blocks", summed_blocks), ("row scaling", row_scaling)],
    "diag": [("diagonal of an outer product", diagonal_of_outer)],
    "vec": [("vec", vec_rule)],
    "unvec": [("unvec", unvec_rule)],
    "commutation": [("trivial commutation", trivial_commutation)],
}
