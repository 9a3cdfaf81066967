"""The operator registry: one record per operator, which every stage reads.

Modelled on JAX's `Primitive` with its rule tables and PyTensor's `Op`: a record
holds the operator's name and spellings, its shape rule, its derivative rules,
its numeric implementations, the domain `check` samples from, its printed forms
and its line in the docs.  The parser, shape inference, the drivers, the
simplifier, the printers, evaluation, `check` and docs/functions.md look
operators up here; no other module lists them.  The records themselves live in
`matcalc.ops`; a new function is one `register(...)` there plus test rows.

>>> from matcalc import ops
>>> REGISTRY["matmul"].title
'matrix product'
>>> lookup_function("trace").name
'tr'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Union

Form = Union[str, Callable, None]

# Precedence levels, loosest to tightest, as in the grammar (matcalc.lark)
SUM, PRODUCT, PREFIX, POWER, POSTFIX = 10, 20, 30, 40, 50
ATOM = 60              # anything printed as a name, a call or a bracket


@dataclass(frozen=True)
class Param:
    """A static parameter written after the arguments, as in `sum(X, 0)`: an int from `choices`."""
    name: str
    choices: tuple
    doc: str = ""


@dataclass(frozen=True)
class Domain:
    """Where an argument must lie for the operator to be defined.

    `sample` names how `check` draws inputs for variables under it (positive,
    unit, above_minus_one, nonzero, spd, invertible); `holds(xp, a)` tests a
    value (an array of the backend `xp`) and is checked on every node's actual
    arguments before a sample is accepted.
    """
    name: str
    sample: str
    holds: Callable


@dataclass(frozen=True)
class Code:
    """How generated code (matcalc.codegen) spells an operator for one backend.

    expr: a template with {0}, {1}, ... for the arguments' code and {axis} for a parameter
          ("{0}.T", "np.logaddexp(0.0, {0})"); a bare function name ("np.exp"), called on the
          arguments; or a callable(node, args) -> str for what a template cannot say (n-ary
          operators, a form that depends on the argument's shape).
    inplace: an elementwise form that writes into an existing buffer {out}, any argument of
          which may be {out} ("np.multiply({0}, {1}, out={out})"); a bare function name gets
          "name(args, out={out})".  "" when there is none.
    inplace_args: the argument positions {out} may take (torch.sub takes no number first).
    helper: a module-level definition the expression calls (numpy has no logdet that
          returns nan for det < 0); emitted once per generated module.
    fresh: the expression returns a new array, never a view of an argument, so generated code
          may write into it once it is no longer needed (A @ B, inv; implied for elementwise
          operators).
    backward: the name of a fused kernel kernel(G, y) for G * f'(a), given y = f(a), as autograd's
          own (torch.ops.aten.sigmoid_backward); "" when none.
    backward_into: that kernel writing into G's buffer, a template with {G} and {y}
          ("torch.ops.aten.sigmoid_backward.grad_input({G}, {y}, grad_input={G})").
    symmetric: the Code for a product known to be symmetric (X'@(d*X)), which may compute half
          of it and mirror it; None when there is none.
    Templates may use _dtype (and, for torch, _device): the inputs' dtype and device.
    """
    expr: Union[str, Callable]
    inplace: str = ""
    inplace_args: Optional[tuple] = None
    helper: str = ""
    fresh: bool = False
    backward: str = ""
    backward_into: str = ""
    symmetric: Optional["Code"] = None

    def call(self, args: list, node=None, **fields) -> str:
        """The expression for arguments whose code is `args` (each an atom or parenthesized)."""
        if callable(self.expr):
            return self.expr(node, args)
        if "{" not in self.expr:
            return f"{self.expr}({', '.join(args)})"
        if node is not None:
            fields.setdefault("axis", node.attr)
        return self.expr.format(*args, **fields)

    def call_into(self, out: str, args: list) -> str:
        """The statement that writes the result into the buffer `out` ("" when the form has none)."""
        if not self.inplace:
            return ""
        if "{" not in self.inplace:
            return f"{self.inplace}({', '.join(args)}, out={out})"
        return self.inplace.format(*args, out=out)


@dataclass(frozen=True, eq=False)
class Operator:
    """Everything matcalc knows of one operator.

    Rules (argument i, node y = op(a0, a1, ...)):
      jvp(y, i, t)   the differential of y along a tangent t of argument i;
      vjp(y, i, G)   the adjoint contribution to argument i given G = df/dy (before the
                     driver sums it over broadcast axes): df = tr(G' dy) = sum tr(vjp' da_i);
      vec_jacobian(y, i, J)  d vec(y)/dx from J = d vec(a_i)/dx for vector-valued y, or None.
    Numerics: numpy/torch/jax(backend, *arrays, **params) -> array; torch and jax default to
    numpy's, which reaches the array module through backend.xp.  Forms: a function name (`sigmoid`), a template with
    {0}, {1} (`‖{0}‖`), or a callable(printer, node) -> str; None means the
    printer has its own method for this operator (the infix algebra).
    """
    name: str
    title: str
    doc: str
    shape_rule: Callable                 # (dims, shapes, attr) -> shape
    arity: Optional[int] = 1             # None: two or more (n-ary, associative)
    spellings: tuple = ()                # names in the language: ("tr", "trace"); () for symbols
    params: tuple = ()                   # Param, written after the arguments
    dim_args: int = 0                    # constructors: how many dimensions they take (ones(m, n))
    syntax: str = ""                     # how it is written, for the docs
    shape_doc: str = "same as the argument"
    jvp: Optional[Callable] = None
    vjp: Optional[Callable] = None
    vec_jacobian: Optional[Callable] = None
    numpy: Optional[Callable] = None
    torch: Optional[Callable] = None
    jax: Optional[Callable] = None
    domain: tuple = ()                   # per argument: Domain or None
    text: Form = None
    unicode: Form = None
    latex: Form = None
    precedence: int = ATOM
    display: Optional[Callable] = None   # (node, style) -> an equal node to print instead, or None:
                                         # sum(A, 0) is shown as 𝟏ᵀA in math styles
    elementwise: bool = False            # applied entry by entry (broadcasting if binary)
    linear: bool = False                 # linear in each argument on its own: the jvp along argument i
                                         # is the operator with t in its place (A@B, A*B, A', tr)
    of_scalar: Optional[Callable] = None  # what op(s) is for a 1x1 s, e.g. tr(s) = s
    leaf: bool = False                   # no arguments: var, const, dim, ones, zeros, eye
    naming: str = ""                     # letter for named intermediates: H activations, R sums, Z products
    trace_form: Union[str, Callable] = "hadamard"   # the trace identity that moves G next to d(arg) in
                                         # --steps (matcalc.derivations.identities.TRACE_FORMS), or (node) -> it
    code: dict = field(default_factory=dict)     # backend name -> Code, for matcalc.codegen
    extras: dict = field(default_factory=dict)   # room for later stages

    def impl(self, backend_name: str) -> Optional[Callable]:
        """The numeric implementation for a backend ("numpy", "torch", "jax").

        Implementations reach the array module through `backend.xp`, so the NumPy one serves
        torch and JAX too wherever they spell the call alike; a record gives its own where not.
        """
        own = getattr(self, backend_name, None)
        return own if own is not None else self.numpy

    def domain_of(self, i: int) -> Optional[Domain]:
        return self.domain[i] if i < len(self.domain) else None

    @property
    def is_function(self) -> bool:
        """Written name(args) in the language."""
        return bool(self.spellings)

    def arity_ok(self, n: int) -> bool:
        return n >= 2 if self.arity is None else n == self.arity


class MissingRule(LookupError):
    """An operator without a rule a stage needs: a bug, named after the operator."""


REGISTRY: dict[str, Operator] = {}
_SPELLINGS: dict[str, Operator] = {}


def register(op: Operator) -> Operator:
    """Add (or replace) a record; its spellings become function names of the language."""
    old = REGISTRY.get(op.name)
    if old is not None:
        for s in old.spellings:
            _SPELLINGS.pop(s, None)
    REGISTRY[op.name] = op
    for s in op.spellings:
        _SPELLINGS[s] = op
    return op


def unregister(name: str) -> None:
    """Remove a record (tests register toy operators and take them away again)."""
    op = REGISTRY.pop(name)
    for s in op.spellings:
        _SPELLINGS.pop(s, None)


def operator(name: str) -> Operator:
    """The record of an operator in the pipeline; MissingRule if there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise MissingRule(f"no operator `{name}` in the registry") from None


def lookup_function(spelling: str) -> Optional[Operator]:
    """The operator a function name of the language means (aliases included), or None."""
    return _SPELLINGS.get(spelling)


def function_names() -> list:
    """Every function name of the language, sorted."""
    return sorted(_SPELLINGS)


def rule(op: Operator, kind: str) -> Callable:
    """op's jvp, vjp or vec_jacobian; MissingRule names the operator when it has none."""
    found = getattr(op, kind)
    if found is None:
        raise MissingRule(f"operator `{op.name}` has no {kind} rule")
    return found
