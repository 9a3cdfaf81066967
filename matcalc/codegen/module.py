"""The text of a generated module: docstring, imports, helpers, one function (and torch's Function).

    def f_and_grad(X, W1, b1, W2, b2, Y):
        _dtype = X.dtype                   # constructors (ones, eye) take the inputs' dtype
        _b2_shape = b2.shape               # a derivative comes back in its variable's shape
        b2 = b2.reshape(-1, 1)             # a vector is a column, as in matcalc.evaluate
        ...
        return value.reshape(()), {'W1': d_W1, ...}

Each input is made 2-D as declared (1-D -> column, 0-D -> 1x1); each derivative comes back in
its variable's own shape (a Hessian n×n); a scalar f comes back 0-D.  For kind "grad" of a
scalar f, a torch module also defines `Function`, a torch.autograd.Function whose backward is the
closed form computed in its forward pass.
"""
from __future__ import annotations

import keyword
from dataclasses import dataclass

from ..errors import ShapeError
from ..ir.dims import DimProduct, dim_factors, dim_names
from ..ir.expr import Expr, walk
from ..ir.operator import REGISTRY
from .emit import Emitter, atom
from .lower import bundle
from .schedule import NUMBERS

__all__ = ["Signature", "module_source", "safe_name", "RESERVED"]

IMPORTS = {"numpy": ["import numpy as np"], "torch": ["import torch"],
           "jax": ["import jax", "import jax.numpy as jnp"]}
# torch: no tape (the closed form needs none).  JAX code stays plain: jax.jit(fn.function) compiles it
DECORATORS = {"torch": ["@torch.no_grad()"]}
AS_ARRAY = {"numpy": "np.asarray({0})", "jax": "jnp.asarray({0})"}
# names generated code uses for itself: a variable of the language called so gets a trailing _
RESERVED = frozenset({"np", "torch", "jax", "jnp", "value", "float", "Function", "ctx"}) | frozenset(keyword.kwlist)


def safe_name(name: str, taken) -> str:
    """A Python identifier for a name of the language that clashes with nothing generated."""
    out = name
    while out in RESERVED or out in taken or out.startswith("_"):
        out = out.lstrip("_") + "_" if out.startswith("_") else out + "_"
    return out


@dataclass
class Signature:
    """What the generated function takes and returns.

    inputs: [(variable node, python name)] in parameter order; value: the root for f;
    outputs: [(key, root, like)] with like the python name of the variable whose shape the result
    takes, or None to return it as computed (a Hessian).
    """
    function: str
    inputs: list
    value: Expr
    outputs: list


def module_source(backend: str, sig: Signature, doc: str, preferred: dict, autograd: bool = False,
                  symmetric=frozenset()) -> str:
    """The whole module's text.  preferred: node -> a name it should have (H = sigmoid(...));
    symmetric: the products known to be symmetric (see Emitter)."""
    params = {node: py for node, py in sig.inputs}
    taken = set(params.values()) | RESERVED
    dims = _dimensions(sig, taken)
    wanted = dict(preferred)
    wanted[sig.value] = "value"
    for key, root, _ in sig.outputs:
        wanted.setdefault(root, f"d_{params[key]}" if key in params else f"d_{key}")
    roots = [sig.value] + [root for _, root, _ in sig.outputs]
    emitter = Emitter(backend, roots, params, {d: py for d, (py, _) in dims.items()}, wanted, taken, symmetric)
    body, helpers = emitter.statements()
    lines = [f'"""{doc.rstrip()}\n"""', *IMPORTS[backend], ""]
    for h in helpers:
        lines += ["", h.rstrip("\n"), ""]
    lines += ["", *DECORATORS.get(backend, ()),
              f"def {sig.function}({', '.join(params.values())}):",
              '    """f and its derivatives at the given arrays: (value, {variable: derivative})."""']
    lines += ["    " + line for line in _prologue(backend, sig, dims)]
    lines += ["    " + line for line in body]
    lines.append("    " + _return(emitter, sig))
    if autograd:
        lines += _torch_function(sig)
    return "\n".join(lines) + "\n"


def _dimensions(sig: Signature, taken: set) -> dict:
    """Symbolic dimension -> (python name, code reading it off the inputs) for those the code uses,
    in an order where each one's code uses only those before it.

    A dimension is read off an input axis of that size (n = X.shape[0]); a product of sizes that
    no axis has is built from its names; a name no axis has alone is solved from an axis whose size
    is a product where it is the one unknown factor (m = v.shape[0] // n for v of m*n entries).
    """
    used = []
    for node in walk(bundle([sig.value, *[r for _, r, _ in sig.outputs]])):
        record = REGISTRY.get(node.op)
        sizes = [node.attr] if node.op == "dim" else list(node.attr or ()) if record and record.dim_args else []
        used += [d for d in sizes if not isinstance(d, int) and d not in used]
    axes = [(e, f"{py}.shape[{axis}]") for node, py in sig.inputs for axis, e in enumerate(node.shape)
            if not isinstance(e, int)]
    found = {}                                  # dimension -> code, in the order found
    for d in used:
        source = next((code for e, code in axes if e == d), None)
        if source is not None:
            found.setdefault(d, source)
    needed = [name for d in used if d not in found for name in dim_names(d)]
    for name in needed:
        source = next((code for e, code in axes if e == name), None)
        if source is not None:
            found.setdefault(name, source)
    progress = True
    while progress and any(name not in found for name in needed):
        progress = False
        for e, code in axes:
            unknown = [f for f in dim_names(e) if f not in found]
            if len(unknown) == 1 and dim_names(e).count(unknown[0]) == 1:
                coef, _ = dim_factors(e)
                known = ([str(coef)] if coef != 1 else []) + [f for f in dim_names(e) if f != unknown[0]]
                found[unknown[0]] = (code, known) if known else code
                progress = True
    missing = [name for name in needed if name not in found]
    if missing:
        raise ShapeError(f"cannot tell the size of dimension {missing[0]} from the sizes of the variables: "
                         "give them in shapes")
    wanted = {d for d in used if d in found} | set(needed)
    for d in reversed(list(found)):             # and the factors that a wanted quotient divides by
        if d in wanted and isinstance(found[d], tuple):
            wanted.update(found[d][1])
    dims: dict = {}
    for d, source in found.items():
        if d not in wanted:
            continue
        py = safe_name(_product_name(d) if isinstance(d, DimProduct) else d, taken)
        taken.add(py)
        if isinstance(source, tuple):           # a quotient: the known factors' names come first
            code, known = source
            divisor = " * ".join(k if k.isdigit() else dims[k][0] for k in known)
            source = f"{code} // {divisor if len(known) == 1 else f'({divisor})'}"
        dims[d] = (py, source)
    return dims


def _product_name(d: DimProduct) -> str:
    """m*n -> m_times_n, 2*m -> m_times_2 (an identifier that reads as the product)."""
    return "_times_".join(list(map(str, d.factors)) + ([str(d.coef)] if d.coef != 1 else []))


def _prologue(backend: str, sig: Signature, dims: dict) -> list:
    lines = []
    like = {py for _, _, py in sig.outputs if py}
    for node, py in sig.inputs:
        if backend in AS_ARRAY:
            lines.append(f"{py} = {AS_ARRAY[backend].format(py)}")
    if sig.inputs:
        first = sig.inputs[0][1]
        lines.append(f"_dtype = {first}.dtype")
        if backend == "torch":
            lines.append(f"_device = {first}.device")
    for node, py in sig.inputs:
        rows, cols = node.shape
        if py in like and (rows == 1 or cols == 1):
            lines.append(f"_{py}_shape = {py}.shape")
        if rows == 1 and cols == 1:
            lines.append(f"{py} = {py}.reshape(1, 1)")
        elif cols == 1:
            lines.append(f"{py} = {py}.reshape(-1, 1)")
        elif rows == 1:
            lines.append(f"{py} = {py}.reshape(1, -1)")
    lines += [f"{py} = {source}" for py, source in dims.values()]
    return lines


def _array(emitter: Emitter, root: Expr) -> str:
    """Code for a root as an array (a constant result is a 1x1 array of the inputs' dtype)."""
    if root.op in NUMBERS:
        return emitter.expr(Expr("ones", (), (1, 1)) * root)
    return emitter.expr(root)


def _return(emitter: Emitter, sig: Signature) -> str:
    value = _array(emitter, sig.value)
    value = f"{atom(value)}.reshape(())" if sig.value.shape == (1, 1) else value
    parts = []
    for key, root, like in sig.outputs:
        code = _array(emitter, root)
        rows, cols = root.shape
        if like and (rows == 1 or cols == 1):
            code = f"{atom(code)}.reshape(_{like}_shape)"
        parts.append(f"{key!r}: {code}")
    return f"return {value}, {{{', '.join(parts)}}}"


def _torch_function(sig: Signature) -> list:
    """A torch.autograd.Function: forward runs the generated function, backward scales its gradients."""
    params = [py for _, py in sig.inputs]
    wrt = {like: key for key, _, like in sig.outputs}
    grads = ", ".join(f"d_{py}" for py in params if py in wrt)
    backward = ", ".join(f"grad * d_{py}" if py in wrt else "None" for py in params)
    others = [py for py in params if py not in wrt]
    check = [f"        if any(ctx.needs_input_grad[i] for i in {tuple(params.index(p) for p in others)!r}):",
             f"            raise RuntimeError('compiled for the gradients of {', '.join(wrt)} only; "
             f"{', '.join(others)} must not require grad')"] if others else []
    return ["", "", "class Function(torch.autograd.Function):",
            '    """f as an autograd function whose backward is the closed form: '
            f'loss = Function.apply({", ".join(params)})."""',
            "", "    @staticmethod", f"    def forward(ctx, {', '.join(params)}):", *check,
            f"        value, grads = {sig.function}({', '.join(params)})",
            f"        ctx.save_for_backward({', '.join(f'grads[{wrt[p]!r}]' for p in params if p in wrt)})",
            "        return value",
            "", "    @staticmethod", "    @torch.autograd.function.once_differentiable",
            "    def backward(ctx, grad):",
            f"        {grads}{',' if len(wrt) == 1 else ''} = ctx.saved_tensors",
            f"        return {backward}"]
