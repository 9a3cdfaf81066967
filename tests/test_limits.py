"""ir.limits: the budget of one public call; each limit is refused before the work, naming how to raise it."""
import numpy as np
import pytest

import matcalc
from matcalc.ir.limits import current_limits

HOMEWORK = "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2"


@pytest.mark.parametrize("call, names", [
    pytest.param(lambda: matcalc.evaluate("sum(eye(100000))", {}), "eye", id="eye"),
    pytest.param(lambda: matcalc.evaluate("sum(ones(100000, 100000))", {}), "ones", id="ones"),
    pytest.param(lambda: matcalc.evaluate("sum(zeros(100000, 1000))", {}), "zeros", id="zeros"),
    pytest.param(lambda: matcalc.evaluate("x@x'", {"x": np.ones(10_000)}), "matmul", id="intermediate"),
    pytest.param(lambda: matcalc.check("norm(X)^2", "X", {"X": (100_000, 100_000)}), "the sample of X",
                 id="check_sample"),
])
def test_elements_limit_is_refused_before_allocating(call, names):
    with pytest.raises(matcalc.LimitError) as info:
        call()
    message = str(info.value)
    assert names in message and "50,000,000" in message
    assert "matcalc.limits(elements=...)" in message and "--max-elements" in message


def test_elements_limit_can_be_raised():
    with matcalc.limits(elements=10 ** 8):
        assert matcalc.evaluate("x@x'", {"x": np.ones(10_000)}).shape == (10_000, 10_000)


def test_limits_are_restored_after_the_block():
    before = current_limits()
    with matcalc.limits(time=1, nodes=10, text=10, elements=10):
        pass
    assert current_limits() == before


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "10", True])
def test_a_limit_is_a_positive_number(bad):
    with pytest.raises(matcalc.UsageError):
        with matcalc.limits(time=bad):
            pass


@pytest.mark.parametrize("limit, stage", [
    pytest.param(dict(nodes=30), "expression nodes", id="nodes"),
    pytest.param(dict(time=1e-9), "took longer than the time limit", id="time"),
])
def test_derivation_bound_names_the_stage(limit, stage):
    f = f"norm(sigmoid(X@W{len(stage)}+b1)@W2+b2-Y)^2"   # nodes are interned: f's own, unbuilt so far
    with matcalc.limits(**limit), pytest.raises(matcalc.LimitError) as info:
        matcalc.derive(f, f"W{len(stage)}")
    message = str(info.value)
    assert stage in message
    assert any(s in message for s in ("parsing", "differentiation", "simplification", "naming"))
    assert f"matcalc.limits({next(iter(limit))}=...)" in message


def test_printing_bound_names_printing():
    d = matcalc.derive(HOMEWORK, "W1")
    with matcalc.limits(text=20), pytest.raises(matcalc.LimitError, match="printing"):
        str(d)


def test_cli_limit_option_raises_the_limit(capsys):
    """Nodes are interned: a node an earlier call built costs nothing, so this f is used only here."""
    from matcalc.cli import main
    f = "norm(tanh(P@Q7+c7)@Q8+c8-T)^2"
    assert main(["derive", f, "Q7", "--max-nodes", "30"]) == 2
    assert "--max-nodes" in capsys.readouterr().err
    assert main(["derive", f, "Q7", "--max-nodes", "100000"]) == 0
