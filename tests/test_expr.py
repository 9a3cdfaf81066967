"""Interned expression nodes (matcalc.ir.expr): equal structure is one object, and the table forgets
nodes nobody holds."""
import gc
import threading

import pytest

import matcalc
from matcalc import ops  # noqa: F401  (registers the operators)
from matcalc.ir import expr as E
from matcalc.ir.expr import Expr, call, const, var


def test_equal_structure_is_the_same_node():
    X, W = var("X", (5, 3)), var("W", (3, 2))
    assert call("sigmoid", X @ W) is call("sigmoid", var("X", (5, 3)) @ var("W", (3, 2)))


def test_a_leaf_of_another_shape_is_another_node():
    assert var("X", (5, 3)) is not var("X", (3, 5))


def test_a_node_takes_its_shape_from_its_operator():
    X, W = var("X", (5, 3)), var("W", (3, 2))
    assert (X @ W).T.shape == (2, 5)


def test_a_badly_shaped_node_is_refused_and_not_interned():
    before = len(E._INTERNED)
    with pytest.raises(Exception):
        var("A", (2, 3)) @ var("B", (2, 3))
    assert len(E._INTERNED) <= before + 2   # the two leaves at most


def test_the_table_forgets_nodes_nobody_holds():
    gc.collect()
    before = len(E._INTERNED)
    x = var("x_forgotten", (4, 1))
    for k in range(200):
        x = call("tanh", x + const(k))
    assert len(E._INTERNED) > before + 400
    del x
    gc.collect()
    assert len(E._INTERNED) <= before + 1   # const(k) for k = 199 may still be cached elsewhere


def test_a_node_that_died_in_a_cycle_is_built_again_once():
    gc.disable()
    try:
        node = call("exp", var("x_cycle", (3, 1)))
        key = (node.op, node.args, node.attr)
        node._facts = {"self": node}        # a cached analysis that is the node itself: a cycle
        entry = E._INTERNED[key]
        del node                            # dead only once the collector runs
        assert entry() is not None
    finally:
        gc.enable()
    gc.collect()
    again = call("exp", var("x_cycle", (3, 1)))
    assert again is call("exp", var("x_cycle", (3, 1)))
    assert E._INTERNED[(again.op, again.args, again.attr)]() is again


def test_threads_building_the_same_nodes_get_the_same_objects():
    built: list = [None] * 8
    start = threading.Barrier(8)

    def build(i):
        start.wait()
        x = var("x_threads", (6, 1))
        for k in range(300):
            x = call("sigmoid", x) * const(k)
        built[i] = x

    threads = [threading.Thread(target=build, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(b is built[0] for b in built)


NET = "norm(tanh(tanh(X@W1)@W2)@W3 - Y)^2"
NET_SHAPES = {"X": (8, 4), "W1": (4, 5), "W2": (5, 5), "W3": (5, 3), "Y": (8, 3)}
CALLS = {
    "gradient": lambda: matcalc.derive(NET, "W1", NET_SHAPES),
    "text": lambda: matcalc.derive(NET, "W1", NET_SHAPES).text(),
    "str": lambda: str(matcalc.derive(NET, "W2", NET_SHAPES)),
    "latex": lambda: matcalc.derive(NET, "W3", NET_SHAPES).latex(named=True),
    "steps": lambda: matcalc.derive(NET, "W1", NET_SHAPES).latex(steps=True),
    "jacobian": lambda: str(matcalc.derive("sigmoid(X@W)", "W", {"X": (5, 3), "W": (3, 2)})),
    "hessian": lambda: str(matcalc.hessian("x'@A@x + sum(exp(x))", "x", {"x": (4,), "A": (4, 4)})),
    "hvp": lambda: str(matcalc.hvp(NET, "W1", NET_SHAPES, direction="V")),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_derivation_leaves_no_reference_cycles(call):
    """With the cycle collector off, dropping a result frees every node the call built: no node holds
    itself (an analysis equal to the node, a printer's bound methods), so no heap scan is needed."""
    call()   # rules and caches of the first call
    gc.collect()
    gc.disable()
    try:
        before = set(E._INTERNED)
        call()
        left = set(E._INTERNED) - before
    finally:
        gc.enable()
    assert not left, sorted(map(str, left))[:3]
