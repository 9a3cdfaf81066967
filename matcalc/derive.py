"""The drivers: they know no operator, only the rules table.

  gradient(f, x)        reverse accumulation of adjoints: df = tr(G' dx), returns G
  differential(f, x, v) forward: the directional derivative of f at x along v
  jacobian(f, x)        d vec(f) / d vec(x) for vector f and vector x (numerator layout)

Each visits the DAG once (shared subexpressions once), sums contributions, and
reduces broadcast adjoints to the operand's shape.

>>> from .expr import call, var
>>> X, W = var("X", (5, 3)), var("W", (3, 2))
>>> gradient(call("sum", X @ W), W).shape
(3, 2)
"""
from __future__ import annotations

from .errors import UnsupportedError
from .expr import Expr, call, eye, is_vector, ones, walk, zeros
from .rules import rule_for, vec


def depends_on(root: Expr, x: Expr) -> set:
    """The nodes of root whose value depends on x."""
    dep = set()
    for node in walk(root):
        if node is x or any(a in dep for a in node.args):
            dep.add(node)
    return dep


def unbroadcast(adjoint: Expr, shape) -> Expr:
    """Sum an adjoint over the axes along which an operand of `shape` was broadcast."""
    if adjoint.shape == tuple(shape):
        return adjoint
    if tuple(shape) == (1, 1):
        return call("sum", adjoint)
    rows = adjoint.shape[0]
    if shape[0] == 1 and rows != 1:
        adjoint = ones((1, rows)) @ adjoint
    if shape[1] == 1 and adjoint.shape[1] != 1:
        adjoint = adjoint @ ones((adjoint.shape[1], 1))
    return adjoint


def _total(parts: list, shape) -> Expr:
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total if total.shape == tuple(shape) else total * ones(shape)


def gradient(f: Expr, x: Expr, trace=None) -> Expr:
    """df/dx for scalar f, with x's shape (reverse mode over the DAG).

    trace(node, rule, frontier), if given, is called after each rule: frontier is
    [(u, G_u)] with df = sum of tr(G_u' du) at that point of the derivation.
    """
    if f.shape != (1, 1):
        raise UnsupportedError(f"f is {f.shape[0]}×{f.shape[1]}, not a scalar")
    dep = depends_on(f, x)
    if f not in dep:
        return zeros(x.shape)
    adjoints: dict[Expr, list] = {f: [ones((1, 1))]}
    for node in reversed([n for n in walk(f) if n in dep]):
        parts = adjoints.pop(node, None)
        if parts is None:
            continue
        G = _total(parts, node.shape)
        if node is x:
            return G
        rule = rule_for(node.op)
        for i, a in enumerate(node.args):
            if a in dep:
                adjoints.setdefault(a, []).append(unbroadcast(rule.vjp[i](node, G), a.shape))
        if trace is not None:
            trace(node, rule, [(u, _total(parts, u.shape)) for u, parts in adjoints.items()])
    return zeros(x.shape)


def differential(f: Expr, x: Expr, v: Expr) -> Expr:
    """The directional derivative of f at x along v (same shape as x), f's shape."""
    dep = depends_on(f, x)
    if f not in dep:
        return zeros(f.shape)
    tangents: dict[Expr, Expr] = {x: v}
    for node in walk(f):
        if node not in dep or node is x:
            continue
        rule = rule_for(node.op)
        parts = [rule.jvp[i](node, tangents[a]) for i, a in enumerate(node.args) if a in dep]
        tangents[node] = _total(parts, node.shape)
    return tangents[f]


def _size(shape):
    rows, cols = shape
    if rows == 1:
        return cols
    if cols == 1:
        return rows
    return None


def jacobian(f: Expr, x: Expr) -> Expr:
    """J with J_ij = d vec(f)_i / d vec(x)_j, for vector (or scalar) f and x.

    Forward propagation of vec-Jacobians through vector steps; where f passes through a
    matrix that depends on x (inv(A + x@x')), J is read off the differential instead:
    D f[v] is linear in v, and its Jacobian with respect to a fresh v is J.
    """
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
    n = _size(x.shape)
    if n is None or _size(f.shape) is None:
        raise UnsupportedError("a Jacobian needs a vector (or scalar) f and a vector variable")
    f = vector_steps(f)
    dep = depends_on(f, x)
    if f not in dep:
        return zeros((_size(f.shape), n))
    jac: dict[Expr, Expr] = {x: eye(n)}
    for node in walk(f):
        if node not in dep or node is x:
            continue
        m = _size(node.shape)
        if m is None:
            raise UnsupportedError(
                f"the Jacobian passes through a matrix-valued intermediate ({node.shape[0]}×{node.shape[1]}); "
                "matcalc's closed-form Jacobians need vector-valued steps")
        rule = rule_for(node.op)
        parts = []
        for i, a in enumerate(node.args):
            if a not in dep:
                continue
            part = rule.jac[i](node, jac[a]) if rule.jac else None
            if part is None or not is_vector(a.shape):
                raise UnsupportedError(f"no closed-form Jacobian through `{node.op}` of a matrix argument")
            if part.shape[0] != m:
                part = ones((m, 1)) @ part
            parts.append(part)
        jac[node] = _total(parts, (m, n))
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
        if new.op == "matmul" and _size(new.shape) is not None:
            a, b = new.args
            new = _push_right(a, b) if b.shape[1] == 1 else _push_left(a, b)
        out[node] = new
    return out[f]


def _push_right(m: Expr, v: Expr) -> Expr:
    """m@v for a column v, distributed over m's sums, scalings and products."""
    op = m.op
    if op in ("add", "sub") and all(a.shape == m.shape for a in m.args):
        return Expr(op, (_push_right(m.args[0], v), _push_right(m.args[1], v)))
    if op == "neg":
        return -_push_right(m.args[0], v)
    if op == "mul" and (1, 1) in (m.args[0].shape, m.args[1].shape):
        s, a = m.args if m.args[0].shape == (1, 1) else m.args[::-1]
        return s * _push_right(a, v)
    if op == "div" and m.args[1].shape == (1, 1):
        return _push_right(m.args[0], v) / m.args[1]
    if op == "matmul":
        return _push_right(m.args[0], _push_right(m.args[1], v))
    if op == "transpose":
        return _push_right_transposed(m.args[0], v)
    if op == "diag_embed":
        return vec(m.args[0]) * v                       # diag(u)@v = u*v
    return m @ v


def _push_right_transposed(m: Expr, v: Expr) -> Expr:
    """m'@v, distributed: (A@B)'@v = B'@(A'@v), (A + B)'@v = A'@v + B'@v."""
    op = m.op
    if op == "transpose":
        return _push_right(m.args[0], v)
    if op == "matmul":
        return _push_right(m.args[1].T, _push_right(m.args[0].T, v))
    if op in ("add", "sub") and all(a.shape == m.shape for a in m.args):
        return Expr(op, (_push_right(m.args[0].T, v), _push_right(m.args[1].T, v)))
    if op == "neg":
        return -_push_right(m.args[0].T, v)
    if op == "mul" and (1, 1) in (m.args[0].shape, m.args[1].shape):
        s, a = m.args if m.args[0].shape == (1, 1) else m.args[::-1]
        return s * _push_right(a.T, v)
    return m.T @ v


def _push_left(u: Expr, m: Expr) -> Expr:
    """u@m for a row u: the mirror image of _push_right."""
    op = m.op
    if u.shape[0] != 1:
        return u @ m
    if op in ("add", "sub") and all(a.shape == m.shape for a in m.args):
        return Expr(op, (_push_left(u, m.args[0]), _push_left(u, m.args[1])))
    if op == "neg":
        return -_push_left(u, m.args[0])
    if op == "mul" and (1, 1) in (m.args[0].shape, m.args[1].shape):
        s, a = m.args if m.args[0].shape == (1, 1) else m.args[::-1]
        return s * _push_left(u, a)
    if op == "div" and m.args[1].shape == (1, 1):
        return _push_left(u, m.args[0]) / m.args[1]
    if op == "matmul":
        return _push_left(_push_left(u, m.args[0]), m.args[1])
    if op == "diag_embed":
        return u * vec(m.args[0]).T                     # u@diag(w) = u*w'
    return u @ m
