"""matcalc's closed-form derivatives against torch autograd, one behaviour per test.

Sizes differ per dimension wherever the math allows, so a missing transpose shows.
"""
import pytest

import matcalc

from torch_oracle import assert_derivative_matches

breadth = pytest.mark.breadth


def _tag(shapes):
    return "-".join(f"{k}{'x'.join(map(str, v)) or '1'}" for k, v in shapes.items())


def case(id, f, wrt, shapes, domain=None, kind="grad", marks=()):
    """One pytest.param for check()."""
    return pytest.param(f, wrt, shapes, domain, kind, id=id, marks=marks)


def wrt_each(id, f, names, shapes, domain=None, kind="grad", marks=()):
    """One case per variable in names."""
    return [case(f"{id}-wrt_{w}", f, w, shapes, domain, kind, marks) for w in names]


def at_shapes(id, f, names, shape_sets, domain=None, marks=()):
    """One case per (shape set, variable in names); the id carries the shapes."""
    return [case(f"{id}-wrt_{w}-{_tag(shapes)}", f, w, shapes, domain, marks=marks)
            for shapes in shape_sets for w in names]


def check(f, wrt, shapes, domain, kind):
    assert_derivative_matches(f, wrt, shapes, domain=domain, kind=kind)


ARGS = "f, wrt, shapes, domain, kind"

# ---------------------------------------------------------------------------------- seeds
_HW = {"X": (100, 1), "W1": (1, 20), "b1": (100, 20), "W2": (20, 1), "b2": (100, 1), "Y": (100, 1)}
_HW_ROW = dict(_HW, b1=(1, 20), b2=(1, 1))
SEEDS = [
    *wrt_each("lecture", "norm(relu(X@W) - Y)^2", "WXY", {"X": (10, 4), "W": (4, 4), "Y": (10, 4)}),
    *wrt_each("lecture_nonsquare", "norm(relu(X@W) - Y)^2", "WXY", {"X": (6, 5), "W": (5, 3), "Y": (6, 3)}),
    *wrt_each("affine_scalar", "w*x + b", "wxb", {"w": (), "x": (), "b": ()}),
    *wrt_each("two_layer_relu", "norm(relu(X@W1)@W2 - Y)^2", ["W1", "W2"],
              {"X": (6, 5), "W1": (5, 4), "W2": (4, 3), "Y": (6, 3)}),
    *wrt_each("homework", "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2", ["W1", "b1", "W2", "b2"], _HW),
    *wrt_each("homework_row_bias", "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2", ["W1", "b1", "W2", "b2"], _HW_ROW),
    *wrt_each("tr_AB", "tr(A@B)", "AB", {"A": (3, 5), "B": (5, 3)}),
    *wrt_each("tr_BA", "tr(B@A)", "AB", {"A": (3, 5), "B": (5, 3)}),
    *wrt_each("tr_AT_BC", "tr(A'@(B*C))", "ABC", {"A": (3, 5), "B": (3, 5), "C": (3, 5)}),
    *wrt_each("tr_AB_TC", "tr((A*B)'@C)", "ABC", {"A": (3, 5), "B": (3, 5), "C": (3, 5)}),
]


@pytest.mark.parametrize(ARGS, SEEDS)
def test_seed(f, wrt, shapes, domain, kind):
    check(f, wrt, shapes, domain, kind)


# ------------------------------------------------------------------------ rules on their own
def _mat(m, n, *names):
    return {k: (m, n) for k in names}


_EW = [_mat(2, 3, "X", "C"), _mat(4, 5, "X", "C"), {"X": (3,), "C": (3,)}]  # elementwise shape sets
_POS = {"X": "positive"}
_UNARY = "exp sin cos tanh sigmoid relu softplus abs".split()
_BROADCAST = {  # the operand b next to X (3x4 / 5x2): each broadcast pattern
    "scalar": lambda m, n: (),
    "row": lambda m, n: (1, n),
    "column_vector": lambda m, n: (m,),
    "column": lambda m, n: (m, 1),
    "same": lambda m, n: (m, n),
}


def _broadcast_cases(id, f, names):
    return [case(f"{id}-{pat}-wrt_{w}-{m}x{n}", f, w, {"X": (m, n), "b": shape(m, n), "C": (m, n)})
            for pat, shape in _BROADCAST.items() for (m, n) in [(3, 4), (5, 2)] for w in names]


RULES = [
    *at_shapes("matmul", "sum(C * (A@B))", "AB", [
        {"A": (2, 3), "B": (3, 4), "C": (2, 4)},
        {"A": (5, 2), "B": (2, 3), "C": (5, 3)},
        {"A": (4, 3), "B": (3,), "C": (4,)},
        {"A": (), "B": (1, 4), "C": (1, 4)},
    ]),
    *at_shapes("matmul_row_times_matrix", "(a'@B)@c", "aBc", [{"a": (3,), "B": (3, 4), "c": (4,)}]),
    *at_shapes("transpose", "sum(C * A')", "A", [
        {"A": (2, 3), "C": (3, 2)}, {"A": (4, 5), "C": (5, 4)}, {"A": (3,), "C": (1, 3)}]),
    *at_shapes("transpose_dot_T", "sum(C * A.T)", "A", [{"A": (2, 3), "C": (3, 2)}]),
    *at_shapes("transpose_in_matmul", "sum(C * (A'@B))", "AB", [{"A": (3, 2), "B": (3, 4), "C": (2, 4)}]),
    *at_shapes("double_transpose", "sum(C * A'')", "A", [{"A": (2, 3), "C": (2, 3)}]),
    *_broadcast_cases("add", "sum(C * (X + b))", "bX"),
    *_broadcast_cases("add_left", "sum(C * (b + X))", "b"),
    *_broadcast_cases("sub", "sum(C * (X - b))", "bX"),
    *_broadcast_cases("sub_left", "sum(C * (b - X))", "bX"),
    *_broadcast_cases("mul_broadcast", "sum(C * (b * X))", "bX"),
    *at_shapes("add_literal", "sum(C * (X + 1))", "X", _EW[:2]),
    *at_shapes("mul", "sum(C * (A * X))", "AX", [dict(m, A=m["X"]) for m in _EW]),
    *at_shapes("div", "sum(C * (A / X))", "AX", [dict(m, A=m["X"]) for m in _EW], _POS),
    *at_shapes("div_by_scalar", "sum(C * (A / X))", "AX", [{"A": (2, 3), "X": (), "C": (2, 3)}], _POS),
    *at_shapes("div_by_row", "sum(C * (A / X))", "AX", [{"A": (2, 3), "X": (1, 3), "C": (2, 3)}], _POS),
    *at_shapes("div_by_column", "sum(C * (A / X))", "AX", [{"A": (4, 3), "X": (4,), "C": (4, 3)}], _POS),
    *at_shapes("div_scalar_numerator", "sum(C * (a / X))", "aX", [{"a": (), "X": (3, 2), "C": (3, 2)}], _POS),
    *at_shapes("square", "sum(C * X^2)", "X", _EW),
    *at_shapes("square_starstar", "sum(C * X**2)", "X", _EW[:1]),
    *at_shapes("cube", "sum(C * X^3)", "X", _EW),
    *at_shapes("sqrt_power", "sum(C * X^0.5)", "X", _EW, _POS),
    *at_shapes("reciprocal_power", "sum(C * X^-1)", "X", _EW, _POS),
    *at_shapes("neg", "sum(C * -X)", "X", _EW),
    *at_shapes("neg_outside", "-sum(C * X)", "X", _EW[:1]),
    *at_shapes("neg_binds_looser_than_power", "sum(-X^2 * C)", "X", _EW[:2]),
    *[c for fn in _UNARY for c in at_shapes(fn, f"sum(C * {fn}(X))", "X", _EW)],
    *at_shapes("log", "sum(C * log(X))", "X", _EW, _POS),
    *at_shapes("sqrt", "sum(C * sqrt(X))", "X", _EW, _POS),
    *at_shapes("step_is_flat", "sum(C * step(X))", "X", _EW[:1]),
    *at_shapes("sign_is_flat", "sum(C * sign(X))", "X", _EW[:1]),
    *at_shapes("tr", "tr(A@X)", "XA", [{"A": (3, 2), "X": (2, 3)}, {"A": (5, 4), "X": (4, 5)}]),
    *at_shapes("tr_square", "tr(X)", "X", [_mat(3, 3, "X"), _mat(4, 4, "X")]),
    *at_shapes("trace_alias", "trace(A@X)", "X", [{"A": (3, 2), "X": (2, 3)}]),
    *at_shapes("det", "det(X)", "X", [_mat(n, n, "X") for n in (2, 3, 4)], {"X": "invertible"}),
    *at_shapes("det_squared", "det(X)^2", "X", [_mat(3, 3, "X")], {"X": "invertible"}),
    *at_shapes("logdet_spd", "logdet(X)", "X", [_mat(n, n, "X") for n in (2, 3, 4)], {"X": "spd"}),
    *at_shapes("logdet_nonsymmetric", "logdet(X)", "X", [_mat(n, n, "X") for n in (3, 4)], {"X": "invertible"}),
    *at_shapes("inv_in_tr", "tr(A@inv(X))", "XA", [_mat(3, 3, "A", "X"), _mat(4, 4, "A", "X")],
               {"X": "invertible"}),
    *at_shapes("inv_in_sum", "sum(A * inv(X))", "X", [_mat(3, 3, "A", "X"), _mat(4, 4, "A", "X")],
               {"X": "invertible"}),
    *at_shapes("diag_of_vector", "sum(A * diag(v))", "vA", [{"v": (3,), "A": (3, 3)}, {"v": (4,), "A": (4, 4)}]),
    *at_shapes("diag_of_row", "sum(A * diag(r))", "r", [{"r": (1, 4), "A": (4, 4)}]),
    *at_shapes("diag_of_matrix", "sum(c * diag(X))", "Xc", [{"X": (3, 3), "c": (3,)}, {"X": (4, 4), "c": (4,)}]),
    *at_shapes("diag_of_matrix_dot", "c'@diag(X)", "X", [{"X": (4, 4), "c": (4,)}]),
    *at_shapes("sum", "sum(X)", "X", [{"X": (2, 3)}, {"X": (4,)}, {"X": ()}]),
    *at_shapes("sum_of_matmul", "sum(A@X)", "XA", [{"A": (2, 3), "X": (3, 4)}]),
    *at_shapes("norm_matrix", "norm(X)", "X", [{"X": (2, 3)}, {"X": (4, 5)}]),
    *at_shapes("norm_vector", "norm(x)", "x", [{"x": (3,)}, {"x": (5,)}]),
    *at_shapes("norm_weighted", "norm(A*X)", "XA", [_mat(3, 2, "A", "X")]),
    *at_shapes("norm_squared", "norm(X)^2", "X", [{"X": (2, 3)}, {"X": (4,)}]),
]
BREADTH_RULES = [
    *at_shapes("softmax", "sum(C * softmax(X))", "X", [_mat(3, 4, "X", "C"), _mat(2, 5, "X", "C")]),
    *at_shapes("softmax_of_row", "softmax(x')@c", "xc", [{"x": (4,), "c": (4,)}]),
    *at_shapes("logsumexp", "logsumexp(A*X)", "XA", [_mat(3, 4, "A", "X")]),
    *at_shapes("logsumexp_vector", "logsumexp(x)", "x", [{"x": (5,)}]),
    *at_shapes("mean", "mean(A*X)", "XA", [_mat(3, 4, "A", "X")]),
    *at_shapes("mean_vector", "mean(x)", "x", [{"x": (5,)}]),
]


@pytest.mark.parametrize(ARGS, RULES)
def test_rule(f, wrt, shapes, domain, kind):
    check(f, wrt, shapes, domain, kind)


@breadth
@pytest.mark.parametrize(ARGS, BREADTH_RULES)
def test_breadth_rule(f, wrt, shapes, domain, kind):
    check(f, wrt, shapes, domain, kind)


# ----------------------------------------------------------------------- absent variables
ABSENT = [
    case("matrix", "sum(X*X)", "W", {"X": (4, 5), "W": (2, 3)}),
    case("vector", "tr(A)", "v", {"A": (3, 3), "v": (4,)}),
    case("scalar", "norm(X)^2", "s", {"X": (2, 3), "s": ()}),
    case("cancels", "sum(C * (X - X))", "X", {"X": (2, 3), "C": (2, 3)}),
]


@pytest.mark.breadth
def test_softmax_of_a_column_is_an_error_suggesting_a_row():
    """softmax normalizes rows; a column's rows have one entry, so the issue asks for an error."""
    with pytest.raises(matcalc.ShapeError, match=r"softmax\(x'\)"):
        matcalc.derive("sum(C * softmax(x))", "x", {"x": (3,), "C": (3,)})


@pytest.mark.parametrize(ARGS, ABSENT)
def test_absent_variable_gives_zero(f, wrt, shapes, domain, kind):
    check(f, wrt, shapes, domain, kind)


# ------------------------------------------------------------------------- cookbook and ML
COOKBOOK = [
    *wrt_each("tr_AXB", "tr(A@X@B)", "XAB", {"A": (2, 3), "X": (3, 4), "B": (4, 2)}),
    *wrt_each("tr_AXBXtC", "tr(A@X@B@X'@C)", "XB", {"A": (2, 3), "X": (3, 4), "B": (4, 4), "C": (3, 2)}),
    *wrt_each("tr_AXBXt", "tr(A@X@B@X')", "X", {"A": (4, 4), "X": (4, 3), "B": (3, 3)}),
    *wrt_each("quadratic_form", "x'@A@x", "xA", {"x": (4,), "A": (4, 4)}),
    *wrt_each("quadratic_form_squared", "(x'@A@x)^2", "x", {"x": (4,), "A": (4, 4)}),
    *wrt_each("residual_dot", "(A@x-b)'@(A@x-b)", "xAb", {"A": (5, 3), "x": (3,), "b": (5,)}),
    *wrt_each("bilinear_inverse", "a'@inv(X)@b", "Xab", {"X": (4, 4), "a": (4,), "b": (4,)}, {"X": "invertible"}),
    *wrt_each("det_AXB", "det(A@X@B)", "X", {"A": (3, 4), "X": (4, 5), "B": (5, 3)}),
    *wrt_each("logdet_XtX", "logdet(X'@X)", "X", {"X": (5, 3)}),
    *wrt_each("logdet_minus_trace", "logdet(S) - tr(inv(S)@C)", "SC", {"S": (3, 3), "C": (3, 3)}, {"S": "spd"}),
    *wrt_each("gaussian_bump", "exp(-x'@x/2)", "x", {"x": (4,)}),
    *wrt_each("scaled_norm", "sin(a)*norm(x)^2", "ax", {"a": (), "x": (5,)}),
    *wrt_each("row_scaled_norm", "norm(diag(v)@A)^2", "vA", {"v": (4,), "A": (4, 3)}),
    *wrt_each("sqrt_sq_plus_one", "sum(sqrt(X*X + 1))", "X", {"X": (3, 4)}),
    *wrt_each("tanh_ratio", "sum(tanh(X)/(1 + X*X))", "X", {"X": (2, 5)}),
    *wrt_each("least_squares", "norm(X@W - Y)^2", "WX", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}),
]
ML = [
    *wrt_each("ridge", "norm(X@w-y)^2 + lam*norm(w)^2", ["w", "lam"],
              {"X": (6, 4), "w": (4,), "y": (6,), "lam": ()}),
    *wrt_each("logistic_regression", "sum(log(1+exp(-y*(X@w))))", "wX",
              {"X": (7, 3), "w": (3,), "y": (7,)}, {"y": "sign"}),
    *wrt_each("gaussian_nll", "logdet(S) + (x-m)'@inv(S)@(x-m)", "Sm",
              {"S": (4, 4), "x": (4,), "m": (4,)}, {"S": "spd"}),
    *wrt_each("relu_net_weight_decay", "norm(relu(X@W1 + b1)@W2 - Y)^2 + lam*norm(W1)^2",
              ["W1", "b1", "W2", "lam"],
              {"X": (7, 3), "W1": (3, 6), "b1": (1, 6), "W2": (6, 2), "Y": (7, 2), "lam": ()}),
    *wrt_each("softplus_loss", "sum(softplus(-y*(X@w)))", "w", {"X": (7, 3), "w": (3,), "y": (7,)},
              {"y": "sign"}),
    *wrt_each("tanh_autoencoder", "norm(tanh(X@E)@D - X)^2", "ED", {"X": (6, 5), "E": (5, 2), "D": (2, 5)}),
]
BREADTH_ML = [
    *wrt_each("cross_entropy", "-sum(Y*log(softmax(X@W)))", "W",
              {"X": (5, 3), "W": (3, 4), "Y": (5, 4)}, {"Y": "onehot"}),
    *wrt_each("attention", "sum(C * (softmax(Q@K')@V))", "QKV",
              {"Q": (3, 2), "K": (4, 2), "V": (4, 5), "C": (3, 5)}),
    *wrt_each("mse", "mean((X@w - y)^2)", "w", {"X": (6, 3), "w": (3,), "y": (6,)}),
    *wrt_each("logsumexp_logits", "logsumexp(X@w) - y'@(X@w)", "w", {"X": (6, 3), "w": (3,), "y": (6,)}),
]


@pytest.mark.parametrize(ARGS, COOKBOOK)
def test_cookbook(f, wrt, shapes, domain, kind):
    check(f, wrt, shapes, domain, kind)


@pytest.mark.parametrize(ARGS, ML)
def test_ml(f, wrt, shapes, domain, kind):
    check(f, wrt, shapes, domain, kind)


@breadth
@pytest.mark.parametrize(ARGS, BREADTH_ML)
def test_breadth_ml(f, wrt, shapes, domain, kind):
    check(f, wrt, shapes, domain, kind)


# ------------------------------------------------------------------- Jacobians and Hessians
JACOBIANS = [
    case("swish", "x*sigmoid(x)", "x", {"x": (5,)}, kind="jacobian"),
    case("linear", "A@x", "x", {"A": (3, 5), "x": (5,)}, kind="jacobian"),
    case("linear_square", "A@x", "x", {"A": (4, 4), "x": (4,)}, kind="jacobian"),
    case("row_output", "x'@A", "x", {"x": (4,), "A": (4, 3)}, kind="jacobian"),
    case("softmax_by_hand", "exp(x)/sum(exp(x))", "x", {"x": (4,)}, kind="jacobian"),
    case("tanh_layer", "tanh(A@x + b)", "x", {"A": (3, 4), "x": (4,), "b": (3,)}, kind="jacobian"),
]
HESSIANS = [
    case("quadratic_plus_exp", "x'@A@x + sum(exp(x))", "x", {"x": (4,), "A": (4, 4)}, kind="hessian"),
    case("logistic_regression", "sum(log(1+exp(-y*(X@w))))", "w", {"X": (7, 3), "w": (3,), "y": (7,)},
         {"y": "sign"}, kind="hessian"),
    case("logsumexp", "logsumexp(x)", "x", {"x": (5,)}, kind="hessian"),
    case("least_squares", "norm(A@x-b)^2", "x", {"A": (6, 4), "x": (4,), "b": (6,)}, kind="hessian"),
    case("softplus", "sum(softplus(x))", "x", {"x": (5,)}, kind="hessian"),
    case("tanh", "sum(tanh(x))", "x", {"x": (4,)}, kind="hessian"),
]


@breadth
@pytest.mark.parametrize(ARGS, JACOBIANS)
def test_jacobian(f, wrt, shapes, domain, kind):
    check(f, wrt, shapes, domain, kind)


@breadth
@pytest.mark.parametrize(ARGS, HESSIANS)
def test_hessian(f, wrt, shapes, domain, kind):
    check(f, wrt, shapes, domain, kind)
