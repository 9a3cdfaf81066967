"""The errors matcalc raises on bad input: each says what is wrong and where.

>>> issubclass(ShapeError, MatcalcError)
True
"""
from __future__ import annotations

import difflib


class MatcalcError(Exception):
    """Base of every error about the user's input; the CLI prints it and exits 2."""


class ParseError(MatcalcError):
    """The text is not an expression of the language."""


class ShapeError(MatcalcError):
    """Operand shapes do not fit the operator."""


class UnknownNameError(MatcalcError):
    """A function or variable that matcalc does not know."""


class UnsupportedError(MatcalcError):
    """A well-formed request that matcalc cannot answer (it says what to ask instead)."""


class LimitError(MatcalcError):
    """Input too long or too deeply nested, or work too large (it names the limit)."""


class EvaluationError(MatcalcError):
    """A value outside a function's domain: a singular matrix, log of a negative number."""


class SamplingError(EvaluationError):
    """check found no inputs at which every function is inside its domain and f is finite."""


class InternalError(MatcalcError):
    """A broken invariant inside matcalc: a bug, never the user's fault."""


def caret(text: str, start: int, end: int | None = None) -> str:
    """The source line holding `start`, with a caret line under columns start..end."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end == -1 else line_end
    width = max(1, min(end if end is not None else start + 1, line_end) - start)
    return f"  {text[line_start:line_end]}\n  {' ' * (start - line_start)}{'^' * width}"


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both from 1, of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def did_you_mean(name: str, known) -> str:
    """' (did you mean `x`?)' for the nearest known name, or ''."""
    cutoff = 0.5 if len(name) <= 3 else 0.6   # W2 -> W1: short names differ in a larger share
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return f" (did you mean `{close[0]}`?)" if close else ""
