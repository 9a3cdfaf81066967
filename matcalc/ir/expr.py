"""Expression nodes: one immutable, interned node type; the operator is data.

Every value is 2-D: a scalar is 1x1, a vector a column n x 1.  A node's shape
comes from its operator's record (ir.operator) when it is built.  Equal
structure is the same object, so shared subexpressions cost nothing, equality
is identity, and an analysis of a node can be cached on the node itself:

>>> from matcalc import ops
>>> X = var("X", (3, 2)); (X.T @ X).shape
(2, 2)
>>> (X.T @ X) is (X.T @ X)
True
"""
from __future__ import annotations

import weakref
from typing import Callable

from .dims import SCALAR, ConcreteDims, Dim, Shape, dim_factors
from .limits import deep_recursion, entry_point, node_built
from .operator import REGISTRY, MissingRule

__all__ = ["Expr", "var", "const", "dim", "ones", "zeros", "eye", "call", "lift", "is_zero", "is_one",
           "walk", "variables", "size", "replace", "deep", "deep_recursion", "SCALAR", "Dim", "Shape"]


class _Entry(weakref.ref):
    """The intern table's weak reference to a node, which forgets its key when the node dies."""

    __slots__ = ("key",)

    def __new__(cls, node, key):
        entry = super().__new__(cls, node, _forget)
        entry.key = key
        return entry

    def __init__(self, node, key):
        super().__init__(node, _forget)


_INTERNED: "dict[tuple, _Entry]" = {}
_ITSELF = object()   # what Expr.cached stores for an analysis whose value is the node itself


def _forget(entry: _Entry) -> None:
    if _INTERNED.get(entry.key) is entry:
        del _INTERNED[entry.key]


class Expr:
    """An interned expression node: op (str), args (tuple of Expr), attr, shape.

    attr is the name of a `var`, the value of a `const`, the dimension of a
    `dim`, a static parameter (the axis of `sum(X, 0)`), or None.
    """

    # Equality is identity and the hash is object's own (a C slot, no Python call): a node is interned,
    # so equal structure is the same object.
    __slots__ = ("op", "args", "attr", "shape", "_facts", "__weakref__")

    def __new__(cls, op: str, args: tuple = (), attr=None, shape: Shape | None = None):
        # A node with arguments is known by (op, args, attr): its shape follows from them, and is
        # worked out only for a new node.  A leaf (X, ones(m, n)) is known by its shape as well.
        if args:
            key = (op, args, attr)
        else:
            key = (op, args, attr, shape if shape is not None else _shape_of(op, args, attr))
        entry = _INTERNED.get(key)
        node = entry() if entry is not None else None
        if node is not None:
            return node
        if shape is None:
            shape = key[3] if not args else _shape_of(op, args, attr)
        node = object.__new__(cls)
        node.op, node.args, node.attr, node.shape = op, args, attr, shape
        node._facts = None
        node_built(node)   # the call's node budget: a LimitError instead of unbounded work
        mine = _Entry(node, key)
        entry = _INTERNED.setdefault(key, mine)   # two threads building one node get the same one
        if entry is not mine:
            other = entry()
            if other is not None:
                return other
            _INTERNED[key] = mine   # the entry of a node that died in a cycle, not yet collected
        return node

    def __reduce__(self):
        return (Expr, (self.op, self.args, self.attr, self.shape))

    def __repr__(self):
        # printers live downstream (matcalc.printing); this structural form is for debugging
        if self.op == "var":
            return f"var({self.attr!r}, {self.shape})"
        if self.op == "const":
            return f"const({self.attr!r})"
        parts = [repr(a) for a in self.args] if len(self.args) <= 4 else [f"{len(self.args)} args"]
        if self.attr is not None:
            parts.append(repr(self.attr))
        return f"{self.op}({', '.join(parts)})"

    def cached(self, key: str, compute: Callable):
        """The analysis `key` of this node, computed once: nodes are immutable, so it never goes stale."""
        facts = self._facts
        if facts is None:
            facts = self._facts = {}
        try:
            value = facts[key]
        except KeyError:
            value = compute(self)
            # a node that held itself would be a reference cycle, freed only by the cycle collector
            facts[key] = _ITSELF if value is self else value
            return value
        return self if value is _ITSELF else value

    def known(self, key):
        """The analysis `key` of this node if one was stored, else None."""
        facts = self._facts
        value = None if facts is None else facts.get(key)
        return self if value is _ITSELF else value

    def remember(self, key, value) -> None:
        """Store the analysis `key` unless it is known already (the first answer stays)."""
        if self._facts is None:
            self._facts = {}
        self._facts.setdefault(key, _ITSELF if value is self else value)

    # -- properties
    @property
    def is_scalar(self) -> bool:
        return self.shape == SCALAR

    @property
    def is_const(self) -> bool:
        return self.op == "const"

    @property
    def value(self) -> float:
        return self.attr

    # -- building (raw: no simplification; matcalc.simplify does that)
    def __add__(self, other):
        return Expr("add", (self, lift(other)))

    def __radd__(self, other):
        return Expr("add", (lift(other), self))

    def __sub__(self, other):
        return Expr("sub", (self, lift(other)))

    def __rsub__(self, other):
        return Expr("sub", (lift(other), self))

    def __mul__(self, other):
        return Expr("mul", (self, lift(other)))

    def __rmul__(self, other):
        return Expr("mul", (lift(other), self))

    def __truediv__(self, other):
        return Expr("div", (self, lift(other)))

    def __rtruediv__(self, other):
        return Expr("div", (lift(other), self))

    def __pow__(self, other):
        return Expr("pow", (self, lift(other)))

    def __neg__(self):
        return Expr("neg", (self,))

    def __matmul__(self, other):
        return Expr("matmul", (self, other))

    @property
    def T(self) -> "Expr":
        return Expr("transpose", (self,))


def _shape_of(op: str, args: tuple, attr) -> Shape:
    record = REGISTRY.get(op)
    if record is None:
        raise MissingRule(f"no operator `{op}` in the registry")
    if not record.arity_ok(len(args)):
        raise TypeError(f"{op} takes {record.arity or 'two or more'} arguments, got {len(args)}")
    return record.shape_rule(ConcreteDims, tuple(a.shape for a in args), attr)


def var(name: str, shape: Shape) -> Expr:
    return Expr("var", (), name, tuple(shape))


def const(value: float) -> Expr:
    value = float(value)
    return Expr("const", (), 0.0 if value == 0 else value, SCALAR)


def dim(d: Dim) -> Expr:
    """A dimension used as a value: n in ones(n, 1)/n; an int dimension is just a constant,
    and a product m*n the product of its factors' values."""
    coef, factors = dim_factors(d)
    if len(factors) == 1 and coef == 1:
        return Expr("dim", (), factors[0], SCALAR)
    out = const(coef)
    for f in factors:
        out = Expr("dim", (), f, SCALAR) if out is const(1) else out * Expr("dim", (), f, SCALAR)
    return out


def ones(shape: Shape) -> Expr:
    """The all-ones matrix; constructors keep the dimensions they were written with in attr."""
    return const(1.0) if tuple(shape) == SCALAR else Expr("ones", (), tuple(shape))


def zeros(shape: Shape) -> Expr:
    return const(0.0) if tuple(shape) == SCALAR else Expr("zeros", (), tuple(shape))


def eye(n: Dim) -> Expr:
    return const(1.0) if n == 1 else Expr("eye", (), (n,))


def call(op: str, *args: Expr, attr=None) -> Expr:
    return Expr(op, tuple(args), attr)


def lift(x) -> Expr:
    return x if isinstance(x, Expr) else const(x)


def is_zero(e: Expr) -> bool:
    return e.op == "zeros" or (e.op == "const" and e.attr == 0.0)


def is_one(e: Expr) -> bool:
    return e.op == "const" and e.attr == 1.0


def walk(root: Expr) -> list:
    """Every node reachable from root once, children before parents (no recursion).
    Any node type with `args` and identity hashing will do (the front end walks its syntax trees)."""
    seen, order, stack = set(), [], [root]
    push, pop, visit, emit = stack.append, stack.pop, seen.add, order.append
    while stack:
        node = pop()
        if node is _FINISHED:   # the node under the marker has had all its arguments emitted
            emit(pop())
            continue
        if node in seen:
            continue
        visit(node)
        push(node)
        push(_FINISHED)
        for a in reversed(node.args):
            if a not in seen:
                push(a)
    return order


_FINISHED = object()


def variables(root: Expr) -> dict:
    """name -> shape of every variable in root."""
    return {n.attr: n.shape for n in walk(root) if n.op == "var"}


def size(root: Expr) -> int:
    """Number of distinct nodes (the size of the DAG)."""
    return len(walk(root))


def replace(root: Expr, mapping: dict) -> Expr:
    """root with every node in mapping replaced (shapes must agree); shared parts stay shared."""
    out: dict = {}
    for node in walk(root):
        if node in mapping:
            out[node] = mapping[node]
        elif node.args:
            args = tuple(out[a] for a in node.args)
            out[node] = node if args == node.args else Expr(node.op, args, node.attr)
        else:
            out[node] = node
    return out[root]


deep = entry_point   # every public call: deep recursion, one budget, and the error boundary (ir.limits)
