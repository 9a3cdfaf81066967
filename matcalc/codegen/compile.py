"""matcalc.compile: derive, generate one module for f and all its derivatives, load it.

>>> import numpy as np
>>> fn = compile_function("norm(X@w - y)^2", "w", {"X": (4, 3), "w": (3,), "y": (4,)})
>>> X, w, y = np.eye(4, 3), np.ones(3), np.zeros(4)
>>> value, derivs = fn(X=X, w=w, y=y)
>>> round(float(value), 12), derivs["w"].tolist()
(3.0, [2.0, 2.0, 2.0])
>>> "import matcalc" in fn.source
False

The generated module's text is built from the expression DAG (never from the user's text:
variable names are identifiers the parser accepted, numbers are written with repr) and is
loaded with Python's compile(), as dataclasses and namedtuple load the code they generate.
"""
from __future__ import annotations

import builtins
import itertools
import linecache

from ..api import derive, hessian, hvp
from ..errors import MatcalcError, UnsupportedError
from ..ir.dims import show_shape
from ..ir.expr import deep, size, var
from ..printing import intermediates, to_text
from ..simplify import simplify
from .emit import BACKENDS
from .lower import bundle, lower, row_vector_products
from .module import Signature, module_source, safe_name

__all__ = ["compile_function", "generate", "CompiledFunction", "KINDS"]

KINDS = ("grad", "hessian", "hvp")
FUNCTION = {"grad": "f_and_grad", "hessian": "f_and_hessian", "hvp": "f_and_hvp"}
_counter = itertools.count(1)


class CompiledFunction:
    """fn(**values) -> (value, {variable: derivative}); fn.source is the generated module.

    fn.function is the generated function itself (positional arguments in fn.inputs order), for
    jax.jit or a profiler; fn.autograd is torch's autograd Function (backend torch, kind grad).
    """

    def __init__(self, source: str, namespace: dict, function: str, inputs: list, wrt: list, kind: str,
                 backend: str, declared=()):
        self.source = source
        self.declared = frozenset(declared)   # names given shapes that f does not use: values ignored
        self.function = namespace[function]
        self.autograd = namespace.get("Function")
        self.inputs = [name for name, _ in inputs]
        self._python = dict(inputs)
        self.wrt, self.kind, self.backend = wrt, kind, backend

    def __call__(self, **values):
        missing = [n for n in self.inputs if n not in values]
        if missing:
            raise MatcalcError(f"missing value{'s' if len(missing) > 1 else ''} for {', '.join(missing)}; "
                               f"this function takes {', '.join(self.inputs)}")
        unknown = [n for n in values if n not in self._python and n not in self.declared]
        if unknown:
            raise MatcalcError(f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                               f"this function takes {', '.join(self.inputs)}")
        return self.function(*(values[n] for n in self.inputs))

    def __repr__(self):
        return f"<compiled {self.kind} of f with respect to {', '.join(self.wrt)} ({self.backend})>"


def _derivatives(f: str, wrt: list, shapes, kind: str, direction: str) -> list:
    if kind == "grad":
        return [derive(f, w, shapes) for w in wrt]
    if kind == "hessian":
        return [hessian(f, w, shapes) for w in wrt]
    if len(wrt) != 1:
        raise UnsupportedError("hvp takes one variable (its direction has that variable's shape); "
                               "compile one function per variable")
    return [hvp(f, wrt[0], shapes, direction)]


def _value_root(derivs: list):
    """f as typed or simplified, whichever shares more with the derivatives (fewer nodes in all)."""
    f = derivs[0].f
    results = [d.result for d in derivs]
    candidates = [f, simplify(f)]
    return min(candidates, key=lambda g: size(bundle([g] + results)))


@deep
def generate(f: str, wrt, shapes=None, backend: str = "numpy", kind: str = "grad", direction: str = "V"):
    """(source, function name, [(variable, python name)], wrt): the module for compile_function."""
    if backend not in BACKENDS:
        raise UnsupportedError(f"backend is one of {', '.join(BACKENDS)}, not {backend!r}")
    if kind not in KINDS:
        raise UnsupportedError(f"kind is one of {', '.join(KINDS)}, not {kind!r}")
    wrt = [wrt] if isinstance(wrt, str) else list(wrt)
    if not wrt:
        raise UnsupportedError("wrt names no variable")
    derivs = _derivatives(f, wrt, shapes, kind, direction)
    found = dict(derivs[0].shapes)
    for d in derivs[1:]:
        found.update(d.shapes)
    value = _value_root(derivs)
    symmetric: set = set()
    roots = lower([value] + [d.result for d in derivs], symmetric=symmetric)
    if backend == "jax":
        roots = row_vector_products(roots)
    inputs, taken = [], set()
    for name, shape in found.items():
        py = safe_name(name, taken)
        taken.add(py)
        inputs.append((var(name, shape), py))
    python = {node.attr: py for node, py in inputs}
    hessian = kind == "hessian"
    outputs = [(w, root, None if hessian else python[w]) for w, root in zip(wrt, roots[1:])]
    sig = Signature(FUNCTION[kind], inputs, roots[0], outputs)
    shown = intermediates(roots[1:], forward=roots[0], taken=set(found) | set(python.values()))
    preferred = {node: safe_name(name, taken) for name, node in shown}
    autograd = backend == "torch" and kind == "grad" and value.shape == (1, 1)
    source = module_source(backend, sig, _docstring(f, derivs, found, kind, backend, sig), preferred, autograd,
                           symmetric)
    return source, sig.function, [(node.attr, py) for node, py in inputs], wrt


def _docstring(f: str, derivs: list, found: dict, kind: str, backend: str, sig: Signature) -> str:
    named = intermediates([d.result for d in derivs], forward=derivs[0].f, taken=set(found))
    names = {e: n for n, e in named}
    lines = [f"{kind} of f for {backend}, generated by matcalc from the closed form (no autograd).", "",
             f"f = {f.strip()}",
             "shapes: " + ", ".join(f"{k}: {show_shape(v)}" for k, v in found.items()), ""]
    lines += [f"{n} = {to_text(e, names)}" for n, e in named]
    lines += [f"{d.symbol()} = {to_text(d.result, names)}" for d in derivs]
    args = ", ".join(py for _, py in sig.inputs)
    lines += ["", f"{sig.function}({args}) -> (f, {{variable: derivative}}); arrays are 2-D as declared,",
              "a 1-D array is a column vector and a 0-D array a scalar."]
    return "\n".join(lines).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def load(source: str, label: str) -> dict:
    """Run a generated module's text in a fresh namespace (and let tracebacks show its lines)."""
    filename = f"<matcalc generated {label} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {"__name__": f"matcalc_generated_{label}"}
    try:
        code = builtins.compile(source, filename, "exec")
        exec(code, namespace)   # noqa: S102 - matcalc's own generated code, never user text
    except ImportError as e:
        raise UnsupportedError(f"the {label} backend needs a module that does not import here: {e}") from None
    return namespace


def compile_function(f: str, wrt, shapes=None, backend: str = "numpy", kind: str = "grad",
                     direction: str = "V") -> CompiledFunction:
    """f and its derivatives (kind grad | hessian | hvp) as generated code for a backend."""
    source, function, inputs, wrt = generate(f, wrt, shapes, backend, kind, direction)
    namespace = load(source, backend)
    return CompiledFunction(source, namespace, function, inputs, wrt, kind, backend, declared=shapes or ())
