"""Programs (`name = expr` definitions), and str(d) writing shared intermediates as definitions."""
import sys
from pathlib import Path

import numpy as np
import pytest

import matcalc
from matcalc.frontend.parse import MAX_DEPTH, bracket_depth, parse
from tests.torch_oracle import assert_derivative_matches, random_values, torch_grad

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import scaling  # noqa: E402

SHAPES = {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}


def test_a_definition_is_shared_not_copied():
    tree = parse("R = X@W - Y; R*R")
    assert tree.args[0] is tree.args[1]


@pytest.mark.parametrize("separator", ["; ", "\n", ";\n", " "])
def test_statements_are_separated_by_semicolons_or_line_breaks(separator):
    assert parse(f"R = X@W - Y{separator}norm(R)^2").op == "pow"


def test_derive_reads_a_program_like_the_expression_it_stands_for():
    d = matcalc.derive("R = X@W - Y; norm(R)^2", "W", SHAPES)
    values = random_values(SHAPES, seed=1)
    np.testing.assert_allclose(d.evaluate(values), torch_grad("norm(X@W - Y)^2", "W", values), rtol=1e-10)


def test_evaluate_reads_a_program():
    values = random_values(SHAPES, seed=2)
    got = matcalc.evaluate("R = X@W - Y; S = R'@R; tr(S)", values)
    ref = np.trace((values["X"] @ values["W"] - values["Y"]).T @ (values["X"] @ values["W"] - values["Y"]))
    assert float(got) == pytest.approx(ref)


def test_the_oracle_agrees_on_a_program():
    assert_derivative_matches("H = sigmoid(X@W); norm(H - Y)^2", "W", SHAPES, seed=3)


@pytest.mark.parametrize("text, message", [
    ("R = X; R = Y; R", "defined twice"),
    ("R = S; S = X; R", "used before its definition"),
    ("R = R + X; R", "used before its definition"),
    ("sum = X; sum", "is a function"),
])
def test_a_bad_program_is_a_parse_error_that_says_why(text, message):
    with pytest.raises(matcalc.ParseError, match=message):
        parse(text)


def test_a_defined_name_is_not_a_variable_to_derive_by():
    with pytest.raises(matcalc.UnknownNameError):
        matcalc.derive("R = X@W - Y; norm(R)^2", "R", SHAPES)


def test_small_results_print_inline():
    d = matcalc.derive("norm(sigmoid(X@W1 + b1)@W2 + b2 - Y)^2", "W1")
    assert ";" not in str(d) and "=" not in str(d)


@pytest.mark.parametrize("family, n", [("mlp", 256), ("mlp", 1024), ("rnn", 100)])
def test_str_of_a_deep_net_is_a_program_that_evaluates_to_the_gradient(family, n):
    f, wrt, shapes = getattr(scaling, family)(n)
    d = matcalc.derive(f, wrt, shapes)
    text = str(d)
    assert ";" in text
    values = random_values(d.shapes, seed=4)
    np.testing.assert_allclose(np.asarray(matcalc.evaluate(text, values)).reshape(d.shapes[wrt]),
                               np.asarray(d.evaluate(values)).reshape(d.shapes[wrt]), rtol=1e-9, atol=1e-12)


def test_str_of_a_net_grows_linearly_with_its_depth():
    lengths = [len(str(matcalc.derive(*scaling.mlp(n)))) for n in (128, 256, 512)]
    assert lengths[2] / lengths[1] < 2.2 and lengths[1] / lengths[0] < 2.2


def test_str_of_a_net_at_a_small_depth_matches_autograd():
    f, wrt, shapes = scaling.mlp(30)
    d = matcalc.derive(f, wrt, shapes)
    values = random_values(d.shapes, seed=5)
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), torch_grad(f, wrt, values), rtol=1e-8, atol=1e-12)


def test_no_definition_nests_deeper_than_a_reader_can_follow():
    d = matcalc.derive(*scaling.mlp(200))
    deepest = max(bracket_depth(line) for line in str(d).split("; "))
    assert deepest <= 30 < MAX_DEPTH

