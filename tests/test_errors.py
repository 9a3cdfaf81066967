"""Errors on bad input: the right MatcalcError subclass, saying what is wrong and where."""
import re

import numpy as np
import pytest

import matcalc
from matcalc.frontend import MAX_DEPTH, MAX_LENGTH, parse


def raised(exc_type, fn, *args, **kwargs):
    """The message of the exc_type that fn(*args) raises."""
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    return str(info.value)


def caret_column(message):
    """0-based column (in the quoted source line) of the first caret, and the source line."""
    lines = message.split("\n")
    carets = next(i for i, line in enumerate(lines) if line.strip() and set(line.strip()) == {"^"})
    source, marks = lines[carets - 1], lines[carets]
    return marks.index("^"), source


def reported_position(message):
    """(line, column) stated in a message: 'line L, column C', or 'column C' meaning line 1."""
    m = re.search(r"line (\d+), column (\d+)", message)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = re.search(r"column (\d+)", message)
    return (1, int(m.group(1))) if m else None


@pytest.mark.parametrize("cls", [matcalc.ParseError, matcalc.ShapeError, matcalc.UnknownNameError,
                                 matcalc.LimitError, matcalc.UnsupportedError])
def test_subclass_of_matcalc_error(cls):
    """Every error matcalc raises on bad input is a MatcalcError."""
    assert issubclass(cls, matcalc.MatcalcError)


# ------------------------------------------------------------------- ParseError
PARSE_POSITIONS = [
    pytest.param("x +* y", 1, 4, id="operator_after_operator"),
    pytest.param("x $ y", 1, 3, id="unknown_character"),
    pytest.param("(x))", 1, 4, id="extra_paren"),
    pytest.param("x +\n  * y", 2, 3, id="second_line"),
    pytest.param("(x", 1, 3, id="ends_early"),
    pytest.param("x +\n  y *", 2, 6, id="ends_early_on_second_line"),
]


@pytest.mark.parametrize("text, line, column", PARSE_POSITIONS)
def test_parse_error_states_line_and_column(text, line, column):
    """ParseError says the line and column (from 1) of the offending token."""
    message = raised(matcalc.ParseError, parse, text)
    assert reported_position(message) == (line, column), message


@pytest.mark.parametrize("text, line, column", PARSE_POSITIONS)
def test_parse_error_caret_under_offending_token(text, line, column):
    """ParseError shows the offending source line with a caret under the column."""
    message = raised(matcalc.ParseError, parse, text)
    at, source = caret_column(message)
    source_line = text.split("\n")[line - 1]
    indent = source.index(source_line)
    assert at - indent == column - 1, message


# ------------------------------------------------------------------- ShapeError
BINARY_MISMATCH = [
    pytest.param("X@Y", "@", "X", "Y", {"X": (2, 3), "Y": (2, 3)}, id="matmul"),
    pytest.param("X @ Y", "@", "X", "Y", {"X": (2, 3), "Y": (2, 3)}, id="matmul_spaced"),
    pytest.param("X + Y", "+", "X", "Y", {"X": (2, 3), "Y": (3, 2)}, id="add"),
    pytest.param("X - Y", "-", "X", "Y", {"X": (2, 3), "Y": (3, 2)}, id="sub"),
    pytest.param("X*Y", "*", "X", "Y", {"X": (2, 3), "Y": (3, 2)}, id="mul"),
    pytest.param("X / Y", "/", "X", "Y", {"X": (2, 3), "Y": (3, 2)}, id="div"),
    pytest.param("exp(X)@(Y + Y)", "@", "exp(X)", "Y + Y", {"X": (2, 3), "Y": (2, 3)}, id="parenthesized_right"),
    pytest.param("(X - Y)*Y'", "*", "X - Y", "Y'", {"X": (2, 3), "Y": (2, 3)}, id="parenthesized_left"),
]


def _shape_error(text, shapes):
    return raised(matcalc.ShapeError, matcalc.derive, f"sum({text})", "X", shapes)


@pytest.mark.parametrize("text, op, left, right, shapes", BINARY_MISMATCH)
def test_shape_error_names_operands_and_shapes(text, op, left, right, shapes):
    """ShapeError quotes both operand texts and both shapes."""
    message = _shape_error(text, shapes)
    shown = [f"{r}×{c}" for r, c in shapes.values()]
    assert all(s in message for s in (f"`{left}`", f"`{right}`", *shown)), message


@pytest.mark.parametrize("text, op, left, right, shapes", BINARY_MISMATCH)
def test_shape_error_caret_under_operator(text, op, left, right, shapes):
    """ShapeError puts its caret under the operator, and only under it."""
    message = _shape_error(text, shapes)
    at, source = caret_column(message)
    width = len(message.split("\n")[-1].strip())
    assert source[at:at + width] == op, message


def test_shape_error_from_evaluate_values():
    """evaluate checks operand shapes from the values given."""
    message = raised(matcalc.ShapeError, matcalc.evaluate, "X@Y", {"X": np.ones((2, 3)), "Y": np.ones((2, 3))})
    assert "2×3" in message


@pytest.mark.parametrize("fn", ["tr", "det", "inv", "logdet"])
def test_square_function_error_names_function_and_shape(fn):
    """tr/det/inv/logdet of a rectangle: ShapeError names the function and the argument's shape."""
    message = raised(matcalc.ShapeError, matcalc.evaluate, f"{fn}(X)", {"X": np.ones((2, 3))})
    assert fn in message and "2×3" in message, message


# ------------------------------------------------------------- UnknownNameError
def test_unknown_function_suggests_nearest():
    """sigmod -> did you mean `sigmoid`."""
    message = raised(matcalc.UnknownNameError, parse, "sigmod(x)")
    assert "`sigmoid`" in message and "sigmod" in message


@pytest.mark.parametrize("typo, meant", [("sofmax", "softmax"), ("logdt", "logdet"), ("tarce", "trace"),
                                         ("eyes", "eye")])
def test_unknown_function_suggestion(typo, meant):
    """An unknown function's message suggests the nearest known name."""
    assert f"`{meant}`" in raised(matcalc.UnknownNameError, parse, f"{typo}(x)")


def test_unknown_function_has_caret():
    """An unknown function's message points at the name."""
    at, source = caret_column(raised(matcalc.UnknownNameError, parse, "x + foo(x)"))
    assert source[at:at + 3] == "foo"


def test_unknown_wrt_variable_suggests_nearest():
    """derive wrt a name that is neither in f nor declared: UnknownNameError with the nearest name."""
    message = raised(matcalc.UnknownNameError, matcalc.derive, "norm(X@weights - Y)^2", "weigths")
    assert "weigths" in message and "`weights`" in message


def test_declared_wrt_not_in_f_is_not_an_error():
    """A declared variable that f does not use has a zero gradient, not an error."""
    d = matcalc.derive("sum(X)", "Q", {"Q": (2, 2)})
    assert np.array_equal(matcalc.evaluate(d.result, {"X": np.ones((2, 2))}), np.zeros((2, 2)))


def test_evaluate_missing_value_is_unknown_name():
    """evaluate without a value for a variable raises UnknownNameError naming it."""
    message = raised(matcalc.UnknownNameError, matcalc.evaluate, "x + yy", {"x": 1.0, "y": 2.0})
    assert "`yy`" in message and "`y`" in message


def test_evaluate_missing_value_for_expr_is_unknown_name():
    """evaluate of an Expr without a value for one of its variables raises UnknownNameError."""
    d = matcalc.derive("norm(X@W - Y)^2", "W", {"X": (3, 2), "W": (2, 1), "Y": (3, 1)})
    with pytest.raises(matcalc.UnknownNameError):
        matcalc.evaluate(d.result, {"X": np.ones((3, 2)), "W": np.ones((2, 1))})


# ------------------------------------------------------------------- LimitError
LIMITS = [
    pytest.param(lambda: "(" * 5000 + "x" + ")" * 5000, id="parentheses_5000_deep"),
    pytest.param(lambda: "+".join(["x"] * (MAX_LENGTH // 2 + 1)), id="sum_over_max_length"),
    pytest.param(lambda: "x" * (MAX_LENGTH + 1), id="one_over_max_length"),
    pytest.param(lambda: "-" * (MAX_DEPTH + 10) + "x", id="unary_minus_deep"),
    pytest.param(lambda: "exp(" * (MAX_DEPTH + 10) + "x" + ")" * (MAX_DEPTH + 10), id="calls_deep"),
    pytest.param(lambda: "x" + "'" * (MAX_DEPTH + 10), id="transposes_deep"),
]


def test_a_flat_sum_is_one_level_of_nesting():
    """x + x + ... with more terms than MAX_DEPTH is long, not deep."""
    tree = parse("+".join(["x"] * (MAX_DEPTH + 10)))
    assert tree.op == "add"


AT_THE_LIMITS = [
    pytest.param(lambda: "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH, id="parentheses_at_max_depth"),
    pytest.param(lambda: "-" * (MAX_DEPTH - 1) + "x", id="unary_minus_at_max_depth"),
    pytest.param(lambda: "x" + " " * (MAX_LENGTH - 1), id="length_at_max_length"),
]


@pytest.mark.parametrize("make", AT_THE_LIMITS)
def test_input_at_the_documented_limits_is_accepted(make):
    assert parse(make()) is not None


@pytest.mark.parametrize("make", LIMITS)
def test_limit_error_in_parse(make):
    """Too long or too deeply nested input raises LimitError (never RecursionError)."""
    with pytest.raises(matcalc.LimitError):
        parse(make())


@pytest.mark.parametrize("make", LIMITS)
def test_limit_error_in_derive(make):
    """derive on such input raises LimitError too."""
    with pytest.raises(matcalc.LimitError):
        matcalc.derive(make(), "x")


def test_limit_message_names_limit():
    """The LimitError for long input states the limit."""
    assert str(MAX_LENGTH) in raised(matcalc.LimitError, parse, "x" * (MAX_LENGTH + 1))


def test_deep_but_allowed_input_evaluates():
    """Nesting just inside the limit works without RecursionError."""
    depth = MAX_DEPTH // 2 - 10
    text = "-(" * depth + "x" + ")" * depth
    assert matcalc.evaluate(text, {"x": 2.0}) == pytest.approx(2.0 * (-1) ** depth)


def test_deep_but_allowed_input_derives():
    """A deep chain of functions within the limit derives without RecursionError."""
    text = "tanh(" * 300 + "x" + ")" * 300
    d = matcalc.derive(text, "x", {"x": ()})
    assert np.isfinite(matcalc.evaluate(d.result, {"x": 0.3}))


# -------------------------------------------------------------- UnsupportedError
def test_hessian_of_matrix_f_is_unsupported():
    """The Hessian of a matrix-valued f (a third-order object) raises UnsupportedError."""
    with pytest.raises(matcalc.UnsupportedError):
        matcalc.hessian("X@W", "W", {"X": (3, 2), "W": (2, 4)})


def test_unsupported_suggests_scalar():
    """The message suggests differentiating sum(f) or tr(f)."""
    message = raised(matcalc.UnsupportedError, matcalc.hessian, "X@W", "W", {"X": (3, 2), "W": (2, 4)})
    assert "sum(f)" in message and "tr(f)" in message


# ------------------------------------------------------------------ showing the place safely
def test_one_line_form_brackets_the_place():
    e = matcalc.ParseError("unexpected '*'", "x +* y", 3, 4)
    assert e.one_line() == "unexpected '*' (line 1, column 4: x +[*] y)"


@pytest.mark.parametrize("char, shown", [("\u202e", "\\u202e"), ("\x1b", "\\x1b"), ("\u200f", "\\u200f"),
                                         ("\n", "\\n"), ("\x00", "\\x00")])
def test_escape_shows_control_and_bidi_characters(char, shown):
    from matcalc.errors import escape
    assert escape(f"a{char}b") == f"a{shown}b"


def test_escape_keeps_printable_unicode():
    from matcalc.errors import escape
    assert escape("‖X − Y‖² é 中") == "‖X − Y‖² é 中"


def test_long_line_is_cut_around_the_place():
    from matcalc.errors import caret
    text = "a + " * 1000 + "$" + " + b" * 1000
    source, marks = caret(text, text.index("$")).split("\n")
    assert len(source) < 100 and source.index("$") == marks.index("^")


@pytest.mark.parametrize("name, known, meant", [("w", ["W", "X"], "W"), ("SUM", ["sum", "norm"], "sum"),
                                                ("w2", ["W1", "W2"], "W2")])
def test_did_you_mean_ignores_case(name, known, meant):
    from matcalc.errors import did_you_mean
    assert did_you_mean(name, known) == f" (did you mean `{meant}`?)"


def test_internal_error_of_an_exception_says_bug_and_where():
    e = matcalc.InternalError.of(KeyError("k"), "simplify")
    assert str(e).startswith("a bug in matcalc, not in your input (KeyError in simplify")
