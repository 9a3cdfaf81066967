"""Differentiation: reverse accumulation (gradients), forward (differentials), vec-Jacobians.

The drivers know no operator: every rule comes from the operator's record.
"""
from .forward import differential
from .jacobian import jacobian, vector_steps
from .reverse import depends_on, gradient, gradients, unbroadcast

__all__ = ["gradient", "gradients", "differential", "jacobian", "vector_steps", "unbroadcast", "depends_on"]
