"""Matrix Cookbook identities, one line each: (equation, f, wrt, the Cookbook's closed form).

Equation numbers are those cited in SymPy's sympy/matrices/expressions/tests/test_derivatives.py
("Cookbook example NNN"). Each identity is checked twice: matcalc's derivative against torch
autograd, and the Cookbook's own closed form (written in matcalc's language) against matcalc's.
Sizes: k = 4 for the square matrices, 4-vectors; SPD matrices where an inverse appears.
"""
import numpy as np
import pytest

import matcalc
from torch_oracle import assert_derivative_matches, random_values

SQUARE = {n: (4, 4) for n in "ABCDX"}
VECTORS = {n: (4,) for n in "abcdx"}
SHAPES = {**SQUARE, **VECTORS}
SPD = {"X": "spd", "C": "spd", "B": "spd"}

IDENTITIES = [
    (61, "a'@inv(X)@b", "X", "-inv(X)'@a@b'@inv(X)'"),
    (63, "tr(A@inv(X)@B)", "X", "-(inv(X)@B@A@inv(X))'"),
    (64, "tr(inv(X + A))", "X", "-(inv(X + A)@inv(X + A))'"),
    (69, "x'@a", "x", "a"),
    (70, "a'@X@b", "X", "a@b'"),
    (71, "a'@X'@b", "X", "b@a'"),
    (72, "a'@X@a", "X", "a@a'"),
    (77, "b'@X'@X@c", "X", "X@b@c' + X@c@b'"),
    (78, "(B@x + b)'@C@(D@x + d)", "x", "B'@C@(D@x + d) + D'@C'@(B@x + b)"),
    (81, "x'@B@x", "x", "B@x + B'@x"),
    (82, "b'@X'@D@X@c", "X", "D'@X@b@c' + D@X@c@b'"),
    (83, "(X@b + c)'@D@(X@b + c)", "X", "D@(X@b + c)@b' + D'@(X@b + c)@b'"),
    (99, "tr(X)", "X", "eye(4)"),
    (100, "tr(X@A)", "X", "A'"),
    (101, "tr(A@X@B)", "X", "A'@B'"),
    (102, "tr(A@X'@B)", "X", "B@A"),
    (103, "tr(X'@A)", "X", "A"),
    (104, "tr(A@X')", "X", "A"),
    (106, "tr(X@X)", "X", "2*X'"),
    (107, "tr(X@X@B)", "X", "(X@B + B@X)'"),
    (108, "tr(X'@B@X)", "X", "B@X + B'@X"),
    (109, "tr(B@X@X')", "X", "B@X + B'@X"),
    (110, "tr(X@X'@B)", "X", "B@X + B'@X"),
    (111, "tr(X@B@X')", "X", "X@B' + X@B"),
    (112, "tr(B@X'@X)", "X", "X@B' + X@B"),
    (113, "tr(X'@X@B)", "X", "X@B' + X@B"),
    (114, "tr(A@X@B@X)", "X", "A'@X'@B' + B'@X'@A'"),
    (115, "tr(X'@X)", "X", "2*X"),
    (116, "tr(B'@X'@C@X@B)", "X", "C'@X@B@B' + C@X@B@B'"),
    (117, "tr(X'@B@X@C)", "X", "B@X@C + B'@X@C'"),
    (118, "tr(A@X@B@X'@C)", "X", "A'@C'@X@B' + C@A@X@B"),
    (119, "tr((A@X@B + C)@(A@X@B + C)')", "X", "2*A'@(A@X@B + C)@B'"),
    (120, "tr(X)^2", "X", "2*tr(X)*eye(4)"),
    (124, "tr(A@inv(X)@B)", "X", "-inv(X)'@A'@B'@inv(X)'"),
    (125, "tr(inv(X'@C@X)@A)", "X",
     "-inv(X)'@A'@inv(X)@inv(C)'@inv(X)' - inv(X)'@A@inv(X)@inv(C)@inv(X)'"),
    (126, "tr(inv(X'@C@X)@(X'@B@X))", "X",
     "-2*C@X@inv(X'@C@X)@X'@B@X@inv(X'@C@X) + 2*B@X@inv(X'@C@X)"),   # B, C symmetric (SPD here)
]


@pytest.mark.parametrize("eq, f, wrt, cookbook", IDENTITIES, ids=[f"eq{i[0]}" for i in IDENTITIES])
def test_cookbook_identity_matches_autograd(eq, f, wrt, cookbook):
    assert_derivative_matches(f, wrt, SHAPES, seed=eq, domain=SPD)


@pytest.mark.parametrize("eq, f, wrt, cookbook", IDENTITIES, ids=[f"eq{i[0]}" for i in IDENTITIES])
def test_cookbook_identity_equals_the_cookbook_form(eq, f, wrt, cookbook):
    values = random_values(SHAPES, seed=eq, domain=SPD)
    ours = matcalc.evaluate(str(matcalc.derive(f, wrt, SHAPES)), values)
    theirs = matcalc.evaluate(cookbook, values)
    np.testing.assert_allclose(np.asarray(ours).reshape(np.shape(theirs)), theirs, rtol=1e-8, atol=1e-10)


# Golden strings guard readability, on top of the numeric checks above: the textbook's own form.
READABLE = [
    ("x'@B@x", "x", "(B' + B)@x"),
    ("tr(X'@B@X)", "X", "(B' + B)@X"),
    ("tr(A@X@B)", "X", "A'@B'"),
    ("a'@X@b", "X", "a@b'"),
    ("tr(X'@X)", "X", "2*X"),
    ("tr((A@X@B + C)@(A@X@B + C)')", "X", "2*A'@(A@X@B + C)@B'"),
    ("logdet(X)", "X", "inv(X)'"),
    ("det(X)", "X", "det(X)*inv(X)'"),
]


@pytest.mark.parametrize("f, wrt, text", READABLE, ids=[r[0] for r in READABLE])
def test_cookbook_result_reads_as_the_textbook(f, wrt, text):
    assert_derivative_matches(f, wrt, SHAPES, seed=1, domain=SPD)
    assert str(matcalc.derive(f, wrt, SHAPES)) == text
