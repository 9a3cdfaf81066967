"""The public entry points' options, each against torch autograd: symmetric variables,
assumptions, Jacobian layout, hessian, hvp, and check() itself.

The references come from the independent torch oracle (tests/torch_oracle.py), which reads f with its
own parser and torch's own functions: never from matcalc's evaluator or from matcalc.check.
"""
import numpy as np
import pytest
import torch

import matcalc
from torch_oracle import (compare, random_values, torch_grad, torch_hessian, torch_hvp, torch_jacobian,
                          torch_symmetric_grad, torch_symmetric_hvp)

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
    assert d.text().splitlines()[-1] == f"d2f/dw2 = X'@diag({H}*y^2*(1 - {H}))@X"


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


# ------------------------------------------------------------- hessian and hvp take symmetric and assume
SYMMETRIC_HESSIANS = [("x'@S@x", {"x": (4,), "S": (4, 4)}, {}),
                      ("logsumexp(S@x) + (x'@S@x)^2", {"x": (3,), "S": (3, 3)}, {}),
                      ("x'@inv(S)@x", {"x": (5,), "S": (5, 5)}, {"S": "spd"})]


@pytest.mark.parametrize("f, shapes, domain", SYMMETRIC_HESSIANS, ids=[c[0] for c in SYMMETRIC_HESSIANS])
def test_hessian_with_a_symmetric_matrix_matches_autograd(f, shapes, domain):
    d = matcalc.hessian(f, "x", shapes, symmetric=["S"])
    values = random_values(shapes, seed=19, domain=domain)
    values["S"] = symmetric(values["S"])
    assert_close(d, torch_hessian(f, "x", values), values)


def test_hessian_uses_the_symmetry():
    assert str(matcalc.hessian("x'@S@x", "x", {"x": (4,), "S": (4, 4)}, symmetric=["S"])) == "2*S"
    assert str(matcalc.hessian("x'@S@x", "x", {"x": (4,), "S": (4, 4)})) != "2*S"


SYMMETRIC_HVPS = [("logdet(S) - tr(inv(S)@C)", {"S": (4, 4), "C": (4, 4)}, {"S": "spd"}),
                  ("tr(S@S@S)", {"S": (3, 3)}, {}),
                  ("norm(S@A - B)^2 + sum(exp(S))", {"S": (4, 4), "A": (4, 2), "B": (4, 2)}, {})]


@pytest.mark.parametrize("f, shapes, domain", SYMMETRIC_HVPS, ids=[c[0] for c in SYMMETRIC_HVPS])
def test_hvp_on_symmetric_matrices_matches_autograd(f, shapes, domain):
    """With S symmetric, hvp is the derivative of derive's sym(G) along a symmetric V: the Hessian of
    A -> f((A + A')/2) applied to V (not the plain hvp, which differs from it where G is not symmetric)."""
    symmetric_names = ["S", "C"] if "C" in shapes else ["S"]
    d = matcalc.hvp(f, "S", shapes, symmetric=symmetric_names)
    values = random_values(dict(shapes, V=shapes["S"]), seed=23, domain=domain)
    values.update({k: symmetric(values[k]) for k in [*symmetric_names, "V"]})
    want = torch_symmetric_hvp(f, "S", values, values["V"])
    assert_close(d, want, values)
    if f.startswith("norm"):   # its gradient is not symmetric: there the plain hvp is another answer
        assert compare(torch_hvp(f, "S", values, values["V"]), want, RTOL, ATOL), "the case cannot tell them apart"


CROSS_ENTROPY = [("hessian", "-sum(Y*log(softmax(x')))", "x", {"x": (4,), "Y": (1, 4)}),
                 ("hvp", "-sum(Y*log(softmax(X@W)))", "W", {"X": (5, 3), "W": (3, 4), "Y": (5, 4)})]


@pytest.mark.parametrize("kind, f, wrt, shapes", CROSS_ENTROPY, ids=[c[0] for c in CROSS_ENTROPY])
def test_second_derivatives_use_the_rowsum_assumption(kind, f, wrt, shapes):
    """rowsum(Y)=1 drops Y@ones from the result, which stays right for one-hot Y."""
    derive = getattr(matcalc, kind)
    d, plain = derive(f, wrt, shapes, assume=["rowsum(Y)=1"]), derive(f, wrt, shapes)
    assert "Y" in str(plain) and "Y" not in str(d)
    values = random_values(dict(shapes, V=shapes[wrt]), seed=29, domain={"Y": "onehot"})
    want = torch_hessian(f, wrt, values) if kind == "hessian" else torch_hvp(f, wrt, values, values["V"])
    assert_close(d, want, values)


@pytest.mark.parametrize("kind", ["hessian", "hvp"])
def test_second_derivatives_check_with_symmetric(kind):
    f, wrt = ("x'@S@x + sum(exp(S@x))", "x") if kind == "hessian" else ("logdet(S) + tr(S@S@A)", "S")
    report = matcalc.check(f, wrt, kind=kind, symmetric=["S"])
    assert report.ok and report.max_rel_error < 1e-9
    assert np.allclose(report.values["S"], report.values["S"].T)


# ------------------------------------------------------------- several variables in one derivation
NET = "norm(sigmoid(X@W1 + b1)@W2 + b2 - Y)^2"
NET_SHAPES = {"X": (7, 3), "W1": (3, 5), "b1": (1, 5), "W2": (5, 2), "b2": (1, 2), "Y": (7, 2)}


def test_several_variables_each_match_autograd():
    ds = matcalc.derive(NET, ["W1", "W2", "b1", "b2"], NET_SHAPES)
    values = random_values(NET_SHAPES, seed=31)
    assert [d.wrt for d in ds] == ["W1", "W2", "b1", "b2"]
    for d in ds:
        assert_close(d, torch_grad(NET, d.wrt, values), values)


def test_several_variables_share_their_intermediates():
    """One derivation: the same result as alone, and a name means the same expression in every result."""
    ds = matcalc.derive(NET, ["W1", "W2", "b1"], NET_SHAPES)
    assert [d.result for d in ds] == [matcalc.derive(NET, w, NET_SHAPES).result for w in ("W1", "W2", "b1")]
    meaning = {}
    for d in ds:
        for name, e in d.names:
            assert meaning.setdefault(name, e) is e, name
    assert len({n for d in ds for n, _ in d.names}) < sum(len(d.names) for d in ds), "no name is shared"


def test_several_variables_of_a_vector_f_give_jacobians():
    shapes = {"A": (4, 3), "x": (3,), "b": (4,)}
    ds = matcalc.derive("tanh(A@x + b)", ("x", "b"), shapes)
    values = random_values(shapes, seed=37)
    assert [d.kind for d in ds] == ["jacobian", "jacobian"]
    for d in ds:
        assert_close(d, torch_jacobian("tanh(A@x + b)", d.wrt, values), values)


@pytest.mark.parametrize("wrt", [[], ["W", "W"], ["W", 3], 3])
def test_a_bad_list_of_variables_is_an_error(wrt):
    with pytest.raises(matcalc.UnsupportedError, match="wrt|twice"):
        matcalc.derive("norm(X@W - Y)^2", wrt)


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
