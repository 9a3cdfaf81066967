"""The input language: tokens, precedence and associativity, each checked numerically.

Every precedence rule is evaluated by matcalc.evaluate and compared with a NumPy
computation written by hand, with operands chosen so that the other grouping differs.
"""
import numpy as np
import pytest

import matcalc
from matcalc.frontend import parse

RNG = np.random.default_rng(1234)
# Shapes are distinct so a wrong grouping either fails to typecheck or gives other numbers.
A = RNG.uniform(0.5, 1.5, (3, 3))
B = RNG.uniform(0.5, 1.5, (3, 3))
C = RNG.uniform(0.5, 1.5, (3, 3))
X = RNG.standard_normal((4, 3))
Y = RNG.standard_normal((4, 2))
VALUES = {"A": A, "B": B, "C": C, "X": X, "Y": Y, "x": 3.0, "a": 2.0, "b": 3.0, "c": 0.5}


def close(got, want):
    return np.allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=1e-12, atol=1e-12)


PRECEDENCE = [
    pytest.param("A@B*C", (A @ B) * C, id="matmul_then_mul_left_assoc"),
    pytest.param("A*B@C", (A * B) @ C, id="mul_then_matmul_left_assoc"),
    pytest.param("A/B@C", (A / B) @ C, id="div_then_matmul_left_assoc"),
    pytest.param("A@B/C", (A @ B) / C, id="matmul_then_div_left_assoc"),
    pytest.param("A + B@C", A + B @ C, id="matmul_binds_tighter_than_add"),
    pytest.param("A - B*C", A - B * C, id="mul_binds_tighter_than_sub"),
    pytest.param("A - B - C", (A - B) - C, id="sub_left_assoc"),
    pytest.param("A / B / C", (A / B) / C, id="div_left_assoc"),
    pytest.param("A - B + C", (A - B) + C, id="sub_add_left_assoc"),
    pytest.param("-x^2", -9.0, id="unary_minus_looser_than_pow"),
    pytest.param("-x**2", -9.0, id="unary_minus_looser_than_starstar"),
    pytest.param("2^3^2", 512.0, id="pow_right_assoc"),
    pytest.param("2**3**2", 512.0, id="starstar_right_assoc"),
    pytest.param("2^-1", 0.5, id="pow_exponent_may_be_negated"),
    pytest.param("2*x^2", 18.0, id="pow_tighter_than_mul"),
    pytest.param("a*b^c", 2.0 * 3.0 ** 0.5, id="pow_tighter_than_mul_right_operand"),
    pytest.param("A^2", A ** 2, id="caret_is_elementwise_power"),
    pytest.param("A**2", A ** 2, id="starstar_is_elementwise_power"),
    pytest.param("X'@Y", X.T @ Y, id="transpose_tighter_than_matmul"),
    pytest.param("X.T@Y", X.T @ Y, id="dot_T_tighter_than_matmul"),
    pytest.param("X.T", X.T, id="dot_T_transposes"),
    pytest.param("-X'", -X.T, id="neg_of_transpose"),
    pytest.param("X''", X, id="double_transpose"),
    pytest.param("X.T.T", X, id="double_dot_T"),
    pytest.param("(X@X')'", (X @ X.T).T, id="transpose_of_parenthesized"),
    pytest.param("exp(X)'", np.exp(X).T, id="transpose_of_call"),
    pytest.param("A'^2", A.T ** 2, id="transpose_tighter_than_pow"),
    pytest.param("(A - B)*C", (A - B) * C, id="parentheses_group"),
    pytest.param("A - (B - C)", A - (B - C), id="parentheses_right_group"),
    pytest.param("+A - B", A - B, id="unary_plus"),
    pytest.param("- -A", A, id="double_negation"),
    pytest.param("2*A", 2 * A, id="scalar_scales_matrix"),
    pytest.param("A/2", A / 2, id="matrix_divided_by_scalar"),
]


@pytest.mark.parametrize("text, want", PRECEDENCE)
def test_precedence_and_associativity(text, want):
    """The grouping the grammar gives evaluates like the hand-written NumPy."""
    assert close(matcalc.evaluate(text, VALUES), want)


STRUCTURE = [
    pytest.param("A@B*C", "mul", "matmul", id="A@B*C_is_mul_of_matmul"),
    pytest.param("A*B@C", "matmul", "mul", id="A*B@C_is_matmul_of_mul"),
    pytest.param("-A'", "neg", "transpose", id="neg_A_T_is_neg_of_transpose"),
    pytest.param("-x^2", "neg", "pow", id="neg_x_sq_is_neg_of_pow"),
    pytest.param("A - B - C", "sub", "sub", id="sub_chain_nests_left"),
]


@pytest.mark.parametrize("text, outer, left", STRUCTURE)
def test_tree_shape(text, outer, left):
    """The syntax tree nests the way the precedence table says."""
    tree = parse(text)
    assert (tree.op, tree.args[0].op) == (outer, left)


NUMBERS = [
    pytest.param("2", 2.0, id="integer"),
    pytest.param("0.5", 0.5, id="decimal"),
    pytest.param("1e-3", 1e-3, id="exponent_negative"),
    pytest.param("1E3", 1e3, id="exponent_upper_case"),
    pytest.param("2.5e+2", 250.0, id="exponent_plus"),
    pytest.param(".25", 0.25, id="leading_dot"),
]


@pytest.mark.parametrize("text, want", NUMBERS)
def test_number_literals(text, want):
    """Number literals evaluate to their value."""
    assert matcalc.evaluate(text, {}) == pytest.approx(want, rel=1e-15)


NAMES = ["x", "_x", "W1", "b_out", "lam", "X_2b", "ABC_def_9"]


@pytest.mark.parametrize("name", NAMES)
def test_names(name):
    """Identifiers [A-Za-z_][A-Za-z0-9_]* name variables."""
    assert matcalc.evaluate(f"2*{name}", {name: 1.5}) == 3.0


def test_whitespace_is_ignored():
    """Spaces, tabs and newlines between tokens do not change the meaning."""
    assert close(matcalc.evaluate(" A\t@\n B * C ", VALUES), (A @ B) * C)


def test_trace_is_an_alias_of_tr():
    """trace(A) and tr(A) are the same function."""
    assert matcalc.evaluate("trace(A)", VALUES) == matcalc.evaluate("tr(A)", VALUES) == pytest.approx(np.trace(A))


def test_positions_recorded():
    """Syntax nodes keep their span in the source text."""
    tree = parse("X@W + b")
    left = tree.args[0]
    assert tree.text[left.start:left.end] == "X@W"


BAD = [
    pytest.param("x +* y", id="two_operators"),
    pytest.param("(x", id="unclosed_paren"),
    pytest.param("x)", id="extra_close_paren"),
    pytest.param("1x", id="name_starting_with_digit"),
    pytest.param("x $ y", id="unknown_character"),
    pytest.param("x y", id="juxtaposition"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param("exp(x, y)", id="function_with_two_arguments"),
    pytest.param("ones(2)", id="ones_with_one_dimension"),
    pytest.param("ones(0.5, 2)", id="ones_with_fractional_dimension"),
]


@pytest.mark.parametrize("text", BAD)
def test_bad_input_is_parse_error(text):
    """Text outside the language raises ParseError."""
    with pytest.raises(matcalc.ParseError):
        parse(text)


def test_non_string_is_parse_error():
    """A non-string input raises ParseError, not TypeError."""
    with pytest.raises(matcalc.ParseError):
        parse(42)


def test_wrong_number_of_dimensions_points_at_the_constructor():
    """ones(3): the error carries the place (a caret under `ones`), not a tuple in its text."""
    with pytest.raises(matcalc.ParseError) as info:
        parse("sum(ones(3))")
    assert "ones takes 2 dimension(s), got 1" in str(info.value)
    assert "(" + "'sum" not in str(info.value) and "^^^^" in str(info.value)
