"""check(): it compares only at inputs inside the domain of every function applied, with f and the
reference finite, so it can neither false-alarm on NaNs nor pass vacuously; it says when it finds no
such inputs, and how to install torch when torch is missing."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import matcalc
from matcalc.check import INSTALL_TORCH
from matcalc.cli import main
from matcalc.ir.operator import REGISTRY
from matcalc.numerics.sampling import outside_domain

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SQUARE = {"A": (3, 3), "B": (3, 3), "C": (3, 3)}

# Each operator with a domain, applied to an argument that is not a variable of its own, so that the
# per-variable hints cannot put it inside the domain: only a search over actual argument values can.
INFIX_ROWS = {"div": "sum(A/(B - C))", "pow": "sum((A - B)^0.5)"}


def _domain_case(name):
    record = REGISTRY[name]
    if name in INFIX_ROWS:
        return INFIX_ROWS[name]
    assert record.spellings and record.arity == 1, f"add a row for {name} to INFIX_ROWS"
    return f"sum({record.spellings[0]}(A - B))"


DOMAIN_OPS = sorted(n for n, r in REGISTRY.items() if r.domain)


def assert_meaningful(f, report):
    """The report compared at a point where f is finite and every function is inside its domain."""
    typed = matcalc.derive(f, report.wrt, report.sizes)
    assert outside_domain([typed.f, typed.result], report.values) is None
    assert np.all(np.isfinite(matcalc.evaluate(f, report.values)))


def test_every_operator_with_a_domain_has_a_case():
    assert {"log", "sqrt", "logdet", "inv", "div", "pow"} <= set(DOMAIN_OPS)


@pytest.mark.parametrize("name", DOMAIN_OPS)
def test_domain_of_a_computed_argument_is_respected(name):
    f = _domain_case(name)
    report = matcalc.check(f, "A", SQUARE)
    assert report.ok, report
    assert_meaningful(f, report)


@pytest.mark.parametrize("f, wrt", [("sum(sqrt(X - Y))", "X"), ("sum(sqrt(X - Y))", "Y"),
                                    ("sum(log(1 - x))", "x"), ("logdet(A - B)", "B"),
                                    ("sum(log(X@Y))", "Y"), ("sum(acos(X - Y))", "X"),
                                    ("log(det(A))", "A"), ("sum(log(X - 2*Y))*sum(sqrt(Y - X))", "X")])
def test_no_false_alarm_inside_the_domain(f, wrt):
    """The issue's `sum(sqrt(X - Y))` printed MISMATCH nan: only direct arguments got domain inputs."""
    report = matcalc.check(f, wrt)
    assert report.ok and np.isfinite(report.max_rel_error), report
    assert_meaningful(f, report)


def test_never_compares_where_f_is_nan():
    """sum(log(1 - x)) was reported ok at x > 1, where f is NaN and both gradients -1/(1 - x) agree."""
    report = matcalc.check("sum(log(1 - x))", "x", {"x": (6,)})
    assert (report.values["x"] < 1).all()


@pytest.mark.parametrize("f, why", [("sum(sqrt(-exp(X)))", "sqrt, -exp(X), is not positive"),
                                    ("sum(exp(1000 + X))", "f is not finite"),
                                    ("logdet(A@B)", "logdet, A@B, is not of positive determinant")])
def test_no_valid_sample_is_a_clear_error(f, why):
    shapes = {"A": (4, 2), "B": (2, 4)} if "A" in f else None
    with pytest.raises(matcalc.SamplingError, match="no inputs at which f and its derivative are defined") as e:
        matcalc.check(f, "X" if "X" in f else "A", shapes)
    assert why in str(e.value) and "\n" not in str(e.value)


def test_sampling_error_is_a_matcalc_error():
    assert issubclass(matcalc.SamplingError, matcalc.MatcalcError)


def test_symmetric_and_rowsum_inputs_stay_so_while_searching():
    report = matcalc.check("logdet(S - C) + sum(sqrt(S - C))", "S", {"S": (3, 3), "C": (3, 3)}, symmetric=["S"])
    assert report.ok
    np.testing.assert_allclose(report.values["S"], report.values["S"].T)
    report = matcalc.check("-sum(Y*log(softmax(X@W)))", "W", assume=["rowsum(Y)=1"])
    assert report.ok
    np.testing.assert_allclose(report.values["Y"].sum(axis=1), 1.0)


@pytest.mark.parametrize("kind", ["hessian", "hvp"])
def test_second_derivatives_are_checked_inside_the_domain(kind):
    f, wrt = ("sum(log(x - y))", "x") if kind == "hessian" else ("sum(sqrt(W - Y))", "W")
    report = matcalc.check(f, wrt, kind=kind)
    assert report.ok and report.derivative.kind == kind, report


def test_a_rank_condition_tries_the_sizes_the_other_way():
    """logdet(A@B) with A n×d, B d×n: A@B is singular when n > d, so check takes n < d."""
    report = matcalc.check("logdet(A@B)", "A")
    (n, d) = report.sizes["A"]
    assert report.ok and n < d


def test_the_same_seed_gives_the_same_sample():
    a, b = (matcalc.check("sum(sqrt(X - Y))", "X", seed=4) for _ in range(2))
    assert a.tries == b.tries and all(np.array_equal(a.values[k], b.values[k]) for k in a.values)


# Random compositions of the functions with domains, over differences, products and sums of
# variables: check either agrees with autograd or says it found no valid inputs; never a mismatch.
_INNER = ["X - Y", "Y - X", "1 - X", "X*Y", "X + Y - 1", "X - 2*Y", "2 - X*X"]
_OUTER = ["log", "sqrt", "log1p", "asin", "acos", "tan", "exp", "tanh"]


@settings(max_examples=25)
@given(st.sampled_from(_OUTER), st.sampled_from(_OUTER), st.sampled_from(_INNER), st.sampled_from("XY"))
def test_check_never_false_alarms(outer, inner_fn, inner, wrt):
    f = f"sum({outer}({inner_fn}({inner})))"
    try:
        report = matcalc.check(f, wrt, {"X": (3, 2), "Y": (3, 2)})
    except matcalc.SamplingError:
        return
    assert report.ok, f"{f}: {report}"
    assert_meaningful(f, report)


# ------------------------------------------------------------------------------ the CLI
def test_cli_check_inside_the_domain(capsys):
    assert main(["derive", "sum(sqrt(X - Y))", "X", "--check"]) == 0
    out = capsys.readouterr().out
    assert "check X: ok" in out and "nan" not in out


@pytest.mark.parametrize("options", [[], ["--format", "markdown"]])
def test_cli_no_valid_sample_exits_2_with_one_line(capsys, options):
    """The check runs before any output: the error is the only line, no half-printed answer."""
    assert main(["derive", "sum(sqrt(-exp(X)))", "X", "--check", *options]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("matcalc: SamplingError:") and err.count("\n") == 1 and out == ""


# -------------------------------------------------------------------------- without torch
def test_check_without_torch_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)      # `import torch` now raises ImportError
    with pytest.raises(matcalc.UnsupportedError, match="torch is not installed") as e:
        matcalc.check("sum(X)", "X")
    assert 'pip install "matcalc-trace[check]"' in str(e.value)


BLOCK_TORCH = """
import importlib.abc, sys
class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTorch())
from matcalc.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv", [["derive", "sum(X)", "X", "--check"],
                                  ["derive", "sum(X)", "X", "--check", "--format", "html"],
                                  ["hessian", "x'@x", "x", "--check"]])
def test_cli_check_without_torch_exits_2_before_any_output(argv):
    env = dict(os.environ, PYTHONPATH=ROOT)
    run = subprocess.run([sys.executable, "-c", BLOCK_TORCH, *argv], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and INSTALL_TORCH in run.stderr and "Traceback" not in run.stderr


# ---------------------------------------------------------------------------- the report
def test_report_has_a_rich_display():
    report = matcalc.check("norm(X@W - Y)^2", "W")
    html, md = report._repr_html_(), report._repr_markdown_()
    assert "check W: ok" in html and "<table " in html and f"{report.max_rel_error:.2e}" in html
    assert md.startswith("**check W: ok**") and "| max relative error |" in md


def test_report_shows_a_mismatch(monkeypatch):
    import dataclasses
    wrong = dataclasses.replace(REGISTRY["exp"], vjp=lambda y, i, G: 2 * G * y)
    monkeypatch.setitem(REGISTRY, "exp", wrong)
    report = matcalc.check("sum(exp(X))", "X")
    assert not report.ok and "MISMATCH" in str(report) and "MISMATCH" in report._repr_html_()
