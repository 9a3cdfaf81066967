"""How derive's time grows with the size of the input (issue 9): one table per family of expressions.

    python benchmarks/scaling.py [--quick] [--family NAME ...] [--max-size N] [--repeat K]
                                 [--timeout S] [--judge text|str] [--memory-mb M] [--no-check]

Each size N of a family runs in a child process (a fresh interpreter, parser warmed up, untimed)
under a wall-clock timeout; a family stops doubling at its first timeout, error or crash. Columns:
  derive   matcalc.derive (hessian for hessian-tanh): parse + shapes + derive + simplify + naming
  text     d.text(), the named-intermediates form;  str: str(d), one inline expression
  x/dbl    growth of the judged time per doubling of N: (t(N2)/t(N1)) ** (1/log2(N2/N1))
  chars    len(d.text()) and len(str(d));  MB: the child's peak resident memory
Times are medians of --repeat runs (fewer once the runs of one size pass a quarter of the timeout).

Targets, per family: the judged time (derive + text by default, derive + str with --judge str)
grows at most x2.3 per doubling, the largest size takes at most 2 s, and no size times out or
fails; PASS or FAIL, then a summary. Growth is judged on a least-squares fit of log t against
log N over the last four sizes taking at least 20 ms (below that it is noise; one pair's ratio
swings by half on a busy machine), so it is the growth at the largest sizes that counts.
Why text by default: str(d) has no definitions, so for nested families its size is inherently
quadratic in N (tanh, sigmoid, exp, MLP, RNN, tower, Hessian) or exponential (softmax, whose
adjoint appears twice per layer); no engine can print those in linear time. str is timed anyway,
and once it times out in a family it is not attempted at larger sizes.

Sizes whose text passes the documented input limit (100,000 characters) are reported as skipped,
and so are those the engine refuses with LimitError (nesting deeper than 2,000 levels).

Before timing, the smallest size of each family is checked: str(d) evaluated with
matcalc.evaluate at random float64 inputs against torch autograd (through tests/torch_oracle.py,
an evaluator of the language independent of matcalc); --no-check skips it (and torch).

--quick runs the first three sizes of each family (about 15 s); the full run takes about 6 minutes
with today's engine on 2 cores (at most about --timeout seconds per family beyond its last
completed size, so 12 families x 20 s bounds the time lost to timeouts).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

MAX_CHARS = 100_000     # the input limit in docs/language.md
GROWTH_TARGET = 2.3     # judged time, per doubling of N
SECONDS_TARGET = 2.0    # judged time at the largest size
JUDGE_FROM = 0.020      # growth is judged only from sizes taking at least this long (seconds)
JUDGE_LAST = 4          # ... and on the last this many of those
CHECK_RTOL = 1e-8       # float64 at the smallest sizes agrees to ~1e-15; torch_oracle.compare allows 1e-6


# ------------------------------------------------------------------------------------ families
# Each builder returns (f, wrt, shapes) for size N; every dimension is a small integer.

def sums(n):
    """tr(A1@X) + ... + tr(AN@X), d/dX"""
    f = " + ".join(f"tr(A{k}@X)" for k in range(1, n + 1))
    return f, "X", {"X": (4, 3), **{f"A{k}": (3, 4) for k in range(1, n + 1)}}


def _chain(n):
    return ("tr(" + "@".join(f"A{k}" for k in range(1, n + 1)) + "@X)",
            {**{f"A{k}": (3, 3) for k in range(1, n + 1)}, "X": (3, 3)})


def chain_last(n):
    """tr(A1@A2@...@AN@X), d/dX (the last factor)"""
    f, shapes = _chain(n)
    return f, "X", shapes


def chain_middle(n):
    """tr(A1@A2@...@AN@X), d/dA(N/2) (a middle factor)"""
    f, shapes = _chain(n)
    return f, f"A{(n + 1) // 2}", shapes


def shared_chain(n):
    """tr(P), P = X then P = P@B@(P) inline until X occurs N times (N a power of two), d/dX"""
    if n < 2 or n & (n - 1):
        raise ValueError(f"shared-chain needs a power of two >= 2, not {n}")
    p, copies = "X", 1
    while copies < n:
        p, copies = f"{p}@B@{p if copies == 1 else '(' + p + ')'}", 2 * copies
    return f"tr({p})", "X", {"X": (3, 3), "B": (3, 3)}


def nested(fn, outer="sum(", shapes=None):
    """A builder for sum(fn(fn(...fn(X)...))), fn nested N deep, d/dX."""
    def build(n):
        return outer + f"{fn}(" * n + "X" + ")" * n + ")", "X", dict(shapes or {"X": (3, 4)})
    build.__doc__ = f"{outer}{fn}({fn}(...{fn}(X)...))), N deep, d/dX"
    return build


def power_tower(n):
    """x^x^...^x, N copies of a scalar x (^ is right-associative: x^(x^(...))), d/dx"""
    return "^".join(["x"] * n), "x", {"x": ()}


def mlp(n):
    """norm(tanh(...tanh(tanh(X@W1)@W2)...@WN) - Y)^2, N layers, d/dW1"""
    e = "X@W1"
    for k in range(2, n + 1):
        e = f"tanh({e})@W{k}"
    shapes = {"X": (8, 4), "Y": (8, 3), **{f"W{k}": (4 if k == 1 else 5, 3 if k == n else 5) for k in range(1, n + 1)}}
    return f"norm(tanh({e}) - Y)^2", "W1", shapes


def rnn(n):
    """norm(h_N - y)^2, h_t = tanh(W@h_(t-1) + U@x_t) unrolled N steps from h0, d/dW"""
    h = "h0"
    for t in range(1, n + 1):
        h = f"tanh(W@{h} + U@x{t})"
    shapes = {"W": (4, 4), "U": (4, 3), "h0": (4,), "y": (4,), **{f"x{t}": (3,) for t in range(1, n + 1)}}
    return f"norm({h} - y)^2", "W", shapes


def hessian_tanh(n):
    """hessian(sum(tanh(tanh(...tanh(x)...))), x), N deep, x a vector"""
    return "sum(" + "tanh(" * n + "x" + ")" * n + ")", "x", {"x": (4,)}


def doubling(first, last):
    sizes = [first]
    while sizes[-1] * 2 <= last:
        sizes.append(sizes[-1] * 2)
    return sizes


# kind: derive or hessian; positive: check at inputs in [0.5, 1.5] (x^x needs x > 0), else [-1, 1]
Family = namedtuple("Family", "build sizes kind positive", defaults=("derive", False))
FAMILIES = {
    "sums": Family(sums, doubling(4, 2048)),
    "chain-last": Family(chain_last, doubling(4, 2048)),
    "chain-middle": Family(chain_middle, doubling(4, 2048)),
    "shared-chain": Family(shared_chain, doubling(2, 4096)),
    "nest-exp": Family(nested("exp"), doubling(3, 1536)),   # exp(exp(exp(exp(1)))) overflows: check at 3
    "nest-sigmoid": Family(nested("sigmoid"), doubling(4, 2048)),
    "nest-tanh": Family(nested("tanh"), doubling(4, 2048)),
    "nest-softmax": Family(nested("softmax", "sum(C*", {"X": (3, 4), "C": (3, 4)}), doubling(2, 1024)),
    "power-tower": Family(power_tower, doubling(2, 2048), positive=True),
    "mlp": Family(mlp, doubling(4, 1024)),
    "rnn": Family(rnn, [3, 6, 12, 25, 50, 100]),
    "hessian-tanh": Family(hessian_tanh, doubling(2, 512), kind="hessian"),
}


def describe(name):
    return FAMILIES[name].build.__doc__.splitlines()[0]


# ------------------------------------------------------------------------------- correctness
def check(name, n, seed=0):
    """(why, rel_err): why is '' when str(d) at size n evaluates to torch autograd's answer."""
    import numpy as np
    import matcalc
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import torch_oracle as oracle   # imports torch; matcalc itself never does

    fam = FAMILIES[name]
    f, wrt, shapes = fam.build(n)
    rng = np.random.default_rng(seed)
    lo, hi = (0.5, 1.5) if fam.positive else (-1.0, 1.0)
    values = {k: np.asarray(rng.uniform(lo, hi, s), dtype=np.float64) for k, s in shapes.items()}
    try:
        derive = matcalc.hessian if fam.kind == "hessian" else matcalc.derive
        got = matcalc.evaluate(str(derive(f, wrt, shapes)), values)
        want = (oracle.torch_hessian if fam.kind == "hessian" else oracle.torch_grad)(f, wrt, values)
    except Exception as e:  # noqa: BLE001 - any failure is the answer
        return f"{type(e).__name__}: {first_line(e)}", math.nan
    why = oracle.compare(got, want)
    if why:
        return why, math.nan
    err = float(np.max(np.abs(np.asarray(got, dtype=np.float64).reshape(want.shape) - want)))
    rel = err / max(float(np.max(np.abs(want))), 1e-300)
    return ("" if rel <= CHECK_RTOL else f"max relative error {rel:.1e} (above {CHECK_RTOL:g})"), rel


def first_line(e):
    return (str(e).strip().splitlines() or [""])[0][:120]


# --------------------------------------------------------------------------------- the child
def child(name, n, repeat, budget, with_str, memory_mb):
    """Time one size; prints one JSON object per line (flushed, so a timeout keeps what is done)."""
    def emit(**kw):
        print(json.dumps(kw), flush=True)

    def failure(e):
        why = f"{type(e).__name__}: {first_line(e)}".rstrip(": ")
        return why + (f" (address space limited to {memory_mb} MB)" if isinstance(e, MemoryError) else "")

    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, resource.RLIM_INFINITY))
    except (ImportError, ValueError, OSError):
        pass
    import matcalc
    matcalc.derive("tr(X)", "X")   # builds the parser's tables: not part of any timing
    fam = FAMILIES[name]
    f, wrt, shapes = fam.build(n)
    derive = matcalc.hessian if fam.kind == "hessian" else matcalc.derive
    start = time.perf_counter()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            d = derive(f, wrt, shapes)
            t1 = time.perf_counter()
            text = d.text()
            emit(derive=t1 - t0, text=time.perf_counter() - t1, text_chars=len(text))
            if with_str:
                try:   # str(d) can be exponentially long: its failure leaves derive's numbers standing
                    t0 = time.perf_counter()
                    emit(str_chars=len(str(d)), str=time.perf_counter() - t0)
                except (Exception, RecursionError, MemoryError) as e:  # noqa: BLE001 - reported
                    emit(str_error=failure(e))
                    with_str = False
            del d, text
            if time.perf_counter() - start > budget:
                break
    except matcalc.LimitError as e:
        emit(skipped=f"LimitError: {first_line(e)}")
    except (Exception, RecursionError, MemoryError) as e:  # noqa: BLE001 - reported, not raised
        emit(error=failure(e))
    emit(peak_mb=peak_mb())


def peak_mb():
    """This process's peak resident memory: VmHWM (ru_maxrss would count the parent's, from before exec)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None


# -------------------------------------------------------------------------------- the runner
def measure(name, n, args, with_str):
    """Run one size in a child; a dict with the medians, or with 'status' (timeout, error, ...)."""
    f, _, _ = FAMILIES[name].build(n)
    if len(f) > MAX_CHARS:
        return {"status": "skipped", "why": f"input is {len(f):,} characters (limit {MAX_CHARS:,})"}
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, str(n), "--repeat", str(args.repeat),
           "--timeout", str(args.timeout), "--memory-mb", str(args.memory_mb)] + ([] if with_str else ["--no-str"])
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    timed_out, rc, err = False, 0, ""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env, cwd=ROOT)
        out, rc, err = proc.stdout, proc.returncode, proc.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        timed_out = True
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    runs = [e for e in events if "derive" in e]
    strs = [e for e in events if "str" in e]
    r = {"reps": len(runs), "peak_mb": next((e["peak_mb"] for e in events if "peak_mb" in e), None)}
    for e in events:
        if "skipped" in e:
            return {"status": "skipped", "why": e["skipped"]}
        if "error" in e:
            return {"status": "error", "why": e["error"]}
    if not runs:
        if timed_out:
            return {"status": "timeout", "why": f"derive did not finish in {args.timeout:g} s"}
        return {"status": "crash", "why": f"exit status {rc}: {first_line(err.strip().splitlines()[-1] if err.strip() else '')}"}
    r["derive"] = statistics.median(e["derive"] for e in runs)
    r["text"] = statistics.median(e["text"] for e in runs)
    r["text_chars"] = runs[0]["text_chars"]
    if strs:
        r["str"] = statistics.median(e["str"] for e in strs)
        r["str_chars"] = strs[0]["str_chars"]
    elif with_str:
        r["str_status"] = next((e["str_error"] for e in events if "str_error" in e), "timeout" if timed_out else f"crash (exit status {rc})")
    if args.judge == "str":
        r["time"] = r["derive"] + r["str"] if "str" in r else None
    else:
        r["time"] = r["derive"] + r["text"]
    if r["time"] is None:
        return {"status": "error", "why": f"str(d): {r['str_status']}"}
    r["status"] = "ok"
    return r


def growth(n1, t1, n2, t2):
    """The factor per doubling of N between two sizes (they need not be a doubling apart)."""
    return (t2 / t1) ** (1 / math.log2(n2 / n1)) if t1 > 0 else math.inf


def fitted_growth(points):
    """The factor per doubling of the least-squares line through (log2 N, log2 t)."""
    xs, ys = [math.log2(n) for n, _ in points], [math.log2(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return 2 ** (sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs))


def ms(t):
    return "-" if t is None else f"{1000 * t:.1f}"


def run_family(name, sizes, args):
    """Check, time every size until the first failure, print the table; returns (passed, summary, wrong)."""
    print(f"\n== {name}: {describe(name)}")
    problems, wrong = [], False
    if not args.no_check:
        why, rel = check(name, sizes[0])
        if why:
            problems.append(f"WRONG ANSWER at N={sizes[0]}")
            wrong = True
            print(f"   check at N={sizes[0]}: MISMATCH vs torch autograd: {why}")
        else:
            print(f"   check at N={sizes[0]}: ok, max relative error {rel:.1e} vs torch autograd")
    print(f"   {'N':>5} {'derive ms':>10} {'text ms':>8} {'str ms':>9} {f'derive+{args.judge} ms':>15} {'x/dbl':>6}"
          f" {'text chars':>11} {'str chars':>11} {'MB':>6} {'reps':>4}")
    done, with_str = [], True
    for n in sizes:
        r = measure(name, n, args, with_str)
        if r["status"] != "ok":
            print(f"   {n:5d} {r['status']}: {r['why']}")
            if r["status"] != "skipped":
                problems.append(f"{r['status']} at N={n}")
                break
            continue
        g = growth(done[-1][0], done[-1][1], n, r["time"]) if done else None
        strs = r.get("str_chars", r.get("str_status", "off").split(":")[0].split()[0])   # a size or why not
        peak = "-" if r["peak_mb"] is None else f"{r['peak_mb']:.0f}"
        print(f"   {n:5d} {ms(r['derive']):>10} {ms(r['text']):>8} {ms(r.get('str')):>9} {ms(r['time']):>15}"
              f" {'-' if g is None else f'{g:.2f}':>6} {r['text_chars']:11d} {strs:>11} {peak:>6} {r['reps']:4d}")
        if r.get("str_status") and with_str:
            with_str = False
            print(f"         (str(d) {r['str_status']} at N={n}: not attempted at larger sizes)")
        done.append((n, r["time"]))
    judged = [(n, t) for n, t in done if t >= JUDGE_FROM][-JUDGE_LAST:]
    fit = fitted_growth(judged) if len(judged) >= 2 else None
    if fit is not None and fit > GROWTH_TARGET:
        problems.append(f"growth x{fit:.2f} > x{GROWTH_TARGET}")
    if done and done[-1][1] > SECONDS_TARGET:
        problems.append(f"{done[-1][1]:.2f} s at N={done[-1][0]}")
    if not done:
        problems.append("no size completed")
    largest = f"largest N={done[-1][0]} in {done[-1][1]:.3f} s" if done else "nothing timed"
    if fit is not None:
        largest += f", x{fit:.2f} per doubling (fit over N={judged[0][0]}..{judged[-1][0]})"
    verdict = "FAIL" if problems else "PASS"
    print(f"   {verdict}: {largest}" + (f"; {'; '.join(problems)}" if problems else ""))
    return not problems, f"{name} {verdict}" + (f" ({problems[0]})" if problems else ""), wrong


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", action="append", choices=list(FAMILIES), help="only this family (repeatable)")
    ap.add_argument("--max-size", type=int, help="skip sizes N above this")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size, median reported (default 3)")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per size, in a child process (default 20)")
    ap.add_argument("--quick", action="store_true", help="the first three sizes of each family only")
    ap.add_argument("--judge", choices=("text", "str"), default="text",
                    help="the time judged: derive + d.text() (default) or derive + str(d)")
    ap.add_argument("--memory-mb", type=int, default=4096, help="address-space limit of a child (default 4096)")
    ap.add_argument("--no-check", action="store_true", help="skip the torch autograd check")
    ap.add_argument("--no-str", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child", nargs=2, metavar=("FAMILY", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child[0], int(args.child[1]), args.repeat, args.timeout / 4, not args.no_str, args.memory_mb)

    start = time.perf_counter()
    print(f"scaling of matcalc.derive; median of {args.repeat}, timeout {args.timeout:g} s per size; "
          f"targets: derive+{args.judge} grows <= x{GROWTH_TARGET} per "
          f"doubling (fit over the last {JUDGE_LAST} sizes from {1000 * JUDGE_FROM:.0f} ms up), <= {SECONDS_TARGET:g} s "
          f"at the largest size")
    results = []
    for name in args.family or FAMILIES:
        sizes = [n for n in FAMILIES[name].sizes if args.max_size is None or n <= args.max_size]
        sizes = sizes[:3] if args.quick else sizes
        if sizes:
            results.append(run_family(name, sizes, args))
    passed = sum(ok for ok, _, _ in results)
    print(f"\nsummary: {passed}/{len(results)} families pass" + (" (--quick: small sizes only)" if args.quick else "")
          + "; " + "; ".join(s for _, s, _ in results))
    print(f"total wall time {time.perf_counter() - start:.0f} s")
    return 1 if any(wrong for _, _, wrong in results) else 0   # slow is reported; wrong is an error


if __name__ == "__main__":
    sys.exit(main())
