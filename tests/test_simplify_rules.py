"""The rule table: every rule fires on its own example and keeps the example's value.

Parametrized over simplify.rules.all_rules(), so a new rule without a firing, value-keeping
example fails here.  Values are positive (0.5..1.5, plus a multiple of the identity on square
matrices), inside the domain of every rule that widens one (exp of log needs A > 0).
"""
import re
import numpy as np
import pytest

import matcalc
from matcalc.frontend.infer import typecheck
from matcalc.frontend.parse import parse
from matcalc.ir.expr import walk
from matcalc.simplify import simplify
from matcalc.simplify.normal import normalize
from matcalc.simplify.rules import all_rules

SIZES = {"n": 3, "m": 4, "k": 5, "d": 2, "h": 6}   # distinct, so a transposed answer cannot pass


def concrete(text: str, shapes: dict):
    """(typed example, {name: shape}) with every dimension a distinct number."""
    text = re.sub(r"\b([nmkdh])\b", lambda m: str(SIZES[m.group(1)]), text)
    shapes = {v: tuple(SIZES.get(d, d) if isinstance(d, str) else d for d in s) for v, s in shapes.items()}
    _, found = typecheck(parse(text), shapes)
    free = iter(range(7, 100))
    numbers = {}
    fixed = {v: tuple(d if isinstance(d, int) else numbers.setdefault(d, next(free)) for d in s)
             for v, s in found.items()}
    typed, found = typecheck(parse(text), fixed)
    return typed, found


def values_for(shapes: dict, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in shapes.items():
        a = rng.uniform(0.5, 1.5, shape)
        if len(shape) == 2 and shape[0] == shape[1] and shape[0] > 1:
            a = a + shape[0] * np.eye(shape[0])
        out[name] = a
    return out


RULES = [pytest.param(r, id=r.name.replace(" ", "_")) for r in all_rules()]


def firing(rule):
    """(node, replacement): the first node of the example's normal form the rule rewrites."""
    typed, found = concrete(rule.example, rule.shapes)
    for node in walk(normalize(typed)):
        if rule.op in ("*", node.op):
            out = rule.apply(node)
            if out is not None and out is not node:
                return node, out, found
    raise AssertionError(f"`{rule.name}` rewrites no node of its example {rule.example}")


@pytest.mark.parametrize("rule", RULES)
def test_rule_fires_on_its_example(rule):
    node, out, _ = firing(rule)
    assert out.shape == node.shape


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("seed", [0, 1])
def test_rule_keeps_the_value_of_its_example(rule, seed):
    node, out, found = firing(rule)
    values = values_for(found, seed)
    before = np.asarray(matcalc.evaluate(node, values), dtype=float)
    after = np.asarray(matcalc.evaluate(out, values), dtype=float)
    np.testing.assert_allclose(np.broadcast_to(after, before.shape), before, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("rule", RULES)
def test_simplify_keeps_the_value_of_each_example(rule):
    typed, found = concrete(rule.example, rule.shapes)
    values = values_for(found, 2)
    before = np.asarray(matcalc.evaluate(typed, values), dtype=float)
    after = np.asarray(matcalc.evaluate(simplify(typed), values), dtype=float)
    np.testing.assert_allclose(np.broadcast_to(after, before.shape), before, rtol=1e-9, atol=1e-12)


def test_every_domain_widening_rule_is_listed_in_the_design_notes():
    from pathlib import Path
    design = (Path(__file__).resolve().parents[1] / "docs" / "design.md").read_text(encoding="utf-8")
    for rule in all_rules():
        if rule.widens:
            assert rule.name in design, f"docs/design.md does not list `{rule.name}` ({rule.widens})"
