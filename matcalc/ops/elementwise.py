"""Functions applied entry by entry: one record each, from f'(a) (written with a and y = f(a)).

>>> from matcalc.ir.expr import var, call
>>> X = var("X", (2, 3))
>>> call("tanh", X).shape
(2, 3)
"""
from __future__ import annotations

from ..ir.expr import call, walk, zeros
from ..ir.operator import Code, Domain
from .builders import ABOVE_MINUS_ONE, POSITIVE, UNIT, codes, elementwise, elementwise_binary, numpy_call, ufuncs


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

def _np_backward(name: str, factor: str) -> str:
    """A NumPy kernel for g * f'(a) from y = f(a) (factor: f' in y), by blocks of rows: the factor's
    temporaries stay in cache, and nothing the size of g is allocated when out is g."""
    return f"""\
def {name}(g, y, out=None):
    shape = np.broadcast_shapes(g.shape, y.shape)
    if out is None:
        out = np.empty(shape, dtype=np.result_type(g, y))
    step = max(1, 65536 // max(1, shape[1]))
    for i in range(0, shape[0], step):
        rows = slice(i, i + step)
        yi = y[rows] if y.shape[0] > 1 else y
        np.multiply(g[rows] if g.shape[0] > 1 else g, {factor}, out=out[rows])
    return out
"""


def _torch_backward(kernel: str) -> dict:
    return dict(backward=kernel, backward_into=f"{kernel}.grad_input({{G}}, {{y}}, grad_input={{G}})")


# NumPy has no sigmoid; this one writes into `out` (generated code computes it in place) and,
# through tanh, never overflows
_NP_SIGMOID = Code("_sigmoid", inplace="_sigmoid", backward="_sigmoid_backward",
                   backward_into="_sigmoid_backward({G}, {y}, out={G})", helper="""\
def _sigmoid(a, out=None):
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out
""" + "\n\n" + _np_backward("_sigmoid_backward", "yi * (1.0 - yi)"))


def _numbers_only(node) -> bool:
    """No variable below: generated code makes it a Python number, which torch.maximum does not take."""
    return all(n.op != "var" for n in walk(node))


def _torch_extremum(name: str, clamp: str):
    def code(node, args):
        a, b = node.args
        if _numbers_only(b):
            return f"torch.{clamp}({args[0]}, {args[1]})"
        if _numbers_only(a):
            return f"torch.{clamp}({args[1]}, {args[0]})"
        return f"torch.{name}({args[0]}, {args[1]})"
    return code


elementwise("exp", "exp", "exponential", lambda a, y: y, numpy=numpy_call("exp"), latex=r"\exp", code=ufuncs("exp"))
elementwise("log", "log", "natural logarithm", lambda a, y: 1 / a, numpy=numpy_call("log"), domain=POSITIVE,
            latex=r"\log", code=ufuncs("log"))
elementwise("sin", "sin", "sine", lambda a, y: call("cos", a), numpy=numpy_call("sin"), latex=r"\sin",
            code=ufuncs("sin"))
elementwise("cos", "cos", "cosine", lambda a, y: -call("sin", a), numpy=numpy_call("cos"), latex=r"\cos",
            code=ufuncs("cos"))
elementwise("tan", "tan", "tangent", lambda a, y: 1 + y ** 2, numpy=numpy_call("tan"), domain=AWAY_FROM_POLES,
            latex=r"\tan", code=ufuncs("tan"))
elementwise("asin", "arcsine", "inverse sine", lambda a, y: 1 / call("sqrt", 1 - a ** 2),
            numpy=numpy_call("arcsin"), torch=numpy_call("asin"), domain=UNIT, unicode="arcsin", latex=r"\arcsin",
            code=ufuncs("arcsin", torch="asin"))
elementwise("acos", "arccosine", "inverse cosine", lambda a, y: -(1 / call("sqrt", 1 - a ** 2)),
            numpy=numpy_call("arccos"), torch=numpy_call("acos"), domain=UNIT, unicode="arccos", latex=r"\arccos",
            code=ufuncs("arccos", torch="acos"))
elementwise("atan", "arctangent", "inverse tangent", lambda a, y: 1 / (1 + a ** 2),
            numpy=numpy_call("arctan"), torch=numpy_call("atan"), unicode="arctan", latex=r"\arctan",
            code=ufuncs("arctan", torch="atan"))
elementwise("sinh", "sinh", "hyperbolic sine", lambda a, y: call("cosh", a), numpy=numpy_call("sinh"),
            latex=r"\sinh", code=ufuncs("sinh"))
elementwise("cosh", "cosh", "hyperbolic cosine", lambda a, y: call("sinh", a), numpy=numpy_call("cosh"),
            latex=r"\cosh", code=ufuncs("cosh"))
elementwise("tanh", "tanh", "hyperbolic tangent", lambda a, y: 1 - y ** 2, numpy=numpy_call("tanh"),
            latex=r"\tanh", code=dict(
                ufuncs("tanh"),
                numpy=Code("np.tanh", inplace="np.tanh", backward="_tanh_backward",
                           backward_into="_tanh_backward({G}, {y}, out={G})",
                           helper=_np_backward("_tanh_backward", "1.0 - yi * yi")),
                torch=Code("torch.tanh", inplace="torch.tanh", **_torch_backward("torch.ops.aten.tanh_backward"))))
elementwise("sigmoid", "sigmoid", "logistic sigmoid 1/(1 + exp(-A))", lambda a, y: y * (1 - y),
            numpy=_np_sigmoid, torch=_torch_sigmoid, unicode="σ", latex=r"\sigma",
            code=codes(_NP_SIGMOID, Code("torch.sigmoid", inplace="torch.sigmoid",
                                         **_torch_backward("torch.ops.aten.sigmoid_backward")), "jax.nn.sigmoid"))
elementwise("relu", "relu", "max(A, 0)", lambda a, y: call("step", a), numpy=_relu,
            code=codes(Code("np.maximum({0}, 0.0)", inplace="np.maximum({0}, 0.0, out={out})"),
                       Code("torch.clamp_min({0}, 0.0)", inplace="torch.clamp_min({0}, 0.0, out={out})"),
                       "jax.nn.relu"))
elementwise("softplus", "softplus", "log(1 + exp(A))", lambda a, y: call("sigmoid", a),
            numpy=_np_softplus, torch=_torch_softplus,
            code=codes(Code("np.logaddexp(0.0, {0})", inplace="np.logaddexp(0.0, {0}, out={out})"),
                       # exact: above 50, log(1 + exp(a)) is a to the last bit (F.softplus's default 20 is not)
                       "torch.nn.functional.softplus({0}, 1.0, 50.0)", "jax.nn.softplus"))
elementwise("sqrt", "square root", "square root", lambda a, y: 0.5 / y, numpy=numpy_call("sqrt"), domain=POSITIVE,
            latex=r"\sqrt{{{0}}}", code=ufuncs("sqrt"))
elementwise("abs", "absolute value", "absolute value", lambda a, y: call("sign", a), numpy=numpy_call("abs"),
            unicode="|{0}|", latex=r"\left|{0}\right|", code=ufuncs("abs"))
elementwise("step", "step", "1 where A > 0, else 0 (relu's derivative)", lambda a, y: zeros(a.shape),
            numpy=_step, torch=_torch_step,
            code=codes(Code("np.heaviside({0}, 0.0)", inplace="np.heaviside({0}, 0.0, out={out})"),
                       "({0} > 0).to(_dtype)", "jnp.heaviside({0}, 0.0)"))
elementwise("sign", "sign", "-1, 0 or 1 (abs's derivative)", lambda a, y: zeros(a.shape),
            numpy=numpy_call("sign"), code=ufuncs("sign"))
elementwise("log1p", "log1p", "log(1 + A), accurate near 0", lambda a, y: 1 / (1 + a),
            numpy=numpy_call("log1p"), domain=ABOVE_MINUS_ONE, code=ufuncs("log1p"))
elementwise("expm1", "expm1", "exp(A) - 1, accurate near 0", lambda a, y: call("exp", a),
            numpy=numpy_call("expm1"), code=ufuncs("expm1"))

elementwise_binary("max", "maximum", "elementwise maximum, with broadcasting: max(X@W, 0)",
                   (lambda a, b: call("step", a - b), lambda a, b: call("step", b - a)),
                   numpy=numpy_call("maximum"), latex=r"\max",
                   code=codes(Code("np.maximum", inplace="np.maximum"), _torch_extremum("maximum", "clamp_min"),
                              "jnp.maximum"))
elementwise_binary("min", "minimum", "elementwise minimum, with broadcasting: min(X, 1)",
                   (lambda a, b: call("step", b - a), lambda a, b: call("step", a - b)),
                   numpy=numpy_call("minimum"), latex=r"\min",
                   code=codes(Code("np.minimum", inplace="np.minimum"), _torch_extremum("minimum", "clamp_max"),
                              "jnp.minimum"))
