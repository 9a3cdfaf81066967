"""Every step of every derivation is true: df[V] = sum over terms of <G, du[V]>.

For a random direction V of wrt's shape, torch's jvp gives df[V] and each du[V];
G is evaluated by matcalc.evaluate.  The engine's steps (steps.py) and the displayed
lines (lines.py: tr(G' E) with E an expression in the du) are both checked.
"""
import numpy as np
import pytest
import torch

import matcalc
from matcalc.numerics.backends import numpy_backend, torch_backend
from matcalc.numerics.sampling import concrete_sizes, domains_of, random_values
from matcalc.numerics.evaluate import run
from matcalc.derivations.lines import lines
from matcalc.derivations import derivation

SEEDS = [   # the lecture, the homework, the linear model
    ("norm(relu(X@W) - Y)^2", "W", {"X": (10, 4), "W": (4, 4), "Y": (10, 4)}),
    ("norm(relu(X@W) - Y)^2", "X", {"X": (10, 4), "W": (4, 4), "Y": (10, 4)}),
    ("norm(relu(X@W) - Y)^2", "Y", {"X": (10, 4), "W": (4, 4), "Y": (10, 4)}),
    *[("norm(sigmoid(X@W1 + b1)@W2 + b2 - Y)^2", v, {"X": (12, 1), "W1": (1, 5), "W2": (5, 1), "b2": (12, 1),
                                                     "Y": (12, 1), "b1": b1})
      for v in ("W1", "b1", "W2", "b2") for b1 in ((12, 5), (1, 5))],
    ("w*x + b", "w", {"w": (), "x": (), "b": ()}),
    ("w*x + b", "b", {"w": (), "x": (), "b": ()}),
    ("norm(X@W - Y)^2", "W", None),
]
COOKBOOK = [
    ("tr(A@X@B)", "X", None), ("tr(X@A@X')", "X", None), ("x'@A@x", "x", None),
    ("logdet(S) - tr(inv(S)@C)", "S", None), ("det(X)", "X", None), ("tr(inv(X)@A)", "X", None),
    ("a'@X@b", "X", None), ("norm(X)", "X", None), ("sum(diag(X))", "X", None), ("tr(X'@X@X')", "X", None),
    ("sum(sqrt(X))", "X", None), ("sum(X/A)", "A", None), ("sum(X^3)", "X", None), ("x'@diag(v)@x", "v", None),
]
ML = [
    ("-sum(Y*log(softmax(X@W)))", "W", None), ("logsumexp(X@w)", "w", None),
    ("sum(log(1 + exp(-y*(X@w))))", "w", None), ("mean((X@w - y)^2) + lam*norm(w)^2", "w", None),
    ("norm(tanh(X@W1)@W2 - Y)^2", "W1", None), ("sum(softplus(X@w)) - y'@X@w", "w", None),
    ("sum(abs(X@w - y))", "w", None), ("norm(X@W@X' - A)^2", "X", None), ("sum(exp(X@w)) + x'@A@x", "x", None),
    ("-(w*x + b)", "w", {"w": (), "x": (), "b": ()}), ("sum(cos(X)*sin(X))", "X", None),
]
CASES = SEEDS + COOKBOOK + ML


def setup(f, wrt, shapes, seed=0):
    """The derivation at concrete sizes, values, a direction V, and the torch jvp of any u."""
    sizes = concrete_sizes(matcalc.derive(f, wrt, shapes).shapes)
    dv = derivation(f, wrt, sizes)
    values = random_values(sizes, domains_of(dv.f), seed)
    V = np.random.default_rng(seed + 1).standard_normal(sizes[wrt])
    backend = torch_backend()
    env = {k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()}

    def tangent(u):
        g = lambda x: run(u, dict(env, **{wrt: x}), backend)
        return torch.autograd.functional.jvp(g, env[wrt], torch.tensor(V))[1]

    return dv, values, env, backend, tangent


def close(got, want, what):
    assert abs(got - want) <= 1e-7 * max(1.0, abs(want)), f"{what}: {got} != {want}"


@pytest.mark.parametrize("f, wrt, shapes", CASES, ids=[f"{c[0]} d{c[1]}" for c in CASES])
def test_every_engine_step_is_true(f, wrt, shapes):
    dv, values, env, backend, tangent = setup(f, wrt, shapes)
    df = float(tangent(dv.f).sum())
    assert dv.steps, "a derivation has steps"
    for k, step in enumerate(dv.steps):
        got = sum(float((np.asarray(run(G, values, numpy_backend())) * tangent(u).numpy()).sum()) for u, G in step.terms)
        close(got, df, f"step {k} ({step.rule})")
    (u, G), = dv.steps[-1].terms
    assert u.attr == wrt


@pytest.mark.parametrize("f, wrt, shapes", CASES, ids=[f"{c[0]} d{c[1]}" for c in CASES])
def test_every_displayed_line_is_true(f, wrt, shapes):
    dv, values, env, backend, tangent = setup(f, wrt, shapes)
    df = float(tangent(dv.f).sum())
    shown, D = lines(dv)
    du = {d.attr: tangent(u) for d, u in D.back.items()}
    for k, line in enumerate(shown):
        got = sum(float((torch.as_tensor(run(G, env, backend)) * run(E, dict(env, **du), backend)).sum())
                  for G, E in line.terms)
        close(got, df, f"line {k} {line.why}")
    (G, E), = shown[-1].terms
    assert D.back[E].attr == wrt


def test_broadcast_bias_sums_rows():
    """b1 of 1×20 broadcast over 100 rows: the last step's G starts with ones(1, 100)@ (the 1ᵀ sum)."""
    shapes = {"X": (100, 1), "W1": (1, 20), "W2": (20, 1), "b2": (100, 1), "Y": (100, 1), "b1": (1, 20)}
    dv = derivation("norm(sigmoid(X@W1 + b1)@W2 + b2 - Y)^2", "b1", shapes)
    shown, _ = lines(dv)
    assert "broadcast" in shown[-1].why


def test_repeated_variable_shows_its_contributions():
    dv = derivation("tr(X@A@X')", "X")
    shown, D = lines(dv)
    x = dv.steps[-1].terms[0][0]
    assert any([D.back.get(E) for _, E in line.terms] == [x, x] for line in shown)
    assert shown[-1].why == ("collect",)


def test_derivative_steps_property():
    d = matcalc.derive("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
    assert [s.rule for s in d.steps] == ["elementwise power", "Frobenius norm", "subtraction", "matrix product"]
    assert all(s.expression == s.terms for s in d.steps)
    assert d.steps[-1].terms[0][1] is d.result


def test_steps_of_an_hvp_is_an_error():
    d = matcalc.hvp("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
    with pytest.raises(matcalc.UnsupportedError):
        d.steps
