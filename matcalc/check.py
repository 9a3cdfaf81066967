"""Numeric check of a closed-form derivative against torch autograd (torch is imported here only).

>>> report = check("norm(X@W - Y)^2", "W")
>>> report.ok, report.max_rel_error < 1e-10
(True, True)
"""
from __future__ import annotations

from dataclasses import dataclass

from .api import ROWSUM_FACT, derive, hessian, hvp
from .numerics.backends import numpy_backend, torch_backend
from .numerics.evaluate import run
from .numerics.sampling import concrete_sizes, domains_of, random_values

__all__ = ["check", "CheckReport"]

TOLERANCE = 1e-6


@dataclass
class CheckReport:
    """The outcome of one check: ok, the max relative error, and the sizes used."""
    ok: bool
    max_rel_error: float
    wrt: str
    sizes: dict
    derivative: object

    def __str__(self):
        verdict = "ok" if self.ok else "MISMATCH"
        sizes = ", ".join(f"{k}: {'×'.join(map(str, v))}" for k, v in self.sizes.items())
        return f"check {self.wrt}: {verdict}, max relative error {self.max_rel_error:.2e} vs torch autograd ({sizes})"


def check(f: str, wrt: str, shapes=None, *, seed: int = 0, kind: str = "derive", direction: str = "V",
          symmetric=(), assume=()) -> CheckReport:
    """Evaluate the closed form at random float64 inputs and compare with torch autograd.

    Symmetric variables get symmetric values, and the autograd reference for a
    symmetric wrt differentiates through the parametrization (A + A')/2.
    """
    import numpy as np
    import torch

    def build(f, w, s):
        if kind == "hessian":
            return hessian(f, w, s)
        if kind == "hvp":
            return hvp(f, w, s, direction)
        return derive(f, w, s, symmetric=symmetric, assume=assume)

    d = build(f, wrt, shapes)
    sizes = concrete_sizes(d.shapes)
    d_concrete = build(f, wrt, sizes)
    domains = domains_of(d_concrete.f)
    for name in symmetric:
        if domains.get(name) != "spd":
            domains[name] = "symmetric"
    for fact in assume:   # derive() above has already refused anything but rowsum(Y)=1
        domains[ROWSUM_FACT.match(fact).group(1)] = "rowsum1"
    values = random_values(sizes, domains, seed)
    with np.errstate(all="ignore"):
        got = np.asarray(run(d_concrete.result, values, numpy_backend()), dtype=np.float64)
    want = _autograd(torch, d_concrete, values, direction, symmetric_wrt=wrt in symmetric)
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    err = float(np.abs(got.reshape(want.shape) - want).max(initial=0.0)) / scale if got.size == want.size else float("inf")
    ok = bool(np.isfinite(err) and err <= TOLERANCE)
    return CheckReport(ok, err, wrt, sizes, d)


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
    if d.kind == "jacobian":
        return torch.autograd.functional.jacobian(lambda x: f_of(x).reshape(-1), x0).reshape(-1, x0.numel()).numpy()
    if d.kind == "hessian":
        n = x0.numel()
        return torch.autograd.functional.hessian(lambda x: f_of(x).reshape(()), x0).reshape(n, n).numpy()
    _, out = torch.autograd.functional.hvp(lambda x: f_of(x).reshape(()), x0, tensors[direction])
    return out.numpy()
