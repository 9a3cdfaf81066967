"""The builders of benchmarks/scaling.py make valid input whose derivative matches torch autograd.

A broken builder would make the benchmark time the wrong expression (or an error); each family is
derived and checked at its smallest size, which is also the size the benchmark itself checks.
"""
import importlib.util
import os

import pytest

import matcalc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("scaling", os.path.join(ROOT, "benchmarks", "scaling.py"))
scaling = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scaling)


@pytest.mark.parametrize("name", list(scaling.FAMILIES))
def test_family_builds_valid_input_with_the_right_derivative(name):
    fam = scaling.FAMILIES[name]
    n = fam.sizes[0]
    f, wrt, shapes = fam.build(n)
    assert len(f) <= scaling.MAX_CHARS and wrt in shapes
    derive = matcalc.hessian if fam.kind == "hessian" else matcalc.derive
    d = derive(f, wrt, shapes)
    assert str(d) and d.text()
    why, rel = scaling.check(name, n)
    assert not why, f"{name} at N={n}: {why}"
    assert rel < 1e-8


@pytest.mark.parametrize("name", list(scaling.FAMILIES))
def test_family_grows_with_n(name):
    """The size parameter means something: the text grows, and a larger size still parses."""
    fam = scaling.FAMILIES[name]
    small, larger = fam.sizes[0], fam.sizes[2]
    assert len(fam.build(larger)[0]) > len(fam.build(small)[0])
    f, wrt, shapes = fam.build(larger)
    (matcalc.hessian if fam.kind == "hessian" else matcalc.derive)(f, wrt, shapes)


def test_skips_text_over_the_input_limit():
    """A size whose text passes the input limit is reported as skipped, without a child."""
    args = scaling.argparse.Namespace(timeout=5.0, repeat=1, memory_mb=4096, judge="text")
    r = scaling.measure("sums", 8192, args, with_str=True)
    assert r["status"] == "skipped" and "characters" in r["why"]


def test_growth_per_doubling():
    assert scaling.growth(4, 1.0, 8, 2.0) == pytest.approx(2.0)
    assert scaling.growth(50, 1.0, 100, 4.0) == pytest.approx(4.0)
    assert scaling.growth(3, 1.0, 12, 4.0) == pytest.approx(2.0)   # two doublings, x4 in all


def test_fitted_growth():
    assert scaling.fitted_growth([(4, 1.0), (8, 2.0), (16, 4.0)]) == pytest.approx(2.0)
    assert scaling.fitted_growth([(4, 1.0), (8, 3.0), (16, 4.0)]) == pytest.approx(2.0)   # one noisy point
    assert scaling.fitted_growth([(10, 1.0), (20, 4.0), (40, 16.0), (80, 64.0)]) == pytest.approx(4.0)
