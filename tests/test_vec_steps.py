"""The vec derivation of Jacobians and Hessians (matcalc.derivations.vec_steps): every line is an equation."""
import numpy as np
import pytest

import matcalc
from matcalc.derivations import render
from matcalc.derivations.vec_steps import vec_line_expr
from torch_oracle import random_values

CASES = [
    ("derive", "sigmoid(X@W)", "W", {"X": (5, 3), "W": (3, 4)}),
    ("derive", "A@X@B", "X", {"A": (2, 3), "X": (3, 4), "B": (4, 5)}),
    ("derive", "inv(X)", "X", {"X": (3, 3)}),
    ("derive", "X@X' + A*X", "X", {"X": (3, 3), "A": (3, 3)}),
    ("derive", "diag(x@x')", "x", {"x": (4,)}),
    ("hessian", "norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}),
    ("hessian", "logdet(X)", "X", {"X": (3, 3)}),
    ("hessian", "norm(sigmoid(X@W1)@W2 - Y)^2", "W1", {"X": (5, 3), "W1": (3, 4), "W2": (4, 2), "Y": (5, 2)}),
]


def _vec(a):
    return np.asarray(a).reshape(-1, 1, order="F")


@pytest.mark.parametrize("api, f, wrt, shapes", CASES, ids=[f"{c[1]} wrt {c[2]}" for c in CASES])
def test_every_vec_line_equals_the_differential(api, f, wrt, shapes):
    """vec(dF) = Σ M vec(E) at random values and a random direction dX, on every line; the last is J vec(dX)."""
    d = getattr(matcalc, api)(f, wrt, shapes)
    dv = d.derivation
    values = random_values(shapes, 3, {"X": "spd"} if "inv" in f or "logdet" in f else None)
    dx_name = next(v.attr for v, u in dv.differentials.items() if u.op == "var" and u.attr == wrt)
    direction = np.random.default_rng(4).standard_normal(np.shape(values[wrt]) if np.ndim(values[wrt]) else ())
    env = dict(values, **{dx_name: direction})
    (first, _), *lines = dv.vec_lines
    want = _vec(matcalc.evaluate(first[0][1], env))
    for terms, _ in lines:
        np.testing.assert_allclose(_vec(matcalc.evaluate(vec_line_expr(terms), env)), want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(matcalc.evaluate(d.result, values) @ _vec(direction), want, rtol=1e-9, atol=1e-12)


def test_each_step_cites_the_vec_identity_it_used():
    text = render(matcalc.derive("sigmoid(X@W)", "W", {"X": ("n", "d"), "W": ("d", "h")}).derivation)
    assert "[vec(A ⊙ X) = diag(vec(A)) vec(X)]" in text and "[vec(AXB) = (Bᵀ ⊗ A) vec(X)]" in text


def test_every_format_renders_a_vec_derivation():
    d = matcalc.hessian("logdet(X)", "X", {"X": ("n", "n")})
    for fmt in ("text", "latex", "markdown", "html"):
        assert "vec" in render(d.derivation, fmt)


def test_cli_hessian_steps(capsys):
    from matcalc.cli import main
    assert main(["hessian", "norm(X@W - Y)^2", "W", "--shape", "X=5x3", "--shape", "W=3x2", "--steps", "--ascii"]) == 0
    out = capsys.readouterr().out
    assert "vec(d(grad f))" in out and "[vec(A@X@B) = kron(B', A)@vec(X)]" in out


def test_cli_vector_jacobian_steps(capsys):
    from matcalc.cli import main
    assert main(["derive", "x*sigmoid(x)", "x", "--shape", "x=3", "--steps"]) == 0
    assert "vec(dF)" in capsys.readouterr().out
