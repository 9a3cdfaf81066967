"""The errors matcalc raises on bad input: each says what is wrong and where.

An error about a place in the text carries it (source, start, end): `str(e)` is the message with the
line and column and the source line with a caret under the place, and `e.one_line()` is the same on one
line (the CLI's form), with an excerpt in which the place is [bracketed]:

>>> e = ParseError("unexpected '*'", "x +* y", 3, 4)
>>> print(e)
unexpected '*' (line 1, column 4)
  x +* y
     ^
>>> e.one_line()
"unexpected '*' (line 1, column 4: x +[*] y)"

Control characters and bidirectional marks in the text are shown escaped (\\u202e), so a message
cannot reorder or hide what the terminal shows; a long line is shown only around the place.
"""
from __future__ import annotations

import difflib
import unicodedata

__all__ = ["MatcalcError", "ParseError", "ShapeError", "UnknownNameError", "UnsupportedError", "LimitError",
           "EvaluationError", "SamplingError", "UsageError", "InternalError", "caret", "position", "did_you_mean", "escape",
           "REPORT_BUGS"]

REPORT_BUGS = ("please report it, with the call or command line that raised it and `matcalc --version`, "
               "as an issue of the matcalc project")
EXCERPT = 60        # characters of a source line shown around a place (the place itself up to 40)


class MatcalcError(Exception):
    """Base of every error about the user's input; the CLI prints it on one line and exits 2."""

    def __init__(self, message: str, source: str | None = None, start: int = 0, end: int | None = None):
        super().__init__(message)
        self.message = message
        self.source, self.start, self.end = source, start, end

    def place(self) -> str:
        line, column = position(self.source, self.start)
        return f"line {line}, column {column}"

    def __str__(self) -> str:
        if self.source is None:
            return self.message
        return f"{self.message} ({self.place()})\n{caret(self.source, self.start, self.end)}"

    def one_line(self) -> str:
        """The message on one line, escaped, with a short excerpt around the place."""
        if self.source is None:
            return escape(self.message)
        return f"{escape(self.message)} ({self.place()}: {_excerpt(self.source, self.start, self.end)})"


class ParseError(MatcalcError):
    """The text is not an expression of the language."""


class ShapeError(MatcalcError):
    """Operand shapes do not fit the operator, or a declared shape is malformed or contradictory."""


class UnknownNameError(MatcalcError):
    """A function or variable that matcalc does not know."""


class UnsupportedError(MatcalcError):
    """A well-formed request that matcalc cannot answer (it says what to ask instead)."""


class LimitError(MatcalcError):
    """Input too long or too deeply nested, or work too large (it names the limit and how to raise it)."""


class EvaluationError(MatcalcError):
    """A value outside a function's domain: a singular matrix, log of a negative number."""


class UsageError(MatcalcError):
    """An argument or option of the wrong kind: values that are not a mapping, conflicting flags."""


class SamplingError(EvaluationError):
    """check found no inputs at which every function is inside its domain and f is finite."""


class InternalError(MatcalcError):
    """A broken invariant inside matcalc: a bug, never the user's fault."""

    @classmethod
    def of(cls, error: BaseException, where: str) -> "InternalError":
        detail = str(error).split("\n", 1)[0]
        return cls(f"a bug in matcalc, not in your input ({type(error).__name__} in {where}"
                   f"{': ' + detail if detail else ''}); {REPORT_BUGS}")


# ------------------------------------------------------------------ showing text
def escape(text: str) -> str:
    """text with control characters, bidi marks and other invisible characters written as escapes."""
    return "".join(_escape_char(c) for c in text)


def _escape_char(c: str) -> str:
    if c == " " or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return c
    if c in "\t\n\r":
        return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}[c]
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _line_of(text: str, start: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    return line_start, len(text) if line_end == -1 else line_end


def _window(text: str, start: int, end: int | None):
    """(before, place, after) of start's line, escaped and cut to about EXCERPT characters."""
    line_start, line_end = _line_of(text, start)
    end = max(start + 1, min(end if end is not None else start + 1, line_end))
    before, place, after = (escape(text[a:b]) for a, b in ((line_start, start), (start, end), (end, line_end)))
    if len(place) > 40:
        place = place[:37] + "..."
    room = max(10, (EXCERPT - len(place)) // 2)
    if len(before) + len(place) + len(after) > EXCERPT:
        before = before if len(before) <= room else "..." + before[-(room - 3):]
        after = after if len(after) <= room else after[:room - 3] + "..."
    return before, place or " ", after


def caret(text: str, start: int, end: int | None = None) -> str:
    """The source line holding `start` (escaped, around the place if long), with carets under start..end."""
    before, place, after = _window(text, start, end)
    return f"  {before}{place}{after}\n  {' ' * len(before)}{'^' * len(place)}"


def _excerpt(text: str, start: int, end: int | None) -> str:
    before, place, after = _window(text, start, end)
    return f"{before}[{place}]{after}"


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both from 1, of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def did_you_mean(name: str, known) -> str:
    """' (did you mean `x`?)' for the nearest known name (case does not count: w -> W), or ''."""
    known = sorted(known)
    same = [k for k in known if k.lower() == name.lower() and k != name]
    if same:
        return f" (did you mean `{same[0]}`?)"
    cutoff = 0.5 if len(name) <= 3 else 0.6   # W2 -> W1: short names differ in a larger share
    lowered = {k.lower(): k for k in reversed(known)}
    close = difflib.get_close_matches(name.lower(), sorted(lowered), n=1, cutoff=cutoff)
    return f" (did you mean `{lowered[close[0]]}`?)" if close and lowered[close[0]] != name else ""
