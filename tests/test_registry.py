"""Every operator of the registry on its own, against torch autograd and against itself.

CASES[op] = (scalar f using op, variable, shape sets, domain).  For each operator:
  vjp          derive(f, X) equals autograd's gradient, at every shape set;
  jvp          differential(f, X, V) equals <gradient, V> for a random direction V;
  adjoint      <G, jvp_i(t)> = <vjp_i(G), t> for random t and G: the two rules agree;
  jacobian     a vector function using op (JACOBIAN_CASES) against autograd's Jacobian;
  numerics     the numpy and torch implementations give the same value;
  printing     each format prints the node, and the text parses back to the same value.
A new operator without a row here fails test_every_operator_has_a_case.
"""
import numpy as np
import pytest
import torch

import matcalc
from matcalc.diff import differential, jacobian, unbroadcast
from matcalc.frontend import parse, typecheck
from matcalc.ir.expr import var
from matcalc.ir.operator import REGISTRY
from matcalc.numerics.backends import numpy_backend, torch_backend
from matcalc.numerics.evaluate import as_matrix, run
from matcalc.printing import to_latex, to_text, to_unicode
from torch_oracle import assert_derivative_matches, random_values

M = [{"X": (3, 4), "C": (3, 4)}, {"X": (5, 2), "C": (5, 2)}, {"X": (4,), "C": (4,)}]
SQ = [{"X": (4, 4), "C": (4, 4)}, {"X": (3, 3), "C": (3, 3)}]
BROADCAST = [{"X": (3, 4), "B": (1, 4), "C": (3, 4)}, {"X": (5, 2), "B": (5, 1), "C": (5, 2)},
             {"X": (3, 4), "B": (), "C": (3, 4)}]
POS, UNIT, SPD = {"X": "positive"}, {"X": "unit"}, {"X": "spd"}


def elementwise_case(fn, domain=None):
    return (f"sum(C*{fn}(X))", "X", M, domain)


CASES = {
    "add": ("sum(C*(X + B))", "X", BROADCAST, None),
    "sub": ("sum(C*(B - X))", "X", BROADCAST, None),
    "neg": ("sum(C*-X)", "X", M, None),
    "mul": ("sum(C*X*X*B)", "X", BROADCAST, None),
    "div": ("sum(C/X)", "X", M, POS),
    "pow": ("sum(C*X^3)", "X", M, None),
    "matmul": ("sum(C'@X)", "X", M, None),
    "transpose": ("sum(C@X')", "X", M[:2], None),
    "tr": ("tr(C@X')", "X", M[:2], None),
    "det": ("det(X)", "X", SQ, SPD),
    "logdet": ("logdet(X)", "X", SQ, SPD),
    "inv": ("sum(C*inv(X))", "X", SQ, SPD),
    "diag": ("sum(diag(C)*diag(X))", "X", SQ, None),
    "sum": ("sum(X)*sum(C*X) + sum(sum(C*X, 0)*sum(X, 0)) + sum(sum(C*X, 1)^2)", "X", M, None),
    "mean": ("mean(C*X) + sum(mean(C*X, 0)*mean(X, 0)) + sum(mean(C*X, 1)^2)", "X", M, None),
    "norm": ("norm(X)", "X", M, None),
    "logsumexp": ("logsumexp(C*X)", "X", M, None),
    "softmax": ("sum(C*softmax(X))", "X", M[:2], None),
    "max": ("sum(C*max(X, B)) + sum(max(X, 0.1))", "X", BROADCAST, None),
    "min": ("sum(C*min(B, X)) + sum(min(X, 0.1))", "X", BROADCAST, None),
    **{fn: elementwise_case(fn) for fn in ("exp", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "abs",
                                           "step", "sign", "atan", "sinh", "cosh", "expm1")},
    "log": elementwise_case("log", POS), "sqrt": elementwise_case("sqrt", POS),
    "tan": elementwise_case("tan", UNIT), "asin": elementwise_case("asin", UNIT),
    "acos": elementwise_case("acos", UNIT), "log1p": elementwise_case("log1p", UNIT),
    "vec": ("vec(C)'@vec(X*X)", "X", M, None),
    "unvec": ("sum(C*unvec(vec(X*X), 4, 3))", "X", [{"X": (3, 4), "C": (4, 3)}, {"X": (2, 6), "C": (4, 3)},
                                                    {"X": (12,), "C": (4, 3)}], None),
    "kron": ("sum(kron(C, X)*kron(X, C))", "X", M, None),
}
# vector functions of x (4,) exercising each operator's Jacobian rule; operators that need a matrix
# argument (tr, det, logdet, inv, diag of a matrix) meet x through a 1x1 or through the differential.
V = {"x": (4,), "c": (4,), "A": (3, 4)}
JACOBIAN_CASES = {
    "add": "x + c", "sub": "c - x", "neg": "-x", "mul": "c*x*x", "div": "c/(x*x + 1)", "pow": "x^3",
    "matmul": "A@x", "transpose": "(x')'", "tr": "tr(c'@x)*x", "det": "det(c'@x)*c", "logdet": "logdet(x'@x)*c",
    "inv": "inv(x'@x)*x", "diag": "diag(x)@c", "sum": "sum(x)*c + sum(x, 1)", "mean": "mean(x*x)*c + mean(x, 0)",
    "norm": "norm(x)*x", "logsumexp": "logsumexp(x)*c", "softmax": "softmax(x')'", "max": "max(x, c)",
    "min": "min(c, x*x)",
    **{f: f"{f}(x*x + 1)" for f in ("exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "sqrt",
                                    "abs", "step", "sign", "atan", "sinh", "cosh", "expm1", "log1p")},
    **{f: f"{f}(x/(4 + x*x))" for f in ("tan", "asin", "acos")},
    "vec": "vec(x@c')", "unvec": "vec(unvec(x*x, 2, 2)')", "kron": "vec(kron(A, x*x))",
}
OPERATORS = sorted(name for name, op in REGISTRY.items() if not op.leaf)


def _tensors(values):
    return {k: torch.tensor(as_matrix(k, v)) for k, v in values.items()}


def _domain(domain, shapes):
    return {k: v for k, v in (domain or {}).items() if k in shapes}


def test_every_operator_has_a_case():
    assert set(CASES) == set(OPERATORS) == set(JACOBIAN_CASES)


@pytest.mark.parametrize("op", OPERATORS)
def test_vjp_matches_autograd(op):
    f, wrt, shape_sets, domain = CASES[op]
    for k, shapes in enumerate(shape_sets):
        assert_derivative_matches(f, wrt, shapes, seed=3 + k, domain=_domain(domain, shapes))


@pytest.mark.parametrize("op", OPERATORS)
def test_jvp_matches_autograd(op):
    """The forward rule: D f[V] = <grad f, V>, computed by matcalc's differential."""
    f, wrt, shape_sets, domain = CASES[op]
    shapes = shape_sets[0]
    typed, found = typecheck(parse(f), shapes)
    x = var(wrt, found[wrt])
    values = random_values(dict(shapes, V=shapes[wrt]), seed=5, domain=_domain(domain, shapes))
    got = matcalc.evaluate(differential(typed, x, var("V", found[wrt])), values)
    env = _tensors(values)
    w = env[wrt].clone().requires_grad_(True)
    out = run(typed, dict(env, **{wrt: w}), torch_backend()).reshape(())
    grad = torch.autograd.grad(out, w, allow_unused=True)[0] if out.requires_grad else None
    want = 0.0 if grad is None else float((grad * env["V"]).sum())
    assert np.isclose(got, want, rtol=1e-6, atol=1e-8), f"{op}: {got} vs {want}"


def _node_of(op):
    """The first node of CASES[op]'s f built by op, with the values of its variables."""
    f, wrt, shape_sets, domain = CASES[op]
    shapes = shape_sets[0]
    typed, _ = typecheck(parse(f), shapes)
    from matcalc.ir.expr import walk
    node = next(n for n in walk(typed) if n.op == op)
    return node, random_values(shapes, seed=11, domain=_domain(domain, shapes))


@pytest.mark.parametrize("op", OPERATORS)
def test_adjoint_agrees_with_jvp(op):
    """<G, jvp_i(y, t)> = <unbroadcast(vjp_i(y, G)), t>: the reverse rule is the transpose of the forward one."""
    node, values = _node_of(op)
    rng = np.random.default_rng(13)
    record = REGISTRY[op]
    for i, a in enumerate(node.args):
        if a.is_const:
            continue
        t, G = var("t_", a.shape), var("G_", node.shape)
        vals = dict(values, t_=rng.standard_normal(a.shape), G_=rng.standard_normal(node.shape))
        forward = np.sum(matcalc.evaluate(G * record.jvp(node, i, t), vals))
        backward = np.sum(matcalc.evaluate(unbroadcast(record.vjp(node, i, G), a.shape) * t, vals))
        assert np.isclose(forward, backward, rtol=1e-9, atol=1e-10), f"{op} argument {i}"


@pytest.mark.parametrize("op", OPERATORS)
def test_vec_jacobian_matches_autograd(op):
    f = JACOBIAN_CASES[op]
    typed, found = typecheck(parse(f), V)
    values = random_values(V, seed=7)
    got = np.asarray(matcalc.evaluate(jacobian(typed, var("x", found["x"])), values))
    env = _tensors(values)
    J = torch.autograd.functional.jacobian(lambda t: run(typed, dict(env, x=t), torch_backend()).reshape(-1),
                                           env["x"])
    np.testing.assert_allclose(got, J.reshape(got.shape).numpy(), rtol=1e-6, atol=1e-8, err_msg=f)


@pytest.mark.parametrize("op", OPERATORS)
def test_numpy_and_torch_implementations_agree(op):
    node, values = _node_of(op)
    arrays = {k: as_matrix(k, v) for k, v in values.items()}
    with np.errstate(all="ignore"):
        got = run(node, arrays, numpy_backend())
    want = run(node, _tensors(values), torch_backend()).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", OPERATORS)
def test_every_format_prints_it_and_the_text_reads_back(op):
    node, values = _node_of(op)
    assert to_unicode(node) and to_latex(node)
    back = matcalc.evaluate(to_text(node), values)
    np.testing.assert_allclose(back, matcalc.evaluate(node, values), rtol=1e-12)
