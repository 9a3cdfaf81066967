"""Which nodes of the DAG get a name in generated code, in what order, and which buffers die where.

One statement per named node: the roots (f and each derivative), every node used twice or more
(so it is computed once: one forward pass shared by every derivative), and nothing else, so that
elementwise chains stay inside one statement, where the emitter computes them in place.

The order is topological; among the statements that are ready, one that would overwrite a
buffer others still read waits for them (d(b1) = 2*S after d(W1) = 2*X'@S, so S is dead by then
and 2*S is computed in S's own memory).

>>> from matcalc import ops
>>> from matcalc.ir.expr import var, call
>>> X, W = var("X", (5, 3)), var("W", (3, 2))
>>> H = call("sigmoid", X @ W)
>>> plan = Plan([H * (1 - H), H.T @ X])
>>> [n.op for n in plan.order]
['sigmoid', 'matmul', 'mul']
"""
from __future__ import annotations

from ..ir.expr import Expr, walk
from ..ir.operator import REGISTRY
from .lower import bundle, use_counts

__all__ = ["Plan"]

NUMBERS = frozenset({"const", "dim"})    # leaves written as Python numbers


def _always_fresh(node: Expr) -> bool:
    return REGISTRY[node.op].elementwise


class Plan:
    """The named nodes of roots in order, with each one's users and last use.

    fresh(node): whether the backend computes node into a new array (never a view of an argument).
    """

    def __init__(self, roots: list, fresh=_always_fresh):
        self.roots = list(roots)
        self.fresh = fresh
        self.nodes = walk(bundle(self.roots))[:-1]
        self.uses = use_counts(self.roots)
        self.users: dict = {}
        for node in self.nodes:
            for a in set(node.args):
                self.users.setdefault(a, []).append(node)
        self.named = {n for n in self.nodes if self._named(n)}
        self.order = self._schedule()
        position = {n: i for i, n in enumerate(self.order)}
        self.reads: dict = {}       # statement -> {named node: how many times it reads it}
        self.last_use: dict = {}    # named node -> position of the last statement that reads it
        for s in self.order:
            counts = self.reads[s] = {}
            for a in self._inline_args(s):
                counts[a] = counts.get(a, 0) + 1
            for a in counts:
                self.last_use[a] = max(self.last_use.get(a, -1), position[s])
        for r in self.roots:
            self.last_use[r] = len(self.order)

    def _named(self, node: Expr) -> bool:
        if node.op == "var" or node.op in NUMBERS:
            return False
        if node in self.roots:
            return True
        if node.op == "transpose" and node.args[0].op == "var":
            return False                     # X.T is a view: written where it is used
        return self.uses.get(node, 0) >= 2

    def _inline_args(self, statement: Expr) -> list:
        """The named nodes a statement reads (with repeats), through its inline subexpressions."""
        out, stack = [], list(statement.args)
        while stack:
            a = stack.pop()
            if a in self.named:
                out.append(a)
            else:
                stack.extend(a.args)
        return out

    def _deps(self, statement: Expr) -> set:
        return set(self._inline_args(statement))

    def _schedule(self) -> list:
        named = [n for n in self.nodes if n in self.named]     # children first: a valid order
        rank = {n: i for i, n in enumerate(named)}
        deps = {n: self._deps(n) for n in named}
        waiting = {n: set(d) for n, d in deps.items()}
        readers: dict = {}
        for n, d in deps.items():
            for a in d:
                readers.setdefault(a, set()).add(n)
        done: set = set()
        order = []
        while len(order) < len(named):
            ready = [n for n in named if n not in done and not waiting[n]]

            def steals(n):   # would overwrite an argument that another pending statement still reads
                return any(self.overwritable(a) and a.shape == n.shape and readers[a] - done - {n}
                           for a in deps[n])
            pick = min(ready, key=lambda n: (steals(n), rank[n]))
            order.append(pick)
            done.add(pick)
            for r in readers.get(pick, ()):
                waiting[r].discard(pick)
        return order

    def overwritable(self, node: Expr) -> bool:
        """A named buffer that generated code owns: fresh (not an input or a view), not returned,
        and read only by operations that do not keep a view of it."""
        if node not in self.named or node in self.roots or not self.fresh(node):
            return False
        return all(self.fresh(u) or u not in self.named for u in self.users.get(node, ()))

    def dead_after(self, node: Expr, statement: Expr, position: int) -> bool:
        """Whether `statement` (at `position`) is the only remaining reader of node, reading it once."""
        return (self.overwritable(node) and self.last_use.get(node) == position
                and self.reads[statement].get(node) == 1)
