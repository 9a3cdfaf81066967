"""Shapes: declared, or inferred by unification; then the typed expression DAG.

Undeclared variables get symbolic dimensions solved over the expression with
each operator's own shape rule (from the registry) run over a unifier: `@` joins
inner dimensions, elementwise operators join equal shapes (or broadcast a
declared 1), tr/det/inv need square matrices.  A name used as a dimension
(declared, or in ones(n, 1)) is a dimension wherever it appears as a value.

>>> typed, found = typecheck(parse("norm(X@W - Y)^2"), {})
>>> found["X"], found["W"]
(('n', 'd'), ('d', 'h'))
"""
from __future__ import annotations

import itertools
import math
import re
import weakref

from ..errors import REPORT_BUGS, InternalError, ShapeError, UnknownNameError, did_you_mean
from ..ir.dims import SCALAR, DimProduct, ShapeClash, dim_factors, dim_names, dim_product, show_shape
from ..ir.expr import Expr, const, dim, var, walk
from ..ir.operator import lookup_function, operator
from .parse import Syntax, parse

__all__ = ["typecheck", "normalize_shape", "show_shape", "unknown_variable", "DimVar"]

OPERATOR_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "^"}
DIM_NAMES = ("n", "d", "h", "k", "m", "p", "q", "r", "s", "t", "u", "v", "w", "l")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


class DimVar:
    """An unknown dimension; `label` is only for messages before it is solved, `serial` orders products."""
    __slots__ = ("label", "serial")
    _serials = itertools.count()

    def __init__(self, label: str):
        self.label = label
        self.serial = next(DimVar._serials)

    def __repr__(self):
        return self.label


class Unifier:
    """Union-find over dimensions: ints and declared names are rigid, DimVars bind.

    Products (m*n from vec, kron, commutation) are solved by cancelling common factors:
    ?a*5 = 20 binds ?a to 4, ?a*m = m*n binds ?a to n.  An equation with more than one
    unknown left (?a*?b = 12) waits until a later binding solves it; `finish` pairs what is
    still waiting factor by factor (vec(X)'@vec(Y): X and Y get the same shape) or gives up.
    """

    def __init__(self):
        self.parent: dict[DimVar, object] = {}
        self.pending: list = []

    def resolve(self, d):
        if isinstance(d, DimProduct):
            return dim_product(*(self.resolve(f) for f in d.factors), d.coef)
        while isinstance(d, DimVar) and d in self.parent:
            d = self.parent[d]
        return self.resolve(d) if isinstance(d, DimProduct) else d

    def equal(self, a, b, why):
        a, b = self.resolve(a), self.resolve(b)
        if a is b or (not isinstance(a, DimVar) and a == b):
            return a
        for var, other in ((a, b), (b, a)):
            if isinstance(var, DimVar) and var not in dim_factors(other)[1]:
                return self._bind(var, other)
        return self._equal_products(a, b, why)

    def _bind(self, var: DimVar, value):
        self.parent[var] = value
        waiting, self.pending = self.pending, []
        for x, y, why in waiting:
            self.equal(x, y, why)
        return value

    def _equal_products(self, a, b, why):
        """c1*f1*... = c2*g1*...: cancel what both sides share, then solve for a lone unknown."""
        (ca, fa), (cb, fb) = dim_factors(a), dim_factors(b)
        fa, fb = list(fa), list(fb)
        for f in list(fa):
            if any(f is g or (isinstance(f, str) and f == g) for g in fb):
                fa.remove(f)
                fb.remove(next(g for g in fb if f is g or f == g))
        g = math.gcd(ca, cb)
        ca, cb = ca // g, cb // g
        for (c, fs), (c2, fs2) in (((ca, fa), (cb, fb)), ((cb, fb), (ca, fa))):
            if c == 1 and len(fs) == 1 and isinstance(fs[0], DimVar):
                return self._bind(fs[0], dim_product(c2, *fs2))
            if c == 1 and not fs and all(isinstance(f, DimVar) for f in fs2) and c2 == 1:
                for f in fs2:
                    self._bind(f, 1)
                return 1
        if not any(isinstance(f, DimVar) for f in fa + fb):
            raise ShapeClash(why)
        self.pending.append((a, b, why))
        return a

    def finish(self):
        """Pair the unknowns of equations still waiting, in order (?a*?b = ?c*?d: ?a = ?c, ?b = ?d)."""
        while self.pending:
            a, b, why = self.pending.pop(0)
            a, b = self.resolve(a), self.resolve(b)
            (ca, fa), (cb, fb) = dim_factors(a), dim_factors(b)
            if a == b or a is b:
                continue
            if ca != cb or len(fa) != len(fb) or not all(isinstance(f, DimVar) for f in fa + fb):
                raise ShapeClash(f"{why}, and the shapes cannot be inferred: declare them")
            for x, y in zip(fa, fb):
                self.equal(x, y, why)


# ------------------------------------------------------------- declared shapes
def normalize_shape(name: str, shape) -> tuple:
    """() -> (1, 1), (n,) -> (n, 1), (m, n) -> (m, n); dims are ints >= 1 or names."""
    if isinstance(shape, (int, str)):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ShapeError(f"shape of {name} must be a tuple, got {shape!r}") from None
    if len(dims) > 2:
        raise ShapeError(f"shape of {name} has {len(dims)} dimensions; matcalc works with "
                         f"scalars (), vectors (n,) and matrices (m, n)")
    out = []
    for d in dims:
        if (isinstance(d, str) and _NAME.match(d)) or isinstance(d, DimProduct):
            out.append(d)
        elif isinstance(d, int) or (hasattr(d, "__index__") and not isinstance(d, bool)):
            d = int(d)
            if d < 1:
                raise ShapeError(f"shape of {name}: dimensions must be at least 1, got {d}")
            out.append(d)
        else:
            raise ShapeError(f"shape of {name}: a dimension is a positive integer or a name, got {d!r}")
    return tuple(out) + (1,) * (2 - len(out))


# ------------------------------------------------------------------- inference
class _Inference:
    def __init__(self, declared: dict, dimension_names: set):
        self.u = Unifier()
        self.declared = {k: normalize_shape(k, v) for k, v in declared.items()}
        self.found: dict[str, tuple] = {}
        self.order: list[str] = []
        self.fresh = 0
        self.dim_names: dict[str, DimVar] = {}
        self.rigid = {x for s in self.declared.values() for x in s if isinstance(x, str)}
        self.dimension_names = (set(dimension_names) | self.rigid) - set(self.declared)

    def new_dim(self):
        self.fresh += 1
        return DimVar(f"?{self.fresh}")

    def shape_of_var(self, node: Syntax):
        name = node.attr
        if lookup_function(name) is not None:
            raise UnknownNameError(f"`{name}` is a function: call it as {name}(...)", *node.span())
        if name in self.dimension_names:
            self.dimension(name)
            return SCALAR
        if name not in self.found:
            self.order.append(name)
            self.found[name] = self.declared.get(name) or (self.new_dim(), self.new_dim())
        return self.found[name]

    def dimension(self, d):
        """A dimension written in the text (ones(m, n), ones(m*n, 1), or a dimension used as a value)."""
        if isinstance(d, DimProduct):
            return dim_product(d.coef, *(self.dimension(f) for f in d.factors))
        if isinstance(d, int) or d in self.rigid:
            return d
        return self.dim_names.setdefault(d, DimVar(d))

    def require(self, a, b, node: Syntax, why: str):
        try:
            self.u.equal(a, b, why)
        except ShapeClash:
            raise ShapeError(why, *node.span()) from None

    def run(self, root: Syntax, scalar_result: bool, columns=(), squares=(), decide=None):
        shapes: dict[int, tuple] = {}
        for node in _postorder(root):
            shapes[id(node)] = self.visit(node, [shapes[id(a)] for a in node.args])
        try:
            self.u.finish()
        except ShapeClash as clash:
            raise ShapeError(str(clash), *root.span()) from None
        out = shapes[id(root)]
        for name in columns:
            if name in self.found and name not in self.declared:
                self.require(self.found[name][1], 1, root, f"{name} must be a vector, but it is "
                                                           f"{self.show(self.found[name])}")
        for name in squares:
            if name in self.found and name not in self.declared:
                self.require(self.found[name][0], self.found[name][1], root,
                             f"{name} must be square, but it is {self.show(self.found[name])}")
        if decide is not None:   # the defaults for what the expression leaves free (frontend.question)
            decide(self, out, root)
        elif scalar_result:     # a dimension of f left free is 1; one that is fixed stays (a Jacobian)
            self.pin(self.free(out), root, f"f must be a scalar, but it is {self.show(out)}")
        return shapes

    def free(self, shape) -> list:
        """The dimensions of shape not yet solved."""
        return [d for d in shape if isinstance(self.u.resolve(d), DimVar)]

    def pin(self, shape, root: Syntax, why: str) -> None:
        """Take shape as 1×1 (a ShapeError if a solved dimension is not 1)."""
        for d in shape:
            self.require(d, 1, root, f"{why}, but it is {self.show(shape)}")

    def shapes_now(self) -> dict:
        """Each variable's shape as solved so far (unsolved dimensions as DimVars)."""
        return {name: tuple(self.u.resolve(d) for d in shape) for name, shape in self.found.items()}

    def visit(self, node: Syntax, arg_shapes: list):
        if node.op == "var":
            return self.shape_of_var(node)
        if node.op == "const":
            return SCALAR
        record = operator(node.op)
        attr = node.attr
        if record.dim_args:
            attr = tuple(self.dimension(d) for d in node.attr)
        try:
            return record.shape_rule(self.u, tuple(arg_shapes), attr)
        except ShapeClash as clash:
            raise self.error(node, arg_shapes, str(clash)) from None

    def show(self, shape) -> str:
        labels = self.names()   # the names the output will give the free dimensions, "?" for the rest
        return show_shape(tuple(labels.get(self.u.resolve(d), "?") if isinstance(self.u.resolve(d), DimVar)
                                else self.u.resolve(d) for d in shape))

    def error(self, node: Syntax, arg_shapes, why) -> ShapeError:
        text = node.text
        if len(node.args) == 2:
            left, right = node.args
            gap = text[left.end:right.start]
            symbol = OPERATOR_SYMBOLS.get(node.op, ",")
            found = gap.find(symbol)   # the gap may hold parentheses around the operands too
            at = left.end + max(found, 0)
            return ShapeError(
                f"{why}: in `{text[node.start:node.end]}`, `{text[left.start:left.end]}` is "
                f"{self.show(arg_shapes[0])} and `{text[right.start:right.end]}` is {self.show(arg_shapes[1])}",
                text, at, at + len(symbol))
        arg = node.args[0] if node.args else node
        return ShapeError(f"{why}: `{text[arg.start:arg.end]}` is {self.show(arg_shapes[0]) if arg_shapes else '?'}",
                          *node.span())

    def names(self) -> dict:
        """Label every unsolved dimension class, in order of first appearance."""
        taken = set(self.found) | self.rigid | set(self.dim_names)
        pool = (n for n in DIM_NAMES + tuple(f"n{i}" for i in range(1, 10 * len(self.found) + 20)) if n not in taken)
        labels = {}
        for name in self.order:
            for d in self.found[name]:
                for r in dim_factors(self.u.resolve(d))[1]:
                    if isinstance(r, DimVar) and r not in labels:
                        labels[r] = r.label if r.label in self.dim_names else next(pool)
        return labels

    def final(self, d, labels):
        coef, factors = dim_factors(self.u.resolve(d))
        return dim_product(coef, *(labels.setdefault(r, r.label) if isinstance(r, DimVar) else r for r in factors))


_POSTORDERS: "weakref.WeakKeyDictionary[Syntax, tuple]" = weakref.WeakKeyDictionary()


def _postorder(root: Syntax) -> tuple:
    """Each node once, arguments first (a program's definitions are shared nodes).  Inference and
    the question's checks each go over the tree: it is ordered once per parse."""
    order = _POSTORDERS.get(root)
    if order is None:
        order = _POSTORDERS[root] = tuple(walk(root))   # walk needs only .args and identity
    return order


def _constructor_dims(root: Syntax) -> set:
    """Names written as dimensions anywhere in the text: n in ones(n, 1)."""
    return {name for node in _postorder(root) if node.op != "var" and operator(node.op).dim_args
            for d in node.attr for name in dim_names(d)}


def typecheck(root: Syntax, declared: dict, scalar_result: bool = False, columns=(), squares=(), decide=None):
    """(typed Expr, {name: shape}) for a syntax tree, inferring what is not declared.

    With scalar_result, an unsolved result shape is taken to be 1x1;
    undeclared variables named in `columns` are taken to be column vectors (as for a Hessian),
    those in `squares` square (as for a symmetric matrix); then decide(inference, f's shape, root),
    if given, settles what is still free (frontend.question does, for derivatives).
    """
    inf = _Inference(declared, _constructor_dims(root))
    inf.run(root, scalar_result, columns, squares, decide)
    labels = inf.names()
    found = {name: tuple(inf.final(d, labels) for d in shape) for name, shape in inf.found.items()}
    resolve = lambda d: inf.final(inf.dimension(d), labels)  # noqa: E731
    built: dict[int, Expr] = {}
    for node in _postorder(root):
        args = [built[id(a)] for a in node.args]
        built[id(node)] = _build(node, args, found, resolve, inf.dimension_names)
    return built[id(root)], found


def _build(node: Syntax, args: list, found: dict, resolve, dimension_names) -> Expr:
    if node.op == "var":
        if node.attr in dimension_names:
            return dim(resolve(node.attr))
        return var(node.attr, found[node.attr])
    if node.op == "const":
        return const(node.attr)
    record = operator(node.op)
    attr = tuple(resolve(d) for d in node.attr) if record.dim_args else node.attr
    try:
        if record.dim_args and record.leaf:
            shape = record.shape_rule(None, (), attr)
            return const(1.0 if node.op != "zeros" else 0.0) if shape == SCALAR else Expr(node.op, (), attr)
        return Expr(node.op, tuple(args), attr)
    except ShapeClash as clash:  # inference agreed, so this is a bug in a shape rule
        raise InternalError(f"shape inference and the shape rule of `{node.op}` disagree ({clash}); "
                            f"{REPORT_BUGS}", *node.span()) from None


def unknown_variable(name: str, known) -> UnknownNameError:
    return UnknownNameError(f"unknown variable `{name}`{did_you_mean(name, known)}")

