"""A new function is one record: a toy operator registered here, at test time, works everywhere.

It parses, gets its shape, differentiates (against torch autograd), evaluates, prints in every
format, shows its identity in --steps and appears in the generated docs, and no other file of
matcalc is touched.  Two toys: one through the elementwise builder, one written as a full record.
"""
import numpy as np
import pytest
import torch

import matcalc
from matcalc.derivations import derivation, render
from matcalc.derivations.identities import identity
from matcalc.docs import function_table, functions_markdown
from matcalc.frontend import parse, typecheck
from matcalc.ir.dims import scalar_shape
from matcalc.ir.expr import call
from matcalc.ir.operator import Operator, register, unregister
from matcalc.ops.builders import elementwise
from matcalc.printing import to_latex, to_text, to_unicode
from torch_oracle import random_values

SHAPES = {"X": (5, 3), "W": (3, 4), "C": (5, 4)}


@pytest.fixture
def softsign():
    """softsign(a) = a/(1 + |a|), whose derivative is 1/(1 + |a|)^2."""
    elementwise("softsign", "softsign", "a/(1 + |a|)", lambda a, y: 1 / (1 + call("abs", a)) ** 2,
                numpy=lambda B, a: a / (1 + B.xp.abs(a)), unicode="ss", latex=r"\operatorname{ss}")
    yield
    unregister("softsign")


@pytest.fixture
def sumsq():
    """sumsq(A) = sum of squares, a record written out in full: shape, jvp, vjp, numerics, forms."""
    register(Operator(
        "sumsq", "sum of squares", "sum of the squared entries", spellings=("sumsq",), syntax="sumsq(A)",
        shape_rule=lambda dims, shapes, attr: scalar_shape(dims, *shapes), shape_doc="→ 1×1",
        jvp=lambda y, i, t: 2 * call("sum", y.args[0] * t), vjp=lambda y, i, G: 2 * G * y.args[0],
        numpy=lambda B, a: (a * a).sum().reshape(1, 1), text="sumsq", unicode="Σ²", latex=r"\Sigma^2"))
    yield
    unregister("sumsq")


def _grad(torch_f, wrt, values):
    tensors = {k: torch.tensor(v, requires_grad=(k == wrt)) for k, v in values.items()}
    return torch.autograd.grad(torch_f(**tensors), tensors[wrt])[0].numpy()


def test_elementwise_toy_differentiates_like_autograd(softsign):
    values = random_values(SHAPES, seed=1)
    for wrt in ("W", "X"):
        d = matcalc.derive("sum(C*softsign(X@W))", wrt, SHAPES)
        want = _grad(lambda X, W, C: (C * torch.nn.functional.softsign(X @ W)).sum(), wrt, values)
        np.testing.assert_allclose(matcalc.evaluate(str(d), values), want, rtol=1e-10)


def test_elementwise_toy_has_shape_value_prints_and_docs(softsign):
    values = random_values(SHAPES, seed=2)
    got = matcalc.evaluate("softsign(X@W)", values)
    want = torch.nn.functional.softsign(torch.tensor(values["X"] @ values["W"])).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    node, _ = typecheck(parse("softsign(X@W)"), SHAPES)
    assert node.shape == (5, 4)
    assert (to_text(node), to_unicode(node), to_latex(node)) == (
        "softsign(X@W)", "ss(XW)", r"\operatorname{ss}\left(X W\right)")
    assert "`softsign(A)`" in functions_markdown() and "`softsign(A)`" in function_table()
    assert identity("softsign", "unicode").startswith("d ss(A) =")
    assert "d ss(A) =" in render(derivation("sum(softsign(X@W))", "W", SHAPES))


def test_elementwise_toy_passes_check_against_autograd(softsign):
    assert matcalc.check("sum(C*softsign(X@W))", "W", SHAPES).ok


def test_full_record_toy_differentiates_and_prints(sumsq):
    values = random_values(SHAPES, seed=3)
    d = matcalc.derive("sumsq(X@W - C)", "W", SHAPES)
    want = _grad(lambda X, W, C: ((X @ W - C) ** 2).sum(), "W", values)
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), want, rtol=1e-10)
    assert matcalc.hvp("sumsq(X@W - C)", "W", SHAPES).result.shape == (3, 4)
    assert "Σ²" in render(derivation("sumsq(X@W - C)", "W", SHAPES)) and "`sumsq(A)`" in functions_markdown()


def test_unregistered_toy_is_an_unknown_function(sumsq):
    unregister("sumsq")
    with pytest.raises(matcalc.UnknownNameError, match="sumsq"):
        matcalc.derive("sumsq(X)", "X")
    register(Operator("sumsq", "", "", shape_rule=lambda dims, shapes, attr: (1, 1), spellings=("sumsq",)))
