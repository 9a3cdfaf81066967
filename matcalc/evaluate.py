"""Numeric evaluation of expressions, one table entry per operator.

The table is written against a small backend of primitives, so the same
entries run on NumPy here and on torch in check.py.

>>> import numpy as np
>>> evaluate("norm(x)^2", {"x": np.array([3.0, 4.0])})
25.0
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .errors import MatcalcError, ShapeError
from .expr import Expr, deep, walk
from .parse import parse
from .shapes import typecheck, unknown_variable


def _np_logdet(a):
    sign, logabs = np.linalg.slogdet(a)
    return logabs if sign > 0 else np.nan


NUMPY = SimpleNamespace(
    exp=np.exp, log=np.log, sin=np.sin, cos=np.cos, tanh=np.tanh, sqrt=np.sqrt, abs=np.abs,
    sign=np.sign, relu=lambda a: np.maximum(a, 0.0), softplus=lambda a: np.logaddexp(0.0, a),
    step=lambda a: (a > 0).astype(np.float64), inv=np.linalg.inv, det=np.linalg.det,
    logdet=_np_logdet, trace=np.trace, diag=np.diag,
    full=lambda shape, v: np.full(shape, float(v)), eye=lambda n: np.eye(n),
    rowmax=lambda a: a.max(axis=1, keepdims=True),
)


def _scalar(x):
    return x.reshape(1, 1)


def _softmax(B, a):
    e = B.exp(a - B.rowmax(a))
    return e / e.sum(axis=1, keepdims=True) if isinstance(e, np.ndarray) else e / e.sum(dim=1, keepdim=True)


def _logsumexp(B, a):
    m = a.max()
    return _scalar(m + B.log(B.exp(a - m).sum()))


def _diag(B, a):
    return B.diag(a).reshape(-1, 1)


def _diag_embed(B, a):
    return B.diag(a.reshape(-1))


EVAL_RULES = {
    "add": lambda B, a, b: a + b,
    "sub": lambda B, a, b: a - b,
    "mul": lambda B, a, b: a * b,
    "div": lambda B, a, b: a / b,
    "pow": lambda B, a, p: a ** p,
    "neg": lambda B, a: -a,
    "matmul": lambda B, a, b: a @ b,
    "transpose": lambda B, a: a.T,
    "sigmoid": lambda B, a: 1.0 / (1.0 + B.exp(-a)),
    "tr": lambda B, a: _scalar(B.trace(a)),
    "det": lambda B, a: _scalar(B.det(a)),
    "logdet": lambda B, a: _scalar(B.logdet(a)),
    "inv": lambda B, a: B.inv(a),
    "diag": _diag,
    "diag_embed": _diag_embed,
    "sum": lambda B, a: _scalar(a.sum()),
    "mean": lambda B, a: _scalar(a.mean()),
    "norm": lambda B, a: _scalar(B.sqrt((a * a).sum())),
    "logsumexp": _logsumexp,
    "softmax": _softmax,
    **{name: (lambda name: lambda B, a: getattr(B, name)(a))(name)
       for name in ("exp", "log", "sin", "cos", "tanh", "sqrt", "abs", "sign", "relu", "softplus", "step")},
}


def as_matrix(name: str, value) -> np.ndarray:
    """A value as a 2-D float64 array: 1-D is a column, 0-D a 1x1."""
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise MatcalcError(f"value of {name} is not numeric: {type(value).__name__}") from None
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    if a.ndim == 2:
        return a
    raise ShapeError(f"value of {name} has {a.ndim} dimensions; matcalc works with 2-D arrays")


def run(root: Expr, values: dict, backend=NUMPY):
    """Evaluate a typed expression with arrays for its variables (2-D, of the declared shapes)."""
    cache: dict = {}
    for node in walk(root):
        op = node.op
        if op == "var":
            if node.attr not in values:
                raise unknown_variable(node.attr, values)
            cache[node] = values[node.attr]
        elif op in ("const", "ones", "zeros", "eye"):
            cache[node] = _leaf(node, backend)
        else:
            cache[node] = EVAL_RULES[op](backend, *(cache[a] for a in node.args))
    return cache[root]


def _leaf(node: Expr, backend):
    if any(not isinstance(d, int) for d in node.shape):
        raise ShapeError(f"cannot tell the size of {node.op}{node.shape}: "
                         "no variable of a known size fixes its dimensions")
    if node.op == "eye":
        return backend.eye(node.shape[0])
    return backend.full(node.shape, {"const": node.attr, "ones": 1.0, "zeros": 0.0}[node.op])


@deep
def evaluate(expr, values: dict):
    """Evaluate an expression (text in the input language, or an Expr) at NumPy values.

    1-D arrays are column vectors, 0-D arrays and floats scalars.  Returns a 2-D
    array, or a float for a 1x1 result.
    """
    arrays = {name: as_matrix(name, v) for name, v in values.items()}
    if isinstance(expr, Expr):
        root = expr
    else:
        root, _ = typecheck(parse(expr), {name: a.shape for name, a in arrays.items()})
    with np.errstate(all="ignore"):
        out = run(root, arrays)
    return float(out[0, 0]) if out.shape == (1, 1) else out
