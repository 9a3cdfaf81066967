"""Printers: text that parses back to the same value, LaTeX, named intermediates."""
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matcalc
from matcalc.ir.expr import call, const, var, variables
from matcalc.printing import latex_name, to_latex, to_text
from torch_oracle import random_values, torch_grad

HOMEWORK = "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2"
HW_SHAPES = {"X": (7, 3), "W1": (3, 5), "b1": (1, 5), "W2": (5, 2), "b2": (1, 2), "Y": (7, 2)}


def values_for(expr, seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.uniform(0.5, 1.5, shape) for name, shape in variables(expr).items()}


def close(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return got.shape == want.shape and np.allclose(got, want, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------- text round trip
P, Q = var("P", (3, 3)), var("Q", (3, 3))
M, N = var("M", (3, 4)), var("N", (4, 2))
c = var("c", (1, 1))

RAW = [
    pytest.param(lambda: (P + Q) * P, id="sum_times"),
    pytest.param(lambda: P - (Q - P), id="sub_of_sub"),
    pytest.param(lambda: P - (Q + P), id="sub_of_add"),
    pytest.param(lambda: P / (Q * P), id="div_by_product"),
    pytest.param(lambda: P / (Q / P), id="div_by_quotient"),
    pytest.param(lambda: P * (Q @ P), id="mul_of_matmul"),
    pytest.param(lambda: P @ (Q * P), id="matmul_of_mul"),
    pytest.param(lambda: (P @ Q) * P, id="matmul_then_mul"),
    pytest.param(lambda: P @ (Q @ P), id="matmul_right_nested"),
    pytest.param(lambda: (-P) ** const(2), id="pow_of_neg"),
    pytest.param(lambda: -(P ** const(2)), id="neg_of_pow"),
    pytest.param(lambda: (P ** const(2)) ** const(3), id="pow_of_pow"),
    pytest.param(lambda: P ** (c ** const(2)), id="pow_right_nested"),
    pytest.param(lambda: P ** const(-1), id="negative_exponent"),
    pytest.param(lambda: const(-2) ** const(2), id="negative_constant_base"),
    pytest.param(lambda: P - const(-2), id="minus_negative_constant"),
    pytest.param(lambda: (P ** const(2)).T, id="transpose_of_pow"),
    pytest.param(lambda: M.T ** const(2), id="pow_of_transpose"),
    pytest.param(lambda: (M @ N).T, id="transpose_of_matmul"),
    pytest.param(lambda: -(P + Q), id="neg_of_sum"),
    pytest.param(lambda: -(-P), id="neg_of_neg"),
    pytest.param(lambda: P @ -(2 * P), id="matmul_by_negated_product"),
    pytest.param(lambda: P / -(P * Q), id="div_by_negated_product"),
    pytest.param(lambda: Q @ -(P * Q), id="matmul_by_negated_hadamard"),
    pytest.param(lambda: const(0.1) * P + const(1e-20) * Q, id="small_constants"),
    pytest.param(lambda: const(1e20) * P, id="large_constant"),
    pytest.param(lambda: call("sum", call("exp", M @ N)) * c, id="functions"),
    pytest.param(lambda: call("inv", P).T @ Q, id="transpose_of_call"),
]


@pytest.mark.parametrize("build", RAW)
def test_text_round_trip_of_raw_expression(build):
    """to_text(e) parses back to an expression of the same value."""
    e = build()
    vals = values_for(e)
    assert close(matcalc.evaluate(to_text(e), vals), matcalc.evaluate(e, vals)), to_text(e)


DERIVATIVES = [
    pytest.param(HOMEWORK, "W1", HW_SHAPES, id="homework_W1"),
    pytest.param(HOMEWORK, "W2", HW_SHAPES, id="homework_W2"),
    pytest.param(HOMEWORK, "b1", HW_SHAPES, id="homework_b1"),
    pytest.param("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}, id="least_squares"),
    pytest.param("logdet(S) - tr(inv(S)@C)", "S", {"S": (3, 3), "C": (3, 3)}, id="gaussian_loglik"),
    pytest.param("sum(softplus(X@w)) - y'@X@w", "w", {"X": (6, 3), "w": (3,), "y": (6,)}, id="logistic"),
    pytest.param("x'@A@x + sum(exp(x))", "x", {"x": (4,), "A": (4, 4)}, id="quadratic"),
    pytest.param("tr(A@X)^2 + lam*norm(X)^2", "X", {"A": (3, 4), "X": (4, 3), "lam": ()}, id="trace_squared"),
]


@pytest.mark.parametrize("f, wrt, shapes", DERIVATIVES)
def test_derivative_text_round_trip(f, wrt, shapes):
    """evaluate(str(d)) == evaluate(d.result)."""
    d = matcalc.derive(f, wrt, shapes)
    vals = values_for(d.result, seed=2)
    vals.update({k: v for k, v in values_for(d.f, seed=2).items() if k not in vals})
    if "S" in vals:
        vals["S"] = vals["S"] @ vals["S"].T + 3 * np.eye(3)
    assert close(matcalc.evaluate(str(d), vals), matcalc.evaluate(d.result, vals)), str(d)


@st.composite
def exprs(draw, depth=4):
    """Random raw (unsimplified) 3x3 expressions."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from([P, Q, const(2.0), const(-0.5), c]))
    op = draw(st.sampled_from(["+", "-", "*", "/", "@", "neg", "T", "^", "fn"]))
    left = draw(exprs(depth - 1))
    if op in "+-*/@" and op != "@":
        right = draw(exprs(depth - 1))
        return {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[op]
    if op == "@":
        right = draw(exprs(depth - 1))
        if left.shape != right.shape or left.shape == (1, 1):
            return left * right
        return left @ right
    if op == "neg":
        return -left
    if op == "T":
        return left.T
    if op == "^":
        return left ** draw(st.sampled_from([const(2.0), const(-1.0), c, -c]))
    return call(draw(st.sampled_from(["exp", "tanh", "sum", "abs"])), left)


@given(exprs())
def test_random_text_round_trip(e):
    """Any raw expression's text evaluates equal to the expression."""
    vals = {"P": np.full((3, 3), 0.8) + np.eye(3) * 0.3, "Q": np.arange(1.0, 10.0).reshape(3, 3) / 7,
            "c": np.array([[1.3]])}
    want = np.asarray(matcalc.evaluate(e, vals), dtype=float)
    got = np.asarray(matcalc.evaluate(to_text(e), vals), dtype=float)
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True), to_text(e)


# ------------------------------------------------------------------- LaTeX
def test_latex_partial_symbol():
    """d.latex() starts with \\frac{\\partial f}{\\partial W_{1}}."""
    assert r"\frac{\partial f}{\partial W_{1}}" in matcalc.derive(HOMEWORK, "W1").latex()


@pytest.mark.parametrize("f, wrt, token", [
    pytest.param(HOMEWORK, "W1", r"\odot", id="hadamard"),
    pytest.param(HOMEWORK, "W1", r"^\top", id="transpose"),
    pytest.param(HOMEWORK, "W1", r"\sigma", id="sigmoid"),
    pytest.param("tr(A@X)^2", "X", r"\operatorname{tr}", id="trace"),
    pytest.param("lam*norm(W)^2 + sum(X@W)", "W", r"\lambda", id="greek_variable"),
])
def test_latex_contains(f, wrt, token):
    """LaTeX uses the conventional notation."""
    assert token in matcalc.derive(f, wrt).latex()


LATEX_NAMES = [
    pytest.param("W1", "W_{1}", id="trailing_digit"),
    pytest.param("W_2", "W_{2}", id="underscore_digit"),
    pytest.param("lam", r"\lambda", id="lam"),
    pytest.param("alpha", r"\alpha", id="greek"),
    pytest.param("x", "x", id="single_letter"),
    pytest.param("b_out", r"b_{\mathrm{out}}", id="subscript_word"),
    pytest.param("loss", r"\mathrm{loss}", id="word"),
]


@pytest.mark.parametrize("name, want", LATEX_NAMES)
def test_latex_name(name, want):
    """Variable names in LaTeX: subscripts, Greek letters, upright words."""
    assert latex_name(name) == want


DOUBLE_SUPERSCRIPT = re.compile(r"\^(\{[^{}]*\}|\\top|[^\s{\\])\s*\^")

LATEX_WELL_FORMED = [
    pytest.param(lambda: call("inv", P).T, id="transpose_of_inverse"),
    pytest.param(lambda: call("inv", P) ** const(2), id="power_of_inverse"),
    pytest.param(lambda: P.T ** const(2), id="power_of_transpose"),
    pytest.param(lambda: (P ** const(2)) ** const(3), id="power_of_power"),
    pytest.param(lambda: matcalc.derive("logdet(S) - tr(inv(S)@C)", "S").result, id="gaussian_gradient"),
]


@pytest.mark.parametrize("build", LATEX_WELL_FORMED)
def test_latex_has_no_double_superscript(build):
    """LaTeX never stacks two superscripts (x^a^b does not compile)."""
    tex = to_latex(build())
    assert not DOUBLE_SUPERSCRIPT.search(tex), tex


@pytest.mark.parametrize("build", LATEX_WELL_FORMED)
def test_latex_braces_balance(build):
    """LaTeX braces balance."""
    tex = to_latex(build()).replace(r"\{", "").replace(r"\}", "")
    depth = 0
    for ch in tex:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, tex
    assert depth == 0, tex


# ------------------------------------------------------------ intermediates
@pytest.fixture(scope="module")
def homework_w2():
    return matcalc.derive(HOMEWORK, "W2", HW_SHAPES)


def _definitions(d):
    lines = d.text().splitlines()
    return dict(line.split(" = ", 1) for line in lines)


def test_homework_defines_H(homework_w2):
    """d.text() names the hidden layer H = sigmoid(X@W1 + b1)."""
    assert _definitions(homework_w2)["H"] == "sigmoid(X@W1 + b1)"


def test_homework_defines_R(homework_w2):
    """d.text() names the residual R = H@W2 + b2 - Y."""
    assert _definitions(homework_w2)["R"] == "H@W2 + b2 - Y"


def test_homework_gradient_in_terms_of_names(homework_w2):
    """df/dW2 reads 2*H'@R."""
    assert _definitions(homework_w2)["df/dW2"] == "2*H'@R"


def _named_env(d, vals):
    """The definitions of d.text(), and the values with H, then R, evaluated from their text."""
    defs = _definitions(d)
    env = dict(vals)
    env["H"] = matcalc.evaluate(defs["H"], env)
    env["R"] = matcalc.evaluate(defs["R"], env)
    return defs, env


def test_homework_definitions_evaluate_consistently(homework_w2):
    """Evaluating H, then R, then 2*H'@R from the text equals evaluating the result."""
    vals = random_values(HW_SHAPES, seed=3)
    defs, env = _named_env(homework_w2, vals)
    assert close(matcalc.evaluate(defs["df/dW2"], env), matcalc.evaluate(homework_w2.result, vals))


def test_homework_named_text_matches_autograd(homework_w2):
    """The named form evaluates to torch's gradient."""
    vals = random_values(HW_SHAPES, seed=4)
    defs, env = _named_env(homework_w2, vals)
    want = torch_grad(HOMEWORK, "W2", vals)
    assert np.allclose(matcalc.evaluate(defs["df/dW2"], env), want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("wrt", ["W1", "b1", "b2"])
def test_named_text_of_other_gradients_evaluates_equal(wrt):
    """For each gradient, the definitions of d.text() chain to the oracle's gradient."""
    d = matcalc.derive(HOMEWORK, wrt, HW_SHAPES)
    vals = random_values(HW_SHAPES, seed=5)
    env = dict(vals)
    *defs, last = d.text().splitlines()
    for line in defs:
        name, body = line.split(" = ", 1)
        env[name] = matcalc.evaluate(body, env)
    want = torch_grad(HOMEWORK, wrt, vals)
    assert np.allclose(matcalc.evaluate(last.split(" = ", 1)[1], env), want, rtol=1e-8, atol=1e-10)


def test_intermediate_names_avoid_variables():
    """A variable called H does not clash with the hidden-layer name."""
    d = matcalc.derive("norm(sigmoid(H@W1)@W2 - Y)^2", "W2")
    names = [n for n, _ in d.intermediates]
    assert "H" not in names and names, d.text()


def test_named_latex_is_aligned():
    """latex(named=True) lists the definitions in an aligned block."""
    tex = matcalc.derive(HOMEWORK, "W2").latex(named=True)
    assert tex.startswith(r"\begin{aligned}") and "H &= " in tex
