"""Shapes: declared shapes normalized, undeclared ones inferred by unification."""
import numpy as np
import pytest

import matcalc
from matcalc.frontend import parse
from matcalc.frontend import normalize_shape, typecheck


def found(text, declared=None, **kw):
    """The {name: shape} typecheck infers for text."""
    return typecheck(parse(text), dict(declared or {}), **kw)[1]


def result_shape(text, declared=None, **kw):
    return typecheck(parse(text), dict(declared or {}), **kw)[0].shape


NORMALIZE = [
    pytest.param((), (1, 1), id="scalar"),
    pytest.param((5,), (5, 1), id="vector_is_column"),
    pytest.param((100, 1), (100, 1), id="column"),
    pytest.param((1, 20), (1, 20), id="row"),
    pytest.param(("n", "n"), ("n", "n"), id="symbolic_square"),
    pytest.param(("n",), ("n", 1), id="symbolic_vector"),
    pytest.param((np.int64(3), 2), (3, 2), id="numpy_int_dimension"),
]


@pytest.mark.parametrize("shape, want", NORMALIZE)
def test_normalize_declared_shape(shape, want):
    """Declared shapes become 2-D: () is 1x1, (n,) a column."""
    assert normalize_shape("X", shape) == want


BAD_SHAPES = [
    pytest.param((2, 3, 4), id="three_dimensions"),
    pytest.param((0, 3), id="zero_dimension"),
    pytest.param((-1,), id="negative_dimension"),
    pytest.param((2.5, 1), id="fractional_dimension"),
    pytest.param(("1n", 2), id="dimension_name_not_identifier"),
    pytest.param(None, id="not_a_tuple"),
]


@pytest.mark.parametrize("shape", BAD_SHAPES)
def test_bad_declared_shape_is_shape_error(shape):
    """A declared shape that is not (), (n,) or (m, n) of positive ints/names raises ShapeError."""
    with pytest.raises(matcalc.ShapeError):
        normalize_shape("X", shape)


INFERRED = [
    pytest.param("norm(X@W - Y)^2", {}, {"X": ("n", "d"), "W": ("d", "h"), "Y": ("n", "h")},
                 id="least_squares"),
    pytest.param("tr(S)", {}, {"S": ("n", "n")}, id="trace_needs_square"),
    pytest.param("det(S)", {}, {"S": ("n", "n")}, id="det_needs_square"),
    pytest.param("sum(inv(S))", {}, {"S": ("n", "n")}, id="inv_needs_square"),
    pytest.param("sum(X + Y)", {"X": (2, 3)}, {"X": (2, 3), "Y": (2, 3)}, id="undeclared_operand_equal_shape"),
    pytest.param("sum(X*Y)", {"X": (2, 3)}, {"X": (2, 3), "Y": (2, 3)}, id="undeclared_mul_operand_equal_shape"),
    pytest.param("sum(S + T)", {"S": ("n", "n")}, {"S": ("n", "n"), "T": ("n", "n")}, id="declared_symbolic_dims"),
    pytest.param("sum(ones(1, n)@X)", {"X": (4, 3)}, {"X": (4, 3)}, id="constructor_dim_solved"),
]


@pytest.mark.parametrize("text, declared, want", INFERRED)
def test_typecheck_infers(text, declared, want):
    """typecheck fills in undeclared shapes by unification."""
    assert found(text, declared) == want


def test_quadratic_form_as_gradient_f():
    """x'@A@x as a scalar f makes x a column and A square on the same dimension."""
    shapes = found("x'@A@x", {}, scalar_result=True)
    n = shapes["x"][0]
    assert shapes == {"x": (n, 1), "A": (n, n)} and isinstance(n, str)


def test_matmul_joins_inner_dims():
    """X@W with X 4x3 makes W 3 rows by a free (named) number of columns."""
    w = found("sum(X@W)", {"X": (4, 3)})["W"]
    assert w[0] == 3 and isinstance(w[1], str)


def test_inferred_shapes_reported_by_derive():
    """derive(...).shapes gives the inferred shapes."""
    d = matcalc.derive("norm(X@W - Y)^2", "W")
    assert d.shapes == {"X": ("n", "d"), "W": ("d", "h"), "Y": ("n", "h")}


def test_derive_shapes_keep_declared():
    """Declared shapes appear normalized in derive(...).shapes."""
    d = matcalc.derive("norm(X@W - Y)^2", "W", {"X": (100, 1), "Y": (100,)})
    assert (d.shapes["X"], d.shapes["Y"], d.shapes["W"][0]) == ((100, 1), (100, 1), 1)


BROADCAST = [
    pytest.param("X + b", {"X": (4, 3), "b": (1, 3)}, (4, 3), id="row_over_rows"),
    pytest.param("X - c", {"X": (4, 3), "c": (4, 1)}, (4, 3), id="column_over_columns"),
    pytest.param("X*a", {"X": (4, 3), "a": ()}, (4, 3), id="scalar_scales"),
    pytest.param("a/X", {"X": (4, 3), "a": ()}, (4, 3), id="scalar_numerator"),
    pytest.param("c + b", {"c": (4, 1), "b": (1, 3)}, (4, 3), id="outer_broadcast"),
]


@pytest.mark.parametrize("text, declared, want", BROADCAST)
def test_elementwise_broadcasts_declared(text, declared, want):
    """+ - * / broadcast as NumPy on declared 2-D shapes."""
    assert result_shape(text, declared) == want


@pytest.mark.parametrize("text, declared", [
    pytest.param("X + b", {"X": (4, 3), "b": (1, 3)}, id="row_over_rows"),
    pytest.param("c + b", {"c": (4, 1), "b": (1, 3)}, id="outer_broadcast"),
])
def test_broadcast_matches_numpy_values(text, declared):
    """A broadcast sum evaluates to NumPy's broadcast sum."""
    rng = np.random.default_rng(0)
    values = {k: rng.standard_normal(v) for k, v in declared.items()}
    left, right = (values[n.strip()] for n in text.split("+"))
    assert np.allclose(matcalc.evaluate(text, values), left + right)


MISMATCH = [
    pytest.param("tr(X)", {"X": (2, 3)}, id="trace_of_rectangle"),
    pytest.param("det(X)", {"X": (2, 3)}, id="det_of_rectangle"),
    pytest.param("inv(X)", {"X": (2, 3)}, id="inv_of_rectangle"),
    pytest.param("logdet(X)", {"X": (3, 2)}, id="logdet_of_rectangle"),
    pytest.param("tr(A)", {"A": ("n", "m")}, id="trace_of_symbolic_rectangle"),
    pytest.param("X@Y", {"X": (2, 3), "Y": (2, 3)}, id="matmul_inner_dims"),
    pytest.param("X + Y", {"X": (2, 3), "Y": (3, 2)}, id="add_no_broadcast"),
    pytest.param("X*b", {"X": (4, 3), "b": (2, 3)}, id="mul_no_broadcast"),
    pytest.param("X^p", {"X": (2, 2), "p": (2, 1)}, id="non_scalar_exponent"),
    pytest.param("softmax(x)", {"x": (5,)}, id="softmax_of_column"),
    pytest.param("X@X", {"X": (2, 3)}, id="matmul_self_rectangle"),
]


@pytest.mark.parametrize("text, declared", MISMATCH)
def test_shape_mismatch_is_shape_error(text, declared):
    """Operands that do not fit raise ShapeError."""
    with pytest.raises(matcalc.ShapeError):
        typecheck(parse(text), declared)


def test_gradient_f_is_scalar():
    """With scalar_result an otherwise free result shape is taken to be 1x1."""
    assert result_shape("X@W", {}, scalar_result=True) == (1, 1)


def test_without_scalar_result_shape_stays_free():
    """Without scalar_result a free result keeps symbolic dimensions."""
    assert all(isinstance(d, str) for d in result_shape("X@W", {}))


def test_columns_option_makes_vector():
    """Names in `columns` are taken to be column vectors."""
    assert found("sum(exp(x))", {}, columns=("x",))["x"][1] == 1


def test_squares_option_makes_square():
    """Names in `squares` are taken to be square."""
    s = found("sum(S)", {}, squares=("S",))["S"]
    assert s[0] == s[1]


def test_constructor_dims_evaluate_against_operand():
    """ones(1, n)@X evaluates with X 4x3, n solved to 4."""
    X = np.arange(12.0).reshape(4, 3)
    assert np.allclose(matcalc.evaluate("ones(1, n)@X", {"X": X}), X.sum(axis=0, keepdims=True))


def test_eye_dim_evaluates_against_operand():
    """eye(n) takes its size from the other operand."""
    X = np.arange(12.0).reshape(4, 3)
    assert np.allclose(matcalc.evaluate("X@eye(n) + zeros(m, n)", {"X": X}), X)


def test_diag_of_vector_is_square():
    """diag(vector) is a diagonal matrix."""
    assert result_shape("diag(x)", {"x": (5,)}) == (5, 5)


def test_diag_of_square_is_column():
    """diag(square matrix) is its diagonal as a column."""
    assert result_shape("diag(S)", {"S": (4, 4)}) == (4, 1)


@pytest.mark.parametrize("fn", ["sum", "norm", "mean", "logsumexp", "tr", "det", "logdet"])
def test_reductions_are_scalar(fn):
    """Reductions give 1x1."""
    assert result_shape(f"{fn}(S)", {"S": (3, 3)}) == (1, 1)


def test_function_name_as_variable_is_error():
    """A function name used as a variable is an UnknownNameError."""
    with pytest.raises(matcalc.UnknownNameError):
        typecheck(parse("exp + x"), {})
