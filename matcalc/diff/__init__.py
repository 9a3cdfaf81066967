"""Differentiation: reverse accumulation (gradients), forward (differentials), vec-Jacobians (vec pulled
through the differential).

The drivers know no operator: every rule comes from the operator's record.
"""
from .forward import differential
from .jacobian import fresh_direction, jacobian, linear_jacobian, widen
from .reverse import depends_on, gradient, gradients, unbroadcast

__all__ = ["gradient", "gradients", "differential", "jacobian", "linear_jacobian", "widen", "fresh_direction",
           "unbroadcast", "depends_on"]
