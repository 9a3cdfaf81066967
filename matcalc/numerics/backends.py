"""Array backends for evaluation: NumPy here, torch for `check` and the tests, JAX when installed.

An operator's record holds one implementation per backend name, called as
impl(backend, *arrays, **params); `backend.xp` is the array module.  Modules are
imported when a backend is made, never when matcalc is imported.

>>> B = numpy_backend()
>>> B.full((2, 1), 3.0).tolist()
[[3.0], [3.0]]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Backend", "numpy_backend", "torch_backend", "jax_backend"]


@dataclass(frozen=True)
class Backend:
    """An array module with a dtype (and, for torch, a device) for the arrays it makes."""
    name: str
    xp: Any
    dtype: Any
    device: Any = None

    def full(self, shape, value):
        if self.name == "torch":
            return self.xp.full(tuple(shape), float(value), dtype=self.dtype, device=self.device)
        return self.xp.full(tuple(shape), float(value), dtype=self.dtype)

    def eye(self, n: int):
        if self.name == "torch":
            return self.xp.eye(n, dtype=self.dtype, device=self.device)
        return self.xp.eye(n, dtype=self.dtype)


def numpy_backend(dtype=None) -> Backend:
    import numpy as np
    return Backend("numpy", np, dtype or np.float64)


def torch_backend(dtype=None, device=None) -> Backend:
    import torch
    return Backend("torch", torch, dtype or torch.float64, device)


def jax_backend(dtype=None) -> Backend:
    import jax.numpy as jnp
    return Backend("jax", jnp, dtype or jnp.float64)
