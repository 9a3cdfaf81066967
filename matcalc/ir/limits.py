"""Bounds on the work of one public call, and the boundary every public entry point runs inside.

Every public call (derive, hessian, hvp, evaluate, check, a Derivative's methods, the CLI) runs under a
Budget made from the current Limits: a deadline, a count of expression nodes it may build, of characters
it may print, and of entries one array may have.  Work checks the budget cooperatively (each new node,
each printed string) and stops with a LimitError that names the stage and how to raise the limit, instead
of minutes of work or gigabytes of memory.  Raise the limits for a block of code with `limits(...)`:

>>> with limits(time=60, elements=10**9):
...     current_limits().time
60.0
>>> current_limits().time
10.0

Anything but a MatcalcError escaping a public call is a bug: the boundary raises it as InternalError.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import gc
import math
import sys
import time as clock

from ..errors import InternalError, LimitError, MatcalcError, UsageError

__all__ = ["Limits", "limits", "current_limits", "entry_point", "stage", "node_built", "current_budget",
           "check_elements", "deep_recursion", "RECURSION_LIMIT"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """time: seconds one call may work; nodes: expression nodes it may build; text: characters it may
    print (partial strings included); elements: entries of one array evaluate or check may allocate."""
    time: float = 10.0
    nodes: int = 2_000_000
    text: int = 50_000_000
    elements: int = 50_000_000     # 400 MB of float64

    # how to raise each limit: the keyword of limits() and the CLI flag
    OPTIONS = {"time": "--time-limit", "nodes": "--max-nodes", "text": "--max-text", "elements": "--max-elements"}

    def how_to_raise(self, which: str) -> str:
        return f"raise it with matcalc.limits({which}=...) or {self.OPTIONS[which]}"


_LIMITS: contextvars.ContextVar[Limits] = contextvars.ContextVar("matcalc_limits", default=Limits())
_BUDGET: contextvars.ContextVar = contextvars.ContextVar("matcalc_budget", default=None)


def current_limits() -> Limits:
    return _LIMITS.get()


@contextlib.contextmanager
def limits(time: float | None = None, nodes: int | None = None, text: int | None = None,
           elements: int | None = None):
    """Raise (or lower) matcalc's limits for the calls made inside the block."""
    given = {"time": time, "nodes": nodes, "text": text, "elements": elements}
    changes = {}
    for key, value in given.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isnan(value):
            raise UsageError(f"the {key} limit is a positive number, not {value!r}")
        changes[key] = float(value) if key == "time" else int(min(value, sys.maxsize))
    token = _LIMITS.set(dataclasses.replace(_LIMITS.get(), **changes))
    try:
        yield _LIMITS.get()
    finally:
        _LIMITS.reset(token)


class Budget:
    """What is left of one call's limits; `stage` names the work under way for the messages."""
    __slots__ = ("limits", "deadline", "text", "stage", "built")

    def __init__(self, lim: Limits):
        self.limits = lim
        self.deadline = clock.perf_counter() + lim.time
        self.text = 0
        self.stage = "the derivation"
        # Every node the call builds lives until the call ends, with its cached analyses: a rewrite
        # the simplifier proposes and drops is often proposed again.  Then they go, all at once.
        self.built: list = []

    def check_time(self, stage: str | None = None) -> None:
        if clock.perf_counter() > self.deadline:
            raise LimitError(f"{stage or self.stage} took longer than the time limit of {self.limits.time:g} s "
                             f"({self.limits.how_to_raise('time')})")

    def node_built(self, node) -> None:
        built = self.built
        built.append(node)
        if len(built) > self.limits.nodes:
            raise LimitError(f"{self.stage} built more than {self.limits.nodes:,} expression nodes "
                             f"({self.limits.how_to_raise('nodes')})")
        if len(built) & 1023 == 0:   # the clock is read now and then: it costs more than a node
            self.check_time()

    def printed(self, n: int) -> None:
        self.text += n
        if self.text > self.limits.text:
            raise LimitError(f"printing needs more than {self.limits.text:,} characters: the inline form is too "
                             f"large; the named form (d.text(), the CLI's default) is smaller "
                             f"({self.limits.how_to_raise('text')})")
        if n > 4096 or self.text & 255 == 0:
            self.check_time("printing")


def node_built(node) -> None:
    """Charge one new expression node to the current call, which keeps it to its end (Expr calls it)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.node_built(node)


def current_budget() -> "Budget | None":
    """The budget of the public call under way (None outside one): a printer charges it directly."""
    return _BUDGET.get()


@contextlib.contextmanager
def stage(name: str):
    """Name the work under way, for a LimitError's message."""
    budget = _BUDGET.get()
    if budget is None:
        yield
        return
    old, budget.stage = budget.stage, name
    try:
        budget.check_time()
        yield
    finally:
        budget.stage = old


def check_elements(what: str, rows: int, cols: int) -> None:
    """Refuse, before allocating, an array of more entries than the elements limit."""
    lim = _LIMITS.get()
    if rows * cols > lim.elements:
        raise LimitError(f"{what} would have {rows:,}×{cols:,} = {rows * cols:,} entries; the limit is "
                         f"{lim.elements:,} ({lim.how_to_raise('elements')})")


RECURSION_LIMIT = 60_000


@contextlib.contextmanager
def deep_recursion():
    """Room for the recursive printers and rewrites on deep expressions (a 256-layer net).

    Parsing bounds the input's nesting, so the depth stays bounded too.
    """
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, RECURSION_LIMIT))
    # Derivation allocates many small acyclic nodes; the cyclic collector, run on each 700 of them,
    # rescans the whole growing heap and made cost grow as n^1.4.  It runs again on the way out.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        sys.setrecursionlimit(old)
        if collecting:
            gc.enable()


def entry_point(fn):
    """Decorator for public calls: deep recursion, a fresh Budget, and the error boundary.

    A call made inside another public call shares the outer call's budget and boundary.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _BUDGET.get() is not None:
            return fn(*args, **kwargs)
        token = _BUDGET.set(Budget(_LIMITS.get()))
        try:
            with deep_recursion():
                return fn(*args, **kwargs)
        except MatcalcError:
            raise
        except MemoryError:
            raise LimitError(f"{fn.__name__} ran out of memory; lower the sizes, or raise matcalc's limits only as "
                             f"far as the machine's memory allows") from None
        except RecursionError:
            raise LimitError(f"{fn.__name__}: the expression is nested too deeply for this Python") from None
        except Exception as e:
            raise InternalError.of(e, fn.__qualname__) from e
        finally:
            _BUDGET.reset(token)
    return wrapper
