"""The structural kernels of generated code: symmetric products by halves, outer products by einsum.

Each kernel is checked against the plain dense computation it replaces (several shapes, odd sizes
and sizes around the block edges, float64 and float32), and end to end against autograd through
torch_oracle, which runs the generated code of every backend.
"""
import numpy as np
import pytest
import torch
from codegen_oracle import to_backend
from torch_oracle import assert_derivative_matches, compare, random_values

import matcalc
from matcalc.codegen.lower import lower
from matcalc.ir.expr import call, var
from matcalc.ir.operator import REGISTRY
from matcalc.ops.arithmetic import SYMMETRIC_MIN

MODULES = {"numpy": {"np": np}, "torch": {"torch": torch}}
# (rows of the result, inner dimension): below the threshold, at it, odd, across one and several bands
SHAPES = [(5, 300), (300, 7), (128, 128), (129, 130), (150, 301), (257, 513), (1030, 131)]


def _symmetric_matmul(backend):
    code = REGISTRY["matmul"].code[backend].symmetric
    namespace = dict(MODULES[backend])
    exec(code.helper, namespace)   # noqa: S102 - the record's own helper text
    return namespace[code.expr]


def _operands(form, n, k, dtype, seed):
    """(a, b) with a @ b symmetric: A'@(d*A) or B@B' (a transposed view, as generated code passes)."""
    rng = np.random.default_rng(seed)
    if form == "A'@(d*A)":
        A, d = rng.standard_normal((k, n)), rng.standard_normal((k, 1))
        return A.T.astype(dtype), (d * A).astype(dtype)
    B = rng.standard_normal((n, k))
    return B.astype(dtype), B.T.astype(dtype)


@pytest.mark.parametrize("backend", sorted(MODULES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("form", ["A'@(d*A)", "B@B'"])
@pytest.mark.parametrize("n, k", SHAPES)
def test_symmetric_product_equals_the_full_product(backend, dtype, form, n, k):
    a, b = _operands(form, n, k, dtype, seed=n + k)
    want = a.astype(np.float64) @ b.astype(np.float64)
    if backend == "torch":
        a, b = torch.from_numpy(a), torch.from_numpy(b)
    got = _symmetric_matmul(backend)(a, b)
    assert str(got.dtype).endswith(dtype) and tuple(got.shape) == (n, n)
    got = np.asarray(got, dtype=np.float64)
    rtol, atol = (1e-12, 1e-10 * k) if dtype == "float64" else (1e-5, 1e-4 * k)
    assert np.allclose(got, want, rtol=rtol, atol=atol)


def test_lowering_reports_the_products_that_are_symmetric():
    X, d, Y = var("X", (7, 4)), var("d", (7, 1)), var("Y", (7, 4))
    symmetric: set = set()
    gram, cross = lower([X.T @ call("diag", d) @ X, X.T @ Y], symmetric=symmetric)
    assert gram.op == "matmul" and "diag" not in {n.op for n in gram.args}      # X'@(d*X)
    assert symmetric == {gram}


def _logistic_hessian(backend, shapes):
    return matcalc.compile("sum(log(1 + exp(-y*(X@w))))", "w", shapes, backend=backend, kind="hessian")


@pytest.mark.parametrize("backend", sorted(MODULES))
def test_a_symmetric_hessian_is_computed_by_halves_only_where_it_pays(backend):
    big = _logistic_hessian(backend, {"X": (SYMMETRIC_MIN + 3, SYMMETRIC_MIN), "w": (SYMMETRIC_MIN,),
                                      "y": (SYMMETRIC_MIN + 3,)})
    small = _logistic_hessian(backend, {"X": (40, 9), "w": (9,), "y": (40,)})
    assert "_symmetric_matmul(X.T, " in big.source
    assert "_symmetric_matmul" not in small.source


@pytest.mark.parametrize("f, shapes", [
    ("sum(log(1 + exp(-y*(X@w))))", {"X": (301, 150), "w": (150,), "y": (301,)}),        # X'@diag(d)@X
    ("norm(X'@w)^2 + sum(w)", {"X": (131, 257), "w": (131,)}),                            # 2*X@X'
])
def test_symmetric_hessians_by_halves_match_autograd(f, shapes):
    assert_derivative_matches(f, "w", shapes, seed=3, kind="hessian")


@pytest.mark.parametrize("backend", sorted(MODULES))
@pytest.mark.parametrize("n, d", [(40, 9), (300, 200)])
def test_symbolic_sizes_decide_at_run_time(backend, n, d):
    fn = _logistic_hessian(backend, {"X": ("n", "d"), "w": ("d",), "y": ("n",)})
    assert "_symmetric_matmul" in fn.source
    values = random_values({"X": (n, d), "w": (d,), "y": (n,)}, seed=5)
    X, w, y = values["X"], values["w"], values["y"]
    p = 1 / (1 + np.exp(y * (X @ w)))
    want = X.T @ ((p * (1 - p) * y ** 2)[:, None] * X)
    assert not compare(fn(**to_backend(values, backend, "float64"))[1]["w"], want)


def test_numpy_outer_products_use_einsum():
    shapes = {"X": (50, 1), "W1": (1, 7), "b1": (50, 7), "W2": (7, 1), "b2": (50, 1), "Y": (50, 1)}
    source = matcalc.compile("norm(sigmoid(X@W1+b1)@W2+b2-Y)^2", ["W1", "b1"], shapes).source
    assert "np.einsum('ij,ij->ij', X, W1)" in source


@pytest.mark.parametrize("f, wrt, shapes", [
    ("norm(sigmoid(X@W1+b1)@W2+b2-Y)^2", "b1",
     {"X": (50, 1), "W1": (1, 7), "b1": (50, 7), "W2": (7, 1), "b2": (50, 1), "Y": (50, 1)}),
    ("sum(exp(3*u@v'))", "u", {"u": (6,), "v": (5,)}),
    ("sum(sin(2*u*v'*c))", "v", {"u": (6,), "v": (5,), "c": (1, 1)}),
])
def test_outer_products_match_autograd(f, wrt, shapes):
    assert_derivative_matches(f, wrt, shapes, seed=2)


def test_jax_writes_a_transposed_matrix_times_a_column_as_a_row_times_the_matrix():
    source = matcalc.compile("norm(X@w - y)^2", "w", {"X": (9, 4), "w": (4,), "y": (9,)}, backend="jax").source
    assert ".T @ X).T" in source and "X.T @" not in source


@pytest.mark.parametrize("f, wrt, shapes", [
    ("norm(X@w - y)^2", "w", {"X": (9, 4), "w": (4,), "y": (9,)}),                        # X'@r
    ("norm(sigmoid(X@W1+b1)@W2+b2-Y)^2", "W2",
     {"X": (50, 1), "W1": (1, 7), "b1": (50, 7), "W2": (7, 1), "b2": (50, 1), "Y": (50, 1)}),   # H'@R
    ("sum(A'@x) + x'@B'@c", "x", {"A": (5, 3), "x": (5,), "B": (4, 5), "c": (4,)}),
])
def test_row_vector_products_match_autograd(f, wrt, shapes):
    assert_derivative_matches(f, wrt, shapes, seed=4)
