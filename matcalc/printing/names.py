"""Named intermediates: the subexpressions worth a name (H = sigmoid(X@W1 + b1), R = ...).

Shared nodes printed once by name keep the readable form of an L-layer net linear in L.
Names come by family, from the operator's record: H for activations, R for sums
(residuals), Z for products, G for the rest; numbered when a family has several.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var, call
>>> X, W = var("X", (5, 3)), var("W", (3, 2))
>>> H = call("sigmoid", X @ W)
>>> intermediates([H * (1 - H)])
[('H', sigmoid(matmul(var('X', (5, 3)), var('W', (3, 2)))))]
"""
from __future__ import annotations

from typing import Optional

from ..ir.expr import Expr, walk
from ..ir.operator import REGISTRY

__all__ = ["intermediates", "family", "inlining_growth"]

MIN_NAMED_SIZE = 3   # nodes: sigmoid(X@W) is worth a name, inv(S) and exp(x) are not
CHUNK_DEPTH = 24     # operators nested in one definition, at most
UNNAMED = frozenset({"tuple", "transpose", "neg"})   # a name for A' or -A would hide too little


def family(n: Expr) -> str:
    """The letter of n's family of names."""
    record = REGISTRY.get(n.op)
    return (record.naming if record is not None else "") or "G"


def intermediates(roots: list, forward: Optional[Expr] = None, taken=()) -> list:
    """[(name, expr)] in definition order: the subexpressions worth naming.

    Named: any non-trivial node used twice or more, and any node of the forward
    function f used directly by the derivative (not only inside f).
    """
    nodes = walk(_bundle(roots))
    uses: dict[Expr, int] = {}
    forward_parent: dict[Expr, bool] = {}
    fwd = set(walk(forward)) if forward is not None else set()
    size: dict[Expr, int] = {}   # tree size, capped (a DAG's tree size can be exponential)
    for node in nodes:
        below = 1
        in_forward = node in fwd
        for a in node.args:
            uses[a] = uses.get(a, 0) + 1
            below += size[a]
            if not in_forward:
                forward_parent[a] = True
        size[node] = 0 if node.op == "const" else min(MIN_NAMED_SIZE, below)
    for node in reversed(nodes):   # parents first: a shared A' shares the A it transposes
        if node.op in UNNAMED and uses.get(node, 0) >= 2:
            for a in node.args:
                uses[a] = max(uses.get(a, 0), 2)
    chosen = {n for n in nodes
              if size[n] >= MIN_NAMED_SIZE and n not in roots and n.op not in UNNAMED
              and (uses.get(n, 0) >= 2 or (n in fwd and n is not forward and forward_parent.get(n)
                                             and family(n) in ("H", "R")))}
    _name_deep_chains(nodes, chosen, roots)
    return _label([n for n in nodes if n in chosen], set(taken))


def _name_deep_chains(nodes: list, chosen: set, roots: list) -> None:
    """Add to `chosen` enough nodes that no definition nests more than CHUNK_DEPTH operators.

    The backward pass of an L-layer net is one chain ((G@W')*(1 - H^2))@W'... nested
    2L brackets deep; in pieces it reads as backprop does, and parses back.
    """
    depth: dict[Expr, int] = {}
    roots = set(roots)
    for n in nodes:
        d = 0
        for a in n.args:
            if a not in chosen and depth[a] > d:
                d = depth[a]
        d += 1
        if d > CHUNK_DEPTH and n not in roots and n.op not in UNNAMED:
            chosen.add(n)
        depth[n] = d


def _bundle(roots: list) -> Expr:
    return roots[0] if len(roots) == 1 else Expr("tuple", tuple(roots), None, (1, 1))


def _label(chosen: list, taken: set) -> list:
    by_family: dict[str, list] = {}
    for n in chosen:
        by_family.setdefault(family(n), []).append(n)
    label = {}
    for letter, members in by_family.items():
        stem = letter
        while stem in taken or any(t.startswith(stem) and t[len(stem):].isdigit() for t in taken):
            stem += "_"
        if len(members) == 1:
            label[members[0]] = stem
        else:
            for i, n in enumerate(members, 1):
                label[n] = f"{stem}{i}"
    return [(label[n], n) for n in chosen]


def inlining_growth(root: Expr, names: dict) -> float:
    """How many times more nodes root has written out in full than written with `names` defined.

    >>> from matcalc.ir.expr import var
    >>> x = var("x", (3, 1))
    >>> s = x + x
    >>> inlining_growth(s * s, {s: "S"})   # 7 nodes inline; S = x + x and S*S: 3 + 3
    1.1666666666666667
    """
    full: dict[Expr, int] = {}
    local: dict[Expr, int] = {}
    for n in walk(root):
        full[n] = min(1 + sum(full[a] for a in n.args), 1 << 62)
        local[n] = 1 + sum(1 if a in names else local[a] for a in n.args)
    named = local[root] + sum(local[n] for n in names if n in local and n is not root)
    return full[root] / named
