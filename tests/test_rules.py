"""Every entry of the rules table on its own, all three kinds, against torch autograd.

CASES[op] = (scalar f using op, variable, shapes, domain). For each op:
  vjp  derive(f, X) equals autograd's gradient,
  jvp  differential(f, X, V) equals <gradient, V> for a random direction V,
  jac  for ops that take vectors, the Jacobian of a vector function using op.
A new operator without a case here fails test_every_rule_has_a_case.
"""
import numpy as np
import pytest
import torch

import matcalc
from matcalc.check import _torch_backend
from matcalc.derive import differential, jacobian
from matcalc.evaluate import as_matrix, run
from matcalc.expr import var
from matcalc.parse import parse
from matcalc.rules import RULES
from matcalc.shapes import typecheck
from torch_oracle import assert_derivative_matches, random_values

M = {"X": (3, 4), "C": (3, 4)}
SQ = {"X": (4, 4), "C": (4, 4)}
CASES = {
    "add": ("sum(C*(X + C))", "X", M, None),
    "sub": ("sum(C*(C - X))", "X", M, None),
    "neg": ("sum(C*-X)", "X", M, None),
    "mul": ("sum(C*X*X)", "X", M, None),
    "div": ("sum(C/X)", "X", M, {"X": "positive"}),
    "pow": ("sum(C*X^3)", "X", M, None),
    "matmul": ("sum(C'@X)", "X", M, None),
    "transpose": ("sum(C@X')", "X", M, None),
    "tr": ("tr(C@X')", "X", M, None),
    "det": ("det(X)", "X", SQ, {"X": "spd"}),
    "logdet": ("logdet(X)", "X", SQ, {"X": "spd"}),
    "inv": ("sum(C*inv(X))", "X", SQ, {"X": "spd"}),
    "diag": ("sum(diag(C)*diag(X))", "X", SQ, None),
    "diag_embed": ("sum(C*diag(x))", "x", {"x": (4,), "C": (4, 4)}, None),
    "sum": ("sum(X)*sum(C*X)", "X", M, None),
    "mean": ("mean(C*X)", "X", M, None),
    "norm": ("norm(X)", "X", M, None),
    "logsumexp": ("logsumexp(C*X)", "X", M, None),
    "softmax": ("sum(C*softmax(X))", "X", M, None),
    "exp": ("sum(C*exp(X))", "X", M, None),
    "log": ("sum(C*log(X))", "X", M, {"X": "positive"}),
    "sin": ("sum(C*sin(X))", "X", M, None),
    "cos": ("sum(C*cos(X))", "X", M, None),
    "tanh": ("sum(C*tanh(X))", "X", M, None),
    "sigmoid": ("sum(C*sigmoid(X))", "X", M, None),
    "relu": ("sum(C*relu(X))", "X", M, None),
    "softplus": ("sum(C*softplus(X))", "X", M, None),
    "sqrt": ("sum(C*sqrt(X))", "X", M, {"X": "positive"}),
    "abs": ("sum(C*abs(X))", "X", M, None),
    "step": ("sum(C*step(X))", "X", M, None),
    "sign": ("sum(C*sign(X))", "X", M, None),
}
# vector functions of x (4,) exercising each op's Jacobian rule; ops that need a matrix argument
# (tr, det, logdet, inv, diag of a matrix) meet x only through a 1x1 or via the differential.
V = {"x": (4,), "c": (4,), "A": (3, 4)}
JACOBIAN_CASES = {
    "add": "x + c", "sub": "c - x", "neg": "-x", "mul": "c*x*x", "div": "c/(x*x + 1)", "pow": "x^3",
    "matmul": "A@x", "transpose": "(x')'", "tr": "tr(c'@x)*x", "det": "det(c'@x)*c", "logdet": "logdet(x'@x)*c",
    "inv": "inv(x'@x)*x", "diag": "diag(x'@x)*x", "diag_embed": "diag(x)@c", "sum": "sum(x)*c",
    "mean": "mean(x*x)*c", "norm": "norm(x)*x", "logsumexp": "logsumexp(x)*c", "softmax": "softmax(x')'",
    **{f: f"{f}(x*x + 1)" for f in ("exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "softplus",
                                     "sqrt", "abs", "step", "sign")},
}


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES) == set(JACOBIAN_CASES)


@pytest.mark.parametrize("op", sorted(CASES))
def test_vjp_rule_matches_autograd(op):
    f, wrt, shapes, domain = CASES[op]
    assert_derivative_matches(f, wrt, shapes, seed=3, domain=domain)


def _tensors(values):
    return {k: torch.tensor(as_matrix(k, v)) for k, v in values.items()}


@pytest.mark.parametrize("op", sorted(CASES))
def test_jvp_rule_matches_autograd(op):
    """The forward rule: D f[V] = <grad f, V>, computed by matcalc's differential."""
    f, wrt, shapes, domain = CASES[op]
    typed, found = typecheck(parse(f), shapes)
    x = var(wrt, found[wrt])
    direction = var("V", found[wrt])
    values = random_values(dict(shapes, V=shapes[wrt]), seed=5, domain=domain)
    got = matcalc.evaluate(differential(typed, x, direction), values)
    env = _tensors(values)
    w = env[wrt].clone().requires_grad_(True)
    out = run(typed, dict(env, **{wrt: w}), _torch_backend(torch)).reshape(())
    grad = torch.autograd.grad(out, w, allow_unused=True)[0] if out.requires_grad else None
    want = 0.0 if grad is None else float((grad * env["V"]).sum())
    assert np.isclose(got, want, rtol=1e-6, atol=1e-8), f"{op}: {got} vs {want}"


@pytest.mark.parametrize("op", sorted(JACOBIAN_CASES))
def test_jacobian_rule_matches_autograd(op):
    f = JACOBIAN_CASES[op]
    typed, found = typecheck(parse(f), V)
    x = var("x", found["x"])
    values = random_values(V, seed=7)
    got = np.asarray(matcalc.evaluate(jacobian(typed, x), values))
    env = _tensors(values)
    J = torch.autograd.functional.jacobian(
        lambda t: run(typed, dict(env, x=t), _torch_backend(torch)).reshape(-1), env["x"])
    np.testing.assert_allclose(got, J.reshape(got.shape).numpy(), rtol=1e-6, atol=1e-8, err_msg=f)
