"""Readability, always on top of a numeric check: results no longer than twice the textbook's form,
and the identities a person applies at once."""
import numpy as np
import pytest

import matcalc
from matcalc.frontend.infer import typecheck
from matcalc.frontend.parse import parse
from matcalc.printing import to_text
from matcalc.simplify import simplify
from test_cookbook import IDENTITIES, SHAPES as COOKBOOK_SHAPES, SPD
from torch_oracle import random_values, torch_grad

# (f, wrt, shapes, domain, the textbook's form in matcalc's language)
LOGISTIC = {"X": (7, 3), "w": (3,), "y": (7,)}
GAUSSIAN = {"S": (4, 4), "x": (4,), "m": (4,)}
RELU = {"X": (7, 3), "W1": (3, 6), "b1": (1, 6), "W2": (6, 2), "Y": (7, 2), "lam": ()}
ATTENTION = {"Q": (3, 2), "K": (4, 2), "V": (4, 5), "C": (3, 5)}
RELU_F = "norm(relu(X@W1 + b1)@W2 - Y)^2 + lam*norm(W1)^2"
SCORES = "sum(C * (softmax(Q@K')@V))"
BACK_SCORES = "(softmax(Q@K')*(C@V' - sum(softmax(Q@K')*(C@V'), 1)))"
TEXTBOOK = [
    ("norm(X@w-y)^2 + lam*norm(w)^2", "w", {"X": (6, 4), "w": (4,), "y": (6,), "lam": ()}, None,
     "2*X'@(X@w - y) + 2*lam*w"),
    ("sum(log(1+exp(-y*(X@w))))", "w", LOGISTIC, {"y": "sign"}, "-X'@(y*sigmoid(-y*(X@w)))"),
    ("sum(log(1+exp(-y*(X@w))))", "X", LOGISTIC, {"y": "sign"}, "-(y*sigmoid(-y*(X@w)))@w'"),
    ("logdet(S) + (x-m)'@inv(S)@(x-m)", "S", GAUSSIAN, {"S": "spd"},
     "inv(S)' - inv(S)'@(x - m)@(x - m)'@inv(S)'"),
    ("logdet(S) + (x-m)'@inv(S)@(x-m)", "m", GAUSSIAN, {"S": "spd"}, "-(inv(S) + inv(S)')@(x - m)"),
    (RELU_F, "W1", RELU, None, "2*X'@(((relu(X@W1 + b1)@W2 - Y)@W2')*step(X@W1 + b1)) + 2*lam*W1"),
    (RELU_F, "b1", RELU, None, "2*sum(((relu(X@W1 + b1)@W2 - Y)@W2')*step(X@W1 + b1), 0)"),
    (RELU_F, "W2", RELU, None, "2*relu(X@W1 + b1)'@(relu(X@W1 + b1)@W2 - Y)"),
    ("sum(softplus(-y*(X@w)))", "w", LOGISTIC, {"y": "sign"}, "-X'@(y*sigmoid(-y*(X@w)))"),
    ("norm(tanh(X@E)@D - X)^2", "E", {"X": (6, 5), "E": (5, 2), "D": (2, 5)}, None,
     "2*X'@(((tanh(X@E)@D - X)@D')*(1 - tanh(X@E)^2))"),
    ("norm(tanh(X@E)@D - X)^2", "D", {"X": (6, 5), "E": (5, 2), "D": (2, 5)}, None,
     "2*tanh(X@E)'@(tanh(X@E)@D - X)"),
    ("-sum(Y*log(softmax(X@W)))", "W", {"X": (5, 3), "W": (3, 4), "Y": (5, 4)}, {"Y": "onehot"},
     "X'@(sum(Y, 1)*softmax(X@W) - Y)"),
    (SCORES, "Q", ATTENTION, None, BACK_SCORES + "@K"),
    (SCORES, "K", ATTENTION, None, BACK_SCORES + "'@Q"),
    (SCORES, "V", ATTENTION, None, "softmax(Q@K')'@C"),
    ("mean((X@w - y)^2)", "w", {"X": (6, 3), "w": (3,), "y": (6,)}, None, "2*X'@(X@w - y)/6"),
    ("logsumexp(X@w) - y'@(X@w)", "w", {"X": (6, 3), "w": (3,), "y": (6,)}, None,
     "X'@(exp(X@w)/sum(exp(X@w)) - y)"),
    *[(f, wrt, COOKBOOK_SHAPES, SPD, form) for _, f, wrt, form in IDENTITIES],
]
IDS = [f"{f}:{wrt}" for f, wrt, *_ in TEXTBOOK]


@pytest.mark.parametrize("f, wrt, shapes, domain, textbook", TEXTBOOK, ids=IDS)
def test_textbook_form_is_the_gradient(f, wrt, shapes, domain, textbook):
    values = random_values(shapes, seed=7, domain=domain)
    ref = torch_grad(f, wrt, values)
    got = np.asarray(matcalc.evaluate(textbook, values))
    np.testing.assert_allclose(got.reshape(ref.shape), ref, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("f, wrt, shapes, domain, textbook", TEXTBOOK, ids=IDS)
def test_result_is_at_most_twice_as_long_as_the_textbook(f, wrt, shapes, domain, textbook):
    d = matcalc.derive(f, wrt, shapes)
    values = random_values(shapes, seed=8, domain=domain)
    np.testing.assert_allclose(np.asarray(matcalc.evaluate(str(d), values)).reshape(-1),
                               torch_grad(f, wrt, values).reshape(-1), rtol=1e-8, atol=1e-10)
    assert len(str(d)) <= 2 * len(textbook), f"{d} against the textbook's {textbook}"


# ------------------------------------------------ identities a person applies at once
IDENTITY_CASES = [
    ("2*2^-1*X", {"X": (3, 2)}, "X"),
    ("-inv(X)'@X'@inv(X)'", {"X": (3, 3)}, "-inv(X)'"),
    ("inv(inv(X)@A)", {"X": (3, 3), "A": (3, 3)}, "inv(A)@X"),
    ("sum(M*eye(3))", {"M": (3, 3)}, "tr(M)"),
    ("exp(a)/(exp(a) + exp(-a)) - exp(-a)/(exp(a) + exp(-a))", {"a": (3, 2)}, "tanh(a)"),
]


def typed(text, shapes):
    return typecheck(parse(text), shapes)[0]


@pytest.mark.parametrize("text, shapes, expected", IDENTITY_CASES, ids=[c[0] for c in IDENTITY_CASES])
def test_identity_keeps_the_value(text, shapes, expected):
    rng = np.random.default_rng(3)
    values = {k: rng.uniform(0.5, 1.5, s) + (3 * np.eye(s[0]) if s[0] == s[1] else 0) for k, s in shapes.items()}
    before, after = typed(text, shapes), simplify(typed(text, shapes))
    np.testing.assert_allclose(matcalc.evaluate(after, values), matcalc.evaluate(before, values),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("text, shapes, expected", IDENTITY_CASES, ids=[c[0] for c in IDENTITY_CASES])
def test_identity_is_applied(text, shapes, expected):
    assert to_text(simplify(typed(text, shapes))) == expected


def test_a_symmetric_matrix_plus_its_transpose_is_twice_it():
    d = matcalc.derive("tr(X@G) + tr(G@X)", "X", {"X": (3, 3), "G": (3, 3)}, symmetric=["G"])
    values = random_values({"X": (3, 3), "G": (3, 3)}, seed=4)
    values["G"] = values["G"] + values["G"].T
    np.testing.assert_allclose(d.evaluate(values), 2 * values["G"], rtol=1e-12)
    assert str(d) == "2*G"


def test_the_gradient_of_a_mean_reads_as_ones_over_the_count():
    d = matcalc.derive("mean(X)", "X", {"X": (4, 3)})
    np.testing.assert_allclose(d.evaluate({"X": np.zeros((4, 3))}), np.full((4, 3), 1 / 12))
    assert str(d) == "ones(4, 3)/12"
