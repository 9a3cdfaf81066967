"""matcalc: closed-form derivatives of functions of matrices, by the trace trick.

>>> import matcalc
>>> str(matcalc.derive("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)}))
"2*X'@(X@W - Y)"
"""
from . import ops  # noqa: F401  (registers every operator)
from .api import derive, hessian, hvp
from .check import CheckReport, check  # torch is imported inside check(), never here
from .errors import (EvaluationError, InternalError, LimitError, MatcalcError, ParseError, SamplingError,
                     ShapeError, UnknownNameError, UnsupportedError, UsageError)
from .ir.limits import Limits, limits
from .numerics.evaluate import evaluate
from .result import Derivative

__all__ = ["derive", "hessian", "hvp", "compile", "evaluate", "check", "Derivative", "CheckReport", "MatcalcError", "ParseError",
           "ShapeError", "UnknownNameError", "UnsupportedError", "LimitError", "EvaluationError", "SamplingError",
           "UsageError", "InternalError", "limits", "Limits"]
__version__ = "0.2.0"


def __getattr__(name: str):
    """matcalc.compile loads the code generator on first use: `matcalc derive` does not need it (PEP 562)."""
    if name != "compile":
        raise AttributeError(f"module 'matcalc' has no attribute {name!r}")
    from .codegen import compile_function
    globals()["compile"] = compile_function   # matcalc.compile, as the contract names it
    return compile_function


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))
