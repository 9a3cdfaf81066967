"""Breaking long LaTeX rows: pieces fit the width, every piece is valid TeX on its own, nothing is lost."""
import re

import pytest

from matcalc.derivations.linebreak import break_formula, visible

LONG_SUM = r"\operatorname{tr}\left(" + " + ".join(rf"\left(A_{{{k}}} \odot B_{{{k}}}\right)" for k in range(12)) + r"\right)"
LONG_PRODUCT = r"\left(" + r" \odot ".join(rf"\sigma\left(X_{{{k}}} W\right)" for k in range(14)) + r"\right)^\top"
WITH_FRACTION = r"\operatorname{tr}\left(\frac{A}{B} " + " ".join(f"X_{{{k}}}" for k in range(40)) + r"\right)"


def unsized(s: str) -> str:
    """s with delimiter sizes and spaces removed: what the pieces must add up to."""
    return re.sub(r"\\(left|right|bigg?[lr])|\s", "", s)


def balanced(piece: str) -> bool:
    return piece.count(r"\left") == piece.count(r"\right") and piece.count("{") == piece.count("}")


@pytest.mark.parametrize("formula", [LONG_SUM, LONG_PRODUCT, WITH_FRACTION])
@pytest.mark.parametrize("width", [30, 60, 95])
def test_pieces_fit_are_balanced_and_add_up(formula, width):
    pieces = break_formula(formula, width)
    assert len(pieces) > 1
    assert all(visible(p) <= width for p in pieces), [visible(p) for p in pieces]
    assert all(balanced(p) for p in pieces), pieces
    assert unsized("".join(pieces)) == unsized(formula)


def test_a_short_formula_is_one_piece():
    assert break_formula(r"\left(A + B\right)^\top C", 95) == [r"\left(A + B\right)^\top C"]


def test_sums_break_before_products():
    pieces = break_formula(r"\left(A B C D E F\right) + \left(G H I J K L\right)", 25)
    assert pieces[1].startswith("+")


def test_spanning_parentheses_are_sized_and_a_fraction_gets_taller_ones():
    assert break_formula(LONG_SUM, 60)[0].startswith(r"\operatorname{tr}\bigl(")
    assert r"\biggl(" in break_formula(WITH_FRACTION, 60)[0]


def test_never_breaks_inside_braces():
    formula = r"\mathbf{1}_{" + "n " * 60 + "}"
    assert break_formula(formula, 20) == [formula]
