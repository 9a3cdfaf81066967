"""The public entry points: derive, hessian, hvp.

>>> d = derive("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
>>> str(d)
"2*X'@(X@W - Y)"
"""
from __future__ import annotations

import re

from .diff import differential, gradient, gradients, jacobian
from .errors import UnsupportedError, UsageError
from .frontend import prepare as _prepare
from .frontend import unknown_variable
from .frontend.question import check_name
from .ir.dims import dim_product, show_shape
from .ir.expr import Expr, deep, eye, ones, replace, var, walk
from .ir.limits import stage
from .ops.structure import commutation
from .printing import intermediates
from .result import Derivative
from .simplify import assume_symmetric, simplify

__all__ = ["derive", "hessian", "hvp", "Derivative", "ROWSUM_FACT"]


def _name(typed: Expr, results: list, found: dict) -> list:
    # the results are in normal form: so is the f their names are looked up in (R = X@W - Y in both)
    with stage("naming intermediates"):
        return intermediates(results, forward=simplify(typed), taken=found)


@deep
def derive(f: str, wrt, shapes: dict | None = None, *, symmetric=(), assume=(),
           layout: str = "numerator") -> Derivative | list[Derivative]:
    """df/dwrt in closed form: the gradient for scalar f (wrt's shape), else the Jacobian
    ∂vec(f)/∂vec(wrt)ᵀ, size(f) × size(wrt), vec stacking columns (docs/kronecker.md).

    wrt: a variable's name, or a list of names: then a list of Derivatives from one shared
    derivation (one reverse sweep for a scalar f; the same names for the same intermediates).
    shapes: name -> () scalar, (n,) column vector, (m, n) matrix; dimensions may be
    names; what is not declared is inferred.
    symmetric: names of symmetric matrix variables; the gradient of a symmetric one
    is taken on the space of symmetric matrices, sym(G) = (G + G')/2.
    assume: facts such as "rowsum(Y)=1" (rows of Y sum to one: one-hot labels).
    layout: "numerator" (J_ij = df_i/dx_j, default) or "denominator" (its transpose).

    >>> [d.symbol() for d in derive("norm(X@W - Y)^2", ["W", "X"])]
    ['df/dW', 'df/dX']
    """
    if layout not in ("numerator", "denominator"):
        raise UnsupportedError(f"layout is 'numerator' or 'denominator', not {layout!r}")
    names = _variable_names(wrt)
    with stage("parsing and shape inference"):
        q = _prepare(f, names, shapes, kind="derive", symmetric=symmetric, assumed=_assumed_names(assume))
    typed, found = q.f, q.shapes
    xs = [q.variables[name] for name in names]
    if typed.shape == (1, 1):
        with stage("differentiation"):
            results, kind = gradients(typed, xs), "gradient"
    else:
        with stage("differentiation"):
            simple_f = simplify(typed)
            results, kind = {x: jacobian(simple_f, x, tidy=simplify) for x in xs}, "jacobian"
        if layout == "denominator":
            results = {x: J.T for x, J in results.items()}
    sym = _symmetric_variables(symmetric, found)
    with assume_symmetric(s.attr for s in sym), stage("simplification"):
        out = []
        for x in xs:
            result = simplify(results[x])
            if x in sym and kind == "gradient":   # on symmetric matrices: sym(G), not the Cookbook's 2G - diag(G)
                result = simplify((result + result.T) / 2)
            elif x in sym:   # the same for a Jacobian: through S = (A + A')/2, vec(dS) = (I + K) vec(dA)/2
                n = x.shape[0]
                symmetrize = (eye(dim_product(n, n)) + commutation(n, n)) / 2
                result = simplify(result @ symmetrize if layout == "numerator" else symmetrize @ result)
            out.append(_apply_facts(result, assume, found))
    derivatives = _shared_names(typed, names, out, kind, found, notes=q.notes)
    return derivatives if not isinstance(wrt, str) else derivatives[0]


def _variable_names(wrt) -> list:
    names = [wrt] if isinstance(wrt, str) else list(wrt) if isinstance(wrt, (list, tuple)) else None
    if not names or not all(isinstance(n, str) for n in names):
        raise UnsupportedError(f"wrt is a variable's name or a non-empty list of names, not {wrt!r:.60}")
    if len(set(names)) < len(names):
        raise UnsupportedError(f"a variable is named twice in {names}")
    return names


def _symmetric_variables(symmetric, found: dict) -> list:
    sym = [var(name, found[name]) for name in symmetric if name in found]
    for s in sym:
        if s.shape[0] != s.shape[1]:
            raise UnsupportedError(f"{s.attr} is {show_shape(s.shape)}: only a square matrix can be symmetric")
    return sym


def _shared_names(typed: Expr, names: list, results: list, kind: str, found: dict, direction=None,
                  notes=()) -> list:
    """A Derivative per variable, intermediates named across all the results (H is the same H in each),
    each keeping the names its own result uses."""
    shared = _name(typed, results, found)
    out = []
    for name, result in zip(names, results):
        inside = set(walk(result)) if len(results) > 1 else {e for _, e in shared}   # one result uses them all
        out.append(Derivative(typed, name, result, kind, found, direction,
                              names=[(n, e) for n, e in shared if e in inside], notes=tuple(notes)))
    return out


ROWSUM_FACT = re.compile(r"\s*rowsum\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*=\s*1\s*$")


def _assumed_names(assume) -> list:
    """The variable each fact is about; a fact matcalc does not know is an error."""
    if isinstance(assume, str):
        raise UsageError(f"assume is a list of facts, e.g. [\"rowsum(Y)=1\"], not the str {assume!r:.60}")
    names = []
    for fact in assume:
        m = ROWSUM_FACT.match(fact) if isinstance(fact, str) else None
        if not m:
            raise UnsupportedError(f"unknown assumption {fact!r:.60}; matcalc knows rowsum(Y)=1")
        names.append(m.group(1))
    return names


def _apply_facts(result: Expr, assume, found: dict) -> Expr:
    """Use what the caller declared: Y@ones(k, 1) = ones(n, 1) if rowsum(Y) = 1."""
    mapping = {}
    for fact in assume:
        m = ROWSUM_FACT.match(fact)
        if not m:
            raise UnsupportedError(f"unknown assumption {fact!r}; matcalc knows rowsum(Y)=1")
        name = m.group(1)
        if name not in found:
            raise unknown_variable(name, found)
        y = var(name, found[name])
        mapping[y @ ones((y.shape[1], 1))] = ones((y.shape[0], 1))
    if not mapping:
        return result
    for _ in range(4):   # replacing can expose another match after simplification
        new = simplify(replace(result, mapping))
        if new is result:
            break
        result = new
    return result


@deep
def hessian(f: str, wrt: str, shapes: dict | None = None, *, symmetric=(), assume=()) -> Derivative:
    """The Hessian of scalar f in closed form: ∂vec(∇f)/∂vec(wrt)ᵀ, (pq)×(pq) for wrt p×q (n×n for a vector).

    symmetric and assume are derive's: symmetric matrices of f (S' = S) and facts such as "rowsum(Y)=1".

    >>> str(hessian("x'@S@x", "x", symmetric=["S"]))
    '2*S'
    """
    with stage("parsing and shape inference"):
        q = _prepare(f, [wrt], shapes, kind="hessian", symmetric=symmetric, assumed=_assumed_names(assume))
    typed, x, found = q.f, q.variables[wrt], q.shapes
    if typed.shape != (1, 1):
        raise UnsupportedError(f"a Hessian needs a scalar f, and f is {show_shape(typed.shape)}; "
                               f"differentiate sum(f), tr(f) or norm(f)^2, or take derive(f, {wrt}) for a Jacobian")
    with assume_symmetric(s.attr for s in _symmetric_variables(symmetric, found)), \
            stage("differentiation and simplification"):
        g = simplify(gradient(typed, x))
        result = _apply_facts(simplify(jacobian(g, x, tidy=simplify)), assume, found)
    return _shared_names(typed, [wrt], [result], "hessian", found, notes=q.notes)[0]


@deep
def hvp(f: str, wrt: str, shapes: dict | None = None, direction: str = "V", *, symmetric=(),
        assume=()) -> Derivative:
    """The Hessian-vector product: the derivative of the gradient along `direction` (wrt's shape).

    symmetric and assume are derive's.  For a symmetric wrt the gradient is sym(G), as in derive, and
    the direction is a symmetric matrix too (a direction within the symmetric matrices).

    >>> str(hvp("tr(S@S@S)", "S", symmetric=["S"]))
    '3*(S@V + V@S)'
    """
    check_name(direction, "the direction")
    with stage("parsing and shape inference"):
        q = _prepare(f, [wrt], shapes, kind="hvp", symmetric=symmetric, assumed=_assumed_names(assume),
                     extra=(direction,))
    typed, x, found = q.f, q.variables[wrt], q.shapes
    if typed.shape != (1, 1):
        raise UnsupportedError("hvp needs a scalar f")
    if direction in found:
        raise UnsupportedError(f"the direction `{direction}` is already a variable of f; choose another name")
    v = var(direction, x.shape)
    sym = _symmetric_variables(symmetric, found)
    with assume_symmetric([s.attr for s in sym] + ([direction] if x in sym else [])), \
            stage("differentiation and simplification"):
        g = simplify(gradient(typed, x))
        if x in sym:
            g = simplify((g + g.T) / 2)
        result = _apply_facts(simplify(differential(g, x, v)), assume, found)
    return _shared_names(typed, [wrt], [result], "hvp", dict(found, **{direction: x.shape}), direction,
                         notes=q.notes)[0]
