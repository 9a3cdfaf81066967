"""frontend.question: the inference policy, its notes, the warnings for likely slips, and checked names.

Every derivative a policy chooses is checked against torch autograd (the Jacobian of a vector f).
"""
import pytest

import matcalc
from matcalc.frontend.question import prepare
from torch_oracle import assert_derivative_matches


def notes_of(f, wrt, shapes=None, **kw):
    return prepare(f, [wrt], shapes or {}, **kw).notes


# ----------------------------------------------------------------- the policy: which question is answered
@pytest.mark.parametrize("f, wrt, shape_of_wrt, kind", [
    pytest.param("norm(X@W - Y)^2", "W", ("d", "h"), "gradient", id="scalar_by_itself"),
    pytest.param("x'@A@x", "x", ("n", 1), "gradient", id="quadratic_form_x_column"),
    pytest.param("lam*norm(W)^2", "W", ("n", "d"), "gradient", id="scalar_coefficient"),
    pytest.param("x*sigmoid(x)", "x", ("n", 1), "jacobian", id="elementwise_vector_f"),
    pytest.param("x/norm(x)", "x", ("n", 1), "jacobian", id="normalized_vector"),
    pytest.param("softmax(x')", "x", ("n", 1), "jacobian", id="softmax_of_a_row"),
    pytest.param("A@x", "x", ("d", 1), "jacobian", id="linear_map"),
])
def test_policy_answers_the_meant_question(f, wrt, shape_of_wrt, kind):
    d = matcalc.derive(f, wrt)
    assert (d.shapes[wrt], d.kind) == (shape_of_wrt, kind)


@pytest.mark.parametrize("f, wrt, shapes", [
    ("x*sigmoid(x)", "x", {"x": (5,)}),
    ("x/norm(x)", "x", {"x": (4,)}),
    ("softmax(x')'", "x", {"x": (3,)}),
])
def test_policy_jacobian_matches_autograd(f, wrt, shapes):
    assert_derivative_matches(f, wrt, shapes, kind="jacobian")


def test_matrix_f_is_not_made_scalar_behind_your_back():
    """A@X@B is not made scalar by taking A as a row and B as a column: f stays a matrix, the derivative
    is the Jacobian of vec(f), and a note says so."""
    d = matcalc.derive("A@X@B", "X")
    assert d.shapes["A"] == ("n", "d") and d.shapes["B"] == ("h", "k")
    assert str(d) == "kron(B', A)"
    assert d.notes[0].startswith("note: f is n×k, a matrix")


def test_rederiving_a_gradient_gives_the_hessian():
    g = matcalc.derive("x'@A@x + sum(exp(x))", "x")
    h = matcalc.derive(str(g), "x")
    assert (h.kind, h.shapes["x"]) == ("jacobian", ("n", 1))
    assert_derivative_matches(str(g), "x", {"x": (4,), "A": (4, 4)}, kind="jacobian")


# ----------------------------------------------------------------- notes: a pinned dimension is said
def test_note_when_a_vector_is_taken_as_a_column():
    assert notes_of("x*sigmoid(x)", "x") == [
        "note: x taken as a column vector (n×1), so f is n×1 and its derivative is the Jacobian; "
        "declare --shape x=scalar for a scalar"]


def test_note_when_f_is_made_scalar_by_a_default():
    assert any(n.startswith("note: x taken as a column vector (n×1) so that f is scalar")
               for n in notes_of("x'@A@x", "x"))


def test_no_note_when_nothing_was_pinned():
    assert notes_of("norm(X@W - Y)^2", "W") == []


def test_no_note_for_declared_shapes():
    assert notes_of("x*sigmoid(x)", "x", {"x": (5,)}) == []


def test_declared_scalar_is_a_scalar_derivative():
    d = matcalc.derive("x*sigmoid(x)", "x", {"x": ()})
    assert (d.kind, d.notes) == ("gradient", ())


# ----------------------------------------------------------------- warnings for likely slips
@pytest.mark.parametrize("f, wrt, expected", [
    pytest.param("x^T@A@x", "x", "the transpose is x'", id="x^T"),
    pytest.param("sum(A^-1)", "A", "the matrix inverse is inv(A)", id="A^-1"),
    pytest.param("sum(A^(-1))", "A", "the matrix inverse is inv(A)", id="A^(-1)"),
])
def test_slip_gets_a_warning_with_the_intended_form(f, wrt, expected):
    assert any(n.startswith("warning:") and expected in n for n in notes_of(f, wrt))


def test_scalar_reciprocal_is_no_slip():
    assert notes_of("a^-1*tr(X)", "X", {"a": ()}) == []


def test_dimension_name_is_usable_as_a_value():
    """sum(X)/n with X declared n×d divides by the number of rows."""
    import numpy as np
    d = matcalc.derive("sum(X)/n", "X", {"X": ("n", "d")})
    X = np.arange(12.0).reshape(4, 3)
    np.testing.assert_allclose(d.evaluate({"X": X}), np.full((4, 3), 0.25))


def test_dimension_name_used_as_a_value_gets_a_note():
    assert any("`n` is a dimension" in n for n in notes_of("sum(X)/n", "X", {"X": ("n", "d")}))


def test_undeclared_count_name_gets_a_note_saying_how_to_make_it_a_dimension():
    notes = notes_of("sum(X)/n", "X")
    assert notes == ["note: n is a scalar variable here, not a count; to use the number of rows of X, "
                     "declare it as a dimension: --shape X=n,d"]


# ----------------------------------------------------------------- names the caller gives
@pytest.mark.parametrize("call, suggestion", [
    pytest.param(lambda: matcalc.derive("tr(W1)", "W1", {"w1": (3, 3)}), "W1", id="shape_case_slip"),
    pytest.param(lambda: matcalc.derive("tr(W@X)", "W", symmetric=["w"]), "W", id="symmetric_case_slip"),
    pytest.param(lambda: matcalc.derive("tr(X)", "X", symmetric=["Q"]), None, id="symmetric_absent"),
    pytest.param(lambda: matcalc.derive("sum(Y*X)", "X", assume=["rowsum(y)=1"]), "Y", id="assume_case_slip"),
    pytest.param(lambda: matcalc.derive("tr(X)", "SUM"), None, id="wrt_absent"),
    pytest.param(lambda: matcalc.hvp("norm(X@W)^2", "W", direction="exp"), None, id="direction_is_a_function"),
])
def test_unknown_names_are_errors(call, suggestion):
    with pytest.raises(matcalc.UnknownNameError) as info:
        call()
    if suggestion:
        assert f"did you mean `{suggestion}`?" in str(info.value)


def test_unused_shape_in_a_shared_dict_is_ignored():
    """One dict of shapes may serve several functions: a name f does not use is no error."""
    assert matcalc.derive("tr(X)", "X", {"X": (3, 3), "Q": (2, 2)}).shapes == {"X": (3, 3)}


@pytest.mark.parametrize("shapes, error", [
    ({"X": (3, 2, 1)}, matcalc.ShapeError),
    ({"X": "3x2"}, matcalc.ShapeError),
    ({"X": (0, 2)}, matcalc.ShapeError),
    ({"X": ("n", "X")}, matcalc.ShapeError),
    ([("X", (3, 3))], matcalc.UsageError),
    ({3: (3, 3)}, matcalc.UsageError),
])
def test_malformed_shapes_are_errors(shapes, error):
    with pytest.raises(error):
        matcalc.derive("tr(X)", "X", shapes)
