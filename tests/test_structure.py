"""vec, unvec, kron and the commutation matrix (matcalc.ops.structure): exact values, symbolic shapes, errors."""
import numpy as np
import pytest

import matcalc
from matcalc.frontend import parse, typecheck
from matcalc.ir.dims import dim_product

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("m, n", [(2, 3), (4, 1), (1, 5), (3, 3), (5, 2)])
def test_commutation_maps_vec_x_to_vec_x_transposed_exactly(m, n):
    X = RNG.standard_normal((m, n))
    got = matcalc.evaluate(f"commutation({m}, {n})@vec(X)", {"X": X})
    assert np.array_equal(got, X.T.reshape(-1, 1, order="F"))


@pytest.mark.parametrize("a, b", [((2, 3), (4, 5)), ((1, 3), (3, 1)), ((3, 3), (2, 2))])
def test_kron_is_exact(a, b):
    A, B = RNG.standard_normal(a), RNG.standard_normal(b)
    assert np.array_equal(matcalc.evaluate("kron(A, B)", {"A": A, "B": B}), np.kron(A, B))


def test_vec_stacks_columns_and_unvec_inverts_it():
    X = RNG.standard_normal((3, 4))
    assert np.array_equal(matcalc.evaluate("vec(X)", {"X": X}), X.reshape(-1, 1, order="F"))
    assert np.array_equal(matcalc.evaluate("unvec(vec(X), 3, 4)", {"X": X}), X)


def test_the_vec_trick_holds_exactly_on_integers():
    """(Bᵀ ⊗ A) vec(X) = vec(A X B), evaluated on small integers so every product is exact."""
    values = {k: RNG.integers(-3, 4, s).astype(float) for k, s in {"A": (2, 3), "X": (3, 4), "B": (4, 5)}.items()}
    assert np.array_equal(matcalc.evaluate("kron(B', A)@vec(X)", values),
                          matcalc.evaluate("vec(A@X@B)", values))


def test_shapes_keep_dimension_products_symbolic():
    typed, found = typecheck(parse("kron(A, vec(X))"), {"A": ("m", "n"), "X": ("p", "q")})
    assert typed.shape == (dim_product("m", "p", "q"), "n")


def test_a_product_of_dimensions_is_solved_for_its_one_unknown():
    """vec(X)'@v with X m×n gives v m*n rows; ones(m*n, 1) reads back as a product."""
    _, found = typecheck(parse("vec(X)'@v + sum(ones(m*n, 1))"), {"X": ("m", "n")})
    assert found["v"][0] == dim_product("m", "n")


def test_a_product_with_two_unknowns_asks_for_shapes():
    """vec(X)'@vec(Y): Y could be m×n or n×m, so matcalc asks rather than guesses."""
    with pytest.raises(matcalc.ShapeError, match="declare them"):
        typecheck(parse("vec(X)'@vec(Y)"), {"X": ("m", "n")})


@pytest.mark.parametrize("text, error", [
    ("unvec(v, 2, 3)", matcalc.ShapeError),
    ("commutation(0, 3)", matcalc.ParseError),
    ("kron(A)", matcalc.ParseError),
])
def test_bad_input_is_a_clear_error(text, error):
    with pytest.raises(error):
        matcalc.derive(f"sum({text})", "v" if "v" in text else "A", {"v": (5,)} if "v" in text else {})


def test_a_huge_kron_is_refused_before_allocating():
    with pytest.raises(matcalc.LimitError):
        matcalc.evaluate("kron(A, A)", {"A": np.zeros((100, 100))})
