"""Jacobians of vector functions of vectors: d vec(f)/d vec(x), numerator layout (size(f) × size(x)).

Forward propagation of vec-Jacobians through vector steps, with each operator's
vec_jacobian rule.  Matrix-times-vector products are first pushed inward so that
every step is a vector; where f still passes through a matrix that depends on x
(inv(A + x@x')@b), J is read off the differential instead: D f[v] is linear in v,
and its Jacobian with respect to a fresh v is J.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> A, x = var("A", (2, 3)), var("x", (3, 1))
>>> jacobian(A @ x, x).shape
(2, 3)
"""
from __future__ import annotations

from ..errors import UnsupportedError
from ..ir.dims import is_vector_shape, show_shape, vector_length
from ..ir.expr import Expr, eye, ones, walk, zeros
from ..ir.operator import operator
from ..ops import column, diagonal_vector, is_diagonal_matrix
from .forward import differential
from .reverse import depends_on, total

__all__ = ["jacobian", "vector_steps"]


def jacobian(f: Expr, x: Expr) -> Expr:
    """J with J_ij = d vec(f)_i / d vec(x)_j, for vector (or scalar) f and x."""
    try:
        return _forward_jacobian(f, x)
    except UnsupportedError:
        v = Expr("var", (), _fresh_name(f, "v"), x.shape)
        J = _forward_jacobian(differential(f, x, v), v)
        if v in depends_on(J, v):
            raise
        return J


def _fresh_name(f: Expr, stem: str) -> str:
    taken = {n.attr for n in walk(f) if n.op == "var"}
    name = stem
    while name in taken:
        name += "_"
    return name


def _forward_jacobian(f: Expr, x: Expr) -> Expr:
    n = vector_length(x.shape)
    if n is None or vector_length(f.shape) is None:
        raise UnsupportedError("a Jacobian needs a vector (or scalar) f and a vector variable")
    f = vector_steps(f)
    dep = depends_on(f, x)
    if f not in dep:
        return zeros((vector_length(f.shape), n))
    jac: dict[Expr, Expr] = {x: eye(n)}
    for node in walk(f):
        if node not in dep or node is x:
            continue
        m = vector_length(node.shape)
        if m is None:
            raise UnsupportedError(
                f"the Jacobian passes through a matrix-valued intermediate ({show_shape(node.shape)}); "
                "matcalc's closed-form Jacobians need vector-valued steps")
        op = operator(node.op)
        parts = []
        for i, a in enumerate(node.args):
            if a not in dep:
                continue
            part = op.vec_jacobian(node, i, jac[a]) if op.vec_jacobian is not None else None
            if part is None or not is_vector_shape(a.shape):
                raise UnsupportedError(f"no closed-form Jacobian through `{node.op}` of a matrix argument")
            if part.shape[0] != m:
                part = ones((m, 1)) @ part
            parts.append(part)
        jac[node] = total(parts, (m, n))
    return jac[f]


def vector_steps(f: Expr) -> Expr:
    """f with matrix-times-vector products pushed inward, so that every step is a vector.

    (A + B)@v -> A@v + B@v, (s*A)@v -> s*(A@v), (A@B)@v -> A@(B@v), and the mirror
    images for a row on the left: the Jacobian driver then meets no matrix-valued
    intermediate that depends on x in gradients like ((x'@A@x)*A)@x.
    """
    out: dict = {}
    for node in walk(f):
        args = tuple(out[a] for a in node.args)
        new = node if args == node.args else Expr(node.op, args, node.attr)
        if new.op == "matmul" and vector_length(new.shape) is not None:
            new = _push_chain(list(new.args))
        out[node] = new
    return out[f]


def _push_chain(factors: list) -> Expr:
    """A chain whose result is a vector, multiplied out from its vector end."""
    if factors[-1].shape[1] == 1:
        v = factors[-1]
        for m in reversed(factors[:-1]):
            v = _push_right(m, v)
        return v
    u = factors[0]
    for m in factors[1:]:
        u = _push_left(u, m)
    return u


def _scalar_and_rest(m: Expr):
    """(s, A) of a product s*A with a 1x1 s, or None."""
    if m.op == "mul" and len(m.args) == 2 and (1, 1) in (m.args[0].shape, m.args[1].shape):
        return m.args if m.args[0].shape == (1, 1) else m.args[::-1]
    return None


def _push_right(m: Expr, v: Expr) -> Expr:
    """m@v for a column v, distributed over m's sums, scalings and products."""
    op = m.op
    if op in ("add", "sub") and all(a.shape == m.shape for a in m.args):
        return Expr(op, tuple(_push_right(a, v) for a in m.args))
    if op == "neg":
        return -_push_right(m.args[0], v)
    scaled = _scalar_and_rest(m)
    if scaled is not None:
        return scaled[0] * _push_right(scaled[1], v)
    if op == "div" and m.args[1].shape == (1, 1):
        return _push_right(m.args[0], v) / m.args[1]
    if op == "matmul":
        for factor in reversed(m.args):
            v = _push_right(factor, v)
        return v
    if op == "transpose":
        return _push_right_transposed(m.args[0], v)
    if is_diagonal_matrix(m):
        return diagonal_vector(m) * v                    # diag(u)@v = u*v
    return m @ v


def _push_right_transposed(m: Expr, v: Expr) -> Expr:
    """m'@v, distributed: (A@B)'@v = B'@(A'@v), (A + B)'@v = A'@v + B'@v."""
    op = m.op
    if op == "transpose":
        return _push_right(m.args[0], v)
    if op == "matmul":
        for factor in m.args:
            v = _push_right(factor.T, v)
        return v
    if op in ("add", "sub") and all(a.shape == m.shape for a in m.args):
        return Expr(op, tuple(_push_right(a.T, v) for a in m.args))
    if op == "neg":
        return -_push_right(m.args[0].T, v)
    scaled = _scalar_and_rest(m)
    if scaled is not None:
        return scaled[0] * _push_right(scaled[1].T, v)
    return m.T @ v


def _push_left(u: Expr, m: Expr) -> Expr:
    """u@m for a row u: the mirror image of _push_right."""
    op = m.op
    if u.shape[0] != 1:
        return u @ m
    if op in ("add", "sub") and all(a.shape == m.shape for a in m.args):
        return Expr(op, tuple(_push_left(u, a) for a in m.args))
    if op == "neg":
        return -_push_left(u, m.args[0])
    scaled = _scalar_and_rest(m)
    if scaled is not None:
        return scaled[0] * _push_left(u, scaled[1])
    if op == "div" and m.args[1].shape == (1, 1):
        return _push_left(u, m.args[0]) / m.args[1]
    if op == "matmul":
        for factor in m.args:
            u = _push_left(u, factor)
        return u
    if is_diagonal_matrix(m):
        return u * diagonal_vector(m).T                  # u@diag(w) = u*w'
    return u @ m
