"""Pattern rules (matcalc.simplify.patterns): matching a product as a multiset stays linear."""
import pytest

from matcalc import ops  # noqa: F401  (registers the operators)
from matcalc.ir.expr import call, var
from matcalc.simplify.normal import make_product
from matcalc.simplify.patterns import Pattern

SIGMOID = Pattern("exp(a)/(1 + exp(a))", "sigmoid(a)")


def _exp_product(n: int):
    x = var("x", (3, 1))
    return make_product([call("exp", x + float(k)) for k in range(n)])


def _counting(monkeypatch) -> list:
    calls = []
    original = Pattern._match

    def counted(self, p, e, env):
        calls.append(1)
        return original(self, p, e, env)
    monkeypatch.setattr(Pattern, "_match", counted)
    return calls


@pytest.mark.parametrize("n", [50, 400])
def test_a_product_lacking_an_operator_the_pattern_needs_is_not_searched(monkeypatch, n):
    """exp(a)*(1 + exp(a))^-1 needs a power: among n exp factors and no power, no factor is tried."""
    calls = _counting(monkeypatch)
    assert SIGMOID.rewrite(_exp_product(n)) is None
    assert len(calls) == 0


def test_the_pattern_still_fires_inside_a_large_product():
    x = var("x", (3, 1))
    factors = [call("exp", x + float(k)) for k in range(1, 30)]
    product = make_product(factors + [call("exp", x), (1 + call("exp", x)) ** -1.0])
    rewritten = SIGMOID.rewrite(product)
    assert rewritten is not None and call("sigmoid", x) in rewritten.args
