"""The engine: normal form bottom-up over the DAG, then the named rules, each node once.

For each node, children first, the engine builds the normal form (simplify.normal) of the node
from its simplified arguments, then tries the rules (simplify.rules) on it.  A rule's proposal
is kept only if it weighs less than the node (simplify.order.weight, a tree size): the weight is
a natural number, so a node is rewritten finitely often; and inside a proposal only nodes
lighter than the node being rewritten are rewritten in turn, so the recursion ends too.  That is
why rewriting terminates — by a decreasing measure, with no cycle check.

Work is linear in the DAG: a simplified node is cached on the node itself (per set of symmetric
variables), so shared subexpressions and later calls cost nothing; and the nodes inside a chain
of sums, products or matrix products (a + b + c parsed as (a + b) + c) are not simplified one
prefix at a time: the chain's top gathers its operands in one pass.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> A, B = var("A", (2, 3)), var("B", (2, 3))
>>> simplify(A + B) is simplify(B + A)
True
>>> simplify((1 * A) + 0 * A) is A
True
"""
from __future__ import annotations

from typing import Optional

from ..errors import InternalError
from ..ir.expr import Expr, const
from .normal import make_chain, make_neg, make_pow, make_product, make_sum, normal_node
from .order import weight
from .rules import GENERIC, RULES, all_rules
from .symmetry import symmetric_variables

__all__ = ["simplify", "RULES", "all_rules", "SimplifyBug"]

SUMS, PRODUCTS, CHAINS = frozenset({"add", "sub", "neg"}), frozenset({"mul", "div"}), frozenset({"matmul"})
FAMILY = {op: family for family in (SUMS, PRODUCTS, CHAINS) for op in family}


class SimplifyBug(InternalError):
    """A rewrite changed a node's shape: a bug in a rule, never the user's fault."""


def simplify(root: Expr, fired: Optional["Counter"] = None) -> Expr:
    """The normal form of root with every rule applied; `fired` counts the rules that were kept."""
    key = ("simplified", symmetric_variables())
    done = _done(root, key)
    if done is not None:
        return done
    order, inner = _plan(root, key)
    for node in order:
        if node in inner:
            continue
        args = _gather(node, inner, key) if node.op in FAMILY else [_done(a, key) for a in node.args]
        built = _normal(node, args)
        # the normal form may make new inner nodes (-A@B is -1*(A@B)): their rules run too
        if any(_done(a, key) is None for a in built.args):
            built = _reduce_inside(built, weight(built) + 1, key, fired)
        _store(node, _reduce(built, key, fired), key)
    return _done(root, key)


def _done(node: Expr, key) -> Optional[Expr]:
    return node.known(key)


def _store(node: Expr, result: Expr, key) -> None:
    node.remember(key, result)
    result.remember(key, result)   # a node stores itself as a marker: no reference cycle (ir.expr)


def _plan(root: Expr, key):
    """Nodes below root not yet simplified, children first; and the inner nodes of chains."""
    order, seen, parents, stack = [], set(), {}, [root]
    while stack:
        node = stack.pop()
        if node is _EXPANDED:   # the node under the marker has had its arguments ordered
            order.append(stack.pop())
            continue
        if node in seen or _done(node, key) is not None:
            continue
        seen.add(node)
        stack.append(node)
        stack.append(_EXPANDED)
        for a in node.args:
            parents[a] = parents.get(a, 0) + 1
            stack.append(a)
    parent_op = {a: n.op for n in order for a in n.args}
    inner = {n for n in order if n is not root and n.op in FAMILY and parents[n] == 1
             and FAMILY.get(parent_op.get(n)) is FAMILY[n.op]}
    return order, inner


_EXPANDED = object()


def _gather(node: Expr, inner: set, key) -> list:
    """The operands of the chain topped by node, through its inner nodes, simplified (and signed,
    or inverted, where a - b or a / b put them)."""
    out, stack = [], [(node, False)]
    while stack:
        n, flip = stack.pop()
        if n is node or n in inner:
            op = n.op
            if op == "neg":
                stack.append((n.args[0], not flip))
            elif op in ("sub", "div"):
                stack.extend([(n.args[1], not flip), (n.args[0], flip)])
            else:
                stack.extend((a, flip) for a in reversed(n.args))
            continue
        value = _done(n, key)
        if flip:
            value = make_neg(value) if node.op in SUMS else make_pow(value, const(-1.0))
        out.append(value)
    return out


def _normal(node: Expr, args: list) -> Expr:
    if node.op in SUMS:
        return make_sum(args, node.shape)
    if node.op in PRODUCTS:
        return make_product(args, node.shape)
    if node.op in CHAINS:
        return make_chain(args, node.shape)
    if not node.args:
        return node
    return normal_node(node.op, tuple(args), node.attr, node.shape)


def _reduce(node: Expr, key, fired) -> Expr:
    """node with the rules applied until none lowers its weight."""
    done = _done(node, key)
    if done is not None:
        return done
    current = node
    while True:
        for rule in GENERIC + RULES.get(current.op, []):
            out = rule.apply(current)
            if out is None or out is current:
                continue
            if out.shape != current.shape:
                raise SimplifyBug(f"rule `{rule.name}` turned a {current.shape} node into {out.shape}; "
                                  "this is a bug in matcalc, please report it with the expression")
            if weight(out) >= weight(current):
                continue
            out = _reduce_inside(out, weight(current), key, fired)
            if weight(out) >= weight(current):
                continue
            if fired is not None:
                fired[rule.name] += 1
            current = out
            break
        else:
            break
    _store(node, current, key)
    return current


def _reduce_inside(out: Expr, bound: int, key, fired) -> Expr:
    """out with its new nodes lighter than `bound` reduced, children first (their parents rebuilt)."""
    done = _done(out, key)
    if done is not None:
        return done
    order, seen, stack = [], set(), [(out, False)]
    while stack:
        n, expanded = stack.pop()
        if expanded:
            order.append(n)
        elif n not in seen and _done(n, key) is None:
            seen.add(n)
            stack.append((n, True))
            stack.extend((a, False) for a in n.args)
    new: dict = {}
    for n in order:
        args = tuple(new.get(a, _done(a, key) or a) for a in n.args)
        rebuilt = n if args == n.args else normal_node(n.op, args, n.attr, n.shape)
        new[n] = _reduce(rebuilt, key, fired) if n is not out and weight(rebuilt) < bound else rebuilt
    return new[out]
