"""Numeric check of a closed-form derivative against torch autograd (torch is imported here only).

A check compares at one sample point, chosen so that it means something: every function applied, in
f and in the closed form, is inside its domain at its actual argument (sqrt(X - Y) needs X > Y, not
only X > 0), and f, the closed form's reference (autograd) and f's value are finite.  Candidates come
from numerics.sampling; when none of them is valid, check raises SamplingError instead of reporting
a mismatch (or an agreement) about NaNs.

>>> report = check("sum(sqrt(X - Y))", "X")
>>> report.ok, report.max_rel_error < 1e-10
(True, True)
>>> bool((report.values["X"] > report.values["Y"]).all())
True
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field

from .api import ROWSUM_FACT, derive, hessian, hvp
from .errors import EvaluationError, SamplingError, UnsupportedError
from .ir.dims import show_shape
from .ir.expr import deep
from .ir.limits import check_elements
from .numerics.backends import numpy_backend, torch_backend
from .numerics.evaluate import run
from .numerics.sampling import MAX_TRIES, candidates, concrete_sizes, domains_of, outside_domain
from .printing import to_text

__all__ = ["check", "CheckReport", "require_torch", "INSTALL_TORCH"]

TOLERANCE = 1e-6
INSTALL_TORCH = 'pip install "matcalc-trace[check]"'


@dataclass
class CheckReport:
    """The outcome of one check: ok, the max relative error, the sizes and values used, the samples tried."""
    ok: bool
    max_rel_error: float
    wrt: str
    sizes: dict
    derivative: object
    tries: int = 1
    values: dict = field(default_factory=dict, repr=False)   # the inputs compared at (name -> 2-D array)

    @property
    def verdict(self) -> str:
        return "ok" if self.ok else "MISMATCH"

    def _sizes(self) -> str:
        return ", ".join(f"{k}: {show_shape(v)}" for k, v in self.sizes.items())

    def __str__(self):
        return (f"check {self.wrt}: {self.verdict}, max relative error {self.max_rel_error:.2e} "
                f"vs torch autograd ({self._sizes()})")

    def _facts(self) -> list:
        return [("variable", self.wrt), ("max relative error", f"{self.max_rel_error:.2e}"),
                ("tolerance", f"{TOLERANCE:.0e}"), ("reference", "torch autograd, float64"),
                ("sizes", self._sizes()), ("samples tried", str(self.tries))]

    def _repr_html_(self) -> str:
        import html   # html.entities is a large table: loaded for notebooks only
        color = "#1a7f37" if self.ok else "#cf222e"
        rows = "".join(f'<tr><th style="text-align:left;padding-right:1em">{html.escape(k)}</th>'
                       f'<td style="text-align:left">{html.escape(v)}</td></tr>' for k, v in self._facts())
        return (f'<div class="matcalc-check"><strong style="color:{color}">check {html.escape(self.wrt)}: '
                f'{self.verdict}</strong><table style="margin:0.3em auto 0 0;border-collapse:collapse">{rows}</table></div>')

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| {k} | {v} |" for k, v in self._facts())
        return f"**check {self.wrt}: {self.verdict}**\n\n| | |\n|---|---|\n{rows}\n"


def require_torch():
    """The torch module; an UnsupportedError saying how to install it when it is missing."""
    try:
        import torch
    except ImportError:
        raise UnsupportedError(f"check compares with torch autograd, and torch is not installed: "
                               f"{INSTALL_TORCH}") from None
    return torch


@deep
def check(f: str, wrt: str, shapes=None, *, seed: int = 0, kind: str = "derive", direction: str = "V",
          symmetric=(), assume=()) -> CheckReport:
    """Evaluate the closed form at random float64 inputs and compare with torch autograd.

    The inputs are inside the domain of every function applied, and f and the reference are finite
    there (SamplingError when no such inputs are found).  Symmetric variables get symmetric values,
    and the autograd reference for a symmetric wrt differentiates through the parametrization (A + A')/2.
    """
    import numpy as np
    torch = require_torch()

    def build(f, w, s):
        if kind == "hessian":
            return hessian(f, w, s, symmetric=symmetric, assume=assume)
        if kind == "hvp":
            return hvp(f, w, s, direction, symmetric=symmetric, assume=assume)
        return derive(f, w, s, symmetric=symmetric, assume=assume)

    d = build(f, wrt, shapes)
    fixed = {ROWSUM_FACT.match(fact).group(1): "rowsum1" for fact in assume}   # derive() refused other facts
    symmetric_wrt = wrt in symmetric
    sampled_symmetric = (*symmetric, direction) if kind == "hvp" and symmetric_wrt else symmetric  # V too
    # logdet(A@B) with A n×d is defined only for n <= d: the sizes both ways, the second only if the first fail
    attempts = []
    for ascending in (False, True):
        sizes = concrete_sizes(d.shapes, ascending)
        if sizes not in attempts:
            attempts.append(sizes)
    failure = None
    for sizes in attempts:
        for name, (rows, cols) in sizes.items():   # before any sample or reference is allocated
            check_elements(f"the sample of {name}", rows, cols)
        d_concrete = build(f, wrt, sizes)
        check_elements("the derivative at the sample", *d_concrete.result.shape)
        try:
            values, want, tries = _sample(torch, d_concrete, sizes, seed, sampled_symmetric, fixed, direction,
                                          symmetric_wrt)
            break
        except SamplingError as e:
            failure = failure or e
    else:
        raise failure
    try:
        with np.errstate(all="ignore"):
            got = np.asarray(run(d_concrete.result, values, numpy_backend()), dtype=np.float64)
    except EvaluationError:   # the closed form is undefined where f and autograd are not: wrong
        got = np.full(want.shape, np.nan)
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    err = float(np.abs(got.reshape(want.shape) - want).max(initial=0.0)) / scale if got.size == want.size else float("inf")
    if not np.isfinite(err):
        err = float("inf")
    return CheckReport(bool(err <= TOLERANCE), err, wrt, sizes, d, tries, values)


def _sample(torch, d, sizes: dict, seed: int, symmetric, fixed: dict, direction: str, symmetric_wrt: bool):
    """(values, the autograd reference there, samples tried): the first candidate inside every domain
    of f and of the closed form, with f and the reference finite; SamplingError when none is."""
    import numpy as np
    hints = domains_of(d.f)
    for name, hint in domains_of(d.result).items():
        hints.setdefault(name, hint)
    failures = collections.Counter()
    tries = 0
    for values in candidates(sizes, hints, seed, symmetric=symmetric, fixed=fixed):
        tries += 1
        outside = outside_domain([d.f, d.result], values)
        if outside is not None:
            failures[_describe(outside)] += 1
            continue
        with np.errstate(all="ignore"):
            value = np.asarray(run(d.f, values, numpy_backend()))
        if not np.isfinite(value).all():
            failures["f is not finite"] += 1
            continue
        try:
            want = _autograd(torch, d, values, direction, symmetric_wrt)
        except (EvaluationError, RuntimeError) as e:   # torch's linear-algebra errors are RuntimeErrors
            failures[f"autograd fails ({str(e).splitlines()[0]})"] += 1
            continue
        if not np.isfinite(want).all():
            failures["the autograd reference is not finite"] += 1
            continue
        return values, want, tries
    why, count = failures.most_common(1)[0]
    shown = ", ".join(f"{k}: {show_shape(v)}" for k, v in sizes.items())
    raise SamplingError(f"check found no inputs at which f and its derivative are defined ({shown}): at {count} "
                        f"of {tries} samples {why}; declare other shapes (--shape), or evaluate at values of your own")


def _describe(outside) -> str:
    node, i, why = outside
    if node is None:
        return why
    from .ir.operator import REGISTRY
    record = REGISTRY[node.op]
    name = record.spellings[0] if record.spellings else record.title
    which = "the argument" if len(node.args) == 1 else f"argument {i + 1}"
    return f"{which} of {name}, {to_text(node.args[i])}, is not {why}"


def _autograd(torch, d, values: dict, direction: str, symmetric_wrt: bool = False):
    import numpy as np
    backend = torch_backend()
    tensors = {k: torch.tensor(v, dtype=torch.float64) for k, v in values.items()}
    x0 = tensors[d.wrt]

    def f_of(x):
        env = dict(tensors, **{d.wrt: (x + x.T) / 2 if symmetric_wrt else x})
        return run(d.f, env, backend)

    if d.kind == "gradient":
        x = x0.clone().requires_grad_(True)
        out = f_of(x).reshape(())
        g = torch.autograd.grad(out, x, allow_unused=True)[0] if out.requires_grad else None
        return np.zeros(x0.shape) if g is None else g.detach().numpy()
    # Jacobians and Hessians are taken with respect to vec(x), and F read as vec(F): columns stacked
    # (torch's reshape reads rows, so each goes through a transpose)
    rows, cols = x0.shape

    def of_vec(v):
        return f_of(v.reshape(cols, rows).T)

    if d.kind == "jacobian":
        J = torch.autograd.functional.jacobian(lambda v: of_vec(v).T.reshape(-1), x0.T.reshape(-1))
        return J.reshape(-1, x0.numel()).numpy()
    if d.kind == "hessian":
        n = x0.numel()
        return torch.autograd.functional.hessian(lambda v: of_vec(v).reshape(()), x0.T.reshape(-1)).reshape(n, n).numpy()
    _, out = torch.autograd.functional.hvp(lambda x: f_of(x).reshape(()), x0, tensors[direction])
    return out.numpy()
