"""Square-matrix functions: trace, determinant, log-determinant, inverse; and diag.

`diag` is one operator with two readings, chosen by the argument's shape, as in
NumPy: the diagonal matrix of a vector, or the diagonal (a column) of a square matrix.
Each reading's adjoint is the other one.

>>> from matcalc.ir.expr import var, call
>>> call("diag", var("v", (3, 1))).shape, call("diag", var("A", (3, 3))).shape
((3, 3), (3, 1))
"""
from __future__ import annotations

from ..ir.dims import SCALAR, scalar_shape, square_shape
from ..ir.expr import Expr, call, eye, ones
from ..ir.operator import Code, Operator, register
from .builders import INVERTIBLE, POSITIVE_DETERMINANT, codes, column, linear
from .structure import kron, vec

_SQUARE_TO_SCALAR = "square n×n → 1×1"


def _square_to_scalar(what: str):
    return lambda dims, shapes, attr: scalar_shape(dims, square_shape(dims, shapes[0], what))


def _np_logdet(B, a):
    sign, logabs = B.xp.linalg.slogdet(a)
    return B.xp.where(sign > 0, logabs, float("nan")).reshape(1, 1)


def _torch_logdet(B, a):
    sign, logabs = B.xp.linalg.slogdet(a)
    return B.xp.where(sign > 0, logabs, B.xp.full_like(logabs, float("nan"))).reshape(1, 1)


def _scalar_codes(numpy: str, torch: str, jax: str) -> dict:
    """Code for a function of a square matrix with a 0-D result, reshaped to 1x1."""
    return codes(f"{numpy}({{0}}).reshape(1, 1)", f"{torch}({{0}}).reshape(1, 1)", f"{jax}({{0}}).reshape(1, 1)")


def _logdet_helper(xp: str) -> Code:
    return Code("_logdet", helper=f"""\
def _logdet(a):
    sign, logabs = {xp}.linalg.slogdet(a)
    return {xp}.where(sign > 0, logabs, {xp}.nan).reshape(1, 1)
""")


linear("tr", "trace", "trace", spellings=("tr", "trace"), syntax="tr(A), trace(A)", shape_doc=_SQUARE_TO_SCALAR,
       shape_rule=_square_to_scalar("tr"), trace_form="trace of a scaled identity", transpose=lambda y, i, G: G * eye(y.args[0].shape[0]),
       vec_jacobian=lambda y, i, J: vec(eye(y.args[0].shape[0])).T @ J, numpy=lambda B, a: B.xp.trace(a).reshape(1, 1),
       of_scalar=lambda s: s, text="tr", unicode="tr", latex=r"\operatorname{tr}",
       code=_scalar_codes("np.trace", "torch.trace", "jnp.trace"))

register(Operator(
    "det", "determinant", "determinant", spellings=("det",), syntax="det(A)", shape_doc=_SQUARE_TO_SCALAR,
    shape_rule=_square_to_scalar("det"), trace_form="cyclic",
    jvp=lambda y, i, t: y * call("tr", call("inv", y.args[0]) @ t),
    vjp=lambda y, i, G: G * y * call("inv", y.args[0]).T,
    numpy=lambda B, a: B.xp.linalg.det(a).reshape(1, 1),
    domain=(INVERTIBLE,), of_scalar=lambda s: s, text="det", unicode="det", latex=r"\det",
    code=_scalar_codes("np.linalg.det", "torch.linalg.det", "jnp.linalg.det")))

register(Operator(
    "logdet", "log-determinant", "log det A, for det A > 0", spellings=("logdet",), syntax="logdet(A)",
    shape_doc=_SQUARE_TO_SCALAR + " (det A > 0)", shape_rule=_square_to_scalar("logdet"), trace_form="cyclic",
    jvp=lambda y, i, t: call("tr", call("inv", y.args[0]) @ t),
    vjp=lambda y, i, G: G * call("inv", y.args[0]).T,
    numpy=_np_logdet, torch=_torch_logdet,
    domain=(POSITIVE_DETERMINANT,), of_scalar=lambda s: call("log", s), text="logdet", unicode="log det",
    latex=r"\log\det",   # torch.logdet is nan for det < 0, as the implementations are
    code=codes(_logdet_helper("np"), "torch.logdet({0}).reshape(1, 1)", _logdet_helper("jnp"))))

register(Operator(
    "inv", "inverse", "matrix inverse", spellings=("inv",), syntax="inv(A)", shape_doc="square n×n → n×n",
    shape_rule=lambda dims, shapes, attr: square_shape(dims, shapes[0], "inv"), trace_form="cyclic",
    jvp=lambda y, i, t: -(y @ t @ y),
    vjp=lambda y, i, G: -(y.T @ G @ y.T),
    numpy=lambda B, a: B.xp.linalg.inv(a),
    domain=(INVERTIBLE,), of_scalar=lambda s: 1 / s, text="inv",
    code=codes("np.linalg.inv", "torch.linalg.inv", "jnp.linalg.inv", fresh=True)))


# ----------------------------------------------------------------------- diag
def _embeds(shape) -> bool:
    """diag of a vector (a column or a row) builds a matrix; of a square matrix it extracts."""
    return 1 in shape and shape != SCALAR


def _diag_shape(dims, shapes, attr):
    a, = shapes
    rows, cols = dims.resolve(a[0]), dims.resolve(a[1])
    if rows == 1 and cols == 1:
        return SCALAR
    if rows == 1 or cols == 1:
        n = cols if rows == 1 else rows
        return (n, n)
    square_shape(dims, a, "diag of a matrix")
    return (a[0], 1)


def _diag_transpose(y: Expr, i: int, G: Expr) -> Expr:
    a = y.args[0]
    if not _embeds(a.shape):
        return call("diag", G)                 # the diagonal matrix of the column G
    d = call("diag", G)                        # the diagonal of G, as a column
    return d if a.shape[1] == 1 else d.T


def diagonal_selection(n) -> Expr:
    """E (n²×n) with vec(diag(v)) = E v: column i is e_i ⊗ e_i, i.e. diag(vec(I)) (𝟏 ⊗ I)."""
    return call("diag", vec(eye(n))) @ kron(ones((n, 1)), eye(n))


def _diag_vec_jacobian(y: Expr, i: int, J: Expr) -> Expr:
    if y.shape == SCALAR:
        return J
    a = y.args[0]
    if _embeds(a.shape):
        return diagonal_selection(y.shape[0]) @ J        # vec(diag(v)) = E v (a row's vec is its transpose)
    return diagonal_selection(a.shape[0]).T @ J          # diag(A) = Eᵀ vec(A)


def _np_diag(B, a):
    if a.shape == (1, 1):
        return a
    if 1 in a.shape:
        return B.xp.diag(a.reshape(-1))
    return B.xp.diag(a).reshape(-1, 1)


def _diag_code(xp: str, diagonal: str):
    def code(node, args):
        shape = node.args[0].shape
        if shape == SCALAR:
            return args[0]
        if _embeds(shape):
            return f"{xp}.diag({args[0]}.reshape(-1))"
        return f"{diagonal}({args[0]}).reshape(-1, 1)"
    return code


linear("diag", "diagonal", "diag(v): the diagonal matrix of a vector; diag(A): the diagonal of a square matrix",
       spellings=("diag",), syntax="diag(v), diag(A)", shape_rule=_diag_shape,
       shape_doc="vector n×1 or 1×n → n×n; square n×n → its diagonal, n×1",
       trace_form=lambda y: "diag as a product" if _embeds(y.args[0].shape) else "diag as a trace",
       transpose=_diag_transpose, vec_jacobian=_diag_vec_jacobian,
       numpy=_np_diag, of_scalar=lambda s: s, text="diag", unicode="diag", latex=r"\operatorname{diag}",
       code=codes(_diag_code("np", "np.diagonal"), _diag_code("torch", "torch.diagonal"),
                  _diag_code("jnp", "jnp.diagonal")))


def is_diagonal_matrix(e: Expr) -> bool:
    """diag(v) of a vector v: a square matrix with v on its diagonal."""
    return e.op == "diag" and _embeds(e.args[0].shape)


def diagonal_vector(e: Expr) -> Expr:
    """v of diag(v), as a column."""
    return column(e.args[0])
