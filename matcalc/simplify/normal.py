"""The normal form: how sums, products, powers, matrix products and transposes are written.

Every builder takes arguments already in normal form and returns a normal-form node, so that
equal expressions reach the same node (simplify(A + B) is simplify(B + A)):

  sum        add(t1, ..., tk): flat, like terms collected (c*x + d*x = (c + d)*x), constants
             folded, zeros dropped, terms in a total order (simplify.order), positive terms first;
             a - b is add(a, -1*b): subtraction is a sign, printed back as a - b
  product    mul(c, f1, ..., fk): flat, the coefficient first, like bases merged into powers
             (x*x = x^2, x/x = 1), factors in a total order; a/b is mul(a, b^-1)
  chain      matmul(A1, ..., Ak): flat, 1×1 factors and coefficients pulled out into a product,
             identities dropped
  transpose  pushed through products and chains to the leaves ((A@B)' = B'@A'), dropped on
             symmetric matrices; kept on sums and functions, whose value is shared

Each builder is one pass over its arguments (no rewriting to a fixed point), so building a
node costs time proportional to its number of arguments.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var
>>> x, y = var("x", (3, 1)), var("y", (3, 1))
>>> make_sum([x, y]) is make_sum([y, x])
True
>>> make_product([x, x, x]) is make_pow(x, const(3))
True
"""
from __future__ import annotations

import math

from ..ir.dims import SCALAR
from ..ir.expr import Expr, const, eye, is_zero, ones, zeros
from ..ir.operator import REGISTRY
from ..ops import column, diagonal_vector, is_diagonal_matrix, split_coefficient
from .order import factor_key, term_key
from .symmetry import is_symmetric

__all__ = ["split", "power", "make_sum", "make_product", "make_pow", "make_chain", "make_transpose",
           "make_linear", "make_bilinear", "make_neg", "make_difference", "make_quotient", "scaled", "safe_power", "is_unary_linear"]


# --------------------------------------------------------------- analyses
def split(e: Expr):
    """(c, rest) with e = c * rest; rest is None when e is the number c."""
    if e.op == "mul" and e.args[0].op == "const":
        return e.cached("split", split_coefficient)   # builds the rest: worth keeping
    return split_coefficient(e)   # (1, e) or (c, None): caching (1, e) on e would be a reference cycle


def power(e: Expr):
    """(base, p) with e = base^p for a constant p (p = 1 for anything that is not a power)."""
    if e.op == "pow" and e.args[1].op == "const":
        return e.args[0], e.args[1].value
    return e, 1.0


def safe_power(base: float, p: float):
    """base**p as a float, or None where it is complex, infinite or overflows."""
    try:
        value = math.pow(base, p)
    except (OverflowError, ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def scaled(c: float, rest: Expr) -> Expr:
    """c * rest for a normal-form rest that has no coefficient of its own."""
    if c == 1:
        return rest
    factors = rest.args if rest.op == "mul" else (rest,)
    return Expr("mul", (const(c),) + tuple(factors))


def _broadcast(e: Expr, shape) -> Expr:
    """e stretched to `shape` by a factor of ones (where a sum or product lost its widest operand)."""
    if e.shape == tuple(shape):
        return e
    c, rest = split(e)
    factors = ([] if rest is None else list(rest.args if rest.op == "mul" else (rest,))) + [ones(shape)]
    return scaled(c, factors[0] if len(factors) == 1 else Expr("mul", tuple(factors)))


# ----------------------------------------------------------------- sums
def make_sum(terms: list, shape=None) -> Expr:
    """The sum of normal-form terms, in normal form."""
    shape = shape or _broadcast_shape(terms)
    collected: dict = {}
    number = 0.0
    for t in _flat(terms, "add"):
        if is_zero(t):
            continue
        c, rest = split(t)
        if rest is None:
            number += c
        else:
            collected[rest] = collected.get(rest, 0.0) + c
    keyed = [((c < 0, term_key(rest)), scaled(c, rest)) for rest, c in collected.items() if c != 0]
    if number != 0:
        keyed.append(((number < 0, (3,)), const(number)))   # numbers last: x + 1, 1 - H
    if not keyed:
        return zeros(shape)
    keyed.sort(key=lambda kt: kt[0])
    built = tuple(t for _, t in keyed)
    return _broadcast(built[0] if len(built) == 1 else Expr("add", built), shape)


FLATTEN_LIMIT = 8   # operands: a larger sum or product inside another stays one shared node


def _flat(items: list, op: str) -> list:
    """Operands of a sum (product, chain) with those that are sums themselves spliced in, where small.

    A large normal-form sum used as an operand stays whole: splicing it into every sum that uses
    it would copy it each time, and a chain of n such sums would grow as n²; kept whole, it is one
    shared node (and one named intermediate when printed).
    """
    out = []
    for item in items:
        if item.op == op and len(item.args) <= FLATTEN_LIMIT:
            out.extend(item.args)
        else:
            out.append(item)
    return out


def _broadcast_shape(items: list):
    rows = next((e.shape[0] for e in items if e.shape[0] != 1), 1)
    cols = next((e.shape[1] for e in items if e.shape[1] != 1), 1)
    return (rows, cols)


# ------------------------------------------------------------- products
def make_product(factors: list, shape=None) -> Expr:
    """The elementwise (or scalar) product of normal-form factors, in normal form."""
    shape = shape or _broadcast_shape(factors)
    coef = 1.0
    powers: dict = {}
    for f in _flat(factors, "mul"):
        if f.op == "const":
            coef *= f.value
            continue
        if is_zero(f):
            return zeros(shape)
        if f.op == "ones":
            continue                       # the broadcast at the end puts ones back where needed
        base, p = power(f)
        powers[base] = powers.get(base, 0.0) + p
    items = []
    for base, p in powers.items():
        if p == 0:
            continue
        if base.op == "const":
            folded = safe_power(base.value, p)
            if folded is not None:
                coef *= folded
                continue
        items.append((base, p))
    if coef == 0:
        return zeros(shape)
    items = _structured(items)
    items.sort(key=lambda bp: factor_key(bp[0]))
    built = [base if p == 1 else Expr("pow", (base, const(p))) for base, p in items]
    if not built:
        return _broadcast(const(coef), shape)
    node = built[0] if len(built) == 1 else Expr("mul", tuple(built))
    return _broadcast(scaled(coef, node), shape)


def _structured(items: list) -> list:
    """Diagonal and outer-product structure a product of vectors has (normal form, not rules):
    v*eye(n) = diag(v), v*diag(u) = diag(v*u); u*r for a column u and a row r is u@r;
    ones(n, 1)@r inside an elementwise product is r, broadcast."""
    items = [(_unbroadcast_factor(b), p) if p == 1 else (b, p) for b, p in items]
    matrices = [(b, p) for b, p in items if b.shape != SCALAR]
    scalars = [(b, p) for b, p in items if b.shape == SCALAR]
    diagonal = next((b for b, p in matrices if p == 1 and (b.op == "eye" or is_diagonal_matrix(b))), None)
    if diagonal is not None:
        n = diagonal.shape[0]
        vectors = [(b, p) for b, p in matrices if b is not diagonal]
        if vectors and all(b.shape in ((n, 1), (1, n)) for b, _ in vectors):
            inner = [] if diagonal.op == "eye" else [(diagonal_vector(diagonal), 1.0)]
            v = make_product([column(b) if p == 1 else make_pow(column(b), const(p)) for b, p in vectors]
                             + [make_pow(b, const(p)) for b, p in inner])
            return scalars + [(Expr("diag", (v,)), 1.0)]
    if len(matrices) == 2 and all(p == 1 for _, p in matrices):
        (a, _), (b, _) = matrices
        if a.shape[1] == 1 and b.shape[0] == 1 and a.shape[0] != 1 and b.shape[1] != 1:
            return scalars + [(make_chain([a, b]), 1.0)]
        if b.shape[1] == 1 and a.shape[0] == 1 and b.shape[0] != 1 and a.shape[1] != 1:
            return scalars + [(make_chain([b, a]), 1.0)]
    return items


def _unbroadcast_factor(b: Expr) -> Expr:
    """ones(n,1)@r is r stretched over n rows, and c@ones(1,m) is c stretched: as a factor of an
    elementwise product, broadcasting does the stretching."""
    if b.op == "matmul" and len(b.args) == 2:
        left, right = b.args
        if left.op == "ones" and left.shape[1] == 1 and right.shape[0] == 1:
            return right
        if right.op == "ones" and right.shape[0] == 1 and left.shape[1] == 1:
            return left
    return b


def make_pow(base: Expr, p: Expr) -> Expr:
    """base^p (elementwise) in normal form."""
    if p.op != "const":
        return Expr("pow", (base, p))
    q = p.value
    if q == 0:
        return ones(base.shape) if base.shape != SCALAR else const(1.0)
    if q == 1:
        return base
    if base.op == "const":
        folded = safe_power(base.value, q)
        return const(folded) if folded is not None else Expr("pow", (base, p))
    if base.op == "pow" and base.args[1].op == "const":
        inner = base.args[1].value
        if float(q).is_integer() or not float(inner).is_integer() or inner % 2 == 1:
            return make_pow(base.args[0], const(inner * q))    # (x^2)^0.5 is |x|, so it stays
    if base.op == "mul" and float(q).is_integer() and len(base.args) <= FLATTEN_LIMIT:
        return make_product([make_pow(f, p) for f in base.args])
    return Expr("pow", (base, p))


# --------------------------------------------------------- matrix products
def make_chain(factors: list, shape=None) -> Expr:
    """The matrix product A1@...@Ak of normal-form factors, in normal form."""
    factors = _flat(factors, "matmul")
    shape = shape or (factors[0].shape[0], factors[-1].shape[1])
    outside, chain = [], []
    for f in factors:
        if is_zero(f):
            return zeros(shape)
        if f.shape == SCALAR:
            outside.append(f)                  # a 1x1 factor commutes out of the chain
            continue
        c, rest = split(f)
        if c != 1:
            outside.append(const(c))
            f = rest
        if f.op == "mul":
            scalars = [a for a in f.args if a.shape == SCALAR]
            if scalars:
                outside.extend(scalars)
                f = make_product([a for a in f.args if a.shape != SCALAR], f.shape)
        if f.op == "eye":
            continue
        if f.op == "matmul":
            chain.extend(f.args)
        else:
            chain.append(f)
    if not chain:
        inner = eye(shape[0]) if shape[0] == shape[1] else ones(shape)
    elif len(chain) == 1:
        inner = chain[0]
    else:
        inner = Expr("matmul", tuple(chain))
    if inner.shape != tuple(shape):            # dropping 1x1 factors left an outer product to write
        return Expr("matmul", tuple(factors))
    return make_product(outside + [inner], shape) if outside else inner


# --------------------------------------------------------------- transposes
def make_transpose(a: Expr) -> Expr:
    """a' in normal form: pushed through products to the leaves, dropped where a is symmetric."""
    if a.shape == SCALAR or is_symmetric(a):
        return a
    op = a.op
    if op == "transpose":
        return a.args[0]
    if op in ("ones", "zeros"):
        return Expr(op, (), (a.shape[1], a.shape[0]))
    if op == "matmul":
        return make_chain([make_transpose(f) for f in reversed(a.args)])
    if op == "mul":
        return make_product([make_transpose(f) for f in a.args])
    if op == "pow":
        return make_pow(make_transpose(a.args[0]), a.args[1])
    if op == "kron":
        return Expr("kron", tuple(make_transpose(f) for f in a.args))     # (A ⊗ B)' = A' ⊗ B'
    if op == "commutation":
        return Expr("commutation", (), a.attr[::-1], a.shape)            # K(m, n)' = K(n, m)
    if op == "add" and sum(not is_symmetric(t) for t in a.args) <= 1:
        return make_sum([make_transpose(t) for t in a.args])   # (D + A)' = D + A'; (X@W - Y)' stays shared
    return Expr("transpose", (a,))


# ------------------------------------------------------------ linear maps
def make_linear(op: str, arg: Expr, attr) -> Expr:
    """A unary linear map of arg (tr, sum, mean, diag, ...): its coefficient moves outside, so
    that tr(2*A) and 2*tr(A) are one normal form."""
    c, rest = split(arg)
    if rest is None or c == 1:
        return Expr(op, (arg,), attr)
    return make_product([const(c), Expr(op, (rest,), attr)])


def make_bilinear(op: str, args: tuple, attr) -> Expr:
    """A map linear in each of two arguments (kron): both coefficients move outside, so that
    kron(2*A, -B) and -2*kron(A, B) are one normal form."""
    if any(a.shape == SCALAR for a in args):
        return make_product(list(args))                  # kron(s, A) = s*A
    splits = [split(a) for a in args]
    if any(rest is None for _, rest in splits) or all(c == 1 for c, _ in splits):
        return Expr(op, tuple(args), attr)
    inner = Expr(op, tuple(rest for _, rest in splits), attr)
    return make_product([const(splits[0][0] * splits[1][0]), inner])


def is_bilinear(op: str) -> bool:
    """Linear in each of two arguments and not one of the algebra's own products (mul, matmul)."""
    record = REGISTRY.get(op)
    return record is not None and record.linear and record.arity == 2 and op not in ("mul", "matmul")


def make_neg(a: Expr) -> Expr:
    return make_product([const(-1.0), a], a.shape)


def make_difference(a: Expr, b: Expr) -> Expr:
    return make_sum([a, make_neg(b)])


def make_quotient(a: Expr, b: Expr) -> Expr:
    return make_product([a, make_pow(b, const(-1.0))])


def is_unary_linear(op: str) -> bool:
    record = REGISTRY.get(op)
    return record is not None and record.linear and record.arity == 1 and not record.leaf


# ------------------------------------------------------------- one node
def normal_node(op: str, args: tuple, attr, shape) -> Expr:
    """The normal form of op(args) for arguments already in normal form (no rewrite rules)."""
    if op == "add":
        return make_sum(list(args), shape)
    if op == "sub":
        return make_sum([args[0], make_neg(args[1])], shape)
    if op == "neg":
        return make_neg(args[0])
    if op == "mul":
        return make_product(list(args), shape)
    if op == "div":
        return make_product([args[0], make_pow(args[1], const(-1.0))], shape)
    if op == "pow":
        return make_pow(*args)
    if op == "matmul":
        return make_chain(list(args), shape)
    if op == "transpose":
        return make_transpose(args[0])
    if args and is_unary_linear(op):
        return make_linear(op, args[0], attr)
    if len(args) == 2 and is_bilinear(op):
        return make_bilinear(op, args, attr)
    return Expr(op, tuple(args), attr) if args else Expr(op, (), attr, shape)


def normalize(root: Expr) -> Expr:
    """root in normal form, without rewrite rules (for patterns; the engine adds the rules)."""
    from ..ir.expr import walk
    out: dict = {}
    for node in walk(root):
        out[node] = normal_node(node.op, tuple(out[a] for a in node.args), node.attr, node.shape) \
            if node.args else node
    return out[root]
