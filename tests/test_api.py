"""The public entry points' options, each against torch autograd: symmetric variables,
assumptions, Jacobian layout, hessian, hvp, and check() itself."""
import numpy as np
import pytest
import torch

import matcalc
from matcalc.numerics.backends import torch_backend
from matcalc.numerics.evaluate import as_matrix, run
from torch_oracle import random_values

RTOL, ATOL = 1e-6, 1e-8


def torch_f(d, values):
    """f of a Derivative as a torch function of a dict of float64 tensors (2-D)."""
    backend = torch_backend()
    return lambda env: run(d.f, env, backend)


def tensors(values):
    return {k: torch.tensor(as_matrix(k, v)) for k, v in values.items()}


def symmetric(a):
    return (a + a.T) / 2


SYMMETRIC = [
    ("logdet(S) - tr(inv(S)@C)", {"S": (4, 4), "C": (4, 4)}, {"S": "spd"}),
    ("x'@S@x", {"x": (3,), "S": (3, 3)}, {}),
    ("tr(A@S)", {"A": (3, 3), "S": (3, 3)}, {}),
    ("norm(S - A)^2 + sum(exp(S))", {"A": (4, 4), "S": (4, 4)}, {}),
]


@pytest.mark.parametrize("f, shapes, domain", SYMMETRIC, ids=[c[0] for c in SYMMETRIC])
def test_symmetric_gradient_is_gradient_through_symmetrization(f, shapes, domain):
    """On symmetric S the gradient is d/dA f((A + A')/2) at A = S: sym(G), not 2G - diag(G)."""
    d = matcalc.derive(f, "S", shapes, symmetric=["S"])
    values = random_values(shapes, seed=3, domain=domain)
    values["S"] = symmetric(values["S"])
    env = tensors(values)
    a = env["S"].clone().requires_grad_(True)
    out = torch_f(d, values)(dict(env, S=symmetric(a))).reshape(())
    want = torch.autograd.grad(out, a)[0].numpy()
    got = matcalc.evaluate(str(d), values)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=str(d))


def test_symmetric_gradient_is_symmetric_matrix():
    d = matcalc.derive("tr(A@S)", "S", {"A": (3, 3), "S": (3, 3)}, symmetric=["S"])
    g = matcalc.evaluate(d.result, random_values({"A": (3, 3), "S": (3, 3)}, seed=1))
    np.testing.assert_allclose(g, g.T)


def test_symmetric_simplifies_transposes_of_the_variable():
    """inv(S)' is inv(S) for symmetric S: the result reads as the textbook's."""
    shapes = {"S": (3, 3), "C": (3, 3)}
    d = matcalc.derive("logdet(S) - tr(inv(S)@C)", "S", shapes, symmetric=["S", "C"])
    values = random_values(shapes, seed=2, domain={"S": "spd"})
    values = {k: symmetric(v) for k, v in values.items()}
    a = torch.tensor(values["S"], requires_grad=True)
    c = torch.tensor(values["C"])
    s = symmetric(a)
    (torch.logdet(s) - torch.trace(torch.linalg.inv(s) @ c)).backward()
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), a.grad.numpy(), rtol=RTOL, atol=ATOL)
    assert str(d) == "inv(S)@C@inv(S) + inv(S)"


def test_symmetric_non_square_is_an_error():
    with pytest.raises(matcalc.UnsupportedError, match="square"):
        matcalc.derive("sum(S)", "S", {"S": (2, 3)}, symmetric=["S"])


def onehot(n, k, seed):
    rng = np.random.default_rng(seed)
    y = np.zeros((n, k))
    y[np.arange(n), rng.integers(0, k, n)] = 1.0
    return y


def test_cross_entropy_general_form_holds_for_any_labels():
    shapes = {"X": (6, 4), "W": (4, 3), "Y": (6, 3)}
    d = matcalc.derive("-sum(Y*log(softmax(X@W)))", "W", shapes)
    values = random_values(shapes, seed=5)
    x, w, y = (torch.tensor(values[k]) for k in "XWY")
    w.requires_grad_(True)
    (-(y * torch.log_softmax(x @ w, dim=1)).sum()).backward()
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), w.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_cross_entropy_with_rowsum_assumption_reads_as_textbook():
    shapes = {"X": (6, 4), "W": (4, 3), "Y": (6, 3)}
    d = matcalc.derive("-sum(Y*log(softmax(X@W)))", "W", shapes, assume=["rowsum(Y)=1"])
    values = random_values(shapes, seed=5)
    values["Y"] = onehot(6, 3, seed=5)
    x, w, y = (torch.tensor(values[k]) for k in "XWY")
    w.requires_grad_(True)
    (-(y * torch.log_softmax(x @ w, dim=1)).sum()).backward()
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), w.grad.numpy(), rtol=RTOL, atol=ATOL)
    assert str(d) == "X'@(softmax(X@W) - Y)"


def test_unknown_assumption_is_an_error():
    with pytest.raises(matcalc.UnsupportedError, match="rowsum"):
        matcalc.derive("sum(Y*X)", "X", assume=["colsum(Y)=1"])


JACOBIANS = [("x*sigmoid(x)", {"x": (5,)}), ("A@tanh(x)", {"A": (3, 5), "x": (5,)}),
             ("exp(x')/sum(exp(x))", {"x": (4,)})]


@pytest.mark.parametrize("f, shapes", JACOBIANS, ids=[c[0] for c in JACOBIANS])
@pytest.mark.parametrize("layout", ["numerator", "denominator"])
def test_jacobian_layout(f, shapes, layout):
    d = matcalc.derive(f, "x", shapes, layout=layout)
    values = random_values(shapes, seed=7)
    env = tensors(values)
    fn = torch_f(d, values)
    x0 = env["x"]
    J = torch.autograd.functional.jacobian(lambda x: fn(dict(env, x=x)).reshape(-1), x0).reshape(-1, x0.numel())
    want = J.numpy() if layout == "numerator" else J.numpy().T
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), want, rtol=RTOL, atol=ATOL, err_msg=str(d))


HESSIANS = [("x'@A@x + sum(exp(x))", {"x": (4,), "A": (4, 4)}, None),
            ("sum(log(1 + exp(-y*(X@w))))", {"y": (6,), "X": (6, 3), "w": (3,)}, "w"),
            ("logsumexp(x)", {"x": (5,)}, None),
            ("norm(A@x - b)^2", {"A": (6, 4), "x": (4,), "b": (6,)}, None),
            ("sum(softplus(x)) + sum(tanh(x))", {"x": (3,)}, None)]


@pytest.mark.parametrize("f, shapes, wrt", HESSIANS, ids=[c[0] for c in HESSIANS])
def test_hessian_matches_autograd(f, shapes, wrt):
    wrt = wrt or "x"
    d = matcalc.hessian(f, wrt, shapes)
    values = random_values(shapes, seed=11)
    env = tensors(values)
    fn = torch_f(d, values)
    H = torch.autograd.functional.hessian(lambda x: fn(dict(env, **{wrt: x})).reshape(()), env[wrt])
    n = env[wrt].numel()
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), H.reshape(n, n).numpy(),
                               rtol=RTOL, atol=ATOL, err_msg=str(d))


def test_logistic_hessian_reads_as_xt_d_x():
    d = matcalc.hessian("sum(log(1 + exp(-y*(X@w))))", "w", {"y": (6,), "X": (6, 3), "w": (3,)})
    H = d.names[0][0]
    assert d.text().splitlines()[-1] == f"d2f/dw2 = X'@({H}*y^2*(1 - {H})*X)"


HVPS = [("norm(X@W - Y)^2", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}, {}),
        ("sum(tanh(X@W))", {"X": (4, 3), "W": (3, 2)}, {}),
        ("logdet(W) + tr(W@W)", {"W": (3, 3)}, {"W": "spd"}),
        ("norm(sigmoid(X@W)@A - Y)^2", {"X": (5, 3), "W": (3, 4), "A": (4, 2), "Y": (5, 2)}, {})]


@pytest.mark.parametrize("f, shapes, domain", HVPS, ids=[c[0] for c in HVPS])
def test_hvp_matches_double_backward(f, shapes, domain):
    d = matcalc.hvp(f, "W", shapes)
    values = random_values(dict(shapes, V=shapes["W"]), seed=13, domain=domain)
    env = tensors(values)
    fn = torch_f(d, values)
    _, want = torch.autograd.functional.hvp(lambda w: fn(dict(env, W=w)).reshape(()), env["W"], env["V"])
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), want.numpy(), rtol=RTOL, atol=ATOL, err_msg=str(d))


def test_hvp_of_least_squares_reads_as_textbook():
    d = matcalc.hvp("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
    assert str(d) == "2*X'@X@V"


def test_check_reports_agreement():
    report = matcalc.check("norm(sigmoid(X@W1 + b1)@W2 - Y)^2", "W1")
    assert report.ok and report.max_rel_error < 1e-10


def test_check_detects_a_wrong_rule(monkeypatch):
    """check() must be able to fail: break the sigmoid rule and watch it notice."""
    import dataclasses

    from matcalc.ir.operator import REGISTRY
    wrong = dataclasses.replace(REGISTRY["sigmoid"], vjp=lambda y, i, G: G * y)   # sigmoid' taken as sigmoid
    monkeypatch.setitem(REGISTRY, "sigmoid", wrong)
    report = matcalc.check("sum(sigmoid(X@W))", "W")
    assert not report.ok


THROUGH_MATRICES = [("(x'@A@x)^2", {"x": (4,), "A": (4, 4)}, {}),
                    ("x'@A@x*sum(x)", {"x": (4,), "A": (4, 4)}, {}),
                    ("logdet(A + x@x')", {"x": (3,), "A": (3, 3)}, {"A": "spd"}),
                    ("(x'@A@x)/(x'@x)", {"x": (4,), "A": (4, 4)}, {}),
                    ("a'@((a'@A@(x + a))*A@(x + a))", {"x": (4,), "a": (4,), "A": (4, 4)}, {})]


@pytest.mark.parametrize("f, shapes, domain", THROUGH_MATRICES, ids=[c[0] for c in THROUGH_MATRICES])
def test_hessian_by_double_derive_through_matrix_factors(f, shapes, domain):
    """derive(str(derive(f, x)), x) when the gradient holds x-dependent matrices, e.g. ((x'@A@x)*A)@x."""
    g = matcalc.derive(f, "x", shapes)
    h = matcalc.derive(str(g), "x", shapes)
    values = random_values(shapes, seed=17, domain=domain)
    env = tensors(values)
    fn = torch_f(g, values)
    H = torch.autograd.functional.hessian(lambda x: fn(dict(env, x=x)).reshape(()), env["x"])
    n = env["x"].numel()
    np.testing.assert_allclose(matcalc.evaluate(str(h), values), H.reshape(n, n).numpy(),
                               rtol=RTOL, atol=ATOL, err_msg=str(h))


def test_jacobian_through_an_inverse_of_x():
    shapes = {"x": (3,), "A": (3, 3), "b": (3,)}
    d = matcalc.derive("inv(A + x@x')@b", "x", shapes)
    values = random_values(shapes, seed=19, domain={"A": "spd"})
    env = tensors(values)
    fn = torch_f(d, values)
    J = torch.autograd.functional.jacobian(lambda x: fn(dict(env, x=x)).reshape(-1), env["x"]).reshape(3, 3)
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), J.numpy(), rtol=RTOL, atol=ATOL, err_msg=str(d))


# Golden strings guard readability of the ML losses, on top of an autograd check each.
READABLE_ML = [
    ("-y'@log(sigmoid(X@w)) - (1-y)'@log(1-sigmoid(X@w))", "w", {"y": (6,), "X": (6, 3), "w": (3,)},
     {"y": "unit"}, "X'@(sigmoid(X@w) - y)"),
    ("norm(X@w - y)^2 + lam*norm(w)^2", "w", {"X": (6, 3), "w": (3,), "y": (6,), "lam": ()}, None,
     "2*(X'@(X@w - y) + lam*w)"),
    ("mean((X@W - Y)^2)", "W", {"X": (6, 3), "W": (3, 2), "Y": (6, 2)}, None, "X'@(X@W - Y)/6"),
    ("norm(M*(X - U@V'))^2", "U", {"M": (5, 4), "X": (5, 4), "U": (5, 2), "V": (4, 2)}, None,
     "-2*(M^2*(X - U@V'))@V"),
    ("-logdet(P) + (x-m)'@P@(x-m)", "P", {"P": (4, 4), "x": (4,), "m": (4,)}, {"P": "spd"},
     "(x - m)@(x - m)' - inv(P)'"),
    ("sqrt((x-m)'@inv(S)@(x-m))", "x", {"S": (4, 4), "x": (4,), "m": (4,)}, {"S": "spd"},
     "(inv(S)' + inv(S))@(x - m)/(2*sqrt((x - m)'@inv(S)@(x - m)))"),
]


@pytest.mark.parametrize("f, wrt, shapes, domain, text", READABLE_ML, ids=[r[0] for r in READABLE_ML])
def test_ml_gradient_reads_as_the_textbook(f, wrt, shapes, domain, text):
    from torch_oracle import assert_derivative_matches
    assert_derivative_matches(f, wrt, shapes, seed=23, domain=domain)
    assert str(matcalc.derive(f, wrt, shapes)) == text
