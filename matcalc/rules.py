"""The differentiation rules: one named entry per operator, declared as data.

Each Rule gives, for every argument i of a node y = op(a, b, ...):
  vjp[i](y, G)  the adjoint contribution to argument i, given G = df/dy (y's shape);
                this is the trace trick: df = tr(G' dy) = tr(vjp' da) + ...
  jvp[i](y, t)  the differential of y along a tangent t of argument i (dy = ...),
  jac[i](y, J)  d vec(y)/dx given J = d vec(a_i)/dx, for vector-valued y
                (None where the rule needs a matrix-valued argument).
Broadcasting is the driver's business, not the rules'.  A new elementwise
function is one entry in ELEMENTWISE_DERIVATIVES.

>>> RULES["matmul"].identity
'd(A@B) = dA@B + A@dB'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .expr import Expr, call, const, eye, ones, zeros

Fn = Callable[..., Expr]


@dataclass(frozen=True)
class Rule:
    name: str
    identity: str              # in the input language, for docs and --steps
    vjp: tuple                 # one function (y, G) -> adjoint per argument
    jvp: tuple                 # one function (y, t) -> dy per argument
    jac: tuple = ()            # one function (y, J) -> d vec(y)/dx per argument, or None


def arg(y: Expr, i: int = 0) -> Expr:
    return y.args[i]


def vec(v: Expr) -> Expr:
    """A vector as a column (rows are transposed)."""
    return v if v.shape[1] == 1 else v.T


def _elements(shape) -> Expr:
    rows, cols = shape
    if isinstance(rows, int) and isinstance(cols, int):
        return const(rows * cols)
    return call("sum", ones(shape))


# f'(a) for elementwise f, as an expression of a and y = f(a) (reusing y shares work)
ELEMENTWISE_DERIVATIVES: dict[str, tuple[str, Fn]] = {
    "exp": ("d exp(A) = exp(A) * dA", lambda a, y: y),
    "log": ("d log(A) = dA / A", lambda a, y: 1 / a),
    "sin": ("d sin(A) = cos(A) * dA", lambda a, y: call("cos", a)),
    "cos": ("d cos(A) = -sin(A) * dA", lambda a, y: -call("sin", a)),
    "tanh": ("d tanh(A) = (1 - tanh(A)^2) * dA", lambda a, y: 1 - y ** 2),
    "sigmoid": ("d sigmoid(A) = sigmoid(A) * (1 - sigmoid(A)) * dA", lambda a, y: y * (1 - y)),
    "relu": ("d relu(A) = step(A) * dA", lambda a, y: call("step", a)),
    "softplus": ("d softplus(A) = sigmoid(A) * dA", lambda a, y: call("sigmoid", a)),
    "sqrt": ("d sqrt(A) = dA / (2*sqrt(A))", lambda a, y: 0.5 / y),
    "abs": ("d abs(A) = sign(A) * dA", lambda a, y: call("sign", a)),
    "step": ("d step(A) = 0 (almost everywhere)", lambda a, y: zeros(a.shape)),
    "sign": ("d sign(A) = 0 (almost everywhere)", lambda a, y: zeros(a.shape)),
}


def _elementwise(name: str, identity: str, deriv: Fn) -> Rule:
    return Rule(name, identity,
                vjp=(lambda y, G: G * deriv(arg(y), y),),
                jvp=(lambda y, t: deriv(arg(y), y) * t,),
                jac=(lambda y, J: vec(deriv(arg(y), y)) * J,))


def _matmul_jac_left(y: Expr, J: Expr):
    a, b = y.args
    if b.shape[1] == 1 and (a.shape[1] == 1 or a.shape[0] == 1):
        return vec(b).T @ J if a.shape[0] == 1 else b * J      # row @ column, or column @ 1x1
    if a.shape[0] == 1 and b.shape[1] != 1:
        return b.T @ J                                         # vec(a@B) = B' vec(a)
    return None


def _matmul_jac_right(y: Expr, J: Expr):
    a, b = y.args
    if b.shape[1] == 1:
        return a @ J                                           # vec(A@b) = A b
    if b.shape[0] == 1 and a.shape == (1, 1):
        return a * J
    if b.shape == (1, 1) and a.shape[1] == 1:
        return a @ J                                           # column times a scalar: a * s
    return None


def _softmax_vjp(y: Expr, G: Expr) -> Expr:
    row_sums = (G * y) @ ones((y.shape[1], 1))
    return y * (G - row_sums)


def _softmax_jvp(y: Expr, t: Expr) -> Expr:
    return y * (t - (y * t) @ ones((y.shape[1], 1)))


def _diag_embed_vjp(y: Expr, G: Expr) -> Expr:
    d = call("diag", G)
    return d if arg(y).shape[1] == 1 else d.T


RULES: dict[str, Rule] = {
    "add": Rule("addition", "d(A + B) = dA + dB",
                vjp=(lambda y, G: G, lambda y, G: G),
                jvp=(lambda y, t: t, lambda y, t: t),
                jac=(lambda y, J: J, lambda y, J: J)),
    "sub": Rule("subtraction", "d(A - B) = dA - dB",
                vjp=(lambda y, G: G, lambda y, G: -G),
                jvp=(lambda y, t: t, lambda y, t: -t),
                jac=(lambda y, J: J, lambda y, J: -J)),
    "neg": Rule("negation", "d(-A) = -dA",
                vjp=(lambda y, G: -G,), jvp=(lambda y, t: -t,), jac=(lambda y, J: -J,)),
    "mul": Rule("elementwise product", "d(A * B) = dA * B + A * dB",
                vjp=(lambda y, G: G * arg(y, 1), lambda y, G: G * arg(y, 0)),
                jvp=(lambda y, t: t * arg(y, 1), lambda y, t: arg(y, 0) * t),
                jac=(lambda y, J: vec(arg(y, 1)) * J, lambda y, J: vec(arg(y, 0)) * J)),
    "div": Rule("elementwise quotient", "d(A / B) = dA / B - A * dB / B^2",
                vjp=(lambda y, G: G / arg(y, 1), lambda y, G: -(G * y / arg(y, 1))),
                jvp=(lambda y, t: t / arg(y, 1), lambda y, t: -(y * t / arg(y, 1))),
                jac=(lambda y, J: J / vec(arg(y, 1)), lambda y, J: -(vec(y / arg(y, 1)) * J))),
    "pow": Rule("elementwise power", "d(A^p) = p * A^(p - 1) * dA + A^p * log(A) * dp",
                vjp=(lambda y, G: G * arg(y, 1) * arg(y, 0) ** (arg(y, 1) - 1),
                     lambda y, G: G * y * call("log", arg(y, 0))),
                jvp=(lambda y, t: arg(y, 1) * arg(y, 0) ** (arg(y, 1) - 1) * t,
                     lambda y, t: y * call("log", arg(y, 0)) * t),
                jac=(lambda y, J: vec(arg(y, 1) * arg(y, 0) ** (arg(y, 1) - 1)) * J,
                     lambda y, J: vec(y * call("log", arg(y, 0))) * J)),
    "matmul": Rule("matrix product", "d(A@B) = dA@B + A@dB",
                   vjp=(lambda y, G: G @ arg(y, 1).T, lambda y, G: arg(y, 0).T @ G),
                   jvp=(lambda y, t: t @ arg(y, 1), lambda y, t: arg(y, 0) @ t),
                   jac=(_matmul_jac_left, _matmul_jac_right)),
    "transpose": Rule("transpose", "d(A') = (dA)'",
                      vjp=(lambda y, G: G.T,), jvp=(lambda y, t: t.T,), jac=(lambda y, J: J,)),
    "tr": Rule("trace", "d tr(A) = tr(dA)",
               vjp=(lambda y, G: G * eye(arg(y).shape[0]),), jvp=(lambda y, t: call("tr", t),),
               jac=(lambda y, J: J,)),
    "det": Rule("determinant", "d det(A) = det(A) * tr(inv(A)@dA)",
                vjp=(lambda y, G: G * y * call("inv", arg(y)).T,),
                jvp=(lambda y, t: y * call("tr", call("inv", arg(y)) @ t),),
                jac=(lambda y, J: J,)),
    "logdet": Rule("log-determinant", "d logdet(A) = tr(inv(A)@dA)",
                   vjp=(lambda y, G: G * call("inv", arg(y)).T,),
                   jvp=(lambda y, t: call("tr", call("inv", arg(y)) @ t),),
                   jac=(lambda y, J: J / arg(y),)),
    "inv": Rule("inverse", "d inv(A) = -inv(A)@dA@inv(A)",
                vjp=(lambda y, G: -(y.T @ G @ y.T),), jvp=(lambda y, t: -(y @ t @ y),),
                jac=(lambda y, J: -(J * y * y),)),
    "diag": Rule("diagonal", "d diag(A) = diag(dA)",
                 vjp=(lambda y, G: call("diag_embed", G),), jvp=(lambda y, t: call("diag", t),),
                 jac=(lambda y, J: J,)),
    "diag_embed": Rule("diagonal matrix", "d diag(v) = diag(dv)",
                       vjp=(_diag_embed_vjp,), jvp=(lambda y, t: call("diag_embed", t),),
                       jac=(lambda y, J: J,)),
    "sum": Rule("sum of entries", "d sum(A) = sum(dA)",
                vjp=(lambda y, G: G * ones(arg(y).shape),), jvp=(lambda y, t: call("sum", t),),
                jac=(lambda y, J: ones((1, vec(arg(y)).shape[0])) @ J,)),
    "mean": Rule("mean of entries", "d mean(A) = mean(dA)",
                 vjp=(lambda y, G: G * ones(arg(y).shape) / _elements(arg(y).shape),),
                 jvp=(lambda y, t: call("mean", t),),
                 jac=(lambda y, J: ones((1, vec(arg(y)).shape[0])) @ J / _elements(arg(y).shape),)),
    "norm": Rule("Frobenius norm", "d norm(A) = sum(A * dA) / norm(A)",
                 vjp=(lambda y, G: G * arg(y) / y,), jvp=(lambda y, t: call("sum", arg(y) * t) / y,),
                 jac=(lambda y, J: vec(arg(y)).T @ J / y,)),
    "logsumexp": Rule("log-sum-exp", "d logsumexp(A) = sum(exp(A - logsumexp(A)) * dA)",
                      vjp=(lambda y, G: G * call("exp", arg(y) - y),),
                      jvp=(lambda y, t: call("sum", call("exp", arg(y) - y) * t),),
                      jac=(lambda y, J: vec(call("exp", arg(y) - y)).T @ J,)),
    "softmax": Rule("row softmax", "d softmax(A) = S * (dA - (S * dA)@ones(n, 1)), S = softmax(A)",
                    vjp=(_softmax_vjp,), jvp=(_softmax_jvp,),
                    jac=(lambda y, J: vec(y) * J - vec(y) @ (vec(y).T @ J),)),
    **{name: _elementwise(name, identity, deriv)
       for name, (identity, deriv) in ELEMENTWISE_DERIVATIVES.items()},
}


class MissingRule(KeyError):
    """No differentiation rule for an operator (a bug: every operator needs one)."""


def rule_for(op: str) -> Rule:
    try:
        return RULES[op]
    except KeyError:
        raise MissingRule(f"no differentiation rule for operator `{op}`") from None
