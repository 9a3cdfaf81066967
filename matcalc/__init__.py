"""matcalc: closed-form derivatives of scalar functions of matrices, by the trace trick.

>>> import matcalc
>>> str(matcalc.derive("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}))
"2*X'@(X@W - Y)"
"""
from .api import Derivative, derive, hessian, hvp
from .check import CheckReport, check  # torch is imported inside check(), never here
from .errors import (LimitError, MatcalcError, ParseError, ShapeError, UnknownNameError,
                     UnsupportedError)
from .evaluate import evaluate


__all__ = ["derive", "hessian", "hvp", "evaluate", "check", "Derivative", "CheckReport", "MatcalcError", "ParseError",
           "ShapeError", "UnknownNameError", "UnsupportedError", "LimitError"]
__version__ = "0.1.0"
