"""The functions the lecture and modern models use, against torch autograd at several shapes.

max/min and relu/abs are checked on both sides of their kinks; layer and batch normalization
against torch's own nn.functional implementations, not a transcription of the formula.
"""
import numpy as np
import pytest
import torch

import matcalc
from torch_oracle import assert_derivative_matches, random_values

LECTURE = "norm(max(X@W, 0) - Y)^2"
LECTURE_SHAPES = [{"X": (10, 4), "W": (4, 4), "Y": (10, 4)}, {"X": (6, 5), "W": (5, 3), "Y": (6, 3)}]


@pytest.mark.parametrize("shapes", LECTURE_SHAPES, ids=["square_W", "nonsquare_W"])
@pytest.mark.parametrize("wrt", ["W", "X", "Y"])
def test_lecture_max_as_written(wrt, shapes):
    """The lecture writes f = ‖max(XW, 0) − Y‖²_F; matcalc reads it as written."""
    assert_derivative_matches(LECTURE, wrt, shapes, seed=1)


def test_lecture_max_reads_like_the_textbook():
    """The textbook's 2*X'@((max(X@W, 0) - Y)*step(X@W)), factors in matcalc's order."""
    d = matcalc.derive(LECTURE, "W", LECTURE_SHAPES[1])
    values = random_values(LECTURE_SHAPES[1], seed=2)
    textbook = "2*X'@((max(X@W, 0) - Y)*step(X@W))"
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), matcalc.evaluate(textbook, values), rtol=1e-12)
    assert str(d) == "2*X'@(step(X@W)*(max(X@W, 0) - Y))"


ELEMENTWISE = [("tan", "unit"), ("asin", "unit"), ("acos", "unit"), ("atan", None), ("sinh", None), ("cosh", None),
               ("log1p", "unit"), ("expm1", None)]
ELEMENTWISE_SHAPES = [{"X": (3, 4), "C": (3, 4)}, {"X": (2, 5), "C": (2, 5)}, {"X": (6,), "C": (6,)}]


@pytest.mark.parametrize("shapes", ELEMENTWISE_SHAPES, ids=["3x4", "2x5", "vector6"])
@pytest.mark.parametrize("fn, domain", ELEMENTWISE, ids=[f for f, _ in ELEMENTWISE])
def test_new_elementwise_function(fn, domain, shapes):
    assert_derivative_matches(f"sum(C*{fn}(X))", "X", shapes, seed=4, domain={"X": domain} if domain else None)


# max/min with every broadcasting pattern, each side of the kink: B below X everywhere, above, and mixed
KINK_SIDES = {"X_above": 1.0, "X_below": -1.0, "mixed": 0.0}


@pytest.mark.parametrize("side", KINK_SIDES)
@pytest.mark.parametrize("fn", ["max", "min"])
@pytest.mark.parametrize("b_shape", [(3, 4), (1, 4), (3, 1), ()], ids=["same", "row", "column", "scalar"])
@pytest.mark.parametrize("wrt", ["X", "B"])
def test_max_min_on_each_side_of_the_kink(fn, side, b_shape, wrt):
    f = f"sum(C*{fn}(X + s, B))"
    shapes = {"X": (3, 4), "B": b_shape, "C": (3, 4), "s": ()}
    values = random_values(shapes, seed=5)
    shift = KINK_SIDES[side] * (np.abs(values["X"]).max() + np.abs(values["B"]).max() + 1)
    d = matcalc.derive(f, wrt, shapes)
    values["s"] = np.array(shift)
    got = matcalc.evaluate(str(d), values)
    tensors = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=(k == wrt)) for k, v in values.items()}
    B = tensors["B"].reshape(b_shape if b_shape else ())
    op = torch.maximum if fn == "max" else torch.minimum
    out = (tensors["C"] * op(tensors["X"] + tensors["s"], B)).sum()
    want = torch.autograd.grad(out, tensors[wrt], allow_unused=True)[0]
    want = np.zeros(values[wrt].shape) if want is None else want.numpy()
    np.testing.assert_allclose(np.asarray(got).reshape(want.shape), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn", ["relu", "abs", "step", "sign"])
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["positive_side", "negative_side"])
def test_kinked_functions_on_each_side(fn, sign):
    shapes = {"X": (3, 4), "C": (3, 4)}
    values = random_values(shapes, seed=6)
    values["X"] = sign * (np.abs(values["X"]) + 0.1)
    d = matcalc.derive(f"sum(C*{fn}(X))", "X", shapes)
    x = torch.tensor(values["X"], requires_grad=True)
    fns = {"relu": torch.relu, "abs": torch.abs, "step": lambda t: (t > 0).double(), "sign": torch.sign}
    out = (torch.tensor(values["C"]) * fns[fn](x)).sum()
    want = torch.autograd.grad(out, x, allow_unused=True)[0] if out.requires_grad else None
    want = np.zeros((3, 4)) if want is None else want.numpy()
    np.testing.assert_allclose(np.asarray(matcalc.evaluate(str(d), values)).reshape(3, 4), want, atol=1e-12)


AXIS_SHAPES = [{"X": (4, 3), "v": (3,), "u": (4,)}, {"X": (2, 5), "v": (5,), "u": (2,)}]


@pytest.mark.parametrize("shapes", AXIS_SHAPES, ids=["4x3", "2x5"])
@pytest.mark.parametrize("f", ["sum(X, 0)@v", "u'@sum(X, 1)", "sum(mean(X, 0)^2)", "sum(exp(mean(X, 1)))",
                               "norm(X - mean(X, 0))^2", "sum(X*sum(X, 1))"])
def test_axis_reductions(f, shapes):
    assert_derivative_matches(f, "X", shapes, seed=7)


def test_axis_reductions_keep_two_dimensions():
    x = np.arange(12.0).reshape(4, 3)
    assert matcalc.evaluate("sum(X, 0)", {"X": x}).shape == (1, 3)
    assert matcalc.evaluate("sum(X, 1)", {"X": x}).shape == (4, 1)
    np.testing.assert_allclose(matcalc.evaluate("mean(X, 1)", {"X": x}), x.mean(axis=1, keepdims=True))


LAYER_NORM = "sum(((X - mean(X, 1))/sqrt(mean((X - mean(X, 1))^2, 1) + eps))*G)"
BATCH_NORM = "sum(((X - mean(X, 0))/sqrt(mean((X - mean(X, 0))^2, 0) + eps))*G)"


def _normalization_gradient(kind, shape, seed):
    rng = np.random.default_rng(seed)
    X, G, eps = rng.standard_normal(shape), rng.standard_normal(shape), 1e-3 + rng.uniform()
    x = torch.tensor(X, requires_grad=True)
    if kind == "layer":
        y = torch.nn.functional.layer_norm(x, (shape[1],), eps=eps)
    else:
        y = torch.nn.functional.batch_norm(x, None, None, training=True, eps=eps)
    want = torch.autograd.grad((y * torch.tensor(G)).sum(), x)[0].numpy()
    return {"X": X, "G": G, "eps": np.array(eps)}, want


@pytest.mark.parametrize("shape", [(3, 5), (6, 4)])
@pytest.mark.parametrize("kind, f", [("layer", LAYER_NORM), ("batch", BATCH_NORM)], ids=["layer", "batch"])
def test_normalization_matches_torch(kind, f, shape):
    values, want = _normalization_gradient(kind, shape, seed=8)
    d = matcalc.derive(f, "X", {"X": shape, "G": shape, "eps": ()})
    np.testing.assert_allclose(matcalc.evaluate(str(d), values), want, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(matcalc.evaluate(d.result, values), want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("f", [LAYER_NORM, BATCH_NORM], ids=["layer", "batch"])
def test_normalization_reads_in_a_few_named_lines(f):
    """Readable: the centred input and the standard deviation are named, and no line runs long."""
    d = matcalc.derive(f, "X", {"eps": ()})
    lines = d.text().splitlines()
    assert len(lines) <= 6 and all(len(line) <= 60 for line in lines), d.text()
    assert any(line.startswith("R = X - mean(X,") for line in lines)
