"""Functions applied entry by entry: one record each, from f'(a) (written with a and y = f(a)).

>>> from matcalc.ir.expr import var, call
>>> X = var("X", (2, 3))
>>> call("tanh", X).shape
(2, 3)
"""
from __future__ import annotations

from ..ir.expr import call, zeros
from ..ir.operator import Domain
from .builders import ABOVE_MINUS_ONE, POSITIVE, UNIT, elementwise, elementwise_binary, numpy_call


def _np_sigmoid(B, a):
    return 0.5 * (1.0 + B.xp.tanh(0.5 * a))      # 1/(1 + exp(-a)) without overflow warnings


def _torch_sigmoid(B, a):
    return B.xp.sigmoid(a)


def _np_softplus(B, a):
    return B.xp.logaddexp(0.0, a)


def _torch_softplus(B, a):
    return B.xp.logaddexp(B.xp.zeros_like(a), a)   # F.softplus linearizes above 20; this does not


def _step(B, a):
    return B.xp.heaviside(a, 0.0 * a)     # 0 at the kink, like relu's derivative in autograd


def _torch_step(B, a):
    return (a > 0).to(a.dtype)            # torch.heaviside has no autograd rule; this is flat, as it should be


def _relu(B, a):
    return B.xp.maximum(a, 0.0 * a)


# tan is undefined at pi/2 + k pi: check samples where cos is well away from 0
AWAY_FROM_POLES = Domain("away from the poles π/2 + kπ", "unit", lambda xp, a: bool((abs(xp.cos(a)) > 0.2).all()))

elementwise("exp", "exp", "exponential", lambda a, y: y, numpy=numpy_call("exp"), latex=r"\exp")
elementwise("log", "log", "natural logarithm", lambda a, y: 1 / a, numpy=numpy_call("log"), domain=POSITIVE,
            latex=r"\log")
elementwise("sin", "sin", "sine", lambda a, y: call("cos", a), numpy=numpy_call("sin"), latex=r"\sin")
elementwise("cos", "cos", "cosine", lambda a, y: -call("sin", a), numpy=numpy_call("cos"), latex=r"\cos")
elementwise("tan", "tan", "tangent", lambda a, y: 1 + y ** 2, numpy=numpy_call("tan"), domain=AWAY_FROM_POLES,
            latex=r"\tan")
elementwise("asin", "arcsine", "inverse sine", lambda a, y: 1 / call("sqrt", 1 - a ** 2),
            numpy=numpy_call("arcsin"), torch=numpy_call("asin"), domain=UNIT, unicode="arcsin", latex=r"\arcsin")
elementwise("acos", "arccosine", "inverse cosine", lambda a, y: -(1 / call("sqrt", 1 - a ** 2)),
            numpy=numpy_call("arccos"), torch=numpy_call("acos"), domain=UNIT, unicode="arccos", latex=r"\arccos")
elementwise("atan", "arctangent", "inverse tangent", lambda a, y: 1 / (1 + a ** 2),
            numpy=numpy_call("arctan"), torch=numpy_call("atan"), unicode="arctan", latex=r"\arctan")
elementwise("sinh", "sinh", "hyperbolic sine", lambda a, y: call("cosh", a), numpy=numpy_call("sinh"),
            latex=r"\sinh")
elementwise("cosh", "cosh", "hyperbolic cosine", lambda a, y: call("sinh", a), numpy=numpy_call("cosh"),
            latex=r"\cosh")
elementwise("tanh", "tanh", "hyperbolic tangent", lambda a, y: 1 - y ** 2, numpy=numpy_call("tanh"),
            latex=r"\tanh")
elementwise("sigmoid", "sigmoid", "logistic sigmoid 1/(1 + exp(-A))", lambda a, y: y * (1 - y),
            numpy=_np_sigmoid, torch=_torch_sigmoid, unicode="σ", latex=r"\sigma")
elementwise("relu", "relu", "max(A, 0)", lambda a, y: call("step", a), numpy=_relu)
elementwise("softplus", "softplus", "log(1 + exp(A))", lambda a, y: call("sigmoid", a),
            numpy=_np_softplus, torch=_torch_softplus)
elementwise("sqrt", "square root", "square root", lambda a, y: 0.5 / y, numpy=numpy_call("sqrt"), domain=POSITIVE,
            latex=r"\sqrt{{{0}}}")
elementwise("abs", "absolute value", "absolute value", lambda a, y: call("sign", a), numpy=numpy_call("abs"),
            unicode="|{0}|", latex=r"\left|{0}\right|")
elementwise("step", "step", "1 where A > 0, else 0 (relu's derivative)", lambda a, y: zeros(a.shape),
            numpy=_step, torch=_torch_step)
elementwise("sign", "sign", "-1, 0 or 1 (abs's derivative)", lambda a, y: zeros(a.shape),
            numpy=numpy_call("sign"))
elementwise("log1p", "log1p", "log(1 + A), accurate near 0", lambda a, y: 1 / (1 + a),
            numpy=numpy_call("log1p"), domain=ABOVE_MINUS_ONE)
elementwise("expm1", "expm1", "exp(A) - 1, accurate near 0", lambda a, y: call("exp", a),
            numpy=numpy_call("expm1"))

elementwise_binary("max", "maximum", "elementwise maximum, with broadcasting: max(X@W, 0)",
                   (lambda a, b: call("step", a - b), lambda a, b: call("step", b - a)),
                   numpy=numpy_call("maximum"), latex=r"\max")
elementwise_binary("min", "minimum", "elementwise minimum, with broadcasting: min(X, 1)",
                   (lambda a, b: call("step", b - a), lambda a, b: call("step", a - b)),
                   numpy=numpy_call("minimum"), latex=r"\min")
