"""The algebra written with symbols: + - * / ^ @ and the transpose.

`add`, `mul` and `matmul` are n-ary (associative): a chain A@B@C may be one node,
and each argument's rule sees all the others.  Printers lay these out themselves
(precedence, juxtaposition), so their forms are None.

>>> from matcalc.ir.operator import REGISTRY
>>> REGISTRY["matmul"].arity is None
True
"""
from __future__ import annotations

import functools
import operator as pyop

from ..ir.dims import broadcast_shape, matmul_shape, same_shape
from ..ir.expr import Expr, call, eye
from ..ir.operator import POSTFIX, POWER, PREFIX, PRODUCT, SUM, Operator, register
from .builders import NONZERO, POSITIVE, hadamard_jacobian, linear
from .structure import commutation, kron

_BROADCAST = "NumPy broadcasting on 2-D (1×1 anywhere, 1×n over rows, n×1 over columns)"


def _broadcast(dims, shapes, attr):
    return broadcast_shape(dims, *shapes)


def _others(y: Expr, i: int) -> list:
    return [a for k, a in enumerate(y.args) if k != i]


def _product(factors: list, combine) -> Expr:
    return functools.reduce(combine, factors)


def _with(y: Expr, i: int, t: Expr) -> list:
    return list(y.args[:i]) + [t] + list(y.args[i + 1:])


# ------------------------------------------------------------------ sums
register(Operator(
    "add", "addition", "elementwise sum", arity=None, shape_rule=_broadcast, shape_doc=_BROADCAST,
    syntax="A + B", trace_form="linearity", jvp=lambda y, i, t: t, vjp=lambda y, i, G: G, vec_jacobian=lambda y, i, J: J,
    numpy=lambda B, *a: functools.reduce(pyop.add, a), precedence=SUM, elementwise=True, naming="R"))
register(Operator(
    "sub", "subtraction", "elementwise difference", arity=2, shape_rule=_broadcast, shape_doc=_BROADCAST,
    syntax="A - B", trace_form="linearity", jvp=lambda y, i, t: t if i == 0 else -t, vjp=lambda y, i, G: G if i == 0 else -G,
    vec_jacobian=lambda y, i, J: J if i == 0 else -J,
    numpy=lambda B, a, b: a - b, precedence=SUM, elementwise=True, naming="R"))
linear("neg", "negation", "negation", shape_rule=lambda dims, shapes, attr: same_shape(dims, *shapes),
       syntax="-A", trace_form="linearity", transpose=lambda y, i, G: -G, vec_jacobian=lambda y, i, J: -J,
       numpy=lambda B, a: -a, precedence=PREFIX, elementwise=True)


# -------------------------------------------------------------- products
def _mul_factor(y: Expr, i: int) -> Expr:
    return _product(_others(y, i), pyop.mul)


register(Operator(
    "mul", "elementwise product", "elementwise (Hadamard) product; a scalar factor scales", arity=None,
    shape_rule=_broadcast, shape_doc=_BROADCAST, syntax="A * B", linear=True,
    jvp=lambda y, i, t: _product(_with(y, i, t), pyop.mul),
    vjp=lambda y, i, G: G * _mul_factor(y, i),
    vec_jacobian=lambda y, i, J: hadamard_jacobian(_mul_factor(y, i), y.shape, J),
    numpy=lambda B, *a: functools.reduce(pyop.mul, a), precedence=PRODUCT, elementwise=True))

register(Operator(
    "div", "elementwise quotient", "elementwise quotient", arity=2, shape_rule=_broadcast, shape_doc=_BROADCAST,
    syntax="A / B",
    jvp=lambda y, i, t: t / y.args[1] if i == 0 else -(y * t / y.args[1]),
    vjp=lambda y, i, G: G / y.args[1] if i == 0 else -(G * y / y.args[1]),
    vec_jacobian=lambda y, i, J: hadamard_jacobian(1 / y.args[1] if i == 0 else -(y / y.args[1]), y.shape, J),
    numpy=lambda B, a, b: a / b, domain=(None, NONZERO), precedence=PRODUCT, elementwise=True))


def _pow_shape(dims, shapes, attr):
    base, p = shapes
    dims.equal(p[0], 1, "the exponent must be a scalar")
    dims.equal(p[1], 1, "the exponent must be a scalar")
    return base


def _power_factor(y: Expr, i: int) -> Expr:
    a, p = y.args
    return p * a ** (p - 1) if i == 0 else y * call("log", a)


def _pow_domain(y: Expr) -> tuple:
    p = y.args[1]
    integer = p.is_const and float(p.value).is_integer()
    return () if integer else (POSITIVE, None)


register(Operator(
    "pow", "elementwise power", "elementwise power with a scalar exponent (never a matrix power)", arity=2,
    shape_rule=_pow_shape, shape_doc="A's shape; p is 1×1", syntax="A ^ p, A ** p",
    jvp=lambda y, i, t: _power_factor(y, i) * t,
    vjp=lambda y, i, G: G * _power_factor(y, i),
    numpy=lambda B, a, p: a ** p, domain=_pow_domain, precedence=POWER, elementwise=True))


# ------------------------------------------------------- matrix products
def _chain(factors: list) -> Expr:
    return _product(factors, pyop.matmul)


def _matmul_vjp(y: Expr, i: int, G: Expr) -> Expr:
    # tr(G' P dA S) = tr((P' G S')' dA): the factors before and after A, transposed
    before = [a.T for a in reversed(y.args[:i])]
    after = [a.T for a in reversed(y.args[i + 1:])]
    return _chain(before + [G] + after)


def _matmul_vec_jacobian(y: Expr, i: int, J: Expr) -> Expr:
    """vec(P dA S) = (Sᵀ ⊗ P) vec(dA), P and S the factors before and after argument i (or I)."""
    a = y.args[i]
    before = _chain(list(y.args[:i])) if i else eye(a.shape[0])
    after = _chain(list(y.args[i + 1:])) if i + 1 < len(y.args) else eye(a.shape[1])
    return kron(after.T, before) @ J


register(Operator(
    "matmul", "matrix product", "matrix product", arity=None,
    shape_rule=lambda dims, shapes, attr: matmul_shape(dims, *shapes), shape_doc="m×k @ k×n → m×n",
    syntax="A @ B", linear=True, trace_form="cyclic", jvp=lambda y, i, t: _chain(_with(y, i, t)), vjp=_matmul_vjp,
    vec_jacobian=_matmul_vec_jacobian, numpy=lambda B, *a: functools.reduce(pyop.matmul, a), precedence=PRODUCT,
    naming="Z"))
linear("transpose", "transpose", "transpose", shape_rule=lambda dims, shapes, attr: shapes[0][::-1],
       shape_doc="m×n → n×m", syntax="A', A.T", trace_form="transpose invariance", transpose=lambda y, i, G: G.T,
       vec_jacobian=lambda y, i, J: commutation(*y.args[0].shape) @ J, numpy=lambda B, a: a.T, precedence=POSTFIX)
