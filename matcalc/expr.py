"""Expression nodes: one immutable, interned node type; the operator is data.

Every value is 2-D: a scalar is 1x1, a vector a column n x 1.  A dimension is an
int or a symbolic name (str).  Equal structure is the same object, so shared
subexpressions cost nothing and equality is identity:

>>> X = var("X", (3, 2)); (X.T @ X).shape
(2, 2)
>>> (X.T @ X) is (X.T @ X)
True
"""
from __future__ import annotations

import contextlib
import functools
import sys
import weakref
from dataclasses import dataclass
from typing import Callable, Union

Dim = Union[int, str]
Shape = tuple  # (rows, cols) of Dim

SCALAR: Shape = (1, 1)


class ShapeClash(Exception):
    """Operand shapes do not fit an operator (turned into a ShapeError upstream)."""


class ConcreteDims:
    """Dimension arithmetic for building nodes: equal means identical."""

    @staticmethod
    def resolve(d: Dim) -> Dim:
        return d

    @staticmethod
    def equal(a: Dim, b: Dim, why: str) -> Dim:
        if a != b:
            raise ShapeClash(why)
        return a


# ----------------------------------------------------------------- shape rules
# Each rule takes a dims object (resolve/equal) and the argument shapes, and
# returns the result shape; shapes.py reuses them with unification.

def _same(dims, a):
    return a


def _scalar(dims, a):
    return SCALAR


def _square(dims, a, what):
    dims.equal(a[0], a[1], f"{what} needs a square matrix")
    return a


def broadcast(dims, a, b):
    """NumPy broadcasting of two 2-D shapes (1 stretches); other dims must agree."""
    out = []
    for axis in range(2):
        x, y = dims.resolve(a[axis]), dims.resolve(b[axis])
        if x == y:
            out.append(x)
        elif x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        else:
            out.append(dims.equal(x, y, "operands do not broadcast"))
    return tuple(out)


def _matmul(dims, a, b):
    dims.equal(a[1], b[0], "@ needs the inner dimensions to agree")
    return (a[0], b[1])


def _pow(dims, a, p):
    dims.equal(p[0], 1, "the exponent must be a scalar")
    dims.equal(p[1], 1, "the exponent must be a scalar")
    return a


def _diag(dims, a):
    """diag of a matrix: its diagonal as a column."""
    _square(dims, a, "diag of a matrix")
    return (a[0], 1)


def _diag_embed(dims, v):
    """diag of a vector: the square matrix with v on its diagonal."""
    n = v[0] if dims.resolve(v[1]) == 1 else v[1]
    return (n, n)


def _softmax(dims, a):
    if dims.resolve(a[1]) == 1 and dims.resolve(a[0]) != 1:
        raise ShapeClash("softmax normalizes each row, and a column has rows of one entry: "
                         "write softmax(x') for a vector x")
    return a


@dataclass(frozen=True)
class OpInfo:
    """What the pipeline knows of an operator before any rule: arity and shape rule."""
    arity: int
    shape: Callable
    elementwise: bool = False   # f applied entry by entry (or a broadcast binary op)
    function: bool = False      # written name(args) in the language
    syntax: str = ""            # how it is written, for docs/functions.md
    shape_doc: str = "same as the argument"


ELEMENTWISE_FUNCTIONS = ("exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "softplus",
                         "sqrt", "abs", "step", "sign")

_BROADCAST = "NumPy broadcasting on 2-D (1×1 anywhere, 1×n over rows, n×1 over columns)"
_SQUARE_TO_SCALAR = "square n×n → 1×1"

OPS: dict[str, OpInfo] = {
    "add": OpInfo(2, broadcast, elementwise=True, syntax="A + B", shape_doc=_BROADCAST),
    "sub": OpInfo(2, broadcast, elementwise=True, syntax="A - B", shape_doc=_BROADCAST),
    "mul": OpInfo(2, broadcast, elementwise=True, syntax="A * B", shape_doc=_BROADCAST),
    "div": OpInfo(2, broadcast, elementwise=True, syntax="A / B", shape_doc=_BROADCAST),
    "pow": OpInfo(2, _pow, elementwise=True, syntax="A ^ p, A ** p", shape_doc="A's shape; p is 1×1"),
    "neg": OpInfo(1, _same, elementwise=True, syntax="-A"),
    "matmul": OpInfo(2, _matmul, syntax="A @ B", shape_doc="m×k @ k×n → m×n"),
    "transpose": OpInfo(1, lambda dims, a: (a[1], a[0]), syntax="A', A.T", shape_doc="m×n → n×m"),
    "tr": OpInfo(1, lambda dims, a: _scalar(dims, _square(dims, a, "tr")), function=True,
                 syntax="tr(A), trace(A)", shape_doc=_SQUARE_TO_SCALAR),
    "det": OpInfo(1, lambda dims, a: _scalar(dims, _square(dims, a, "det")), function=True,
                  syntax="det(A)", shape_doc=_SQUARE_TO_SCALAR),
    "logdet": OpInfo(1, lambda dims, a: _scalar(dims, _square(dims, a, "logdet")), function=True,
                     syntax="logdet(A)", shape_doc=_SQUARE_TO_SCALAR + " (det A > 0)"),
    "inv": OpInfo(1, lambda dims, a: _square(dims, a, "inv"), function=True,
                  syntax="inv(A)", shape_doc="square n×n → n×n"),
    "diag": OpInfo(1, _diag, function=True, syntax="diag(A)", shape_doc="square n×n → its diagonal, n×1"),
    "diag_embed": OpInfo(1, _diag_embed, function=True, syntax="diag(v)", shape_doc="vector n×1 or 1×n → n×n"),
    "sum": OpInfo(1, _scalar, function=True, syntax="sum(A)", shape_doc="→ 1×1 (all entries)"),
    "norm": OpInfo(1, _scalar, function=True, syntax="norm(A)", shape_doc="→ 1×1 (Frobenius; Euclidean for vectors)"),
    "mean": OpInfo(1, _scalar, function=True, syntax="mean(A)", shape_doc="→ 1×1 (all entries)"),
    "logsumexp": OpInfo(1, _scalar, function=True, syntax="logsumexp(A)", shape_doc="→ 1×1 (all entries)"),
    "softmax": OpInfo(1, _softmax, function=True, syntax="softmax(A)",
                      shape_doc="same; each row normalized (an n×1 column with n > 1 is an error)"),
    **{name: OpInfo(1, _same, elementwise=True, function=True, syntax=f"{name}(A)")
       for name in ELEMENTWISE_FUNCTIONS},
}



# ------------------------------------------------------------------------ node
class Expr:
    """An interned expression node: op (str), args (tuple of Expr), attr, shape.

    attr is the name of a `var` and the value of a `const`; None otherwise.
    """

    __slots__ = ("op", "args", "attr", "shape", "_hash", "__weakref__")
    _interned: "weakref.WeakValueDictionary[tuple, Expr]" = weakref.WeakValueDictionary()

    def __new__(cls, op: str, args: tuple = (), attr=None, shape: Shape | None = None):
        if shape is None:
            info = OPS[op]
            if len(args) != info.arity:
                raise TypeError(f"{op} takes {info.arity} arguments, got {len(args)}")
            shape = info.shape(ConcreteDims, *(a.shape for a in args))
        key = (op, args, attr, shape)
        node = cls._interned.get(key)
        if node is None:
            node = object.__new__(cls)
            node.op, node.args, node.attr, node.shape = op, args, attr, shape
            node._hash = hash(key)
            cls._interned[key] = node
        return node

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return self is other

    def __reduce__(self):
        return (Expr, (self.op, self.args, self.attr, self.shape))

    def __repr__(self):
        from .printing import to_text  # printers live apart; this is only for debugging
        return f"Expr({to_text(self)!r}, shape={self.shape})"

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

    # -- building (raw: no simplification; simplify.py does that)
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


def var(name: str, shape: Shape) -> Expr:
    return Expr("var", (), name, tuple(shape))


def const(value: float) -> Expr:
    value = float(value)
    return Expr("const", (), 0.0 if value == 0 else value, SCALAR)


def ones(shape: Shape) -> Expr:
    return const(1.0) if tuple(shape) == SCALAR else Expr("ones", (), None, tuple(shape))


def zeros(shape: Shape) -> Expr:
    return const(0.0) if tuple(shape) == SCALAR else Expr("zeros", (), None, tuple(shape))


def eye(n: Dim) -> Expr:
    return const(1.0) if n == 1 else Expr("eye", (), None, (n, n))


def call(op: str, *args: Expr) -> Expr:
    return Expr(op, tuple(args))


def lift(x) -> Expr:
    return x if isinstance(x, Expr) else const(x)


def is_zero(e: Expr) -> bool:
    return e.op == "zeros" or (e.op == "const" and e.attr == 0.0)


def is_one(e: Expr) -> bool:
    return e.op == "const" and e.attr == 1.0


def is_vector(shape: Shape) -> bool:
    """A column or a row (a 1x1 scalar counts)."""
    return shape[0] == 1 or shape[1] == 1


def walk(root: Expr):
    """Every node reachable from root once, children before parents (no recursion)."""
    seen, order, stack = set(), [], [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args) if a not in seen)
    return order


def variables(root: Expr) -> dict[str, Shape]:
    """name -> shape of every variable in root."""
    return {n.attr: n.shape for n in walk(root) if n.op == "var"}


def size(root: Expr) -> int:
    """Number of distinct nodes (the size of the DAG)."""
    return len(walk(root))


RECURSION_LIMIT = 60_000


@contextlib.contextmanager
def deep_recursion():
    """Room for the recursive printers and rewrites on deep expressions (a 256-layer net).

    Parsing bounds the input's nesting, so the depth stays bounded too.
    """
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def deep(fn):
    """Decorator: run fn inside deep_recursion()."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with deep_recursion():
            return fn(*args, **kwargs)
    return wrapper


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
