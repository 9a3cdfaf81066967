"""Builders for the common kinds of operator record, in the spirit of JAX's `defjvp`/`deflinear`.

  elementwise(name, derivative)   f applied entry by entry: jvp and vjp follow from f'(a) (written
                                  with a and y = f(a), so that f' can reuse y: sigmoid' = y*(1 - y));
  linear(name, transpose)         a linear map of one argument: its jvp is the operator applied to
                                  the tangent, and its vjp is its transpose (the adjoint), written once.

>>> from matcalc.ir.operator import REGISTRY
>>> from matcalc import ops
>>> REGISTRY["exp"].elementwise
True
"""
from __future__ import annotations

from typing import Callable

from ..ir.dims import SCALAR, broadcast_shape, same_shape
from ..ir.expr import Expr, call, const, ones
from ..ir.operator import Code, Domain, Operator, register

__all__ = ["elementwise", "elementwise_binary", "linear", "column", "hadamard_jacobian", "numpy_call", "torch_call", "ufuncs", "codes",
           "POSITIVE", "NONZERO", "UNIT", "ABOVE_MINUS_ONE", "INVERTIBLE", "POSITIVE_DETERMINANT", "SQUARE"]


def column(v: Expr) -> Expr:
    """A vector as a column (a row is transposed)."""
    return v if v.shape[1] == 1 else v.T


def hadamard_jacobian(factor: Expr, shape, J: Expr) -> Expr:
    """∂vec(c ⊙ a)/∂x = diag(vec c) J, for a of `shape` (c broadcast to it); a 1×1 c just scales J."""
    if factor.shape == SCALAR:
        return factor * J
    if factor.shape != tuple(shape):
        factor = factor * ones(shape)
    return call("diag", call("vec", factor)) @ J


def numpy_call(name: str) -> Callable:
    """The implementation `numpy.<name>(*arrays)` (the module comes from the backend at run time)."""
    return lambda B, *arrays: getattr(B.xp, name)(*arrays)


torch_call = numpy_call   # torch spells most elementwise functions as NumPy does


# Generated code (matcalc.codegen) names the modules np, torch, jnp and jax; templates may use
# _dtype (and _device for torch), the inputs' dtype and device.
def ufuncs(numpy: str, torch: str | None = None, jax: str | None = None) -> dict:
    """Code for a function every backend has by name: np.<numpy>, torch.<torch>, jnp.<jax> (in place: out=)."""
    return {"numpy": Code(f"np.{numpy}", inplace=f"np.{numpy}"),
            "torch": Code(f"torch.{torch or numpy}", inplace=f"torch.{torch or numpy}"),
            "jax": Code(f"jnp.{jax or numpy}")}


def codes(numpy, torch, jax, fresh: bool = False) -> dict:
    """Code per backend from a Code or a template (str or callable) each; fresh: every template
    returns a new array (see Code.fresh)."""
    return {name: c if isinstance(c, Code) else Code(c, fresh=fresh)
            for name, c in (("numpy", numpy), ("torch", torch), ("jax", jax))}


# Domains: `holds` takes the backend's array module and one argument's value.
POSITIVE = Domain("positive", "positive", lambda xp, a: bool((a > 0).all()))
NONZERO = Domain("nonzero", "nonzero", lambda xp, a: bool((abs(a) > 1e-3).all()))
UNIT = Domain("inside (-1, 1)", "unit", lambda xp, a: bool((abs(a) < 1).all()))
ABOVE_MINUS_ONE = Domain("above -1", "above_minus_one", lambda xp, a: bool((a > -1).all()))
SQUARE = None   # square matrices are the shape rule's business, not a domain


def _finite_condition(xp, a) -> bool:
    try:
        return bool(xp.linalg.cond(a) < 1e8)
    except Exception:            # a singular matrix makes some backends raise: not in the domain
        return False


INVERTIBLE = Domain("invertible", "invertible", _finite_condition)
POSITIVE_DETERMINANT = Domain("of positive determinant", "spd",
                              lambda xp, a: _finite_condition(xp, a) and bool(xp.linalg.det(a) > 0))


def elementwise(name: str, title: str, doc: str, derivative: Callable, *, numpy: Callable, code: dict | None = None,
                torch: Callable | None = None, jax: Callable | None = None, domain: Domain | None = None,
                unicode: str | None = None, latex: str | None = None, spellings: tuple = ()) -> Operator:
    """Register f applied entry by entry; derivative(a, y) is f'(a), given y = f(a)."""
    def factor(y: Expr) -> Expr:
        return derivative(y.args[0], y)

    return register(Operator(
        name=name, title=title, doc=doc, shape_rule=lambda dims, shapes, attr: same_shape(dims, *shapes),
        spellings=spellings or (name,), syntax=f"{name}(A)",
        jvp=lambda y, i, t: factor(y) * t,
        vjp=lambda y, i, G: G * factor(y),
        numpy=numpy, torch=torch if torch is not None else numpy, jax=jax, code=code or {},
        domain=(domain,) if domain else (),
        text=name, unicode=unicode or name, latex=latex or rf"\operatorname{{{name}}}",
        elementwise=True, naming="H"))


def elementwise_binary(name: str, title: str, doc: str, partials: tuple, *, numpy: Callable, code: dict | None = None,
                       torch: Callable | None = None, latex: str | None = None) -> Operator:
    """Register a binary function applied entry by entry with broadcasting; partials[i](a, b) = df/d(arg i)."""
    def factor(y: Expr, i: int) -> Expr:
        return partials[i](*y.args)

    return register(Operator(
        name=name, title=title, doc=doc, arity=2,
        shape_rule=lambda dims, shapes, attr: broadcast_shape(dims, *shapes),
        shape_doc="NumPy broadcasting of the two arguments",
        spellings=(name,), syntax=f"{name}(A, B)",
        jvp=lambda y, i, t: factor(y, i) * t,
        vjp=lambda y, i, G: G * factor(y, i),
        numpy=numpy, torch=torch if torch is not None else numpy, code=code or {},
        text=name, unicode=name, latex=latex or rf"\operatorname{{{name}}}", elementwise=True, naming="H"))


def linear(name: str, title: str, doc: str, *, transpose: Callable, shape_rule: Callable, **fields) -> Operator:
    """Register a linear map of one argument: jvp(t) applies it to t; vjp is `transpose(y, i, G)`, its adjoint."""
    def jvp(y: Expr, i: int, t: Expr) -> Expr:
        return Expr(y.op, (t,), y.attr)

    return register(Operator(name=name, title=title, doc=doc, shape_rule=shape_rule, jvp=jvp, vjp=transpose,
                             linear=True, **fields))

