"""Generated code (matcalc.compile) checked against torch autograd, on every backend and dtype.

torch_oracle.assert_derivative_matches calls assert_generated_matches for each grad and Hessian it
checks, so every derivative the suite checks also runs through the NumPy, PyTorch and JAX code
generated for it: float64 at the oracle's tolerance, float32 at a looser one, with the reference
taken at the float32-rounded inputs.  JAX is an optional extra: without it the JAX checks skip,
unless CI is set (as .ci/run sets it: the test extra installs jax), where a missing JAX fails.
"""
from __future__ import annotations

import ast
import os

import numpy as np
import pytest
import torch

BACKENDS = ("numpy", "torch", "jax")
KINDS = ("grad", "hessian")        # what matcalc.compile generates (a Jacobian is not a compile kind)
DTYPES = ("float64", "float32")
FLOAT32_RTOL, FLOAT32_ATOL = 1e-3, 1e-5


def jax_numpy():
    """jax.numpy with 64-bit floats on, or None where JAX is not installed (an error under CI)."""
    try:
        import jax
    except ImportError:
        if os.environ.get("CI"):
            raise
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    return jnp


def to_backend(values: dict, backend: str, dtype: str) -> dict:
    """The backend's own arrays (1-D vectors, 0-D scalars, as the caller gave them) in dtype."""
    if backend == "numpy":
        return {k: np.asarray(v, dtype=dtype) for k, v in values.items()}
    if backend == "torch":
        return {k: torch.tensor(np.asarray(v), dtype=getattr(torch, dtype)) for k, v in values.items()}
    jnp = jax_numpy()
    return {k: jnp.asarray(np.asarray(v), dtype=dtype) for k, v in values.items()}


def array_type(backend: str):
    if backend == "numpy":
        return (np.ndarray, np.generic)
    if backend == "torch":
        return torch.Tensor
    import jax
    return jax.Array


def check_source(source: str) -> str:
    """'' if the generated module is standalone Python (no matcalc import, no eval/exec), else why not."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "matcalc" for a in node.names):
            return "imports matcalc"
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "matcalc":
            return "imports from matcalc"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec"):
            return f"calls {node.func.id}"
    return ""


def generated_result(fn, values: dict, backend: str, dtype: str):
    """fn at values converted to backend arrays in dtype; checks the result's types and dtypes."""
    value, derivs = fn(**to_backend(values, backend, dtype))
    for what, got in [("value", value)] + [(f"d/d{k}", v) for k, v in derivs.items()]:
        assert isinstance(got, array_type(backend)), f"{backend} {what} is a {type(got).__name__}"
        assert str(got.dtype).endswith(dtype), f"{backend} {what} is {got.dtype}, inputs were {dtype}"
    return np.asarray(value, dtype=np.float64), {k: np.asarray(v, dtype=np.float64) for k, v in derivs.items()}


def assert_generated_matches(f: str, wrt: str, shapes: dict, values: dict, kind: str, compare, references,
                             rtol: float, atol: float, backends=BACKENDS) -> None:
    """f's generated code on each backend and dtype equals torch's value and autograd's derivative."""
    import matcalc

    for backend in backends:
        if backend == "jax" and jax_numpy() is None:
            continue
        fn = matcalc.compile(f, wrt, dict(shapes), backend=backend, kind=kind)
        why = check_source(fn.source)
        assert not why, f"the {backend} source for {f!r} {why}"
        for dtype in DTYPES:
            at = values if dtype == "float64" else {k: np.asarray(v, np.float32).astype(np.float64)
                                                    for k, v in values.items()}
            want_value, want = references["value"](f, at), references[kind](f, wrt, at)
            loose = dtype == "float32"
            tol = (FLOAT32_RTOL, FLOAT32_ATOL * max(1.0, float(np.abs(want).max(initial=0.0)))) if loose \
                else (rtol, atol)
            value, derivs = generated_result(fn, values, backend, dtype)
            why = compare(derivs[wrt], want, *tol)
            assert not why, (f"{backend} {dtype} {kind} of {f!r} wrt {wrt} (shapes {shapes}): {why}\n"
                             f"generated code:\n{fn.source}")
            value_tol = (FLOAT32_RTOL, FLOAT32_ATOL * max(1.0, float(np.abs(want_value).max()))) if loose \
                else (rtol, atol)
            why = compare(value, want_value, *value_tol)
            assert not why, f"{backend} {dtype} value of {f!r}: {why}\ngenerated code:\n{fn.source}"


def skip_without_jax():
    if jax_numpy() is None:
        pytest.skip("jax is an optional extra (pip install '.[jax]'); .ci/run installs it")
