"""Rewrite rules written in matcalc's own language: "log(exp(A))" -> "A".

A pattern is parsed by the front end, typed (its names are wildcards whose shapes inference
leaves free, unless declared), and brought to the normal form, so that it matches normal-form
nodes as they are: `exp(a)/(1 + exp(a))` is the product exp(a)*(1 + exp(a))^-1 and matches any
product holding those two factors (sums and products match their arguments as a multiset; the
rest of the node is kept).  Names in a pattern match any subexpression (the same one wherever
they recur); dimension names (n in eye(n)) match any dimension; numbers match themselves.  The
right side is built with the normal-form builders from what the left side bound.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var, call
>>> rule = Pattern("log(exp(A))", "A")
>>> X = var("X", (2, 2))
>>> rule.rewrite(call("log", call("exp", X))) is X
True
"""
from __future__ import annotations

from typing import Optional

from ..frontend import parse, typecheck
from ..ir.dims import SCALAR, ConcreteDims
from ..ir.expr import Expr, const, dim, walk
from ..ir.operator import REGISTRY
from .normal import make_product, make_sum, normal_node, normalize

__all__ = ["Pattern"]

COMMUTATIVE = {"add": make_sum, "mul": make_product}


class Pattern:
    """A rewrite lhs -> rhs, both in the input language; `shapes` pins wildcards' shapes."""

    def __init__(self, lhs: str, rhs: str, shapes: Optional[dict] = None):
        self.lhs_text, self.rhs_text = lhs, rhs
        both, _ = typecheck(parse(f"({lhs}) + ({rhs})"), dict(shapes or {}))
        left, right = both.args
        self.lhs, self.rhs = normalize(left), normalize(right)
        self.root = self.lhs.op
        self.dimension_names = {str(n.attr) for n in walk(both) if n.op == "dim"} | {
            d for n in walk(both) if n.op != "var" and REGISTRY[n.op].dim_args for d in n.attr if isinstance(d, str)}

    def __repr__(self):
        return f"Pattern({self.lhs_text!r} -> {self.rhs_text!r})"

    def rewrite(self, node: Expr) -> Optional[Expr]:
        """The node rewritten by this rule, or None where the left side does not match."""
        if node.op != self.root:
            return None
        if node.op in COMMUTATIVE:
            for env, rest in self._match_multiset(self.lhs.args, node.args, {}):
                return COMMUTATIVE[node.op]([self._build(self.rhs, env)] + rest, node.shape)
            return None
        env = self._match(self.lhs, node, {})
        return None if env is None else self._build(self.rhs, env)

    # -- matching
    def _match(self, p: Expr, e: Expr, env: dict) -> Optional[dict]:
        if p.op == "var":
            return self._bind(p, e, env)
        if p.op == "dim":
            return self._bind_dim(p.attr, e, env)
        if p.op == "const":
            return env if e.op == "const" and e.value == p.value else None
        if p.op != e.op or len(p.args) != len(e.args):
            return None
        env = self._match_attr(p, e, env)
        if env is None:
            return None
        if p.op in COMMUTATIVE:
            for found, rest in self._match_multiset(p.args, e.args, env):
                if not rest:
                    return found
            return None
        for pa, ea in zip(p.args, e.args):
            env = self._match(pa, ea, env)
            if env is None:
                return None
        return env

    def _bind(self, p: Expr, e: Expr, env: dict) -> Optional[dict]:
        if any(pd == 1 and ed != 1 for pd, ed in zip(p.shape, e.shape)):
            return None                       # a wildcard declared a vector or a scalar stays one
        bound = env.get(p.attr)
        if bound is not None:
            return env if bound is e else None
        return {**env, p.attr: e}

    def _bind_dim(self, name, e: Expr, env: dict) -> Optional[dict]:
        if e.op == "dim":
            value = e.attr
        elif e.op == "const" and float(e.value).is_integer() and e.value >= 1:
            value = int(e.value)
        else:
            return None
        return self._bind_dimension(name, value, env)

    def _bind_dimension(self, name, value, env: dict) -> Optional[dict]:
        if not isinstance(name, str) or name not in self.dimension_names:
            return env if name == value else None
        key = ("dim", name)
        if key in env:
            return env if env[key] == value else None
        return {**env, key: value}

    def _match_attr(self, p: Expr, e: Expr, env: dict) -> Optional[dict]:
        record = REGISTRY.get(p.op)
        if record is None or not record.dim_args:
            return env if p.attr == e.attr else None
        for pd, ed in zip(p.attr, e.attr):
            env = self._bind_dimension(pd, ed, env)
            if env is None:
                return None
        return env

    def _match_multiset(self, patterns: tuple, items: tuple, env: dict):
        """Every way to match each pattern to a distinct item: (env, the items left over).

        Backtracking tries each item for each pattern: on a product of n factors that is n² work
        per rule (a 1,500-deep nest of exp is one product of 1,500 exp factors).  So the operators
        the patterns need are counted against the items first, and the pattern whose operator is
        rarest among the items is matched first."""
        have: dict = {}
        for item in items:
            have[item.op] = have.get(item.op, 0) + 1
        need: dict = {}
        for p in patterns:
            if p.op not in ("var", "dim"):
                need[p.op] = need.get(p.op, 0) + 1
        if any(have.get(op, 0) < k for op, k in need.items()):
            return iter(())
        ordered = tuple(sorted(patterns, key=lambda p: have.get(p.op, len(items) + 1)))
        return self._assign(ordered, items, env)

    def _assign(self, patterns: tuple, items: tuple, env: dict):
        if not patterns:
            yield env, list(items)
            return
        first, rest = patterns[0], patterns[1:]
        for k, item in enumerate(items):
            if first.op not in ("var", "dim") and first.op != item.op:
                continue
            found = self._match(first, item, env)
            if found is not None:
                yield from self._assign(rest, items[:k] + items[k + 1:], found)

    # -- building the right side
    def _build(self, p: Expr, env: dict) -> Expr:
        if p.op == "var":
            return env[p.attr]
        if p.op == "dim":
            return dim(env.get(("dim", p.attr), p.attr))
        if not p.args:
            if not REGISTRY[p.op].dim_args:
                return p
            node = Expr(p.op, (), tuple(env.get(("dim", d), d) for d in p.attr))
            return node if node.shape != SCALAR else const(0.0 if p.op == "zeros" else 1.0)
        args = tuple(self._build(a, env) for a in p.args)
        shape = REGISTRY[p.op].shape_rule(ConcreteDims, tuple(a.shape for a in args), p.attr)
        return normal_node(p.op, args, p.attr, shape)

