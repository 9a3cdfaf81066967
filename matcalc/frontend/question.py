"""What a derivative asks: f typed, its variables, and notes on every shape a default chose.

The caller's declarations are checked first: a declared, symmetric or assumed name that f does not use
is an error with the nearest name (case does not count: `w` → `W`).  Then the shapes the expression
leaves free are settled by one policy, for `derive`:

1. f is 1×1 by itself (norm(X@W - Y)^2): the gradient; nothing is pinned.
2. Otherwise f is taken as a scalar by setting its free dimensions to 1, when that makes no variable
   a row and no variable of differentiation 1×1: x'@A@x (x a column), lam*norm(W)^2 (lam 1×1).
3. Otherwise each undeclared variable of differentiation is taken as a column, when that makes f a
   vector: f is vector-valued and the derivative is its Jacobian (x*sigmoid(x), softmax(x'), A@x).
4. Otherwise f stays a matrix, its dimensions symbolic (A@X@B): the derivative is the Jacobian of vec(f)
   by vec(X) (kron(B', A)), and a note says so.

`hessian` and `hvp` need a scalar f: they take step 2 where it makes no variable a row (a variable of
differentiation may become 1×1: the Hessian of x^2), and otherwise say that f is not a scalar.
Each dimension a default pinned gets a note, and likely slips a warning with the intended form:

>>> q = prepare("x*sigmoid(x)", ["x"], {})
>>> q.shapes["x"], q.notes
(('n', 1), ['note: x taken as a column vector (n×1), so f is n×1 and its derivative is the Jacobian; \
declare --shape x=scalar for a scalar'])
>>> prepare("x^T@A@x", ["x"], {}).notes[-1]
"warning: `x^T` raises x to the power of a variable T; the transpose is x' (or x.T)"
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import ShapeError, UnknownNameError, UsageError, did_you_mean
from ..ir.dims import SCALAR, show_shape
from ..ir.expr import Expr, var
from ..ir.operator import function_names, lookup_function
from .infer import DimVar, _postorder, normalize_shape, typecheck, unknown_variable
from .parse import Syntax, parse

__all__ = ["Question", "prepare", "check_name", "COUNT_NAMES"]

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
COUNT_NAMES = ("n", "m", "N", "M")   # names that usually count rows: `sum(X)/n`


@dataclass
class Question:
    """The typed f, the variables of differentiation as nodes, every shape, and the notes."""
    f: Expr
    variables: dict
    shapes: dict
    notes: list = field(default_factory=list)


def check_name(name, what: str) -> str:
    """name if it is a name of the language that is not a function's, else an error saying what it is."""
    if not isinstance(name, str):
        raise UsageError(f"{what} is a name (a str), not {type(name).__name__}")
    if not NAME.match(name):
        raise UsageError(f"{what} {name!r} is not a name: a letter or _ then letters, digits or _")
    if lookup_function(name) is not None:
        raise UnknownNameError(f"unknown variable `{name}`: {what} cannot be `{name}`, a function of the language")
    return name


def _names(values, what: str) -> tuple:
    """A name or a list of names, checked."""
    if isinstance(values, str):
        values = [values]
    try:
        values = list(values)
    except TypeError:
        raise UsageError(f"{what} is a name or a list of names, not {type(values).__name__}") from None
    return tuple(check_name(v, what) for v in values)


def declared_shapes(shapes) -> dict:
    """The caller's shapes, each checked and normalized to two dimensions."""
    if shapes is None:
        return {}
    if not isinstance(shapes, Mapping):
        raise UsageError(f"shapes is a dict of name -> shape, not {type(shapes).__name__}")
    out = {check_name(name, "a shape's name"): normalize_shape(name, shape) for name, shape in shapes.items()}
    dimension_of = {d: other for other, shape in out.items() for d in shape if isinstance(d, str)}
    for name in out:
        if name in dimension_of:
            user = dimension_of[name]
            raise ShapeError(f"`{name}` is declared both as a variable and as a dimension of {user} "
                             f"({user}: {show_shape(out[user])}); use another name for one of them")
    return out


def _variables_of(root: Syntax) -> list:
    """Variable names as written in f, in order of first appearance."""
    seen = {}
    for node in _postorder(root):
        if node.op == "var":
            seen.setdefault(node.attr, None)
    return list(seen)


def _known(name: str, known, what: str) -> None:
    if name not in known:
        raise UnknownNameError(f"{what} `{name}` does not occur in f{did_you_mean(name, known)}")


def prepare(f: str, wrts, shapes, *, kind: str = "derive", symmetric=(), assumed=(), extra=()) -> Question:
    """The question `kind` ("derive", "hessian" or "hvp") asks of f about the variables wrts.

    symmetric and assumed are names the caller said something about, and must occur in f; extra are
    names allowed in shapes besides f's (an hvp's direction).  A shape declared for a name f does not
    use is ignored (one dict of shapes may serve several functions), unless it differs from a name of f
    only in case (`w1` for `W1`, with W1 undeclared): that is a slip, and an error.  The CLI is stricter: every --shape
    must name a variable of f.
    """
    wrts = _names(wrts, "a variable to differentiate by")
    declared = declared_shapes(shapes)
    root = parse(f)
    written = _variables_of(root)
    known = set(written) | set(wrts)
    for name in declared:
        if name not in extra and name not in known and any(k.lower() == name.lower() and k not in declared
                                                           for k in known):
            _known(name, known, "the declared shape of")
    for name in _names(symmetric, "a symmetric variable"):
        _known(name, written, "the symmetric variable")
    for name in assumed:
        _known(name, written, "the assumption's variable")
    for name in wrts:
        if name not in written and name not in declared:
            raise unknown_variable(name, written)
    notes: list = []
    decide = _Decide(wrts, declared, kind, notes)
    in_f = set(written)
    typed, found = typecheck(root, {k: v for k, v in declared.items() if k in in_f}, decide=decide,
                             squares=tuple(_names(symmetric, "")))
    for name in wrts:
        found.setdefault(name, declared.get(name))
    notes += slips(root, found, declared, wrts)
    return Question(typed, {name: var(name, found[name]) for name in wrts}, found, notes)


class _Decide:
    """The policy of the module docstring, run by inference once every constraint is in."""

    def __init__(self, wrts, declared, kind, notes):
        self.wrts, self.declared, self.kind, self.notes = wrts, declared, kind, notes

    def __call__(self, inf, out, root) -> None:
        if not inf.free(out) and tuple(inf.u.resolve(d) for d in out) == SCALAR:
            return
        before = inf.shapes_now()
        saved = dict(inf.u.parent)
        if self.kind != "derive":   # hessian, hvp: f must be a scalar; where it cannot be, api says so
            if self._try(inf, lambda: inf.pin(inf.free(out), root, "")) and self._natural(inf, before, False):
                self._note_pins(inf, before, "so that f is scalar")
            else:
                inf.u.parent = saved
            return
        if self._try(inf, lambda: inf.pin(out, root, "")) and self._natural(inf, before):
            self._note_pins(inf, before, "so that f is scalar")
            return
        inf.u.parent = dict(saved)
        columns = [w for w in self.wrts if w in inf.found and w not in self.declared
                   and isinstance(inf.u.resolve(inf.found[w][1]), DimVar)]
        if columns and self._try(inf, lambda: [inf.u.equal(inf.found[w][1], 1, "") for w in columns]) \
                and 1 in (inf.u.resolve(d) for d in out):
            for w in columns:
                shown = inf.show(inf.found[w])
                rows = inf.u.resolve(inf.found[w][0])
                other = ("declare --shape {w}=scalar for a scalar" if rows == 1 or isinstance(rows, DimVar)
                         else f"declare --shape {w}={inf.show((rows,))},k for a matrix")
                self.notes.append(f"note: {w} taken as a column vector ({shown}), so f is {inf.show(out)} and "
                                  f"its derivative is the Jacobian; {other.format(w=w)}")
            return
        inf.u.parent = saved   # f stays a matrix: its derivative is the vec Jacobian
        wrts = ", ".join(self.wrts)
        if inf.free(out) and 1 not in (inf.u.resolve(d) for d in out):
            self.notes.append(f"note: f is {inf.show(out)}, a matrix, so its derivative by {wrts} is the Jacobian "
                              f"of vec(f) (docs/kronecker.md); differentiate a scalar such as sum(f), tr(f) or "
                              f"norm(f)^2 for a gradient")

    @staticmethod
    def _try(inf, pin) -> bool:
        try:
            pin()
            return True
        except Exception:   # ShapeError or ShapeClash: this reading does not fit
            return False

    def _natural(self, inf, before, vector_wrt: bool = True) -> bool:
        """No variable became a row, and (vector_wrt) no variable of differentiation became 1×1."""
        for name, after in inf.shapes_now().items():
            old = before[name]
            if vector_wrt and name in self.wrts and after == SCALAR and old != SCALAR:
                return False
            if after[0] == 1 and isinstance(old[0], DimVar) and after[1] != 1:
                return False
        return True

    def _note_pins(self, inf, before, why: str) -> None:
        for name, after in inf.shapes_now().items():
            if name in self.declared or after == before[name] \
                    or (after == SCALAR and name in COUNT_NAMES and name not in self.wrts):   # slips() says more
                continue
            if after == SCALAR:
                self.notes.append(f"note: {name} taken as 1×1 {why}; declare --shape {name}=n for a vector")
            else:
                rows = inf.show((after[0],))
                self.notes.append(f"note: {name} taken as a column vector ({inf.show(after)}) {why}; "
                                  f"declare --shape {name}={rows},k for a matrix")


def slips(root: Syntax, found: dict, declared: dict, wrts) -> list:
    """Warnings for what is legal but likely not meant (x^T, A^-1), and notes on a dimension used as a value
    and on a count-like name (n) that is a variable."""
    out = []
    for node in _postorder(root):
        if node.op != "pow":
            continue
        base, power = node.args
        text = node.text[node.start:node.end]
        if power.op == "var" and power.attr == "T" and "T" not in declared:
            out.append(f"warning: `{text}` raises {_quote(base)} to the power of a variable T; "
                       f"the transpose is {_quote(base, postfix=True)}' (or {_quote(base, postfix=True)}.T)")
        elif _is_minus_one(power) and _shape_of(base, found) != SCALAR:
            out.append(f"warning: `{text}` is the entrywise reciprocal 1/{_quote(base, postfix=True)}; "
                       f"the matrix inverse is inv({_quote(base)})")
    dimensions = {d: v for v, shape in declared.items() for d in shape if isinstance(d, str)}
    for name in dict.fromkeys(n.attr for n in _postorder(root) if n.op == "var" and n.attr in dimensions):
        owner = dimensions[name]
        out.append(f"note: `{name}` is a dimension ({owner} is {show_shape(declared[owner])}), used here as "
                   f"its size, a number; declare another name for a scalar variable")
    for name in COUNT_NAMES:
        if name in found and name not in declared and name not in wrts:
            matrix = next((v for v, s in found.items() if v != name and 1 not in s and v not in declared), "X")
            shown = show_shape(found[name])
            kind = "a scalar variable" if found[name] == SCALAR else f"a {shown} variable"
            out.append(f"note: {name} is {kind} here, not a count; to use the number of rows of {matrix}, "
                       f"declare it as a dimension: --shape {matrix}={name},d")
    return out


def _is_minus_one(e: Syntax) -> bool:
    if e.op == "const":
        return e.attr == -1
    return e.op == "neg" and e.args[0].op == "const" and e.args[0].attr == 1


def _shape_of(e: Syntax, found: dict):
    if e.op == "var":
        return found.get(e.attr, SCALAR)
    if e.op == "const":
        return SCALAR
    return None   # a compound base: warn, its shape is not at hand here


def _quote(e: Syntax, postfix: bool = False) -> str:
    text = e.text[e.start:e.end]
    simple = e.op in ("var", "const", "call") or lookup_function(e.op) is not None and e.op in function_names()
    return text if simple or not postfix else f"({text})"
