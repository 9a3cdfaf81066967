"""Structure: vec, its inverse unvec, the Kronecker product and the commutation matrix.

The layout of matrix Jacobians (docs/kronecker.md): vec stacks columns, so for X m×n
  vec(A X B) = (Bᵀ ⊗ A) vec(X),   vec(A ⊙ X) = diag(vec A) vec(X),   vec(Xᵀ) = K(m, n) vec(X).
Shapes use dimension products that stay symbolic (vec of an m×n X is m*n × 1).

>>> from matcalc.ir.expr import var, call
>>> call("vec", var("X", ("m", "n"))).shape
(m*n, 1)
>>> call("kron", var("A", (2, 3)), var("B", (4, 5))).shape
(8, 15)
"""
from __future__ import annotations

from ..ir.dims import dim_product
from ..ir.expr import Expr, call, eye
from ..ir.operator import ATOM, PRODUCT, Code, Operator, register
from .builders import codes, linear

__all__ = ["vec", "unvec", "kron", "commutation"]


def vec(a: Expr) -> Expr:
    return call("vec", a)


def unvec(v: Expr, rows, cols) -> Expr:
    """The rows×cols matrix whose vec is the column v."""
    return Expr("unvec", (v,), (rows, cols))


def kron(a: Expr, b: Expr) -> Expr:
    return call("kron", a, b)


def commutation(m, n) -> Expr:
    """K(m, n), with vec(X') = K(m, n) vec(X) for X m×n (the identity when m or n is 1)."""
    return eye(dim_product(m, n)) if 1 in (m, n) else Expr("commutation", (), (m, n))


def _dims_call(head: str):
    """A form printing head(arguments..., dimensions...) with the printer's own dimensions."""
    return lambda p, e: p.call(head, [p.sub(a) for a in e.args] + [p.dimension(d) for d in e.attr])


# ------------------------------------------------------------------------ vec, unvec
def _vec_shape(dims, shapes, attr):
    (rows, cols), = shapes
    return (dim_product(dims.resolve(rows), dims.resolve(cols)), 1)


linear("vec", "vectorization", "the columns of A stacked into one column", spellings=("vec",), syntax="vec(A)",
       shape_rule=_vec_shape, shape_doc="m×n → mn×1", trace_form="inner product",
       transpose=lambda y, i, G: unvec(G, *y.args[0].shape),
       vec_jacobian=lambda y, i, J: J,
       numpy=lambda B, a: a.T.reshape(-1, 1), of_scalar=lambda s: s,
       text="vec", unicode="vec", latex=r"\operatorname{vec}",
       code={backend: Code("{0}.T.reshape(-1, 1)") for backend in ("numpy", "torch", "jax")})


def _unvec_shape(dims, shapes, attr):
    (rows, cols), = shapes
    m, n = attr
    dims.equal(cols, 1, "unvec needs a column")
    dims.equal(rows, dim_product(dims.resolve(m), dims.resolve(n)), "unvec(v, m, n) needs v of m*n entries")
    return (m, n)


linear("unvec", "unvectorization", "the m×n matrix whose vec is v (the inverse of vec)", spellings=("unvec",),
       dim_args=2, syntax="unvec(v, m, n)", shape_rule=_unvec_shape, shape_doc="mn×1 → m×n",
       trace_form="inner product", transpose=lambda y, i, G: vec(G),
       vec_jacobian=lambda y, i, J: J,
       numpy=lambda B, v, shape: v.reshape(shape[1], shape[0]).T, of_scalar=lambda s: s,
       code={backend: Code("{0}.reshape({cols}, {rows}).T") for backend in ("numpy", "torch", "jax")},
       text=_dims_call("unvec"), unicode=_dims_call("unvec"),
       latex=lambda p, e: rf"\operatorname{{vec}}^{{-1}}_{{{p.dimension(e.attr[0])},{p.dimension(e.attr[1])}}}"
                          rf"\left({p.sub(e.args[0])}\right)")


# ---------------------------------------------------------------------------- kron
def _kron_shape(dims, shapes, attr):
    (m, n), (p, q) = ([dims.resolve(d) for d in s] for s in shapes)
    return (dim_product(m, p), dim_product(n, q))


def _kron_vjp(y: Expr, i: int, G: Expr) -> Expr:
    """tr(Gᵀ (dA ⊗ B)) sums each p×q block of G weighted by B; tr(Gᵀ (A ⊗ dB)) the blocks weighted by A.

    The blocks are reached by reshaping: the rows of unvec(vec(G), m*p*q, n) run over (k, i, l)
    for G[i*p + k, j*q + l]; I ⊗ K(p, m) reorders them to (i, k, l), and vec(B)ᵀ ⊗ I contracts (k, l).
    """
    a, b = y.args
    (m, n), (p, q) = a.shape, b.shape
    if i == 0:
        blocks = unvec(vec(G), dim_product(m, p, q), n)
        return kron(vec(b).T, eye(m)) @ kron(eye(q), commutation(p, m)) @ blocks
    blocks = unvec(vec(G.T), q, dim_product(n, m, p)).T
    return kron(vec(a).T, eye(p)) @ commutation(n, dim_product(m, p)) @ blocks


def _kron_vec_jacobian(y: Expr, i: int, J: Expr) -> Expr:
    """vec(A ⊗ B) = (I_n ⊗ K(q, m) ⊗ I_p)(vec A ⊗ vec B), for A m×n and B p×q (Magnus & Neudecker)."""
    a, b = y.args
    (m, n), (p, q) = a.shape, b.shape
    shuffle = kron(eye(n), kron(commutation(q, m), eye(p)))
    factor = kron(eye(dim_product(m, n)), vec(b)) if i == 0 else kron(vec(a), eye(dim_product(p, q)))
    return shuffle @ factor @ J


def _np_kron(B, a, b):
    """The blocks a_ij b by broadcasting: the same in NumPy, torch and JAX (torch.kron fails on a
    transposed vector's strides under autograd)."""
    return (a[:, None, :, None] * b[None, :, None, :]).reshape(a.shape[0] * b.shape[0], a.shape[1] * b.shape[1])


def _kron_form(symbol: str, paren):
    def form(p, e):
        parts = []
        for a in e.args:
            inner = p.prec(a) < PRODUCT or (p.prec(a) == PRODUCT and a.op != "matmul")
            parts.append(p.parenthesize(a, inner))
        return paren(f"{parts[0]} {symbol} {parts[1]}")
    return form


register(Operator(
    "kron", "Kronecker product", "Kronecker product: the block matrix [A_ij B]", arity=2, spellings=("kron",),
    syntax="kron(A, B)", shape_rule=_kron_shape, shape_doc="m×n, p×q → mp×nq", linear=True,
    trace_form="inner product", jvp=lambda y, i, t: kron(t, y.args[1]) if i == 0 else kron(y.args[0], t),
    vjp=_kron_vjp, vec_jacobian=_kron_vec_jacobian, numpy=_np_kron,
    code=codes("np.kron", "torch.kron({0}.contiguous(), {1}.contiguous())", "jnp.kron", fresh=True),
    text="kron", unicode=_kron_form("⊗", lambda s: f"({s})"),
    latex=_kron_form(r"\otimes", lambda s: rf"\left({s}\right)"), precedence=ATOM))


# --------------------------------------------------------------------- commutation
def _np_commutation(B, shape, attr, resolve):
    """Row j + n*i of K(m, n) picks entry i + m*j of vec(X): X[i, j] moves to where vec(X') keeps it."""
    m, n = (resolve(d) for d in attr)
    return B.eye(m * n)[[r // n + m * (r % n) for r in range(m * n)]]


def _commutation_helper(eye: str, index: str) -> str:
    """Generated code's K(m, n): the rows of the identity in the order _np_commutation takes them."""
    return f"""\
def _commutation(m, n, dtype{', device' if 'device' in eye else ''}):
    rows = [r // n + m * (r % n) for r in range(m * n)]
    return {eye}[{index}]
"""


def _unicode_commutation(p, e):
    subscript = ",".join(p.dimension(d) for d in e.attr)
    small = subscript.translate(_SUBSCRIPT)
    return f"K{small}" if all(ch in _SUBSCRIPT_CHARS for ch in subscript) else f"K({subscript})"


_SUBSCRIPT_CHARS = "0123456789aehijklmnoprstuvx,"
_SUBSCRIPT = str.maketrans("0123456789aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")

register(Operator(
    "commutation", "commutation matrix", "K(m, n): the permutation with vec(X') = K(m, n)@vec(X) for X m×n",
    arity=0, leaf=True, dim_args=2, spellings=("commutation",), syntax="commutation(m, n)",
    shape_rule=lambda dims, shapes, attr: (dim_product(*attr),) * 2, shape_doc="mn×mn",
    jvp=lambda y, i, t: None, vjp=lambda y, i, G: None, linear=True, numpy=_np_commutation,
    code=codes(Code("_commutation({rows}, {cols}, _dtype)", fresh=True,
                    helper=_commutation_helper("np.eye(m * n, dtype=dtype)", "rows")),
               Code("_commutation({rows}, {cols}, _dtype, _device)", fresh=True,
                    helper=_commutation_helper("torch.eye(m * n, dtype=dtype, device=device)", "rows")),
               Code("_commutation({rows}, {cols}, _dtype)",
                    helper=_commutation_helper("jnp.eye(m * n, dtype=dtype)", "jnp.array(rows)"))),
    text=_dims_call("commutation"), unicode=_unicode_commutation,
    latex=lambda p, e: f"K_{{{p.dimension(e.attr[0])},{p.dimension(e.attr[1])}}}"))
