"""Generated code (matcalc.compile) against autograd and hand-written closed forms, 2 CPU threads.

    python benchmarks/numeric.py [--quick] [--only R1,R2,HESS,MLP,JAX] [--device cuda]

Each row times the contenders in turns (A B A B ...) within this one run and prints each one's
median and the ratio baseline / generated (above 1: the generated code is faster), next to the
issue's target.
Every contender's result is checked against the generated one before it is timed.
"""
import os

THREADS = "2"
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=" + THREADS)

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import matcalc  # noqa: E402

torch.set_num_threads(int(THREADS))

HOMEWORK = "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2"
LOGISTIC = "sum(log(1 + exp(-y*(X@w))))"
PARAMETERS = ["W1", "b1", "W2", "b2"]


def row(label, generated, baselines, repeat, target=None, sync=lambda: None):
    """Time the generated function and each baseline in turns (A B A B ...: a load that comes and goes
    on a shared machine hits all of them alike) and print the medians and the ratios baseline / generated."""
    contenders = [generated] + [fn for _, fn in baselines]
    for fn in contenders * 2:      # warm up: first calls allocate, compile, fill caches
        fn()
    sync()
    times = [[] for _ in contenders]
    for _ in range(repeat):
        for k, fn in enumerate(contenders):
            t0 = time.perf_counter()
            fn()
            sync()
            times[k].append(time.perf_counter() - t0)
    generated_s, *others = [statistics.median(t) for t in times]
    parts = [f"{label:36} generated {1e3 * generated_s:9.3f} ms"]
    for (name, _), s in zip(baselines, others):
        parts.append(f"{name} {1e3 * s:9.3f} ms = {s / generated_s:6.2f}x")
    if target:
        parts.append(f"(target {target})")
    print("  ".join(parts), flush=True)


def close(a, b, dtype):
    a = np.asarray(a.detach().cpu() if isinstance(a, torch.Tensor) else a, dtype=np.float64)
    b = np.asarray(b.detach().cpu() if isinstance(b, torch.Tensor) else b, dtype=np.float64)
    rtol = 1e-6 if "64" in str(dtype) else 2e-3
    scale = max(1.0, float(np.abs(b).max()))
    assert np.allclose(a.reshape(b.shape), b, rtol=rtol, atol=1e-6 * scale), "contender disagrees"


# --------------------------------------------------------------------------------------- R1
def homework_shapes(n):
    return {"X": (n, 1), "W1": (1, 20), "b1": (n, 20), "W2": (20, 1), "b2": (n, 1), "Y": (n, 1)}


def homework_values(n, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(s) for k, s in homework_shapes(n).items()}


def naive_numpy_homework(X, W1, b1, W2, b2, Y):
    """The closed form as a person writes it first: one array per operation."""
    H = 1 / (1 + np.exp(-(X @ W1 + b1)))
    R = H @ W2 + b2 - Y
    S = (R @ W2.T) * H * (1 - H)
    return (R ** 2).sum(), {"W1": 2 * X.T @ S, "b1": 2 * S, "W2": 2 * H.T @ R, "b2": 2 * R}


def torch_homework_loss(X, W1, b1, W2, b2, Y):
    return ((torch.sigmoid(X @ W1 + b1) @ W2 + b2 - Y) ** 2).sum()


def bench_r1(n, repeat, device):
    shapes = homework_shapes(n)
    values = homework_values(n)
    print(f"R1  homework net, f and its four gradients, X {n}x1, hidden 20, full biases")
    fn_np = matcalc.compile(HOMEWORK, PARAMETERS, shapes, backend="numpy")
    ours = fn_np(**values)
    naive = naive_numpy_homework(**values)
    for k in PARAMETERS:
        close(naive[1][k], ours[1][k], np.float64)
    row("numpy float64", lambda: fn_np(**values), [("naive numpy", lambda: naive_numpy_homework(**values))],
        repeat, "naive/generated >= 1.3")
    fn_t = matcalc.compile(HOMEWORK, PARAMETERS, shapes, backend="torch")
    for dtype in (torch.float32, torch.float64):
        t = {k: torch.tensor(v, dtype=dtype, device=device) for k, v in values.items()}
        params = [t[k].clone().requires_grad_(True) for k in PARAMETERS]

        def autograd():
            p = dict(t, **dict(zip(PARAMETERS, params)))
            loss = torch_homework_loss(**p)
            return loss, torch.autograd.grad(loss, params)

        value, derivs = fn_t(**t)
        for k, g in zip(PARAMETERS, autograd()[1]):
            close(derivs[k], g, dtype)
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
        row(f"torch {str(dtype)[6:]} ({device})", lambda: fn_t(**t), [("torch.autograd.grad", autograd)],
            repeat, "autograd/generated >= 1.3", sync)


# --------------------------------------------------------------------------------- Hessians
def torch_func_hessian(loss, x):
    return torch.func.hessian(loss)(x)


def bench_hessian(label, f, wrt, shapes, loss_torch, loss_jax, repeat, device, dtypes, target):
    rng = np.random.default_rng(1)
    values = {k: rng.standard_normal(s) for k, s in shapes.items()}
    if "y" in values:
        values["y"] = np.sign(values["y"])
    fn = matcalc.compile(f, wrt, shapes, backend="torch", kind="hessian")
    for dtype in dtypes:
        t = {k: torch.tensor(v, dtype=dtype, device=device) for k, v in values.items()}
        others = {k: v for k, v in t.items() if k != wrt}
        ref = torch_func_hessian(lambda x: loss_torch(x, **others), t[wrt])
        close(fn(**t)[1][wrt], ref, dtype)
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
        baselines = [("torch.func.hessian", lambda: torch_func_hessian(lambda x: loss_torch(x, **others), t[wrt]))]
        jax_fn = jax_hessian(loss_jax, wrt, values, dtype) if loss_jax else None
        if jax_fn is not None:
            baselines.append(("jax.jit(jax.hessian)", jax_fn))
        row(f"{label} {str(dtype)[6:]} ({device})", lambda: fn(**t), baselines, repeat, target, sync)


def jax_hessian(loss_jax, wrt, values, dtype):
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    arrays = {k: jnp.asarray(v, dtype=str(dtype)[6:]) for k, v in values.items()}
    others = {k: v for k, v in arrays.items() if k != wrt}
    hess = jax.jit(jax.hessian(lambda x, o: loss_jax(x, **o)))
    return lambda: hess(arrays[wrt], others).block_until_ready()


def bench_hessians(repeat, device, quick):
    print("R2  logistic-regression Hessian, X 2000x500")
    bench_hessian("logistic 2000x500", LOGISTIC, "w", {"X": (2000, 500), "w": (500,), "y": (2000,)},
                  lambda w, X, y: torch.nn.functional.softplus(-y * (X @ w)).sum(), None, repeat, device,
                  (torch.float64, torch.float32), "torch.func >= 20x in float64, >= 30x in float32")
    print("HESS  the three Hessians tensorgrad reports")
    import_jnp = _jnp()
    n = 512 if quick else 2048
    bench_hessian(f"x'Ax, n = {n}", "x'@A@x", "x", {"x": (n,), "A": (n, n)},
                  lambda x, A: x @ A @ x, (lambda x, A: x @ A @ x) if import_jnp else None,
                  repeat, device, (torch.float64,), "as fast as both")
    bench_hessian("logistic 2048x256", LOGISTIC, "w", {"X": (2048, 256), "w": (256,), "y": (2048,)},
                  lambda w, X, y: torch.nn.functional.softplus(-y * (X @ w)).sum(),
                  (lambda w, X, y: import_jnp.logaddexp(0.0, -y * (X @ w)).sum()) if import_jnp else None,
                  repeat, device, (torch.float64,), "as fast as both")
    m = 512 if quick else 2048
    bench_hessian(f"logsumexp(x), n = {m}", "logsumexp(x)", "x", {"x": (m,)},
                  lambda x: torch.logsumexp(x, 0),
                  (lambda x: _jax_logsumexp(x)) if import_jnp else None,
                  repeat, device, (torch.float64,), "as fast as both")


def _jnp():
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        return jnp
    except ImportError:
        return None


def _jax_logsumexp(x):
    import jax
    return jax.nn.logsumexp(x)


# -------------------------------------------------------------------------------------- MLP
def mlp(depth):
    e = "X@W1"
    for k in range(2, depth + 1):
        e = f"tanh({e})@W{k}"
    return f"norm(tanh({e}) - Y)^2"


def bench_mlp(repeat, device, depth=8, width=256, batch=1024):
    print(f"MLP  tanh MLP, depth {depth}, width {width}, batch {batch}: f and every weight's gradient")
    names = [f"W{k}" for k in range(1, depth + 1)]
    shapes = {"X": (batch, width), "Y": (batch, width), **{w: (width, width) for w in names}}
    fn = matcalc.compile(mlp(depth), names, shapes, backend="torch")
    rng = np.random.default_rng(2)
    for dtype in (torch.float32, torch.float64):
        t = {k: torch.tensor(rng.standard_normal(s) / (np.sqrt(s[0]) if k.startswith("W") else 1),
                             dtype=dtype, device=device) for k, s in shapes.items()}
        params = [t[w].clone().requires_grad_(True) for w in names]

        def autograd():
            h = t["X"]
            for W in params:
                h = torch.tanh(h @ W)
            loss = ((h - t["Y"]) ** 2).sum()
            return loss, torch.autograd.grad(loss, params)

        derivs = fn(**t)[1]
        for w, g in zip(names, autograd()[1]):
            close(derivs[w], g, dtype)
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
        row(f"torch {str(dtype)[6:]} ({device})", lambda: fn(**t), [("torch.autograd.grad", autograd)],
            repeat, "autograd/generated >= 1.0", sync)


# -------------------------------------------------------------------------------------- JAX
def bench_jax(n, repeat):
    jnp = _jnp()
    if jnp is None:
        print("JAX  skipped: jax is not installed (pip install '.[jax]')")
        return
    import jax
    print(f"JAX  homework net under jax.jit, X {n}x1")
    shapes = homework_shapes(n)
    fn = matcalc.compile(HOMEWORK, PARAMETERS, shapes, backend="jax")
    values = homework_values(n)
    for dtype in ("float32", "float64"):
        a = {k: jnp.asarray(v, dtype=dtype) for k, v in values.items()}
        ours = jax.jit(fn.function)
        args = [a[k] for k in fn.inputs]

        def loss(params, X, Y):
            W1, b1, W2, b2 = params
            return jnp.sum((jax.nn.sigmoid(X @ W1 + b1) @ W2 + b2 - Y) ** 2)

        theirs = jax.jit(jax.value_and_grad(loss))
        params = tuple(a[k] for k in PARAMETERS)
        got, want = ours(*args)[1], theirs(params, a["X"], a["Y"])[1]
        for k, g in zip(PARAMETERS, want):
            close(np.asarray(got[k]), np.asarray(g), dtype)
        row(f"jax {dtype}", lambda: jax.block_until_ready(ours(*args)),
            [("jax.jit(jax.value_and_grad)", lambda: jax.block_until_ready(theirs(params, a["X"], a["Y"])))],
            repeat, "jit(grad)/generated >= 1.0")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (a smoke run)")
    ap.add_argument("--only", default="R1,R2,HESS,MLP,JAX", help="comma-separated sections")
    ap.add_argument("--device", default="cpu", help="torch device (cuda where one is lent)")
    args = ap.parse_args()
    repeat = 5 if args.quick else 21
    n = 10_000 if args.quick else 100_000
    only = set(args.only.split(","))
    print(f"matcalc {matcalc.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
          f"{THREADS} CPU threads, median of {repeat}; ratio = baseline / generated")
    if "R1" in only:
        bench_r1(n, repeat, args.device)
    if "R2" in only or "HESS" in only:
        bench_hessians(repeat, args.device, args.quick)
    if "MLP" in only:
        bench_mlp(repeat, args.device, batch=256 if args.quick else 1024)
    if "JAX" in only and args.device == "cpu":
        bench_jax(n, repeat)


if __name__ == "__main__":
    main()
