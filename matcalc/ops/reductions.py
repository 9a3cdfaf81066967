"""Reductions and normalizations: sum and mean (over all entries or one axis), norm, logsumexp, softmax.

Axes follow NumPy and results stay 2-D: sum(X, 0) sums over the rows (1×n),
sum(X, 1) over the columns (m×1).

>>> from matcalc.ir.expr import var, call
>>> call("sum", var("X", (4, 3)), attr=0).shape
(1, 3)
"""
from __future__ import annotations

from ..ir.dims import SCALAR, ShapeClash, dim_product, scalar_shape, same_shape
from ..ir.expr import Expr, call, dim, eye, ones
from ..ir.operator import Code, Operator, Param, register
from .builders import codes, linear
from .structure import kron

AXIS = Param("axis", (0, 1), "0: over the rows (a 1×n row of column sums), 1: over the columns (an m×1 column)")


def _axis_shape(dims, shapes, axis):
    (rows, cols), = shapes
    if axis is None:
        return SCALAR
    return (1, cols) if axis == 0 else (rows, 1)


def _count(shape, axis) -> Expr:
    """How many entries each result of a reduction over `axis` sums: m*n, m or n (a dimension value)."""
    rows, cols = shape
    if axis == 0:
        return dim(rows)
    if axis == 1:
        return dim(cols)
    return dim(rows) * dim(cols) if not (isinstance(rows, int) and isinstance(cols, int)) else dim(rows * cols)


def _sum_vec_jacobian(y: Expr, i: int, J: Expr) -> Expr:
    """sum(A) = 𝟏ᵀvec(A); vec(𝟏ᵀA) = (I ⊗ 𝟏ᵀ) vec(A) over the rows; vec(A𝟏) = (𝟏ᵀ ⊗ I) vec(A) over the columns."""
    rows, cols = y.args[0].shape
    if y.attr is None:
        return ones((1, dim_product(rows, cols))) @ J
    if y.attr == 0:
        return kron(eye(cols), ones((1, rows))) @ J
    return kron(ones((1, cols)), eye(rows)) @ J


def _np_sum(B, a, axis=None):
    return a.sum().reshape(1, 1) if axis is None else a.sum(axis=axis, keepdims=True)


def _torch_sum(B, a, axis=None):
    return a.sum().reshape(1, 1) if axis is None else a.sum(dim=axis, keepdim=True)


def _np_mean(B, a, axis=None):
    return a.mean().reshape(1, 1) if axis is None else a.mean(axis=axis, keepdims=True)


def _torch_mean(B, a, axis=None):
    return a.mean().reshape(1, 1) if axis is None else a.mean(dim=axis, keepdim=True)


def _reduction_code(method: str, keepdims: str):
    """x.sum().reshape(1, 1) over all entries; x.sum(0, keepdims=True) over one axis."""
    def code(node, args):
        if node.attr is None:
            return f"{args[0]}.{method}().reshape(1, 1)"
        return f"{args[0]}.{method}({node.attr}, {keepdims}=True)"
    return code


def _reduction_codes(method: str) -> dict:
    return codes(_reduction_code(method, "keepdims"), _reduction_code(method, "keepdim"),
                 _reduction_code(method, "keepdims"))


_AXIS_SHAPE_DOC = "→ 1×1 (all entries); sum(A, 0) → 1×n, sum(A, 1) → m×1"


def _as_ones_product(e: Expr, style: str):
    """sum(A, 0) is 𝟏ᵀA and sum(A, 1) is A𝟏 in math, as the trace-trick texts write them."""
    if style == "text" or e.attr is None:
        return None
    a = e.args[0]
    return ones((1, a.shape[0])) @ a if e.attr == 0 else a @ ones((a.shape[1], 1))


linear("sum", "sum of entries", "sum of all entries, or over one axis", params=(AXIS,), spellings=("sum",),
       trace_form="sum as a trace",
       syntax="sum(A), sum(A, 0), sum(A, 1)", shape_doc=_AXIS_SHAPE_DOC,
       shape_rule=lambda dims, shapes, attr: _axis_shape(dims, shapes, attr),
       transpose=lambda y, i, G: G * ones(y.args[0].shape), vec_jacobian=_sum_vec_jacobian,
       numpy=_np_sum, torch=_torch_sum, of_scalar=lambda s: s, text="sum", unicode="sum",
       latex=r"\operatorname{sum}", display=_as_ones_product, code=_reduction_codes("sum"))


def _mean_vec_jacobian(y: Expr, i: int, J: Expr):
    return _sum_vec_jacobian(y, i, J) / _count(y.args[0].shape, y.attr)


linear("mean", "mean of entries", "mean of all entries, or over one axis", params=(AXIS,), spellings=("mean",),
       trace_form="sum as a trace",
       syntax="mean(A), mean(A, 0), mean(A, 1)", shape_doc=_AXIS_SHAPE_DOC.replace("sum", "mean"),
       shape_rule=lambda dims, shapes, attr: _axis_shape(dims, shapes, attr),
       transpose=lambda y, i, G: G * ones(y.args[0].shape) / _count(y.args[0].shape, y.attr),
       vec_jacobian=_mean_vec_jacobian, numpy=_np_mean, torch=_torch_mean, of_scalar=lambda s: s,
       text="mean", unicode="mean", latex=r"\operatorname{mean}", code=_reduction_codes("mean"))


def _np_norm(B, a):
    return B.xp.sqrt((a * a).sum()).reshape(1, 1)


register(Operator(
    "norm", "Frobenius norm", "Frobenius norm (Euclidean for vectors)", spellings=("norm",), syntax="norm(A)",
    trace_form="inner product",
    shape_rule=lambda dims, shapes, attr: scalar_shape(dims, *shapes), shape_doc="→ 1×1",
    jvp=lambda y, i, t: call("sum", y.args[0] * t) / y,
    vjp=lambda y, i, G: G * y.args[0] / y,
    numpy=_np_norm, of_scalar=lambda s: call("abs", s), text="norm", unicode="‖{0}‖",
    code=codes("np.linalg.norm({0}).reshape(1, 1)", "torch.linalg.norm({0}).reshape(1, 1)",
               "jnp.linalg.norm({0}).reshape(1, 1)"),
    latex=lambda printer, e: rf"\left\|{printer.sub(e.args[0])}\right\|" + ("" if 1 in e.args[0].shape else "_F")))


def _np_logsumexp(B, a):
    m = a.max()
    return (m + B.xp.log(B.xp.exp(a - m).sum())).reshape(1, 1)


def _weights(y: Expr) -> Expr:
    return call("exp", y.args[0] - y)     # softmax of all entries: exp(A - logsumexp(A))


register(Operator(
    "logsumexp", "log-sum-exp", "log of the sum of exp over all entries", spellings=("logsumexp",),
    syntax="logsumexp(A)", trace_form="inner product", shape_rule=lambda dims, shapes, attr: scalar_shape(dims, *shapes), shape_doc="→ 1×1",
    jvp=lambda y, i, t: call("sum", _weights(y) * t),
    vjp=lambda y, i, G: G * _weights(y),
    numpy=_np_logsumexp, of_scalar=lambda s: s, text="logsumexp", unicode="logsumexp",
    latex=r"\operatorname{logsumexp}",
    code=codes(Code("_logsumexp", helper="""\
def _logsumexp(a):
    top = a.max()
    return (top + np.log(np.exp(a - top).sum())).reshape(1, 1)
"""), "torch.logsumexp({0}.reshape(-1), 0).reshape(1, 1)", "jax.nn.logsumexp({0}).reshape(1, 1)")))


def _softmax_shape(dims, shapes, attr):
    a, = shapes
    if dims.resolve(a[1]) == 1 and dims.resolve(a[0]) != 1:
        raise ShapeClash("softmax normalizes each row, and a column has rows of one entry: "
                         "write softmax(x') for a vector x")
    return same_shape(dims, a)


def _row_sums(M: Expr) -> Expr:
    return M @ ones((M.shape[1], 1))


def _np_softmax(B, a):
    e = B.xp.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _torch_softmax(B, a):
    return B.xp.softmax(a, dim=1)


register(Operator(
    "softmax", "row softmax", "each row normalized: exp(A) over its row sums (rows are samples)",
    spellings=("softmax",), syntax="softmax(A)", shape_rule=_softmax_shape,
    shape_doc="same; each row normalized (an n×1 column with n > 1 is an error)",
    jvp=lambda y, i, t: y * (t - _row_sums(y * t)),
    vjp=lambda y, i, G: y * (G - _row_sums(G * y)),
    numpy=_np_softmax, torch=_torch_softmax, text="softmax", unicode="softmax", latex=r"\operatorname{softmax}",
    naming="H", code=codes(Code("_softmax", helper="""\
def _softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e
"""), "torch.softmax({0}, 1)", "jax.nn.softmax({0}, axis=1)")))
