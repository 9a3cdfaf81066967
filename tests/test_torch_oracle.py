"""Self-tests of the torch oracle against hand-written torch (no matcalc involved)."""
import sys
import types

import numpy as np
import pytest
import torch

from torch_oracle import (OracleSyntaxError, assert_derivative_matches, compare, random_values, torch_grad,
                          torch_hessian, torch_hvp, torch_jacobian, torch_symmetric_grad, torch_value)

SHAPES = {"X": (3, 4), "Y": (3, 4), "A": (4, 3), "S": (3, 3), "x": (4,), "y": (3,), "r": (1, 4),
          "a": (), "b": ()}
VALUES = random_values(SHAPES, seed=1, domain={"S": "spd"})
T = {k: torch.tensor(v) for k, v in VALUES.items()}


def col(v):
    return v.reshape(-1, 1)


def fro(m):
    return torch.sqrt((m * m).sum())


VALUE_CASES = [
    ("X@A", lambda X, A: X @ A),
    ("X*Y - X/Y", lambda X, Y: X * Y - X / Y),
    ("X + r", lambda X, r: X + r),
    ("X + y", lambda X, y: X + col(y)),
    ("a*X + b", lambda a, b, X: a * X + b),
    ("-X^2", lambda X: -(X ** 2)),
    ("-X**2", lambda X: -(X ** 2)),
    ("(-X)^2", lambda X: X ** 2),
    ("2^-1*X", lambda X: 0.5 * X),
    ("a^2^3", lambda a: a ** 8),
    ("X*Y@A", lambda X, Y, A: (X * Y) @ A),
    ("X@A*S", lambda X, A, S: (X @ A) * S),
    ("X/Y/X", lambda X, Y: X / Y / X),
    ("A'@A - A.T@A", lambda A: torch.zeros(3, 3, dtype=torch.float64)),
    ("x'@A@y", lambda x, A, y: (x @ A @ y).reshape(1, 1)),
    ("X'^2", lambda X: X.T ** 2),
    ("1 - 2 - 3", lambda: torch.tensor([[-4.0]], dtype=torch.float64)),
    ("sum(exp(X)) + sum(log(abs(X)))", lambda X: (X.exp().sum() + X.abs().log().sum()).reshape(1, 1)),
    ("sin(X)*cos(X) + tanh(X) + sigmoid(X)", lambda X: X.sin() * X.cos() + X.tanh() + torch.sigmoid(X)),
    ("relu(X) + softplus(X) + sqrt(abs(X))",
     lambda X: torch.relu(X) + torch.log1p(torch.exp(X)) + X.abs().sqrt()),
    ("step(X) + sign(X)", lambda X: (X > 0).double() + torch.sign(X)),
    ("tr(S) + trace(S) + det(S) + logdet(S)",
     lambda S: (2 * S.trace() + torch.linalg.det(S) + torch.log(torch.linalg.det(S))).reshape(1, 1)),
    ("inv(S)@S", lambda S: torch.eye(3, dtype=torch.float64)),
    ("diag(y)", lambda y: torch.diag(y)),
    ("diag(S)", lambda S: col(torch.diagonal(S))),
    ("diag(r)", lambda r: torch.diag(r.reshape(-1))),
    ("norm(X) + norm(x)", lambda X, x: (torch.linalg.norm(X) + torch.linalg.norm(x)).reshape(1, 1)),
    ("softmax(X)", lambda X: torch.exp(X) / torch.exp(X).sum(dim=1, keepdim=True)),
    ("logsumexp(X) + mean(X)", lambda X: (torch.log(torch.exp(X).sum()) + X.sum() / 12).reshape(1, 1)),
    ("eye(3) + ones(3, 4)@zeros(4, 3)", lambda: torch.eye(3, dtype=torch.float64)),
    ("1e-3*X + .5 + 2.", lambda X: 0.001 * X + 2.5),
]


@pytest.mark.parametrize("f, fn", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_matches_hand_written_torch(f, fn):
    names = fn.__code__.co_varnames[:fn.__code__.co_argcount]
    want = fn(*[T[n] for n in names]).detach().numpy()
    assert compare(torch_value(f, VALUES), want, rtol=1e-12, atol=1e-12) == ""


@pytest.mark.parametrize("bad", ["X +", "(X", "X $ Y", "f(X,)", "X Y"])
def test_syntax_errors_raise(bad):
    with pytest.raises(OracleSyntaxError):
        torch_value(bad, VALUES)


@pytest.mark.parametrize("bad", ["X@X", "X + A", "tr(X)", "foo(X)", "x^y"])
def test_shape_errors_raise(bad):
    with pytest.raises((ValueError, RuntimeError)):
        torch_value(bad, VALUES)


def test_grad_has_declared_shape_and_matches_closed_form():
    X, A, x, a = VALUES["X"], VALUES["A"], VALUES["x"], VALUES["a"]
    assert np.allclose(torch_grad("tr(X@A)", "X", VALUES), A.T)
    assert np.allclose(torch_grad("x'@A@A'@x", "x", VALUES), 2 * A @ A.T @ x)
    g = torch_grad("a^2*sum(X)", "a", VALUES)
    assert g.shape == () and np.isclose(g, 2 * a * X.sum())


def test_grad_of_absent_variable_is_zero():
    g = torch_grad("sum(X)", "A", VALUES)
    assert g.shape == (4, 3) and not g.any()


def test_grad_rejects_non_scalar():
    with pytest.raises(ValueError):
        torch_grad("X", "X", VALUES)


def test_jacobian_layout():
    A, x = VALUES["A"], VALUES["x"]
    assert np.allclose(torch_jacobian("A@x", "x", {"A": A.T, "x": x}), A.T)  # (3, 4)
    assert np.allclose(torch_jacobian("x'@A", "x", VALUES), A.T)  # a 1x3 row output


def test_hessian_of_quadratic():
    A = VALUES["A"]
    h = torch_hessian("x'@A@A'@x", "x", VALUES)
    assert h.shape == (4, 4) and np.allclose(h, 2 * A @ A.T)


def test_hvp_is_the_hessian_times_the_direction():
    A, x = VALUES["A"], VALUES["x"]
    v = np.arange(4.0)
    assert np.allclose(torch_hvp("x'@A@A'@x", "x", VALUES, v), 2 * A @ A.T @ v)
    V = np.ones((3, 4))
    assert np.allclose(torch_hvp("norm(X)^2", "X", VALUES, V), 2 * V)


def test_symmetric_grad_symmetrizes_the_gradient():
    S, X = VALUES["S"], VALUES["X"]
    M = X @ X.T        # tr(M S) has gradient M' = M; through (S + S')/2 it is sym(M) = M again
    assert np.allclose(torch_symmetric_grad("tr(X@X'@S)", "S", VALUES), M)
    B = X[:, :3]       # not symmetric: the gradient on symmetric matrices is (B' + B)/2
    values = dict(VALUES, B=B)
    assert np.allclose(torch_symmetric_grad("tr(B@S)", "S", values), (B + B.T) / 2)


def test_autograd_agrees_with_finite_differences():
    f, vals = "sum(softplus(X@A)*sin(S)) + logdet(S)", dict(VALUES)
    g = torch_grad(f, "S", vals)
    fd = np.zeros_like(g)
    for idx in np.ndindex(*g.shape):
        h = 1e-6
        up, dn = dict(vals), dict(vals)
        up["S"], dn["S"] = vals["S"].copy(), vals["S"].copy()
        up["S"][idx] += h
        dn["S"][idx] -= h
        fd[idx] = (torch_value(f, up).item() - torch_value(f, dn).item()) / (2 * h)
    assert np.allclose(g, fd, rtol=1e-5, atol=1e-7)


def test_random_values_shapes_and_domains():
    shapes = {"M": (3, 2), "v": (4,), "s": (), "P": (3, 3), "Q": (3, 3), "p": (2, 5), "u": (6,)}
    v = random_values(shapes, seed=7, domain={"P": "spd", "Q": "invertible", "p": "positive", "u": "unit"})
    assert {k: a.shape for k, a in v.items()} == shapes
    assert all(a.dtype == np.float64 for a in v.values())
    assert np.allclose(v["P"], v["P"].T) and np.linalg.eigvalsh(v["P"]).min() > 0
    assert abs(np.linalg.det(v["Q"])) > 1e-3
    assert v["p"].min() >= 0.5 and 0.2 <= v["u"].min() and v["u"].max() < 1
    again = random_values(shapes, seed=7, domain={"P": "spd", "Q": "invertible", "p": "positive", "u": "unit"})
    assert all(np.array_equal(v[k], again[k]) for k in shapes)
    assert not np.array_equal(random_values(shapes, seed=8)["M"], v["M"])


@pytest.mark.parametrize("got, ref, ok", [
    (np.ones((3, 1)), np.ones(3), True),
    (np.ones(3), np.ones((3, 1)), True),
    (np.ones((1, 3)), np.ones(3), False),
    (np.array([[2.0]]), np.array(2.0), True),
    (2.0, np.ones((1, 1)) * 2, True),
    (np.ones((2, 3)), np.ones((3, 2)), False),
    (np.ones((2, 2)) * (1 + 1e-5), np.ones((2, 2)), False),
    (np.full((2, 2), np.nan), np.ones((2, 2)), False),
], ids=["col-vs-1d", "1d-vs-col", "row-vs-1d", "1x1-scalar", "float-scalar", "transposed", "off", "nan"])
def test_compare(got, ref, ok):
    assert (compare(got, ref) == "") == ok


def _fake_engine(answers):
    """A stand-in matcalc whose derive looks answers up and whose evaluate is the oracle."""
    class D:
        def __init__(self, s):
            self.s = s

        def __str__(self):
            return self.s

        def latex(self):
            return self.s

    def derive(f, wrt, shapes):
        return D(answers[(f, wrt)])

    return types.SimpleNamespace(derive=derive, evaluate=lambda s, v: torch_value(s, v))


LSQ = {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}


def test_assert_derivative_matches_accepts_right_answer(monkeypatch):
    monkeypatch.setitem(sys.modules, "matcalc",
                        _fake_engine({("norm(X@W - Y)^2", "W"): "2*X'@(X@W - Y)",
                                      ("x'@A@x", "x"): "(A + A')@x", ("(A + A')@x", "x"): "A + A'"}))
    assert_derivative_matches("norm(X@W - Y)^2", "W", LSQ)
    assert_derivative_matches("x'@A@x", "x", {"x": (4,), "A": (4, 4)}, kind="hessian")


@pytest.mark.parametrize("wrong, says", [("2*(X@W - Y)'@X", "its transpose matches"),
                                         ("X'@(X@W - Y)", "values differ")])
def test_assert_derivative_matches_rejects_wrong_answer(monkeypatch, wrong, says):
    monkeypatch.setitem(sys.modules, "matcalc", _fake_engine({("norm(X@W - Y)^2", "W"): wrong}))
    with pytest.raises(AssertionError, match=says) as info:
        assert_derivative_matches("norm(X@W - Y)^2", "W", LSQ)
    assert wrong in str(info.value)
