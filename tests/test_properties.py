"""Property: for random well-shaped scalar expressions, matcalc's gradient wrt every variable is autograd's.

Expressions are random trees over the grammar with concrete sizes 2..5; log, sqrt, / and
fractional powers only see positive-by-construction arguments; relu/abs only see raw variables
(never exactly at a kink); softmax only sees rows of 2+ entries (the column case has its own test).
"""
import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

from torch_oracle import assert_derivative_matches, random_values, torch_grad, torch_value

DIMS = (2, 3, 4, 5)
SMOOTH = ("sin", "cos", "tanh", "sigmoid", "softplus")
MAX_DEPTH = 3


class _Builder:
    """Draws expression text of a requested 2-D shape, recording the variables it declares."""

    def __init__(self, draw, breadth):
        self.draw, self.breadth, self.shapes = draw, breadth, {}

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def var(self, shape):
        r, c = shape
        if (r, c) == (1, 1):
            name, declared = self.pick(["s", "t"]), ()
        elif c == 1:
            name, declared = f"{self.pick('uv')}{r}", (r,)
        else:
            name, declared = f"{self.pick('AB')}{r}x{c}", (r, c)
        self.shapes[name] = declared
        return name

    def leaf(self, shape):
        if shape == (1, 1) and self.draw(st.booleans()):
            return self.pick(["2", "0.5", "3"])
        return self.var(shape)

    def positive(self, shape, depth):
        """An expression that is > 0 everywhere."""
        e = self.expr(shape, depth)
        return self.pick([f"exp({e})", f"sigmoid({e})", f"({e}*{e} + 1)", f"(softplus({e}) + 0.5)"])

    def spd(self, k, depth):
        """A k x k symmetric positive definite expression."""
        e = self.expr((k, self.pick(DIMS)), depth)
        return f"(({e})@({e})' + eye({k}))"

    def expr(self, shape, depth):
        r, c = shape
        if depth <= 0:
            return self.leaf(shape)
        d = depth - 1
        rules = ["leaf", "smooth", "kink", "binary", "broadcast", "scale", "matmul", "transpose",
                 "power", "neg", "log", "sqrt", "div", "root"]
        if shape == (1, 1):
            rules += ["reduce", "tr", "logdet", "det", "norm"]
        if r == c:
            rules += ["inv"]
        if c == 1 and r > 1:
            rules += ["diag_of_matrix"]
        if r == c > 1:
            rules += ["diag_of_vector"]
        if self.breadth:
            rules += (["softmax"] if c > 1 else []) + (["breadth_reduce"] if shape == (1, 1) else [])
        rule = self.pick(rules)
        sub = lambda s=shape: self.expr(s, d)  # noqa: E731
        if rule == "leaf":
            return self.leaf(shape)
        if rule == "smooth":
            return f"{self.pick(SMOOTH)}({sub()})"
        if rule == "kink":
            return f"{self.pick(['relu', 'abs'])}({self.var(shape)})"
        if rule == "binary":
            return f"({sub()} {self.pick('+-*')} {sub()})"
        if rule == "broadcast":
            a, b = sub(), sub(self.pick([(1, 1), (1, c), (r, 1)]))
            if self.draw(st.booleans()):
                a, b = b, a
            return f"({a} {self.pick('+-*')} {b})"
        if rule == "scale":
            return f"({sub((1, 1))} * {sub()})"
        if rule == "matmul":
            k = self.pick(DIMS)
            return f"({sub((r, k))} @ {sub((k, c))})"
        if rule == "transpose":
            return f"({sub((c, r))})'"
        if rule == "power":
            return f"({sub()})^{self.pick(['2', '3'])}"
        if rule == "neg":
            return f"-({sub()})"
        if rule in ("log", "sqrt"):
            return f"{rule}({self.positive(shape, d)})"
        if rule == "div":
            return f"({sub()} / {self.positive(self.pick([shape, (1, 1)]), d)})"
        if rule == "root":
            return f"{self.positive(shape, d)}^{self.pick(['0.5', '-1', '-0.5'])}"
        if rule == "reduce":
            return f"sum({sub((self.pick(DIMS), self.pick((1,) + DIMS)))})"
        if rule == "norm":
            return f"norm({sub((self.pick(DIMS), self.pick((1,) + DIMS)))})"
        if rule == "tr":
            k = self.pick(DIMS)
            return f"tr({sub((k, k))})"
        if rule in ("logdet", "det"):
            return f"{rule}({self.spd(self.pick(DIMS[:3]), d)})"
        if rule == "inv":
            return f"inv({self.spd(r, d)})"
        if rule == "diag_of_matrix":
            return f"diag({sub((r, r))})"
        if rule == "diag_of_vector":
            return f"diag({sub((r, 1))})"
        if rule == "softmax":
            return f"softmax({sub()})"
        if rule == "breadth_reduce":
            return f"{self.pick(['logsumexp', 'mean'])}({sub((self.pick(DIMS), self.pick((1,) + DIMS)))})"
        raise AssertionError(rule)


@st.composite
def scalar_functions(draw, breadth=False):
    """(f, shapes): a scalar expression of the language and its variables' declared shapes."""
    b = _Builder(draw, breadth)
    depth = draw(st.integers(1, MAX_DEPTH))
    r, c = draw(st.sampled_from(DIMS)), draw(st.sampled_from(DIMS))
    top = draw(st.sampled_from(["sum", "tr", "norm2"]))
    if top == "sum":
        f = f"sum({b.expr((r, c), depth)})"
    elif top == "tr":
        f = f"tr({b.expr((r, r), depth)})"
    else:
        f = f"norm({b.expr((r, c), depth)})^2"
    assume(b.shapes)  # at least one variable to differentiate
    return f, dict(sorted(b.shapes.items()))


def _check_all_gradients(f, shapes):
    values = random_values(shapes, seed=0)
    value = torch_value(f, values)
    assume(np.all(np.isfinite(value)) and np.abs(value).max() < 1e6)
    refs = {w: torch_grad(f, w, values) for w in shapes}
    scale = max(np.abs(g).max(initial=0.0) for g in refs.values())
    assume(all(np.all(np.isfinite(g)) for g in refs.values()) and scale < 1e6)
    for wrt in shapes:  # cancellation in long sums: absolute tolerance grows with the gradient's scale
        assert_derivative_matches(f, wrt, shapes, seed=0, atol=1e-8 * max(1.0, scale))


@given(scalar_functions())
def test_random_expression_gradients_match_autograd(fs):
    _check_all_gradients(*fs)


@pytest.mark.breadth
@given(scalar_functions(breadth=True))
def test_random_expression_gradients_with_breadth_functions(fs):
    _check_all_gradients(*fs)
