"""Leaves: variables, constants, dimensions used as values, and the constructors ones, zeros, eye.

Constructors carry the dimensions they were written with in `attr` (`ones(m, n)` has
attr (m, n)); a leaf's numeric implementation is called as impl(backend, shape, attr,
resolve) with `shape` concrete and `resolve` mapping a symbolic dimension to its size.

>>> from matcalc.ir.expr import ones
>>> ones((2, 3)).shape
(2, 3)
"""
from __future__ import annotations

from ..ir.dims import SCALAR
from ..ir.operator import Code, Operator, register


def _leaf(name: str, title: str, doc: str, shape_rule, **fields) -> Operator:
    return register(Operator(name=name, title=title, doc=doc, arity=0, shape_rule=shape_rule, leaf=True,
                             jvp=lambda y, i, t: None, vjp=lambda y, i, G: None, linear=True, **fields))


def _given(dims, shapes, attr):
    raise TypeError("this leaf is built with its shape")   # var and const always come with one


def _constructor_codes(name: str, dims: str) -> dict:
    """np.ones((rows, cols), dtype=_dtype) and the like: generated code fills in {rows} and {cols}
    (a number, or the name a symbolic dimension is bound to) and defines _dtype and _device."""
    return {"numpy": Code(f"np.{name}({dims}, dtype=_dtype)", fresh=True),
            "torch": Code(f"torch.{name}({dims}, dtype=_dtype, device=_device)", fresh=True),
            "jax": Code(f"jnp.{name}({dims}, dtype=_dtype)")}


_NUMBER = {backend: Code("{value}") for backend in ("numpy", "torch", "jax")}   # a Python number in the code

_leaf("var", "variable", "a named matrix, vector or scalar", _given, shape_doc="declared or inferred")
_leaf("const", "constant", "a number", _given, shape_doc="1×1",
      numpy=lambda B, shape, attr, resolve: B.full(SCALAR, attr), code=_NUMBER)
_leaf("dim", "dimension", "the size of a dimension, used as a value: sum(X)/n", _given, shape_doc="1×1",
      numpy=lambda B, shape, attr, resolve: B.full(SCALAR, resolve(attr)), code=_NUMBER)
_leaf("ones", "ones", "the all-ones matrix", lambda dims, shapes, attr: tuple(attr), spellings=("ones",),
      dim_args=2, syntax="ones(m, n)", shape_doc="m×n",
      numpy=lambda B, shape, attr, resolve: B.full(shape, 1.0), code=_constructor_codes("ones", "({rows}, {cols})"))
_leaf("zeros", "zeros", "the zero matrix", lambda dims, shapes, attr: tuple(attr), spellings=("zeros",),
      dim_args=2, syntax="zeros(m, n)", shape_doc="m×n",
      numpy=lambda B, shape, attr, resolve: B.full(shape, 0.0), code=_constructor_codes("zeros", "({rows}, {cols})"))
_leaf("eye", "identity", "the identity matrix", lambda dims, shapes, attr: (attr[0], attr[0]), spellings=("eye",),
      dim_args=1, syntax="eye(n)", shape_doc="n×n",
      numpy=lambda B, shape, attr, resolve: B.eye(shape[0]), code=_constructor_codes("eye", "{rows}"))
