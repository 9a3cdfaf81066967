"""Statements of generated code for one backend, each operator written by its record's Code.

Every named node of the Plan is one statement.  In NumPy and torch an elementwise chain is
computed in place: the emitter picks a carrier among the arguments (a named buffer that dies
here, or an inline computation that makes a new array) and applies each remaining operation to
it with out=, so `2*(R@W2')*H*(1 - H)` allocates one array, not four.  torch also gets the fused
kernels autograd uses: addmm (C + A@B), addcmul (C + u*v); NumPy and torch a record's backward
kernel for G*f'(a) (torch's sigmoid_backward, a blocked NumPy helper, for G*H*(1 - H)).  JAX code is plain expressions: jit fuses them.

>>> from matcalc import ops
>>> from matcalc.ir.expr import var, call
>>> X, W = var("X", (5, 3)), var("W", (3, 2))
>>> H = call("exp", X @ W)
>>> print("\\n".join(Emitter("numpy", [H * H], {X: "X", W: "W"}).statements()[0]))
H = X @ W
np.exp(H, out=H)
G = H * H
"""
from __future__ import annotations

import ast

from ..ir.dims import dim_factors
from ..ir.expr import Expr, const, replace, var
from ..ir.operator import REGISTRY, Code
from ..ops.arithmetic import SYMMETRIC_MIN
from ..simplify import simplify
from .lower import displayed
from .schedule import NUMBERS, Plan

__all__ = ["Emitter", "tidy", "number", "atom"]

IN_PLACE = {"numpy": True, "torch": True, "jax": False}
BACKENDS = tuple(IN_PLACE)


def tidy(statement: str) -> str:
    """The statement with only the parentheses Python needs (the emitter wraps every argument)."""
    return ast.unparse(ast.parse(statement))


def number(value: float) -> str:
    """A Python literal for a constant."""
    v = float(value)
    if v != v:
        return "float('nan')"
    if v in (float("inf"), float("-inf")):
        return f"float('{'-' if v < 0 else ''}inf')"
    return repr(v)


def _atomic(source: str) -> bool:
    node = ast.parse(source, mode="eval").body
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, (int, float)) or node.value >= 0
    return isinstance(node, (ast.Name, ast.Call, ast.Attribute, ast.Subscript))


def atom(source: str) -> str:
    return source if _atomic(source) else f"({source})"


def _halves_pay(product: Expr) -> bool:
    """A binary product whose result and inner dimension are not known to be small."""
    if len(product.args) != 2:
        return False
    sizes = (product.shape[0], product.args[0].shape[1])
    return not any(isinstance(d, int) and d < SYMMETRIC_MIN for d in sizes)


class Emitter:
    """Statements computing the roots, given names for the variables (and symbolic dimensions).

    names: node -> variable name for the inputs (and any node the caller names); more names are
    chosen for intermediates (`intermediate_names`, else by family) and temporaries.
    symmetric: products known to be symmetric (lower's `symmetric`), written by their record's
    symmetric Code where it has one and the sizes are not known to be too small for it to pay.
    """

    def __init__(self, backend: str, roots: list, names: dict, dims: dict | None = None,
                 intermediate_names: dict | None = None, taken=(), symmetric=frozenset()):
        if backend not in IN_PLACE:
            raise ValueError(f"backend is one of {', '.join(BACKENDS)}, not {backend!r}")
        self.backend = backend
        self.symmetric = symmetric
        self.in_place = IN_PLACE[backend]
        self.plan = Plan(roots, fresh=self.fresh)
        self.dims = dims or {}
        self.names = dict(names)
        self.taken = set(taken) | set(self.names.values()) | set(self.dims.values())
        self.helpers: dict = {}
        self.lines: list = []
        self._backward_factors: dict | None = None
        for node in self.plan.order:
            if node not in self.names:
                wanted = (intermediate_names or {}).get(node)
                self.names[node] = self.fresh_name(wanted or _family(node))

    # ------------------------------------------------------------------ names
    def fresh_name(self, stem: str) -> str:
        if stem not in self.taken:
            self.taken.add(stem)
            return stem
        k = 1
        while f"{stem}{k}" in self.taken:
            k += 1
        self.taken.add(f"{stem}{k}")
        return f"{stem}{k}"

    def code(self, node: Expr) -> Code:
        record = REGISTRY[node.op]
        try:
            code = record.code[self.backend]
        except KeyError:
            raise NotImplementedError(f"operator `{node.op}` has no {self.backend} code") from None
        if code.symmetric is not None and node in self.symmetric and _halves_pay(node):
            return code.symmetric
        return code

    def fresh(self, node: Expr) -> bool:
        record = REGISTRY[node.op]
        return record.elementwise or (self.backend in record.code and record.code[self.backend].fresh)

    # ------------------------------------------------------------ expressions
    def expr(self, node: Expr) -> str:
        """The inline code of node (its name if it has one)."""
        if node in self.names:
            return self.names[node]
        code = self.code(node)
        if node.op == "const":
            return code.call([], node, value=number(node.value))
        if node.op == "dim":
            return code.call([], node, value=self.dim(node.attr))
        if REGISTRY[node.op].leaf:
            self._helper(code)
            rows, cols = node.attr if len(node.attr) == 2 else (node.attr[0], node.attr[0])
            return code.call([], node, rows=self.dim(rows), cols=self.dim(cols))
        self._helper(code)
        sizes = {}
        if REGISTRY[node.op].dim_args == 2:      # unvec(v, m, n): the sizes it takes, as code
            sizes = {"rows": self.dim(node.attr[0]), "cols": self.dim(node.attr[1])}
        return code.call([atom(self._argument(a, node)) for a in node.args], node, **sizes)

    def _argument(self, a: Expr, parent: Expr) -> str:
        """An argument's code; an elementwise chain under a product or reduction is computed first,
        in place, into a buffer of its own (X.T @ (G*H*(1 - H)) makes one array, not three)."""
        if self.in_place and not REGISTRY[parent.op].elementwise and a not in self.names \
                and self._in_place_worthy(a):
            return self.into(a, self.fresh_name("tmp"))
        return self.expr(a)

    def dim(self, d) -> str:
        """A dimension's code: a number, a name read off the inputs, or a product of those."""
        if isinstance(d, int):
            return str(d)
        if d in self.dims:
            return self.dims[d]
        coef, names = dim_factors(d)
        return "(" + " * ".join(([str(coef)] if coef != 1 else []) + [self.dims[n] for n in names]) + ")"

    def _helper(self, code: Code) -> None:
        if code.helper:
            self.helpers.setdefault(code.helper, None)

    # ------------------------------------------------------------- statements
    def statements(self) -> tuple:
        """(lines, helpers): the statements for every named node, and the helper definitions used."""
        for position, node in enumerate(self.plan.order):
            self.position, self.statement = position, node
            name = self.names[node]
            if self.in_place and self._in_place_worthy(node):
                self.into(node, name)
            else:
                self.emit(f"{name} = {self.expr_of_statement(node)}")
        return self.lines, list(self.helpers)

    def expr_of_statement(self, node: Expr) -> str:
        saved = self.names.pop(node)      # its own definition is its expression, not its name
        try:
            return self.expr(node)
        finally:
            self.names[node] = saved

    def emit(self, line: str) -> None:
        self.lines.append(tidy(line))

    def _in_place_worthy(self, node: Expr) -> bool:
        record = REGISTRY.get(node.op)
        return (record is not None and record.elementwise and not record.leaf and node.shape != (1, 1)
                and node.op not in NUMBERS)

    # ------------------------------------------------------- in-place groups
    def _operands(self, node: Expr) -> list:
        """The arguments of an n-ary elementwise node, through inline nodes of the same operator."""
        record = REGISTRY[node.op]
        if record.arity is not None:
            return list(node.args)
        out = []
        for a in node.args:
            if a.op == node.op and a not in self.names:
                out += self._operands(a)
            else:
                out.append(a)
        return out

    def into(self, node: Expr, dest: str) -> str:
        """Emit statements leaving node's value in a buffer this statement owns, named dest
        unless a dead buffer was reused (then that one's name); returns the buffer's name."""
        for fused in (self._backward_kernel, self._fused_add):
            got = fused(node, dest)
            if got:
                return got
        code = self.code(node)
        self._helper(code)
        if not code.inplace:
            self.emit(f"{dest} = {self.expr_of(node)}")
            return dest
        args = self._operands(node)
        if REGISTRY[node.op].arity is None:
            return self._fold(node, args, dest)
        positions = code.inplace_args if code.inplace_args is not None else range(len(args))
        carrier = self._carrier(node, [(i, args[i]) for i in positions])
        if carrier is None:
            self.emit(f"{dest} = {code.call([atom(self.source(a, node)) for a in args], node)}")
            return dest
        i, buf = carrier[0], self._carry(carrier[1], dest)
        sources = [buf if k == i else self.source(a, node) for k, a in enumerate(args)]
        return self._write(code.call_into(buf, sources), buf, dest)

    def expr_of(self, node: Expr) -> str:
        return self.expr_of_statement(node) if node is self.statement else self.expr(node)

    def _write(self, call: str, buf: str, dest: str) -> str:
        self.emit(call if buf == dest else f"{dest} = {call}")
        return dest

    def _carrier(self, node: Expr, candidates: list):
        """(position, argument) to compute in place: a dead named buffer first, else an inline
        computation that makes a new array of node's shape; None if there is neither."""
        full = [(i, a) for i, a in candidates if a.shape == node.shape]
        for i, a in full:
            if a in self.names and self.plan.dead_after(a, self.statement, self.position):
                return i, a
        for i, a in full:
            if a not in self.names and self.fresh(a) and (not REGISTRY[a.op].leaf or a.shape != (1, 1)):
                return i, a
        return None

    def _carry(self, a: Expr, dest: str) -> str:
        """The carrier's buffer: a dead named one as it is, an inline one computed into dest."""
        if a in self.names:
            return self.names[a]
        if self._in_place_worthy(a):
            return self.into(a, dest)
        self.emit(f"{dest} = {self.expr(a)}")
        return dest

    def source(self, a: Expr, parent: Expr) -> str:
        """Code for a non-carrier argument: a full-size inline chain gets its own buffer."""
        if a not in self.names and a.shape == parent.shape and self._in_place_worthy(a):
            return self.into(a, self.fresh_name("tmp"))
        return self.expr(a)

    def _fold(self, node: Expr, args: list, dest: str) -> str:
        """An n-ary sum or product: the small (broadcast) operands combined first, then folded
        into a full-size buffer one by one, in place."""
        code = self.code(node)
        small = [a for a in args if a.shape != node.shape]
        full = [a for a in args if a.shape == node.shape]
        carrier = self._carrier(node, list(enumerate(full)))
        if carrier is None and not full:
            return self._assign_call(node, dest, args)      # only broadcast operands: one allocation
        operands = [Expr(node.op, tuple(small), node.attr)] if len(small) > 1 else small
        if carrier is not None:
            full.pop(carrier[0])
            buf = self._carry(carrier[1], dest)
            operands += full
        else:
            operands += full
            buf = self._assign_call(node, dest, operands[:2])
            operands = operands[2:]
        for k, a in enumerate(operands):
            call = code.call_into(buf, [buf, self.source(a, node)])
            if k == len(operands) - 1:
                return self._write(call, buf, dest)
            self.emit(call)
        if buf != dest:
            self.emit(f"{dest} = {buf}")
        return dest

    def _assign_call(self, node: Expr, dest: str, operands: list) -> str:
        code = self.code(node)
        self._helper(code)
        part = Expr(node.op, tuple(operands), node.attr)     # the code may read its operands' shapes
        self.emit(f"{dest} = {code.call([atom(self.source(a, node)) for a in operands], part)}")
        return dest

    # ------------------------------------------------------------ torch kernels
    def _fused_add(self, node: Expr, dest: str):
        """torch: C + A@B as addmm, C + u*v as addcmul (in C's buffer when C dies here)."""
        if self.backend != "torch" or node.op != "add":
            return None
        args = self._operands(node)
        for k, a in enumerate(args):
            if a in self.names or len(a.args) != 2 or a.shape != node.shape:
                continue
            method = {"matmul": "addmm", "mul": "addcmul"}.get(a.op)
            others = args[:k] + args[k + 1:]
            c = others[0] if len(others) == 1 else Expr("add", tuple(others))
            if method is None or c.op in NUMBERS or any(x.op in NUMBERS for x in a.args):
                continue    # addmm and addcmul take tensors, not numbers
            u, v = (atom(self.expr(x)) for x in a.args)
            if c in self.names and c.shape == node.shape and self.plan.dead_after(c, self.statement, self.position):
                buf = self.names[c]
                return self._write(f"{buf}.{method}_({u}, {v})", buf, dest)
            self.emit(f"{dest} = torch.{method}({atom(self.source(c, node))}, {u}, {v})")
            return dest
        return None

    def _backward_kernel(self, node: Expr, dest: str):
        """G*f'(a) by f's own backward kernel, when f's record has one for the backend (sigmoid, tanh)."""
        if node.op != "mul" or not self.in_place:
            return None
        factors = self._operands(node)
        for y, (kernel, needed) in self._backward_table().items():
            rest = list(factors)
            try:
                for f in needed:
                    rest.remove(f)
            except ValueError:
                continue
            if not rest:
                continue
            g = rest[0] if len(rest) == 1 else Expr("mul", tuple(rest))
            if g.shape != node.shape or y.shape != node.shape:
                continue    # a broadcast y: f'(y) at y's size, then one product, costs less
            self._helper(kernel)
            carrier = self._carrier(node, [(0, g)])
            if carrier is None:
                self.emit(f"{dest} = {kernel.backward}({atom(self.expr(g))}, {self.expr(y)})")
                return dest
            buf = self._carry(g, dest)
            return self._write(kernel.backward_into.format(G=buf, y=self.expr(y)), buf, dest)
        return None

    def _backward_table(self) -> dict:
        """y -> (kernel, the factors of f'(a) in y's simplified form) for each y = f(a) with a kernel."""
        if self._backward_factors is None:
            table = {}
            for y in self.plan.nodes:
                record = REGISTRY[y.op]
                kernel = record.code.get(self.backend)
                if kernel is not None and kernel.backward and y in self.names:
                    # f'(a) in y, derived on a stand-in argument: simplifying y's own argument could
                    # undo what lowering did to it (X*W1 back to X@W1), and then nothing would match
                    stand_in = Expr(y.op, (var("a", y.args[0].shape),), y.attr)
                    factor = displayed([simplify(record.vjp(stand_in, 0, const(1.0)))])[0]
                    factor = replace(factor, {stand_in: y})
                    table[y] = (kernel, factor.args if factor.op == "mul" else (factor,))
            self._backward_factors = table
        return self._backward_factors


def _family(node: Expr) -> str:
    record = REGISTRY.get(node.op)
    return (record.naming if record is not None else "") or "G"
