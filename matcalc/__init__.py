"""matcalc: closed-form derivatives of functions of matrices, by the trace trick.

>>> import matcalc
>>> str(matcalc.derive("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}))
"2*X'@(X@W - Y)"
"""
from . import ops  # noqa: F401  (registers every operator)
from .api import derive, hessian, hvp
from .check import CheckReport, check  # torch is imported inside check(), never here
from .codegen import compile_function as compile  # noqa: A001  (matcalc.compile, as the contract names it)
from .errors import (EvaluationError, InternalError, LimitError, MatcalcError, ParseError, SamplingError,
                     ShapeError, UnknownNameError, UnsupportedError, UsageError)
from .ir.limits import Limits, limits
from .numerics.evaluate import evaluate
from .result import Derivative

__all__ = ["derive", "hessian", "hvp", "compile", "evaluate", "check", "Derivative", "CheckReport", "MatcalcError", "ParseError",
           "ShapeError", "UnknownNameError", "UnsupportedError", "LimitError", "EvaluationError", "SamplingError",
           "UsageError", "InternalError", "limits", "Limits"]
__version__ = "0.2.0"
