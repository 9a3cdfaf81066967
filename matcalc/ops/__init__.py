"""The operator records, one module per family; importing this package registers them all.

  leaves       var, const, dim, ones, zeros, eye
  arithmetic   + - * / ^ @ and the transpose
  elementwise  exp, log, sin, ..., sigmoid, relu, softplus, max, min
  reductions   sum, mean (with an axis), norm, logsumexp, softmax
  linalg       tr, det, logdet, inv, diag
  structure    vec, unvec, kron, commutation (matrix Jacobians in vec/Kronecker form)

A new function is one record in one of these (see matcalc.ops.builders for the
common kinds) plus its test rows; no other module needs to change.

>>> from matcalc.ir.operator import lookup_function
>>> lookup_function("sigmoid").title
'sigmoid'
"""
from . import arithmetic, elementwise, leaves, linalg, reductions, structure  # noqa: F401  (registration)
from .arithmetic import split_coefficient
from .builders import column
from .linalg import diagonal_vector, is_diagonal_matrix

__all__ = ["column", "diagonal_vector", "is_diagonal_matrix", "split_coefficient"]
