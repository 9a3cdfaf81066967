"""Numeric check of a closed-form derivative against torch autograd (torch imported here only).

>>> report = check("norm(X@W - Y)^2", "W")          # doctest: +SKIP
>>> report.ok, report.max_rel_error < 1e-10          # doctest: +SKIP
(True, True)
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from .api import ROWSUM_FACT, Derivative, derive, hessian, hvp
from .evaluate import NUMPY, run
from .expr import Expr, walk

SIZES = (5, 3, 4, 2, 6, 7, 8, 9, 10, 11, 12)   # the first (often samples) largest: X'@X full rank
TOLERANCE = 1e-6


@dataclass
class CheckReport:
    """The outcome of one check: ok, the max relative error, and the sizes used."""
    ok: bool
    max_rel_error: float
    wrt: str
    sizes: dict
    derivative: Derivative

    def __str__(self):
        verdict = "ok" if self.ok else "MISMATCH"
        sizes = ", ".join(f"{k}: {'×'.join(map(str, v))}" for k, v in self.sizes.items())
        return f"check {self.wrt}: {verdict}, max relative error {self.max_rel_error:.2e} vs torch autograd ({sizes})"


def _torch_backend(torch):
    def logdet(a):
        sign, logabs = torch.linalg.slogdet(a)
        return torch.where(sign > 0, logabs, torch.full_like(logabs, float("nan")))
    return SimpleNamespace(
        exp=torch.exp, log=torch.log, sin=torch.sin, cos=torch.cos, tanh=torch.tanh, sqrt=torch.sqrt,
        abs=torch.abs, sign=torch.sign, relu=torch.relu, softplus=torch.nn.functional.softplus,
        step=lambda a: (a > 0).to(torch.float64), inv=torch.linalg.inv, det=torch.linalg.det,
        logdet=logdet, trace=torch.trace, diag=torch.diag,
        full=lambda shape, v: torch.full(shape, float(v), dtype=torch.float64),
        eye=lambda n: torch.eye(n, dtype=torch.float64),
        rowmax=lambda a: a.amax(dim=1, keepdim=True),
    )


def concrete_sizes(shapes: dict) -> dict:
    """Give each symbolic dimension a distinct small size (so a missing transpose shows)."""
    symbols = []
    for shape in shapes.values():
        symbols += [d for d in shape if isinstance(d, str) and d not in symbols]
    taken = {d for shape in shapes.values() for d in shape if isinstance(d, int)}
    pool = [s for s in SIZES if s not in taken] + [s for s in SIZES if s in taken]
    size = dict(zip(symbols, pool))
    return {name: tuple(size.get(d, d) for d in shape) for name, shape in shapes.items()}


def _domains(f: Expr) -> dict:
    """name -> 'positive' or 'spd' for variables under log/sqrt/fractional powers or inv/det/logdet."""
    need: dict[str, str] = {}
    for node in walk(f):
        if node.op in ("log", "sqrt") or (node.op == "pow" and not (node.args[1].is_const and float(node.args[1].value).is_integer())):
            hint = "positive"
        elif node.op in ("inv", "det", "logdet"):
            hint = "spd"
        else:
            continue
        for leaf in walk(node.args[0]):
            if leaf.op == "var":
                square = leaf.shape[0] == leaf.shape[1] and leaf.shape != (1, 1)
                if hint == "spd" and square:
                    need[leaf.attr] = "spd"
                elif leaf.attr not in need:
                    need[leaf.attr] = "positive"
    return need


def random_values(sizes: dict, domains: dict, seed: int) -> dict:
    """Seeded float64 inputs; domains: spd, positive, symmetric, rowsum1 (positive rows summing to 1)."""
    rng = np.random.default_rng(seed)
    values = {}
    for name, shape in sizes.items():
        kind = domains.get(name)
        if kind == "spd":
            g = rng.standard_normal(shape)
            values[name] = g @ g.T + shape[0] * np.eye(shape[0])
        elif kind == "positive":
            values[name] = np.abs(rng.standard_normal(shape)) + 0.5
        elif kind == "symmetric":
            g = rng.standard_normal(shape)
            values[name] = (g + g.T) / 2
        elif kind == "rowsum1":
            g = rng.uniform(0.1, 1.0, shape)
            values[name] = g / g.sum(axis=1, keepdims=True)
        else:
            values[name] = rng.standard_normal(shape)
    return values


def check(f: str, wrt: str, shapes=None, *, seed: int = 0, kind: str = "derive", direction: str = "V",
          symmetric=(), assume=()) -> CheckReport:
    """Evaluate the closed form at random float64 inputs and compare with torch autograd.

    Symmetric variables get symmetric values, and the autograd reference for a
    symmetric wrt differentiates through the parametrization (A + A')/2.
    """
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
    domains = _domains(d_concrete.f)
    for name in symmetric:
        if domains.get(name) != "spd":
            domains[name] = "symmetric"
    for fact in assume:   # derive() above has already refused anything but rowsum(Y)=1
        domains[ROWSUM_FACT.match(fact).group(1)] = "rowsum1"
    values = random_values(sizes, domains, seed)
    with np.errstate(all="ignore"):
        got = np.asarray(run(d_concrete.result, values, NUMPY), dtype=np.float64)
    want = _autograd(torch, d_concrete, values, direction, symmetric_wrt=wrt in symmetric)
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    err = float(np.abs(got.reshape(want.shape) - want).max(initial=0.0)) / scale if got.size == want.size else float("inf")
    ok = bool(np.isfinite(err) and err <= TOLERANCE)
    return CheckReport(ok, err, wrt, sizes, d)


def _autograd(torch, d: Derivative, values: dict, direction: str, symmetric_wrt: bool = False) -> np.ndarray:
    backend = _torch_backend(torch)
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
