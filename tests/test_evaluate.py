"""matcalc.evaluate: value conventions, and every function against an independent torch reference."""
import numpy as np
import pytest

import matcalc
from torch_oracle import assert_value_matches, random_values


# ------------------------------------------------------------------ conventions
def test_1d_array_is_column():
    """A 1-D array is a column vector."""
    out = matcalc.evaluate("x", {"x": np.array([1.0, 2.0, 3.0])})
    assert out.shape == (3, 1)


def test_1d_array_transposed_is_row():
    """The transpose of a 1-D array is a row."""
    out = matcalc.evaluate("x'", {"x": np.array([1.0, 2.0, 3.0])})
    assert out.shape == (1, 3)


def test_inner_product_of_1d_arrays():
    """x'@y of two 1-D arrays is their dot product."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, -5.0, 6.0])
    assert matcalc.evaluate("x'@y", {"x": x, "y": y}) == pytest.approx(x @ y)


def test_outer_product_of_1d_arrays():
    """x@y' of two 1-D arrays is their outer product."""
    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])
    assert np.allclose(matcalc.evaluate("x@y'", {"x": x, "y": y}), np.outer(x, y))


@pytest.mark.parametrize("value", [pytest.param(2.5, id="float"), pytest.param(np.float64(2.5), id="numpy_float"),
                                   pytest.param(np.array(2.5), id="0d_array"), pytest.param(2, id="int")])
def test_scalars_scale(value):
    """Floats and 0-D arrays are scalars that scale a matrix."""
    X = np.arange(6.0).reshape(2, 3)
    assert np.allclose(matcalc.evaluate("a*X", {"a": value, "X": X}), float(value) * X)


@pytest.mark.parametrize("text", ["sum(X)", "x'@x", "a", "tr(X'@X)", "norm(X)"])
def test_1x1_result_is_float(text):
    """A 1x1 result comes back as a Python float."""
    vals = {"X": np.arange(6.0).reshape(2, 3), "x": np.array([3.0, 4.0]), "a": 2.0}
    assert type(matcalc.evaluate(text, vals)) is float


def test_matrix_result_is_2d_array():
    """A non-scalar result is a 2-D ndarray."""
    out = matcalc.evaluate("X*2", {"X": np.arange(6.0).reshape(2, 3)})
    assert isinstance(out, np.ndarray) and out.shape == (2, 3)


def test_integer_input_evaluates_in_floating_point():
    """Integer arrays are converted to float64 (no integer division)."""
    assert np.allclose(matcalc.evaluate("X/2", {"X": np.array([[1, 3]])}), [[0.5, 1.5]])


def test_inputs_not_modified():
    """evaluate does not modify the arrays it is given."""
    X = np.arange(6.0).reshape(2, 3)
    before = X.copy()
    matcalc.evaluate("X - X*2", {"X": X})
    assert np.array_equal(X, before)


def test_evaluate_accepts_expr():
    """evaluate takes an Expr as well as text."""
    from matcalc.ir.expr import var
    X = var("X", (2, 3))
    vals = {"X": np.arange(6.0).reshape(2, 3)}
    assert np.allclose(matcalc.evaluate(X.T @ X, vals), vals["X"].T @ vals["X"])


def test_3d_array_is_shape_error():
    """A 3-D array is refused with ShapeError."""
    with pytest.raises(matcalc.ShapeError):
        matcalc.evaluate("sum(X)", {"X": np.ones((2, 2, 2))})


def test_non_numeric_value_is_matcalc_error():
    """A non-numeric value is refused with a MatcalcError."""
    with pytest.raises(matcalc.MatcalcError):
        matcalc.evaluate("x", {"x": "abc"})


def test_derivative_evaluate_method():
    """Derivative.evaluate equals matcalc.evaluate of the result."""
    d = matcalc.derive("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
    vals = random_values({"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
    X, W, Y = vals["X"], vals["W"], vals["Y"]
    assert np.allclose(d.evaluate(vals), 2 * X.T @ (X @ W - Y))


# -------------------------------------------------------- f against the oracle
S33 = {"A": (3, 3)}
CASES = [
    pytest.param("exp(X)", {"X": (3, 4)}, None, id="exp"),
    pytest.param("log(X)", {"X": (3, 4)}, {"X": "positive"}, id="log"),
    pytest.param("sin(X)", {"X": (3, 4)}, None, id="sin"),
    pytest.param("cos(X)", {"X": (3, 4)}, None, id="cos"),
    pytest.param("tanh(X)", {"X": (3, 4)}, None, id="tanh"),
    pytest.param("sigmoid(X)", {"X": (3, 4)}, None, id="sigmoid"),
    pytest.param("sigmoid(50*X)", {"X": (3, 4)}, None, id="sigmoid_saturated"),
    pytest.param("relu(X)", {"X": (3, 4)}, None, id="relu"),
    pytest.param("softplus(X)", {"X": (3, 4)}, None, id="softplus"),
    pytest.param("softplus(100*X)", {"X": (3, 4)}, None, id="softplus_large"),
    pytest.param("sqrt(X)", {"X": (3, 4)}, {"X": "positive"}, id="sqrt"),
    pytest.param("abs(X)", {"X": (3, 4)}, None, id="abs"),
    pytest.param("step(X)", {"X": (3, 4)}, None, id="step"),
    pytest.param("sign(X)", {"X": (3, 4)}, None, id="sign"),
    pytest.param("tr(A)", S33, None, id="tr"),
    pytest.param("trace(A)", S33, None, id="trace_alias"),
    pytest.param("det(A)", S33, None, id="det"),
    pytest.param("logdet(A)", S33, {"A": "spd"}, id="logdet"),
    pytest.param("inv(A)", S33, {"A": "invertible"}, id="inv"),
    pytest.param("diag(x)", {"x": (4,)}, None, id="diag_of_vector"),
    pytest.param("diag(r)", {"r": (1, 4)}, None, id="diag_of_row"),
    pytest.param("diag(A)", S33, None, id="diag_of_matrix"),
    pytest.param("sum(X)", {"X": (3, 4)}, None, id="sum"),
    pytest.param("norm(X)", {"X": (3, 4)}, None, id="norm_frobenius"),
    pytest.param("norm(x)", {"x": (4,)}, None, id="norm_vector"),
    pytest.param("mean(X)", {"X": (3, 4)}, None, id="mean"),
    pytest.param("logsumexp(X)", {"X": (3, 4)}, None, id="logsumexp"),
    pytest.param("logsumexp(100*X)", {"X": (3, 4)}, None, id="logsumexp_large"),
    pytest.param("softmax(X)", {"X": (3, 4)}, None, id="softmax_rows"),
    pytest.param("softmax(100*X)", {"X": (3, 4)}, None, id="softmax_large"),
    pytest.param("softmax(x')", {"x": (4,)}, None, id="softmax_row_vector"),
    pytest.param("eye(3)@A", S33, None, id="eye"),
    pytest.param("ones(2, 3)@X", {"X": (3, 4)}, None, id="ones"),
    pytest.param("zeros(3, 4) + X", {"X": (3, 4)}, None, id="zeros"),
    pytest.param("X^3", {"X": (3, 4)}, None, id="integer_power"),
    pytest.param("X**0.5", {"X": (3, 4)}, {"X": "positive"}, id="fractional_power"),
    pytest.param("X^a", {"X": (3, 4), "a": ()}, {"X": "positive"}, id="variable_power"),
    pytest.param("X/Y", {"X": (3, 4), "Y": (3, 4)}, {"Y": "positive"}, id="division"),
    pytest.param("X + b", {"X": (3, 4), "b": (1, 4)}, None, id="broadcast_row"),
    pytest.param("X*c", {"X": (3, 4), "c": (3,)}, None, id="broadcast_column"),
    pytest.param("norm(sigmoid(X@W1+b1)@W2+b2-Y)^2",
                 {"X": (6, 3), "W1": (3, 4), "b1": (1, 4), "W2": (4, 2), "b2": (1, 2), "Y": (6, 2)}, None,
                 id="homework"),
    pytest.param("-sum(Y*log(softmax(X@W)))", {"X": (5, 3), "W": (3, 4), "Y": (5, 4)}, {"Y": "onehot"},
                 id="cross_entropy"),
    pytest.param("x'@inv(A)@x - logdet(A)", {"x": (3,), "A": (3, 3)}, {"A": "spd"}, id="gaussian"),
]


@pytest.mark.parametrize("f, shapes, domain", CASES)
def test_value_matches_torch(f, shapes, domain):
    """evaluate(f) equals the independent torch evaluation of f."""
    assert_value_matches(f, random_values(shapes, seed=7, domain=domain))
