"""Numeric evaluation of expressions, each operator by its record's implementation.

Symbolic dimensions (n in ones(n, 1), or a variable declared n×d) are read off the
values given for the variables.

>>> import numpy as np
>>> evaluate("norm(x)^2", {"x": np.array([3.0, 4.0])})
25.0
"""
from __future__ import annotations

from typing import Mapping

from ..errors import EvaluationError, MatcalcError, ShapeError, UsageError
from ..frontend import parse, typecheck, unknown_variable
from ..ir.dims import DimProduct, dim_names, resolve_dim, show_shape
from ..ir.expr import Expr, deep, walk
from ..ir.limits import check_elements
from ..ir.operator import REGISTRY, MissingRule
from .backends import Backend, numpy_backend

__all__ = ["evaluate", "run", "node_values", "as_matrix"]


def as_matrix(name: str, value):
    """A value as a 2-D float64 array: 1-D is a column, 0-D a 1x1."""
    import numpy as np
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise UsageError(f"value of {name} is not numeric: {type(value).__name__}") from None
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    if a.ndim == 2:
        return a
    raise ShapeError(f"value of {name} has {a.ndim} dimensions; matcalc works with 2-D arrays")


def _bind_dimensions(root: Expr, values: dict, shapes: Mapping | None = None) -> dict:
    """Symbolic dimension -> size, read off the variables' values; a clash is a ShapeError.

    Names are read first; a product (X declared m*n × 1) is then checked, or solved for its one unknown name.
    shapes ({name: shape}) binds dimensions through variables the expression itself does not use:
    the n of ones(n, d)/n, the derivative of sum(X)/n, comes from the value of X.
    """
    sizes: dict = {}
    products = []
    declared = [(node.attr, node.shape) for node in walk(root) if node.op == "var"]
    for name, shape in declared + [(k, v) for k, v in (shapes or {}).items() if k in values]:
        if name not in values:
            raise unknown_variable(name, values)
        got = tuple(values[name].shape)
        for d, n in zip(shape, got):
            if isinstance(d, int):
                if d != n:
                    raise ShapeError(f"{name} is {show_shape(shape)} but its value is {show_shape(got)}")
            elif isinstance(d, DimProduct):
                products.append((d, n, name))
            elif sizes.setdefault(d, n) != n:
                raise ShapeError(f"dimension {d} is {sizes[d]} elsewhere but {n} in the value of {name}")
    for d, n, name in products:
        unknown = sorted({f for f in dim_names(d) if f not in sizes})
        if len(unknown) == 1:
            known = resolve_dim(d, lambda f: 1 if f == unknown[0] else sizes[f])
            if n % known == 0:
                sizes[unknown[0]] = n // known
        if any(f not in sizes for f in dim_names(d)) or resolve_dim(d, sizes.__getitem__) != n:
            raise ShapeError(f"{name} has {show_shape(tuple(values[name].shape))} entries, which does not fit "
                             f"dimension {d}")
    return sizes


def _resolver(sizes: dict):
    def size_of(d):
        if d not in sizes:
            raise ShapeError(f"cannot tell the size of dimension {d}: no variable of a known size fixes it")
        return sizes[d]
    return lambda d: resolve_dim(d, size_of)


def run(root: Expr, values: dict, backend: Backend | None = None, shapes: Mapping | None = None):
    """Evaluate a typed expression with arrays for its variables (2-D, of the declared shapes)."""
    return node_values(root, values, backend, shapes)[root]


def node_values(root: Expr, values: dict, backend: Backend | None = None, shapes: Mapping | None = None) -> dict:
    """The value of every node of a typed expression (node -> array), as `run` computes them."""
    B = backend or numpy_backend()
    resolve = _resolver(_bind_dimensions(root, values, shapes))
    cache: dict = {}
    for node in walk(root):
        op = node.op
        if op == "var":
            cache[node] = values[node.attr]
            continue
        record = REGISTRY.get(op)
        if record is None:
            raise MissingRule(f"no operator `{op}` in the registry")
        impl = record.impl(B.name)
        if impl is None:
            raise MissingRule(f"operator `{op}` has no {B.name} implementation")
        shape = tuple(resolve(d) for d in node.shape)
        check_elements(f"{op}{show_shape(node.shape)}" if record.leaf else f"the value of `{op}`", *shape)
        if record.leaf:
            cache[node] = impl(B, shape, node.attr, resolve)
            continue
        params = {record.params[0].name: node.attr} if record.params and node.attr is not None else {}
        if record.dim_args:
            params["shape"] = shape        # unvec(v, m, n): its dimensions, resolved
        try:
            cache[node] = impl(B, *(cache[a] for a in node.args), **params)
        except MatcalcError:
            raise
        except Exception as e:   # a singular matrix and the like: the backend's own error types
            raise EvaluationError(f"cannot evaluate {record.title} here: {type(e).__name__}: {e}") from None
    return cache


@deep
def evaluate(expr, values: dict, shapes: Mapping | None = None):
    """Evaluate an expression (text in the input language, or an Expr) at NumPy values.

    1-D arrays are column vectors, 0-D arrays and floats scalars.  Returns a 2-D
    array, or a float for a 1x1 result.  shapes ({name: shape}, a Derivative's) lets values of
    variables that expr does not use fix its dimensions.  No array over the elements limit is
    allocated (matcalc.limits).
    """
    import numpy as np
    if not isinstance(values, Mapping):
        raise UsageError(f"values must be a dict of name -> array, got {type(values).__name__}")
    arrays = {name: as_matrix(name, v) for name, v in values.items()}
    if isinstance(expr, Expr):
        root = expr
    else:
        root, _ = typecheck(parse(expr), {name: a.shape for name, a in arrays.items()})
    with np.errstate(all="ignore"):
        out = run(root, arrays, shapes=shapes)
    return float(out[0, 0]) if out.shape == (1, 1) else out
