"""The command line: matcalc derive | hessian | hvp."""
import os
import subprocess
import sys

import numpy as np
import pytest

import matcalc
from matcalc.cli import main, parse_shape
from torch_oracle import random_values

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOMEWORK = "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2"


def run_main(capsys, *argv):
    """(exit code, stdout, stderr) of matcalc.cli.main(argv)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_module(*argv, code=None):
    """python -m matcalc ... (or python -c code) in the checkout; the CompletedProcess."""
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "matcalc", *argv]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def rhs(out, lhs):
    """The right-hand side of the output line `lhs = ...`."""
    return next(line.split(" = ", 1)[1] for line in out.splitlines() if line.startswith(lhs + " = "))


# ------------------------------------------------------------------- success
def test_derive_exit_zero(capsys):
    """derive on good input exits 0."""
    assert run_main(capsys, "derive", HOMEWORK, "W1")[0] == 0


def test_derive_prints_each_variable(capsys):
    """derive with several variables prints one df/dVAR line each."""
    _, out, _ = run_main(capsys, "derive", HOMEWORK, "W1", "W2")
    assert "df/dW1 = " in out and "df/dW2 = " in out


def test_derive_prints_named_intermediates(capsys):
    """The homework output defines H and R and gives df/dW2 = 2*H'@R."""
    _, out, _ = run_main(capsys, "derive", HOMEWORK, "W2")
    lines = out.splitlines()
    assert {"H = sigmoid(X@W1 + b1)", "R = H@W2 + b2 - Y", "df/dW2 = 2*H'@R"} <= set(lines)


def test_derive_prints_inferred_shapes(capsys):
    """The first line gives the shapes, inferred ones included."""
    _, out, _ = run_main(capsys, "derive", "norm(X@W - Y)^2", "W")
    assert out.splitlines()[0].startswith("shapes: X: n×d, W: d×h, Y: n×h")


def test_inline_output_evaluates_to_gradient(capsys):
    """--inline prints one expression per variable, equal in value to derive's result."""
    shapes = {"X": (6, 3), "W1": (3, 4), "b1": (1, 4), "W2": (4, 2), "b2": (1, 2), "Y": (6, 2)}
    _, out, _ = run_main(capsys, "derive", HOMEWORK, "W1", "--inline")
    vals = random_values(shapes, seed=1)
    want = matcalc.derive(HOMEWORK, "W1", shapes).evaluate(vals)
    assert np.allclose(matcalc.evaluate(rhs(out, "df/dW1"), vals), want, rtol=1e-10)


def test_inline_has_no_definitions(capsys):
    """--inline prints no named intermediates."""
    _, out, _ = run_main(capsys, "derive", HOMEWORK, "W1", "--inline")
    assert not any(line.startswith(("H = ", "R = ")) for line in out.splitlines())


@pytest.mark.parametrize("spec, want", [
    pytest.param("X=100x1", ("X", (100, 1)), id="matrix"),
    pytest.param("b1=1x20", ("b1", (1, 20)), id="row"),
    pytest.param("x=5", ("x", (5,)), id="vector"),
    pytest.param("a=scalar", ("a", ()), id="scalar"),
    pytest.param("X=n,d", ("X", ("n", "d")), id="symbolic"),
    pytest.param("X=5×3", ("X", (5, 3)), id="times_sign"),
])
def test_parse_shape(spec, want):
    """--shape NAME=SHAPE forms."""
    assert parse_shape(spec) == want


def test_shape_option_declares(capsys):
    """--shape declarations show in the shapes line."""
    _, out, _ = run_main(capsys, "derive", "norm(X@W - Y)^2", "W", "--shape", "X=5x3", "--shape", "Y=5x2")
    assert out.splitlines()[0].startswith("shapes: X: 5×3, W: 3×2, Y: 5×2")


def test_latex_output(capsys):
    """--latex prints an aligned block with the partial derivative."""
    _, out, _ = run_main(capsys, "derive", HOMEWORK, "W1", "--latex")
    assert r"\begin{aligned}" in out and r"\frac{\partial f}{\partial W_{1}}" in out


def test_check_reports_error_and_exits_zero(capsys):
    """--check prints the max relative error and exits 0 when the derivative is right."""
    code, out, _ = run_main(capsys, "derive", "norm(X@W - Y)^2", "W", "--shape", "X=5x3", "--shape", "Y=5x2",
                            "--check")
    assert code == 0 and "max relative error" in out


def test_check_on_homework(capsys):
    """--check passes on every variable of the homework."""
    code, out, _ = run_main(capsys, "derive", HOMEWORK, "W1", "b2", "--check")
    assert code == 0 and out.count("check ") == 2 and "MISMATCH" not in out


def test_hessian_command(capsys):
    """hessian of x'@A@x + sum(exp(x)) prints A + A' + diag(exp(x))."""
    _, out, _ = run_main(capsys, "hessian", "x'@A@x + sum(exp(x))", "x")
    rng = np.random.default_rng(2)
    x, A = rng.standard_normal(4), rng.standard_normal((4, 4))
    got = matcalc.evaluate(rhs(out, "d2f/dx2"), {"x": x, "A": A})
    assert np.allclose(got, A + A.T + np.diag(np.exp(x)))


def test_hvp_command(capsys):
    """hvp of norm(X@W - Y)^2 along V prints 2*X'@X@V."""
    _, out, _ = run_main(capsys, "hvp", "norm(X@W - Y)^2", "W", "V")
    rng = np.random.default_rng(3)
    X, W, Y, V = (rng.standard_normal(s) for s in [(5, 3), (3, 2), (5, 2), (3, 2)])
    got = matcalc.evaluate(rhs(out, "hvp(f, W)[V]"), {"X": X, "W": W, "Y": Y, "V": V})
    assert np.allclose(got, 2 * X.T @ X @ V)


@pytest.mark.parametrize("command", ["hessian", "hvp"])
def test_second_derivatives_take_symmetric_and_check_it(capsys, command):
    """--symmetric S reaches hessian and hvp (2*S, not S + S'), and --check compares on symmetric S."""
    f, wrt = ("x'@S@x", "x") if command == "hessian" else ("tr(S@S@S)", "S")
    code, out, _ = run_main(capsys, command, f, wrt, "--symmetric", "S", "--check")
    assert code == 0 and "check " in out and "MISMATCH" not in out
    lines = [line for line in out.splitlines() if not line.startswith(("note:", "warning:"))]
    assert lines[1].split(" = ", 1)[1] == ("2*S" if command == "hessian" else "3*(S@V + V@S)")


def test_hvp_takes_assume(capsys):
    f = "-sum(Y*log(softmax(X@W)))"
    _, plain, _ = run_main(capsys, "hvp", f, "W")
    code, out, _ = run_main(capsys, "hvp", f, "W", "--assume", "rowsum(Y)=1", "--check")
    assert code == 0 and "Y" in rhs(plain, "hvp(f, W)[V]") and "Y" not in rhs(out, "hvp(f, W)[V]")


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"matcalc {matcalc.__version__}\n"


def test_version_is_the_distribution_version():
    from importlib.metadata import version
    assert version("matcalc-trace") == matcalc.__version__, "pyproject.toml and matcalc.__version__ differ"


def test_expression_starting_with_minus(capsys):
    """An expression starting with '-' is not taken for an option."""
    code, out, _ = run_main(capsys, "derive", "-sum(Y*log(softmax(X@W)))", "W")
    assert code == 0 and "df/dW = " in out


# -------------------------------------------------------------------- failure
BAD = [
    pytest.param(["derive", "sigmod(x)", "x"], "UnknownNameError", id="unknown_function"),
    pytest.param(["derive", "x +", "x"], "ParseError", id="parse_error"),
    pytest.param(["derive", "X@Y", "X", "--shape", "X=2x3", "--shape", "Y=2x3"], "ShapeError", id="shape_error"),
    pytest.param(["derive", "norm(X)^2", "Z"], "UnknownNameError", id="unknown_variable"),
    pytest.param(["hessian", "X@W", "W", "--shape", "X=3x2", "--shape", "W=2x4"], "UnsupportedError",
                 id="hessian_of_matrix_f"),
    pytest.param(["derive", "(" * 5000 + "x" + ")" * 5000, "x"], "LimitError", id="too_deep"),
    pytest.param(["derive", "+".join(["x"] * 60000), "x"], "LimitError", id="too_long"),
    pytest.param(["derive", "sum(X)", "X", "--shape", "X"], "ShapeError", id="bad_shape_option"),
]


@pytest.mark.parametrize("argv, error", BAD)
def test_bad_input_exits_two(capsys, argv, error):
    """Bad input exits 2."""
    assert run_main(capsys, *argv)[0] == 2


@pytest.mark.parametrize("argv, error", BAD)
def test_bad_input_message(capsys, argv, error):
    """Bad input prints `matcalc: <Error>: ...` on stderr, nothing on stdout."""
    _, out, err = run_main(capsys, *argv)
    assert err.startswith(f"matcalc: {error}: ") and out == "", err


def test_error_message_is_one_line_without_source():
    """An error with no source position is one line on stderr, with no traceback."""
    proc = run_module("derive", "norm(X)^2", "Z")
    assert (proc.returncode, proc.stderr.count("\n"), "Traceback" in proc.stderr) == (2, 1, False), proc.stderr


def test_no_traceback_on_parse_error():
    """python -m matcalc on bad input exits 2 with one `matcalc:` line and no traceback."""
    proc = run_module("derive", "x +* y", "x")
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and lines[0].startswith("matcalc: ParseError: ") \
        and sum(line.startswith("matcalc:") for line in lines) == 1 and "Traceback" not in proc.stderr


def test_module_entry_point_succeeds():
    """python -m matcalc derive ... exits 0 and prints the gradient."""
    proc = run_module("derive", "norm(X@W - Y)^2", "W")
    assert proc.returncode == 0 and "df/dW = 2*X'@R" in proc.stdout, proc.stderr


def test_help_has_examples(capsys):
    """--help shows examples."""
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0 and "examples:" in out and "matcalc derive" in out


def test_derive_help_has_examples(capsys):
    """derive --help shows examples too."""
    with pytest.raises(SystemExit):
        main(["derive", "--help"])
    assert "examples:" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    pytest.param(["derive", HOMEWORK, "W1"], id="derive"),
    pytest.param(["derive", HOMEWORK, "W1", "--latex"], id="derive_latex"),
    pytest.param(["hessian", "x'@A@x + sum(exp(x))", "x"], id="hessian"),
    pytest.param(["hvp", "norm(X@W - Y)^2", "W", "V"], id="hvp"),
])
def test_without_check_torch_is_not_imported(argv):
    """Without --check the CLI never imports torch."""
    script = ("import sys; from matcalc.cli import main; code = main(%r); "
              "sys.stdout.write('TORCH=%%s' %% ('torch' in sys.modules)); sys.exit(code)" % (argv,))
    proc = run_module(code=script)
    assert proc.returncode == 0 and proc.stdout.endswith("TORCH=False"), proc.stdout + proc.stderr


def test_derive_loads_neither_numpy_nor_code_generation_nor_steps():
    """`matcalc derive` starts fast: numpy, the code generator and the steps load on first use."""
    script = ("import sys; from matcalc.cli import main; code = main(%r); "
              "sys.stdout.write('LOADED=' + ','.join(sorted(m for m in ('numpy', 'matcalc.codegen', 'matcalc.derivations') if m in sys.modules))); sys.exit(code)"
              % (["derive", HOMEWORK, "W1"],))
    proc = run_module(code=script)
    assert proc.returncode == 0 and proc.stdout.endswith("LOADED="), proc.stdout + proc.stderr


def test_lazily_loaded_names_are_the_functions():
    """matcalc.compile is a function, loaded on first use, and listed by dir()."""
    import matcalc
    assert callable(matcalc.compile) and callable(matcalc.evaluate) and callable(matcalc.check)
    assert {"compile", "evaluate", "check"} <= set(dir(matcalc))
    with pytest.raises(AttributeError):
        matcalc.no_such_name
