"""Matrix Jacobians and Hessians in vec form (matcalc.diff.jacobian), against torch autograd.

J = ∂vec(F)/∂vec(X)ᵀ with vec stacking columns; the oracle (torch_oracle.torch_jacobian and
torch_hessian) differentiates with respect to vec(X) and reads F column by column, so a layout
slip (row-major vec, a transpose) fails.  Every case runs at shape sets of distinct sizes, and the
derivative goes through its printed string (matcalc.evaluate(str(d))), so the string is checked too.
"""
import numpy as np
import pytest

import matcalc
from torch_oracle import compare, random_values, torch_hessian, torch_jacobian, torch_value

LAYER = [{"X": (5, 3), "W": (3, 4)}, {"X": (2, 4), "W": (4, 3)}, {"X": (6, 2), "W": (2, 5)}]
SQUARE = [{"X": (3, 3)}, {"X": (4, 4)}, {"X": (2, 2)}]
RECT = [{"X": (3, 4), "A": (3, 4)}, {"X": (5, 2), "A": (5, 2)}, {"X": (2, 6), "A": (2, 6)}]
NET = [{"X": (5, 3), "W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,), "Y": (5, 2)},
       {"X": (4, 2), "W1": (2, 3), "b1": (3,), "W2": (3, 5), "b2": (5,), "Y": (4, 5)}]


def shapes_with(base, **more):
    return [dict(s, **more) for s in base]


# (F, variable, shape sets, domain)
JACOBIANS = [
    ("A@X@B", "X", [{"A": (2, 3), "X": (3, 4), "B": (4, 5)}, {"A": (4, 2), "X": (2, 3), "B": (3, 2)}], None),
    ("X'", "X", RECT, None),
    ("A*X", "X", RECT, None),
    ("X*X + A", "X", RECT, None),
    ("inv(X)", "X", SQUARE, {"X": "spd"}),
    ("X@X", "X", SQUARE, None),
    ("X@X'", "X", RECT, None),
    ("sigmoid(X@W)", "W", LAYER, None),
    ("sigmoid(X@W)", "X", LAYER, None),
    ("softmax(X@W)", "W", LAYER, None),
    ("relu(X@W)@W'", "W", LAYER, None),
    ("X@W + b'", "b", shapes_with(LAYER, b=(4,))[:1] + [dict(LAYER[1], b=(3,))], None),
    ("sum(X, 0)", "X", RECT, None),
    ("sum(X, 1)", "X", RECT, None),
    ("mean(X*X, 0)", "X", RECT, None),
    ("diag(X)", "X", SQUARE, None),
    ("det(X)*inv(X)", "X", SQUARE, {"X": "spd"}),
    ("tr(X)*X", "X", SQUARE, None),
    ("norm(X)*X", "X", RECT, None),
    ("X/A", "A", RECT, {"A": "positive"}),
    ("vec(X)", "X", RECT, None),
    ("vec(X')", "X", RECT, None),
    ("kron(A, X)", "X", RECT, None),
    ("kron(X, A')", "X", RECT, None),
    ("commutation(4, 3)@vec(X)", "X", [{"X": (4, 3)}], None),
    ("s*A + exp(s)*X", "s", shapes_with(RECT, s=()), None),
    # vector Jacobians through matrix-valued intermediates (issue 12's failing examples)
    ("diag(x@x')", "x", [{"x": (3,)}, {"x": (5,)}], None),
    ("(X*x')@c", "x", [{"X": (3, 4), "x": (4,), "c": (4,)}, {"X": (5, 2), "x": (2,), "c": (2,)}], None),
    ("A@diag(x)@B@x", "x", [{"A": (2, 3), "x": (3,), "B": (3, 3)}, {"A": (4, 2), "x": (2,), "B": (2, 2)}], None),
    ("inv(X + x@x')@c", "x", [{"X": (3, 3), "x": (3,), "c": (3,)}, {"X": (4, 4), "x": (4,), "c": (4,)}],
     {"X": "spd"}),
]

# (scalar f, matrix or vector variable, shape sets, domain)
HESSIANS = [
    ("norm(X@W - Y)^2", "W", shapes_with(LAYER[:1], Y=(5, 4)) + [dict(LAYER[1], Y=(2, 3))], None),
    ("logdet(X)", "X", SQUARE, {"X": "spd"}),
    ("tr(inv(X))", "X", SQUARE, {"X": "spd"}),
    ("det(X)", "X", SQUARE, None),
    ("tr(X@A@X'@B)", "X", [{"X": (3, 4), "A": (4, 4), "B": (3, 3)}, {"X": (2, 3), "A": (3, 3), "B": (2, 2)}], None),
    ("norm(X@W@W' - Y)^2", "W", [{"X": (4, 3), "W": (3, 2), "Y": (4, 3)}, {"X": (3, 2), "W": (2, 4), "Y": (3, 2)}],
     None),
    ("sum(log(sigmoid(X@W)))", "W", LAYER, None),
    ("logsumexp(X@W)", "W", LAYER, None),
    ("sum(softmax(X@W)*C)", "W", [dict(s, C=(s["X"][0], s["W"][1])) for s in LAYER], None),
    ("sum(relu(X@W)^2)", "W", LAYER, None),
    ("sum(mean(X@W, 0)^2)", "W", LAYER, None),
    ("norm(X)", "X", RECT, None),
    ("norm(sigmoid(X@W1 + b1')@W2 + b2' - Y)^2", "W2", NET, None),
    ("norm(sigmoid(X@W1 + b1')@W2 + b2' - Y)^2", "W1", NET, None),
    ("norm(sigmoid(X@W1 + b1')@W2 + b2' - Y)^2", "b1", NET, None),
    # vector Hessians through matrix-valued intermediates (issue 12's failing examples)
    ("sum(exp(x*ones(3, 2)))", "x", [{"x": (3,)}], None),
    ("sum(softplus(X@W + b'))", "b", shapes_with(LAYER[:1], b=(4,)) + [dict(LAYER[1], b=(3,))], None),
    ("0.5*tr((X - m')@inv(S)@(X - m')')", "m", [{"X": (5, 3), "m": (3,), "S": (3, 3)},
                                                 {"X": (4, 2), "m": (2,), "S": (2, 2)}], {"S": "spd"}),
]


def _check(kind, f, wrt, shapes, seed, domain):
    values = random_values(shapes, seed, domain)
    want = (torch_hessian if kind == "hessian" else torch_jacobian)(f, wrt, values)
    d = (matcalc.hessian if kind == "hessian" else matcalc.derive)(f, wrt, dict(shapes))
    got = matcalc.evaluate(str(d), {k: np.array(v) for k, v in values.items()})
    why = compare(got, want)
    assert not why, f"{kind} of {f} wrt {wrt} at {shapes}: {why}\n{d}"
    assert d.latex()
    assert not compare(torch_value(str(d), values), want), f"the oracle reads {d} differently"


@pytest.mark.parametrize("f, wrt, shape_sets, domain", JACOBIANS, ids=[f"{c[0]} wrt {c[1]}" for c in JACOBIANS])
def test_jacobian_matches_autograd(f, wrt, shape_sets, domain):
    for k, shapes in enumerate(shape_sets):
        _check("jacobian", f, wrt, shapes, 1 + k, domain)


@pytest.mark.parametrize("f, wrt, shape_sets, domain", HESSIANS, ids=[f"{c[0]} wrt {c[1]}" for c in HESSIANS])
def test_hessian_matches_autograd(f, wrt, shape_sets, domain):
    for k, shapes in enumerate(shape_sets):
        _check("hessian", f, wrt, shapes, 1 + k, domain)


def test_jacobian_has_numerator_layout_size():
    """F m×n with respect to X p×q is (mn)×(pq), symbolic dimensions staying symbolic."""
    d = matcalc.derive("A@X@B", "X", {"A": ("m", "p"), "X": ("p", "q"), "B": ("q", "n")})
    assert d.result.shape == (matcalc.ir.dims.dim_product("m", "n"), matcalc.ir.dims.dim_product("p", "q"))


def test_matrix_of_a_scalar_is_a_column():
    """F m×n with respect to a scalar s is vec(dF/ds), (mn)×1: the layout has no exceptions."""
    d = matcalc.derive("s*A", "s", {"s": (), "A": (3, 4)})
    assert d.result.shape == (12, 1)


def test_scalar_f_still_gives_the_gradient_in_the_variable_shape():
    assert matcalc.derive("sum(A*X)", "X", {"A": (3, 4), "X": (3, 4)}).result.shape == (3, 4)


def test_denominator_layout_is_the_transpose():
    shapes = {"A": (2, 3), "X": (3, 4), "B": (4, 5)}
    values = random_values(shapes, 5)
    num = matcalc.derive("A@X@B", "X", shapes)
    den = matcalc.derive("A@X@B", "X", shapes, layout="denominator")
    np.testing.assert_allclose(matcalc.evaluate(str(den), values), matcalc.evaluate(str(num), values).T)


# The textbook forms of issue 12, on top of the numeric checks above.
TEXTBOOK = [
    ("derive", "A@X@B", "X", {"A": ("m", "p"), "X": ("p", "q"), "B": ("q", "n")}, "kron(B', A)"),
    ("derive", "X'", "X", {"X": ("m", "n")}, "commutation(m, n)"),
    ("derive", "A*X", "X", {"A": ("m", "n"), "X": ("m", "n")}, "diag(vec(A))"),
    ("derive", "inv(X)", "X", {"X": ("n", "n")}, "-kron(inv(X)', inv(X))"),
    ("derive", "X@X", "X", {"X": ("n", "n")}, "kron(X', eye(n)) + kron(eye(n), X)"),
    ("derive", "sigmoid(X@W)", "W", {"X": ("n", "d"), "W": ("d", "h")},
     "H = sigmoid(X@W)\ndf/dW = diag(vec(H*(1 - H)))@kron(eye(h), X)"),
    ("derive", "diag(x@x')", "x", {"x": ("n",)}, "2*diag(x)"),
    ("derive", "(X*x')@c", "x", {"X": ("m", "n"), "x": ("n",), "c": ("n",)}, "X@diag(c)"),
    ("hessian", "norm(X@W - Y)^2", "W", {"X": ("n", "d"), "W": ("d", "k"), "Y": ("n", "k")},
     "2*kron(eye(k), X'@X)"),
    ("hessian", "logdet(X)", "X", {"X": ("n", "n")}, "-kron(inv(X), inv(X)')@commutation(n, n)"),
    ("hessian", "sum(exp(x*ones(3, 2)))", "x", {"x": (3,)}, "2*diag(exp(x))"),
    ("hessian", "det(X)", "X", {"X": ("n", "n")},
     "G = vec(inv(X)')\nd2f/dX2 = det(X)*(G@G' - kron(inv(X), inv(X)')@commutation(n, n))"),
]


@pytest.mark.parametrize("api, f, wrt, shapes, text", TEXTBOOK, ids=[f"{c[1]} wrt {c[2]}" for c in TEXTBOOK])
def test_textbook_form(api, f, wrt, shapes, text):
    """The simplified result reads as the textbook writes it (named intermediates first)."""
    d = getattr(matcalc, api)(f, wrt, shapes)
    if "\n" in text:
        assert d.text() == text
    else:
        assert d.text().split(" = ", 1)[1] == text


@pytest.mark.parametrize("f, wrt, shapes, kind", [
    ("A@X@B", "X", {"A": (2, 3), "X": (3, 4), "B": (4, 5)}, "derive"),
    ("X'", "X", {"X": ("m", "n")}, "derive"),
    ("norm(sigmoid(X@W1 + b1)@W2 + b2 - Y)^2", "W1",
     {"X": ("n", "d"), "W1": ("d", "h"), "b1": (1, "h"), "W2": ("h", "k"), "b2": (1, "k"), "Y": ("n", "k")}, "hessian"),
])
def test_check_compares_in_vec_order(f, wrt, shapes, kind):
    """matcalc.check (and --check) reads autograd's Jacobian and Hessian in the column-major vec order."""
    assert matcalc.check(f, wrt, shapes, kind=kind).ok


def test_a_fixed_dimension_of_f_stays_when_shapes_are_inferred():
    """Undeclared shapes make f 1×1 only where its dimensions are free: A@x with A 3×4 is a Jacobian."""
    d = matcalc.derive("A@x", "x", {"A": (3, 4)})
    assert d.kind == "jacobian" and d.result.shape == (3, 4)


# Random functions of X (3×4) through matrix-valued intermediates: products, transposes, inverses,
# elementwise functions, sums over an axis, traces; seeded, so CI draws the same ones every run.
_N, _M = 3, 4
_SHAPES = {"X": (_N, _M), "A": (_N, _N), "B": (_M, _N), "C": (_N, _M), "b": (_M,), "c": (_N,)}
_LEAVES = {(_N, _M): ["X", "C", "X*C", "ones(3, 1)@b'"], (_N, _N): ["X@X'", "A", "X@B"], (_M, _M): ["X'@X", "B@X"],
           (_M, _N): ["X'", "B"], (_N, 1): ["X@b", "c"], (_M, 1): ["X'@c", "b"], (1, 1): ["sum(X)", "c'@X@b"],
           (1, _M): ["sum(X, 0)", "b'"]}


def _random_function(shape, depth, rng):
    rows, cols = shape
    leaves = _LEAVES.get(shape, [])
    if depth == 0 or rng.random() < 0.2:
        using_x = [leaf for leaf in leaves if "X" in leaf] or leaves
        return f"({rng.choice(using_x)})" if using_x else None
    kind = rng.randrange(7)
    if kind == 0:
        a = _random_function(shape, depth - 1, rng)
        return a and f"{rng.choice(['exp', 'sigmoid', 'tanh', 'sin', 'softplus'])}({a})"
    if kind == 1:
        a, b = _random_function(shape, depth - 1, rng), _random_function(shape, depth - 1, rng)
        return a and b and f"({a} {rng.choice('+-*')} {b})"
    if kind == 2:
        inner = rng.choice([_N, _M])
        a, b = _random_function((rows, inner), depth - 1, rng), _random_function((inner, cols), depth - 1, rng)
        return a and b and f"({a})@({b})"
    if kind == 3:
        a = _random_function((cols, rows), depth - 1, rng)
        return a and f"({a})'"
    if kind == 4 and rows == cols == _N:
        a = _random_function((_N, _N), depth - 1, rng)
        return a and f"inv({a}@({a})' + eye(3))"
    if kind == 5 and rows == 1 and cols != 1:
        a = _random_function((rng.choice([_N, _M]), cols), depth - 1, rng)
        return a and f"sum({a}, 0)"
    if kind == 6 and shape == (1, 1):
        a = _random_function((_N, _N), depth - 1, rng)
        return a and f"tr({a})"
    return _random_function(shape, depth - 1, rng)


@pytest.mark.parametrize("seed", range(30))
def test_random_matrix_jacobian_and_hessian_match_autograd(seed):
    import random
    rng = random.Random(seed)
    F = None
    while not F or "X" not in F:
        F = _random_function(rng.choice([(_N, _M), (_N, _N), (_M, 1), (1, _M)]), 3, rng)
    f = None
    while not f or "X" not in f:
        f = _random_function((1, 1), 4, rng)
    for kind, fn in (("jacobian", F), ("hessian", f)):
        shapes = {k: v for k, v in _SHAPES.items() if k in fn}
        _check(kind, fn, "X", shapes, seed, None)


def test_kron_of_a_transposed_vector_evaluates_under_autograd():
    """kron's torch implementation takes any strides (torch.kron refuses a transposed column's)."""
    assert matcalc.check("sum(kron(exp(x)', X)^2)", "X", {"x": (3,), "X": (2, 4)}).ok


@pytest.mark.parametrize("f, shapes", [("S@x", {"S": (3, 3), "x": (3,)}), ("inv(S)", {"S": (4, 4)}),
                                       ("S@A@S", {"S": (3, 3), "A": (3, 3)})])
def test_jacobian_by_a_symmetric_matrix_is_taken_through_its_symmetrization(f, shapes):
    """For symmetric S, J (I + K)/2: autograd of F((A + A')/2) at a symmetric A (as check() computes it)."""
    assert matcalc.check(f, "S", shapes, symmetric=["S"]).ok
