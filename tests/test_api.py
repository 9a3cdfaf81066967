"""The public entry points' options, each against torch autograd: symmetric variables,
assumptions, Jacobian layout, hessian, hvp, and check() itself.

The references come from the independent torch oracle (tests/torch_oracle.py), which reads f with its
own parser and torch's own functions: never from matcalc's evaluator or from matcalc.check.
"""
import numpy as np
import pytest
import torch

import matcalc
from torch_oracle import (compare, random_values, torch_hessian, torch_hvp, torch_jacobian,
                          torch_symmetric_grad)

RTOL, ATOL = 1e-6, 1e-8


def assert_close(d, want, values):
    """str(d), evaluated by matcalc at values, equals the oracle's reference."""
    why = compare(matcalc.evaluate(str(d), values), want, RTOL, ATOL)
    assert not why, f"{d}: {why}"


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
    assert_close(d, torch_symmetric_grad(f, "S", values), values)


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
             ("exp(x')/sum(exp(x))", {"x": (4,)}), ("tanh(A@x + b)", {"A": (4, 3), "x": (3,), "b": (4,)}),
             ("x/norm(x)", {"x": (4,)}), ("diag(x)@b + A@(x*x)", {"x": (3,), "b": (3,), "A": (3, 3)}),
             ("softmax(x')", {"x": (5,)}), ("(x'@A)'*x", {"x": (2,), "A": (2, 2)})]


@pytest.mark.parametrize("f, shapes", JACOBIANS, ids=[c[0] for c in JACOBIANS])
@pytest.mark.parametrize("layout", ["numerator", "denominator"])
def test_jacobian_layout(f, shapes, layout):
    d = matcalc.derive(f, "x", shapes, layout=layout)
    values = random_values(shapes, seed=7)
    J = torch_jacobian(f, "x", values)
    assert_close(d, J if layout == "numerator" else J.T, values)


HESSIANS = [("x'@A@x + sum(exp(x))", {"x": (4,), "A": (4, 4)}, None),
            ("sum(log(1 + exp(-y*(X@w))))", {"y": (6,), "X": (6, 3), "w": (3,)}, "w"),
            ("logsumexp(x)", {"x": (5,)}, None),
            ("norm(A@x - b)^2", {"A": (6, 4), "x": (4,), "b": (6,)}, None),
            ("sum(softplus(x)) + sum(tanh(x))", {"x": (3,)}, None),
            ("sum(sigmoid(A@x))", {"A": (5, 3), "x": (3,)}, None),
            ("x'@x*sum(x)", {"x": (4,)}, None),
            ("norm(x)^2 + logsumexp(A@x)", {"x": (3,), "A": (6, 3)}, None),
            ("norm(x)", {"x": (5,)}, None)]


@pytest.mark.parametrize("f, shapes, wrt", HESSIANS, ids=[c[0] for c in HESSIANS])
def test_hessian_matches_autograd(f, shapes, wrt):
    wrt = wrt or "x"
    d = matcalc.hessian(f, wrt, shapes)
    values = random_values(shapes, seed=11)
    assert_close(d, torch_hessian(f, wrt, values), values)


def test_logistic_hessian_reads_as_xt_d_x():
    d = matcalc.hessian("sum(log(1 + exp(-y*(X@w))))", "w", {"y": (6,), "X": (6, 3), "w": (3,)})
    H = d.names[0][0]
    assert d.text().splitlines()[-1] == f"d2f/dw2 = X'@({H}*y^2*(1 - {H})*X)"


HVPS = [("norm(X@W - Y)^2", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}, {}),
        ("sum(tanh(X@W))", {"X": (4, 3), "W": (3, 2)}, {}),
        ("logdet(W) + tr(W@W)", {"W": (3, 3)}, {"W": "spd"}),
        ("norm(sigmoid(X@W)@A - Y)^2", {"X": (5, 3), "W": (3, 4), "A": (4, 2), "Y": (5, 2)}, {}),
        ("tr(W'@A@W)", {"W": (3, 2), "A": (3, 3)}, {}),
        ("logsumexp(X@W)", {"X": (4, 3), "W": (3, 2)}, {}),
        ("norm(W@W' - S)^2", {"W": (3, 2), "S": (3, 3)}, {}),
        ("sum(log(W))", {"W": (2, 3)}, {"W": "positive"})]


@pytest.mark.parametrize("f, shapes, domain", HVPS, ids=[c[0] for c in HVPS])
def test_hvp_matches_double_backward(f, shapes, domain):
    d = matcalc.hvp(f, "W", shapes)
    values = random_values(dict(shapes, V=shapes["W"]), seed=13, domain=domain)
    assert_close(d, torch_hvp(f, "W", values, values["V"]), values)


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
    assert_close(h, torch_hessian(f, "x", values), values)


def test_jacobian_through_an_inverse_of_x():
    shapes = {"x": (3,), "A": (3, 3), "b": (3,)}
    d = matcalc.derive("inv(A + x@x')@b", "x", shapes)
    values = random_values(shapes, seed=19, domain={"A": "spd"})
    assert_close(d, torch_jacobian("inv(A + x@x')@b", "x", values), values)


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
