"""Timings for matcalc's derive: homework gradients, CLI wall time, deep tanh MLPs.

    python benchmarks/derive.py [--quick]

Prints medians of cold calls (each run derives a DAG no earlier run built); the targets are
issue 9's (at most 1 ms per homework gradient, at most 0.1 s for the CLI, 40 ms for a 256-layer
MLP, linear growth in depth).
"""
import argparse
import gc
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import matcalc  # noqa: E402
from matcalc.ir.expr import size  # noqa: E402

HOMEWORK = "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2"


def median_ms(fn, repeat):
    """Median of cold calls: fn(k) must build what no earlier call built (nodes are interned, and a
    node still alive from an earlier call would come with its analyses already cached)."""
    times = []
    for k in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn(k)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def homework_shapes(k):
    """The homework's shapes with a batch of 100 + k: each run a new DAG."""
    n = 100 + k
    return {"X": (n, 1), "W1": (1, 20), "b1": (n, 20), "W2": (20, 1), "b2": (n, 1), "Y": (n, 1)}


def mlp_shapes(depth, k):
    """Batch 8 + k: each run a new DAG."""
    n = 8 + k
    return {"X": (n, 4), "Y": (n, 3), **{f"W{i}": (4 if i == 1 else 5, 3 if i == depth else 5)
                                         for i in range(1, depth + 1)}}


def mlp(depth):
    """norm(tanh(...tanh(tanh(X@W1)@W2)...@WL) - Y)^2"""
    e = "X@W1"
    for k in range(2, depth + 1):
        e = f"tanh({e})@W{k}"
    return f"norm(tanh({e}) - Y)^2"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats and depths (for CI smoke runs)")
    args = ap.parse_args()
    repeat = 5 if args.quick else 21

    print("homework gradients (parse + shapes + derive + simplify + name), median of", repeat)
    for wrt in ("W1", "b1", "W2", "b2"):
        ms = median_ms(lambda k: matcalc.derive(HOMEWORK, wrt, homework_shapes(k)).text(), repeat)
        print(f"  d/d{wrt:3}  {ms:7.2f} ms   (target <= 1 ms)")

    cmd = [sys.executable, "-m", "matcalc", "derive", HOMEWORK, "W1"]
    walls = []
    for _ in range(3 if args.quick else 7):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=os.path.dirname(HERE))
        walls.append(time.perf_counter() - t0)
    probe = subprocess.run([sys.executable, "-c",
                            "import sys; from matcalc.cli import main; main(['derive', %r, 'W1']); "
                            "print('torch imported' if 'torch' in sys.modules else 'torch not imported', file=sys.stderr)" % HOMEWORK],
                           capture_output=True, text=True, cwd=os.path.dirname(HERE))
    print(f"CLI headline command: median wall {statistics.median(walls):.3f} s (target <= 0.1 s); {probe.stderr.strip()}")

    print("tanh MLP of depth L, d/dW1: time (median) and size of the named form")
    print(f"  {'L':>4} {'ms':>9} {'ms/L':>7} {'named chars':>12} {'chars/L':>8} {'DAG nodes':>10}")
    depths = [1, 2, 4, 8, 16, 32] if args.quick else [1, 2, 4, 8, 16, 32, 64, 128, 256]
    for L in depths:
        f = mlp(L)
        ms = median_ms(lambda k: matcalc.derive(f, "W1", mlp_shapes(L, k)).text(), 5 if L >= 64 else repeat)
        d = matcalc.derive(f, "W1", mlp_shapes(L, 0))
        chars = len(d.text())
        print(f"  {L:4d} {ms:9.2f} {ms / L:7.3f} {chars:12d} {chars / L:8.1f} {size(d.result):10d}")
    print("targets: L = 256 in at most 40 ms; ms/L and chars/L roughly flat (linear growth)")


if __name__ == "__main__":
    main()
