"""The algebra written with symbols: + - * / ^ @ and the transpose.

`add`, `mul` and `matmul` are n-ary (associative): a chain A@B@C may be one node,
and each argument's rule sees all the others.  Printers lay these out themselves
(precedence, juxtaposition), so their forms are None.

>>> from matcalc.ir.operator import REGISTRY
>>> REGISTRY["matmul"].arity is None
True
"""
from __future__ import annotations

import functools
import math
import operator as pyop

from ..ir.dims import broadcast_shape, matmul_shape, same_shape
from ..ir.expr import Expr, call, const, eye
from ..ir.operator import POSTFIX, POWER, PREFIX, PRODUCT, SUM, Code, Operator, register
from .builders import NONZERO, POSITIVE, hadamard_jacobian, linear
from .structure import commutation, kron

_BROADCAST = "NumPy broadcasting on 2-D (1×1 anywhere, 1×n over rows, n×1 over columns)"


def _broadcast(dims, shapes, attr):
    return broadcast_shape(dims, *shapes)


def _product(factors: list, combine) -> Expr:
    return functools.reduce(combine, factors)


def _partials(y: Expr, combine) -> tuple:
    """(prefixes, suffixes) of y's arguments: the products of the first i and of the last i.

    The rule of argument i of an n-ary product needs the product of all the others; built from
    shared prefixes and suffixes it costs O(n) nodes for all i together, not O(n²).
    """
    def build(node):
        # not the product of all the arguments: that is y itself, and y holding itself would be a cycle
        prefixes, suffixes = [None], [None]
        for a in node.args[:-1]:
            prefixes.append(a if prefixes[-1] is None else combine(prefixes[-1], a))
        for a in reversed(node.args[1:]):
            suffixes.append(a if suffixes[-1] is None else combine(a, suffixes[-1]))
        return prefixes, [None] + suffixes[::-1]
    return y.cached(("partials", combine), build)


def _around(y: Expr, i: int, combine):
    """(product of the arguments before i, product of those after i), None where there are none."""
    prefixes, suffixes = _partials(y, combine)
    return prefixes[i], suffixes[i + 1]


# ------------------------------------------------------------- display
# The simplifier writes a - b as a + (-1)*b and a/b as a*b^-1 (one sum, one product, whatever the
# signs); these show them as a person writes them.
def split_coefficient(e: Expr):
    """(c, rest) with e = c * rest: c leads a product, else 1; rest is None when e is the number c."""
    if e.op == "const":
        return e.value, None
    if e.op == "mul" and e.args[0].op == "const":
        rest = e.args[1:]
        return e.args[0].value, rest[0] if len(rest) == 1 else Expr("mul", rest)
    return 1.0, e


def _times(c: float, rest):
    if rest is None:
        return const(c)
    return rest if c == 1 else Expr("mul", (const(c),) + (rest.args if rest.op == "mul" else (rest,)))


def _show_sum(e: Expr, style: str):
    """a + (-2)*b shown as a - 2*b: negative terms become neg(...), which the printers write with a minus."""
    if not any(split_coefficient(t)[0] < 0 for t in e.args):
        return None
    shown = []
    for t in e.args:
        c, rest = split_coefficient(t)
        shown.append(Expr("neg", (_times(-c, rest),)) if c < 0 else t)
    return Expr("add", tuple(shown))


def _show_product(e: Expr, style: str):
    """-2*x*y^-1 shown as -(2*x/y); x/6 rather than 0.1666...*x."""
    c, rest = split_coefficient(e)
    factors = [] if rest is None else list(rest.args if rest.op == "mul" else (rest,))
    over = [f for f in factors if f.op == "pow" and f.args[1].op == "const" and f.args[1].value < 0]
    magnitude = abs(c)
    inverse = 1 / magnitude if 0 < magnitude < 1 else math.inf   # 1/1e-320 overflows to inf
    divisor = round(inverse) if math.isfinite(inverse) and inverse == round(inverse) else None
    if c > 0 and not over and divisor is None:
        return None
    top = [f for f in factors if f not in over]
    bottom = ([const(divisor)] if divisor else []) + [
        f.args[0] if f.args[1].value == -1 else Expr("pow", (f.args[0], const(-f.args[1].value))) for f in over]
    head = [] if magnitude == 1 or divisor else [const(magnitude)]
    numerator = _product_of(head + top, e.shape)
    out = numerator if not bottom else Expr("div", (numerator, _product_of(bottom, None)))
    return Expr("neg", (out,)) if c < 0 else out


def _product_of(factors: list, shape) -> Expr:
    if not factors:
        return const(1.0)
    return factors[0] if len(factors) == 1 else Expr("mul", tuple(factors))


def _show_power(e: Expr, style: str):
    """x^-1 shown as 1/x."""
    base, p = e.args
    if p.op != "const" or p.value >= 0:
        return None
    return Expr("div", (const(1.0), base if p.value == -1 else Expr("pow", (base, const(-p.value)))))


def _infix(symbol: str):
    """Code for an n-ary infix operator: a + b + c."""
    return lambda node, args: f" {symbol} ".join(args)


def _numpy_product(node: Expr, args: list) -> str:
    """a * b * c; an outer product (columns times rows, no full-size factor) as einsum, whose loop
    runs about twice as fast as broadcasting's when the rows are short (X*W1 for X n×1, W1 1×20)."""
    rows, cols = node.shape
    shapes = [a.shape for a in node.args]
    if rows == 1 or cols == 1 or any(s == node.shape for s in shapes):
        return " * ".join(args)
    column = [code for code, s in zip(args, shapes) if s[1] == 1 and s[0] != 1]
    row = [code for code, s in zip(args, shapes) if s[0] == 1 and s[1] != 1]
    numbers = [code for code, s in zip(args, shapes) if s == (1, 1)]
    if isinstance(rows, int) and isinstance(cols, int) and rows < cols:
        column = numbers + column    # scale the shorter side
    else:
        row = numbers + row
    return f"np.einsum('ij,ij->ij', {' * '.join(column)}, {' * '.join(row)})"


def _arithmetic(expr, numpy: str, torch: str) -> dict:
    """Code for + - * / ^: infix in every backend; in place with out= in numpy, and in torch with a
    tensor first (torch.sub(2.0, t) is an error)."""
    return {"numpy": Code(expr, inplace=f"np.{numpy}"),
            "torch": Code(expr, inplace=f"torch.{torch}", inplace_args=(0,)),
            "jax": Code(expr)}


# ------------------------------------------------------------------ sums
register(Operator(
    "add", "addition", "elementwise sum", arity=None, shape_rule=_broadcast, shape_doc=_BROADCAST,
    syntax="A + B", trace_form="linearity", jvp=lambda y, i, t: t, vjp=lambda y, i, G: G, vec_jacobian=lambda y, i, J: J,
    numpy=lambda B, *a: functools.reduce(pyop.add, a), precedence=SUM, elementwise=True, naming="R",
    display=_show_sum, code=_arithmetic(_infix("+"), "add", "add")))
register(Operator(
    "sub", "subtraction", "elementwise difference", arity=2, shape_rule=_broadcast, shape_doc=_BROADCAST,
    syntax="A - B", trace_form="linearity", jvp=lambda y, i, t: t if i == 0 else -t, vjp=lambda y, i, G: G if i == 0 else -G,
    vec_jacobian=lambda y, i, J: J if i == 0 else -J,
    numpy=lambda B, a, b: a - b, precedence=SUM, elementwise=True, naming="R",
    code=_arithmetic("{0} - {1}", "subtract", "sub")))
linear("neg", "negation", "negation", shape_rule=lambda dims, shapes, attr: same_shape(dims, *shapes),
       syntax="-A", trace_form="linearity", transpose=lambda y, i, G: -G, vec_jacobian=lambda y, i, J: -J,
       numpy=lambda B, a: -a, precedence=PREFIX, elementwise=True, code=_arithmetic("-{0}", "negative", "neg"))


# -------------------------------------------------------------- products
def _mul_factor(y: Expr, i: int) -> Expr:
    before, after = _around(y, i, pyop.mul)
    return before if after is None else after if before is None else before * after


register(Operator(
    "mul", "elementwise product", "elementwise (Hadamard) product; a scalar factor scales", arity=None,
    shape_rule=_broadcast, shape_doc=_BROADCAST, syntax="A * B", linear=True,
    jvp=lambda y, i, t: _mul_factor(y, i) * t,
    vjp=lambda y, i, G: G * _mul_factor(y, i),
    vec_jacobian=lambda y, i, J: hadamard_jacobian(_mul_factor(y, i), y.shape, J),
    numpy=lambda B, *a: functools.reduce(pyop.mul, a), precedence=PRODUCT, elementwise=True,
    display=_show_product, code=dict(_arithmetic(_infix("*"), "multiply", "mul"),
                                     numpy=Code(_numpy_product, inplace="np.multiply"))))

register(Operator(
    "div", "elementwise quotient", "elementwise quotient", arity=2, shape_rule=_broadcast, shape_doc=_BROADCAST,
    syntax="A / B",
    jvp=lambda y, i, t: t / y.args[1] if i == 0 else -(y * t / y.args[1]),
    vjp=lambda y, i, G: G / y.args[1] if i == 0 else -(G * y / y.args[1]),
    vec_jacobian=lambda y, i, J: hadamard_jacobian(1 / y.args[1] if i == 0 else -(y / y.args[1]), y.shape, J),
    numpy=lambda B, a, b: a / b, domain=(None, NONZERO), precedence=PRODUCT, elementwise=True,
    code=_arithmetic("{0} / {1}", "divide", "div")))


def _pow_shape(dims, shapes, attr):
    base, p = shapes
    dims.equal(p[0], 1, "the exponent must be a scalar")
    dims.equal(p[1], 1, "the exponent must be a scalar")
    return base


def _power_factor(y: Expr, i: int) -> Expr:
    a, p = y.args
    return p * a ** (p - 1) if i == 0 else y * call("log", a)


def _pow_domain(y: Expr) -> tuple:
    p = y.args[1]
    integer = p.is_const and float(p.value).is_integer()
    return () if integer else (POSITIVE, None)


register(Operator(
    "pow", "elementwise power", "elementwise power with a scalar exponent (never a matrix power)", arity=2,
    shape_rule=_pow_shape, shape_doc="A's shape; p is 1×1", syntax="A ^ p, A ** p",
    jvp=lambda y, i, t: _power_factor(y, i) * t,
    vjp=lambda y, i, G: G * _power_factor(y, i),
    numpy=lambda B, a, p: a ** p, domain=_pow_domain, precedence=POWER, elementwise=True, display=_show_power, code=_arithmetic("{0} ** {1}", "power", "pow")))


# ------------------------------------------------------- matrix products
def _chain(factors: list) -> Expr:
    return _product(factors, pyop.matmul)


def _matmul_vjp(y: Expr, i: int, G: Expr) -> Expr:
    # tr(G' P dA S) = tr((P' G S')' dA): the products before and after A, transposed
    before, after = _around(y, i, pyop.matmul)
    return _chain(([before.T] if before is not None else []) + [G] + ([after.T] if after is not None else []))


def _matmul_jvp(y: Expr, i: int, t: Expr) -> Expr:
    before, after = _around(y, i, pyop.matmul)
    return _chain(([before] if before is not None else []) + [t] + ([after] if after is not None else []))


def _matmul_vec_jacobian(y: Expr, i: int, J: Expr) -> Expr:
    """vec(P dA S) = (Sᵀ ⊗ P) vec(dA), P and S the factors before and after argument i (or I)."""
    a = y.args[i]
    before, after = _around(y, i, pyop.matmul)
    before = before if before is not None else eye(a.shape[0])
    after = after if after is not None else eye(a.shape[1])
    return kron(after.T, before) @ J


def _chain_code(multi_dot: str):
    """A @ B; a longer chain is multi_dot, which picks the cheapest order at run time (matcalc.codegen
    orders chains of known sizes itself and hands over binary products)."""
    def code(node, args):
        return " @ ".join(args) if len(args) == 2 else f"{multi_dot}([{', '.join(args)}])"
    return code


# Below this size (of the result or of the inner dimension) a symmetric product is computed whole:
# the bands' overhead outweighs the multiplications saved.
SYMMETRIC_MIN = 128
_SYMMETRIC_MATMUL = """\
def _symmetric_matmul(a, b):
    \"\"\"a @ b for a product known to be symmetric (X'@(d*X)): the row bands on and right of the
    diagonal, then their mirror image below it, about half the multiplications.\"\"\"
    n, k = a.shape
    if n < {least} or k < {least}:
        return a @ b
    step = 64 if n <= 1024 else 128
    out = {empty}
    for i in range(0, n, step):
        {matmul}(a[i:i + step], b[:, i:], out=out[i:i + step, i:])
    for i in range(step, n, step):
        out[i:, i - step:i] = out[i - step:i, i:].T
    return out
"""


def _symmetric_code(empty: str, matmul: str) -> Code:
    return Code("_symmetric_matmul", fresh=True,
                helper=_SYMMETRIC_MATMUL.format(least=SYMMETRIC_MIN, empty=empty, matmul=matmul))


register(Operator(
    "matmul", "matrix product", "matrix product", arity=None,
    shape_rule=lambda dims, shapes, attr: matmul_shape(dims, *shapes), shape_doc="m×k @ k×n → m×n",
    syntax="A @ B", linear=True, trace_form="cyclic", jvp=_matmul_jvp, vjp=_matmul_vjp,
    vec_jacobian=_matmul_vec_jacobian, numpy=lambda B, *a: functools.reduce(pyop.matmul, a), precedence=PRODUCT,
    naming="Z", code={"numpy": Code(_chain_code("np.linalg.multi_dot"), fresh=True, symmetric=_symmetric_code(
                          "np.empty((n, n), dtype=np.result_type(a, b))", "np.matmul")),
                      "torch": Code(_chain_code("torch.linalg.multi_dot"), fresh=True, symmetric=_symmetric_code(
                          "torch.empty((n, n), dtype=a.dtype, device=a.device)", "torch.mm")),
                      "jax": Code(_chain_code("jnp.linalg.multi_dot"))}))
linear("transpose", "transpose", "transpose", shape_rule=lambda dims, shapes, attr: shapes[0][::-1],
       shape_doc="m×n → n×m", syntax="A', A.T", trace_form="transpose invariance", transpose=lambda y, i, G: G.T,
       vec_jacobian=lambda y, i, J: commutation(*y.args[0].shape) @ J, numpy=lambda B, a: a.T, precedence=POSTFIX, code={backend: Code("{0}.T") for backend in ("numpy", "torch", "jax")})
