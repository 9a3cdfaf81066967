"""The error boundary: whatever a user passes, the API raises only MatcalcError subclasses and the CLI
prints one line and exits 2.  The inputs of issue 10 that once gave a traceback are each a case here;
hypothesis adds random text, shape dicts and options."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

import matcalc
from matcalc.cli import main
from test_cli import run_main as cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOMEWORK = "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2"




def assert_one_line_error(code, err):
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("matcalc: ")
    kind = err.split(":")[1].strip()
    assert issubclass(getattr(matcalc, kind), matcalc.MatcalcError)


# ---------------------------------------------------------------- the issue's inputs, through the API
@pytest.mark.parametrize("call, outcome", [
    pytest.param(lambda: matcalc.derive("relu(X@W)", "W", {"X": (5, 3)}), None, id="partial_shape_relu"),
    pytest.param(lambda: matcalc.derive("A@b", "b", {"A": (3, 3)}), None, id="partial_shape_matvec"),
    pytest.param(lambda: str(matcalc.derive("x*1e-320", "x")), None, id="subnormal_coefficient"),
    pytest.param(lambda: str(matcalc.derive("x*10^400", "x")), None, id="huge_power"),
    pytest.param(lambda: matcalc.derive("sum(eye(1e999))", "x"), matcalc.ParseError, id="eye_1e999"),
    pytest.param(lambda: matcalc.evaluate("logdet(X)", {"X": np.diag([-1.0, 2.0])}), None, id="logdet_negative_det"),
    pytest.param(lambda: matcalc.evaluate("inv(X)", {"X": np.zeros((2, 2))}), matcalc.EvaluationError,
                 id="inv_singular"),
    pytest.param(lambda: matcalc.evaluate("x", [1.0, 2.0]), matcalc.UsageError, id="values_not_a_dict"),
    pytest.param(lambda: matcalc.evaluate("sum(eye(100000))", {}), matcalc.LimitError, id="eye_100000"),
    pytest.param(lambda: matcalc.check("norm(X)^2", "X", {"X": (100000, 100000)}), matcalc.LimitError,
                 id="check_huge_sample"),
    pytest.param(lambda: matcalc.derive("x'@((w + B)*u)@y", "w", {"B": (3, 3), "u": (3,), "x": (3,), "y": (3,)}),
                 None, id="sum_of_outer"),
    pytest.param(lambda: matcalc.hessian("A@X@B", "X"), matcalc.UnsupportedError, id="hessian_of_matrix_f"),
    pytest.param(lambda: matcalc.derive("tr(W1)", "W1", {"w1": (3, 3)}), matcalc.UnknownNameError,
                 id="shape_of_w1_for_W1"),
    pytest.param(lambda: matcalc.derive("tr(X)", "X", symmetric=["Q"]), matcalc.UnknownNameError,
                 id="symmetric_absent"),
    pytest.param(lambda: matcalc.hvp("norm(X@W)^2", "W", direction="exp"), matcalc.UnknownNameError,
                 id="direction_exp"),
    pytest.param(lambda: matcalc.derive("tr(X)", "X", {"X": "3x2x"}), matcalc.ShapeError, id="shape_string"),
    pytest.param(lambda: matcalc.derive("tr(X)", "X", {"X": (2.5, 3)}), matcalc.ShapeError, id="shape_float"),
    pytest.param(lambda: matcalc.derive(None, "X"), matcalc.MatcalcError, id="f_not_text"),
    pytest.param(lambda: matcalc.derive("tr(X)", 3), matcalc.UnsupportedError, id="wrt_not_text"),
    pytest.param(lambda: matcalc.derive("tr(X)", "X", assume="rowsum(X)=1"), matcalc.UsageError,
                 id="assume_a_str"),
])
def test_issue_input_through_the_api(call, outcome):
    if outcome is None:
        call()
    else:
        with pytest.raises(outcome):
            call()


# ---------------------------------------------------------------- the issue's inputs, through the CLI
@pytest.mark.parametrize("argv, code", [
    pytest.param(["derive", "relu(X@W)", "W", "--shape", "X=5x3"], 0, id="partial_shape_relu"),
    pytest.param(["derive", "A@b", "b", "--shape", "A=3x3"], 0, id="partial_shape_matvec"),
    pytest.param(["derive", "-x", "x"], 0, id="leading_minus"),
    pytest.param(["derive", "x*1e-320", "x"], 0, id="subnormal"),
    pytest.param(["derive", "sum(eye(1e999))", "x"], 2, id="eye_1e999"),
    pytest.param(["derive", "tr(X)", "X", "--shape", "X=²x3"], 2, id="superscript_digit"),
    pytest.param(["derive", "tr(X)", "X", "--shape", "X=3x2x"], 2, id="trailing_x"),
    pytest.param(["derive", "tr(X)", "X", "--shape", "X=3x"], 2, id="dangling_x"),
    pytest.param(["derive", "tr(X)", "X", "--shape", "X=3x3", "--shape", "X=4x4"], 2, id="contradiction"),
    pytest.param(["derive", "tr(W1)", "W1", "--shape", "w1=3x3"], 2, id="case_slip"),
    pytest.param(["derive", "tr(X)", "X", "--shape", "Q=3x3"], 2, id="shape_not_in_f"),
    pytest.param(["derive", "tr(X)", "X", "--symmetric", "Q"], 2, id="symmetric_not_in_f"),
    pytest.param(["hvp", "norm(X@W)^2", "W", "exp"], 2, id="direction_exp"),
    pytest.param(["derive", "tr(X)", "X", "--steps", "--latex"], 2, id="steps_latex"),
    pytest.param(["derive", "tr(X)", "X", "--latex", "--format", "html"], 2, id="latex_html"),
    pytest.param(["derive", "tr(X)", "X", "--ascii", "--latex"], 2, id="ascii_latex"),
    pytest.param(["derive", "tr(X)", "X", "--standalone"], 2, id="standalone_text"),
    pytest.param(["derive", "tr(X)", "X", "--check", "--shape", "X=100000x100000"], 2, id="check_huge"),
    pytest.param(["derive", "tr(X)"], 2, id="argparse_missing_var"),
    pytest.param(["frobnicate"], 2, id="argparse_unknown_command"),
    pytest.param(["derive", "tr(X)", "X", "-o", "/nonexistent/dir/out.tex", "--format", "latex"], 2,
                 id="unwritable_output"),
])
def test_issue_input_through_the_cli(capsys, argv, code):
    got, out, err = cli(capsys, *argv)
    assert got == code, err
    if code == 2:
        assert_one_line_error(got, err)
    else:
        assert err == ""


def test_non_utf8_terminal_gets_no_traceback():
    run = subprocess.run([sys.executable, "-m", "matcalc", "derive", "norm(X@W - Y)^2", "W"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONIOENCODING="ascii"))
    assert run.returncode == 0 and "Traceback" not in run.stderr
    assert run.stdout.startswith("shapes: X: n")


def test_cli_escapes_control_and_bidi_characters(capsys):
    code, _, err = cli(capsys, "derive", "x + \u202e\x1b[31m", "x")
    assert_one_line_error(code, err)
    assert "\u202e" not in err and "\x1b" not in err and "\\u202e" in err


def test_cli_shows_a_long_line_only_around_the_caret(capsys):
    code, _, err = cli(capsys, "derive", "x + " * 500 + "$ + y", "x")
    assert_one_line_error(code, err)
    assert len(err) < 200 and "[$]" in err


def test_internal_error_says_it_is_a_bug_and_how_to_report_it(monkeypatch):
    from matcalc import api

    def broken(*args, **kwargs):
        raise KeyError("a broken invariant")
    monkeypatch.setattr(api, "gradients", broken)
    with pytest.raises(matcalc.InternalError) as info:
        matcalc.derive("norm(X@W - Y)^2", "W")
    assert "a bug in matcalc" in str(info.value) and "report" in str(info.value)


def test_internal_error_in_the_cli_is_one_line(capsys, monkeypatch):
    from matcalc import api
    monkeypatch.setattr(api, "gradients", lambda *a, **k: 1 / 0)
    code, _, err = cli(capsys, "derive", "norm(X@W - Y)^2", "W")
    assert_one_line_error(code, err)
    assert err.startswith("matcalc: InternalError: a bug in matcalc")


# ---------------------------------------------------------------- random input
NAMES = st.sampled_from(["X", "W", "x", "y", "A", "n", "w", "W1", "sum", "exp", "T", "V", "", "1x", "é"])
TOKENS = st.sampled_from(["X", "W", "x", "A", "n", "T", "@", "*", "+", "-", "/", "^", "'", "(", ")", ",", "1",
                          "-1", "2.5", "1e999", "1e-320", "sum(", "norm(", "inv(", "logdet(", "eye(", "ones(",
                          "softmax(", "exp(", "x'", ".T", " ", "\u202e", "\n", "=", ";", "$", "²"])
TEXT = st.one_of(st.text(max_size=30), st.lists(TOKENS, max_size=14).map("".join))
DIM = st.one_of(st.integers(-2, 6), st.sampled_from(["n", "d", "X", "", "3x", 2.5, None, float("nan")]))
SHAPE = st.one_of(st.tuples(), st.tuples(DIM), st.tuples(DIM, DIM), st.tuples(DIM, DIM, DIM),
                  st.sampled_from(["3x2", "scalar", None, 7, "n,d"]))
SHAPES = st.one_of(st.dictionaries(NAMES, SHAPE, max_size=4), st.sampled_from([None, [], "X=3x3", 5]))


@given(f=TEXT, wrt=NAMES, shapes=SHAPES, kind=st.sampled_from(["derive", "hessian", "hvp"]),
       symmetric=st.lists(NAMES, max_size=2), direction=NAMES)
def test_api_raises_only_matcalc_errors(f, wrt, shapes, kind, symmetric, direction):
    try:
        if kind == "derive":
            d = matcalc.derive(f, wrt, shapes, symmetric=symmetric)
        elif kind == "hessian":
            d = matcalc.hessian(f, wrt, shapes)
        else:
            d = matcalc.hvp(f, wrt, shapes, direction)
        str(d), d.text(), d.latex()
    except matcalc.InternalError:
        raise
    except matcalc.MatcalcError:
        pass


@given(f=TEXT, values=st.one_of(st.dictionaries(NAMES, st.sampled_from(
    [1.0, [1.0, 2.0], [[1.0, 0.0], [0.0, 0.0]], "a", None, [[[1.0]]], float("nan")]), max_size=3),
    st.sampled_from([None, [], "x", 3])))
def test_evaluate_raises_only_matcalc_errors(f, values):
    try:
        matcalc.evaluate(f, values)
    except matcalc.InternalError:
        raise
    except matcalc.MatcalcError:
        pass


FLAGS = st.lists(st.sampled_from(["--latex", "--inline", "--steps", "--ascii", "--standalone", "--format=html",
                                  "--format=latex", "--format=markdown", "--layout=denominator", "--symmetric=X",
                                  "--assume=rowsum(Y)=1", "--assume=foo", "--shape=X=3x3", "--shape=x=4",
                                  "--shape=W=n,d", "--shape=X=3x", "--max-nodes=5", "--time-limit=0", "-q"]),
                 max_size=4, unique=True)


@given(command=st.sampled_from(["derive", "hessian", "hvp"]), f=TEXT, wrt=NAMES, flags=FLAGS)
def test_cli_prints_one_line_and_exits_2_on_any_error(command, f, wrt, flags):
    import contextlib
    import io
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([command, f, wrt, *flags])
    if code == 2:
        assert_one_line_error(code, err.getvalue())
        assert "InternalError" not in err.getvalue()
    else:
        assert code == 0, err.getvalue()
