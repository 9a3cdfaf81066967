"""The structural kernels of generated code: outer products by einsum.

Each kernel is checked end to end against autograd through torch_oracle, which runs the generated
code of every backend.
"""
import pytest
from torch_oracle import assert_derivative_matches

import matcalc


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
