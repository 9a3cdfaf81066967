"""An independent torch evaluator of matcalc's input language, and the autograd checks built on it.

Nothing here imports matcalc except `assert_*`, which run the engine and compare it with torch.
Every value is a float64 2-D tensor: scalars are 1x1, vectors are columns.
"""
from __future__ import annotations

import re
import zlib

import numpy as np
import torch

from codegen_oracle import assert_generated_matches

RTOL, ATOL = 1e-6, 1e-8

# ------------------------------------------------------------------------------ parsing
_TOKEN = re.compile(r"""
    (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|\.T(?![A-Za-z0-9_])|[-+*/@^'(),=;])
  | (?P<space>\s+)
""", re.VERBOSE)


class OracleSyntaxError(ValueError):
    """The oracle cannot parse the text."""


def tokenize(text: str) -> list[tuple[str, str]]:
    """[(kind, text)] with kind in num/name/op; `**` is normalised to `^`, `.T` to `'`."""
    toks, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise OracleSyntaxError(f"unexpected character at {pos}: {text[pos:pos + 12]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind == "space":
            continue
        val = m.group(kind)
        if kind == "op":
            val = {"**": "^", ".T": "'"}.get(val, val)
        toks.append((kind, val))
    return toks


class _Parser:
    """Recursive descent: + - < @ * / (one level, left-assoc) < unary - < ^ (right) < postfix '."""

    def __init__(self, text: str):
        self.toks, self.i = tokenize(text), 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def at(self, *ops):
        kind, val = self.peek()
        return kind == "op" and val in ops

    def take(self, val=None):
        tok = self.peek()
        if tok[0] is None or (val is not None and tok[1] != val):
            raise OracleSyntaxError(f"expected {val or 'a token'}, got {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self):
        """A program: `name = sum` definitions (each name replaced by its tree), then a sum."""
        defined = {}
        while self.i + 1 < len(self.toks) and self.peek()[0] == "name" and self.toks[self.i + 1] == ("op", "="):
            name = self.take()[1]
            self.take("=")
            defined[name] = _substitute(self.sum(), defined)
            while self.at(";"):
                self.take(";")
        node = _substitute(self.sum(), defined)
        while self.at(";"):
            self.take(";")
        if self.i != len(self.toks):
            raise OracleSyntaxError(f"unexpected {self.peek()[1]!r}")
        return node

    def chain(self, ops, sub):
        node = sub()
        while self.at(*ops):
            op = self.take()[1]
            node = (op, node, sub())
        return node

    def sum(self):
        return self.chain(("+", "-"), self.product)

    def product(self):
        return self.chain(("@", "*", "/"), self.unary)

    def unary(self):
        if self.at("-"):
            self.take()
            return ("neg", self.unary())
        if self.at("+"):
            self.take()
            return self.unary()
        base = self.postfix()
        if self.at("^"):
            self.take()
            return ("^", base, self.unary())
        return base

    def postfix(self):
        node = self.atom()
        while self.at("'"):
            self.take()
            node = ("T", node)
        return node

    def atom(self):
        kind, val = self.peek()
        if kind == "num":
            self.take()
            return ("num", float(val))
        if kind == "name":
            self.take()
            if not self.at("("):
                return ("var", val)
            self.take()
            args = [self.sum()]
            while self.at(","):
                self.take()
                args.append(self.sum())
            self.take(")")
            return ("call", val, args)
        if self.at("("):
            self.take()
            node = self.sum()
            self.take(")")
            return node
        raise OracleSyntaxError(f"unexpected {val!r}")


def _substitute(node, defined: dict):
    if isinstance(node, list):
        return [_substitute(part, defined) for part in node]
    if not defined or not isinstance(node, tuple):
        return node
    if node[0] == "var" and node[1] in defined:
        return defined[node[1]]
    return tuple(_substitute(part, defined) if isinstance(part, (tuple, list)) else part for part in node)


def parse(text: str):
    """The syntax tree of `text` as nested tuples."""
    return _Parser(text).parse()


# --------------------------------------------------------------------------- evaluation
def _scalar(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(1, 1)


def _square(x: torch.Tensor) -> torch.Tensor:
    if x.shape[0] != x.shape[1]:
        raise ValueError(f"needs a square matrix, got {tuple(x.shape)}")
    return x


def _diag(x: torch.Tensor) -> torch.Tensor:
    if 1 in x.shape:
        return torch.diag(x.reshape(-1))
    return torch.diagonal(_square(x)).reshape(-1, 1)


_FUNCS = {
    "exp": torch.exp, "log": torch.log, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh,
    "sigmoid": torch.sigmoid, "relu": torch.relu, "sqrt": torch.sqrt, "abs": torch.abs,
    "softplus": lambda x: torch.logaddexp(torch.zeros_like(x), x),
    "step": lambda x: (x > 0).to(x.dtype), "sign": torch.sign,
    "tr": lambda x: _scalar(torch.trace(_square(x))),
    "trace": lambda x: _scalar(torch.trace(_square(x))),
    "det": lambda x: _scalar(torch.linalg.det(_square(x))),
    "logdet": lambda x: _scalar(torch.logdet(_square(x))),
    "inv": lambda x: torch.linalg.inv(_square(x)),
    "diag": _diag,
    "tan": torch.tan, "asin": torch.asin, "acos": torch.acos, "atan": torch.atan, "sinh": torch.sinh,
    "cosh": torch.cosh, "log1p": torch.log1p, "expm1": torch.expm1,
    "sum": lambda x: _scalar(x.sum()),
    "norm": lambda x: _scalar(torch.sqrt((x * x).sum())),
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "logsumexp": lambda x: _scalar(torch.logsumexp(x.reshape(-1), dim=0)),
    "mean": lambda x: _scalar(x.mean()),
    "vec": lambda x: x.T.reshape(-1, 1),       # columns stacked
}
_AXIS_REDUCTIONS = {   # sum(X, 0) is 1 x n and sum(X, 1) is m x 1, as NumPy numbers axes, kept 2-D
    "sum": lambda x, axis: x.sum(dim=axis, keepdim=True),
    "mean": lambda x, axis: x.mean(dim=axis, keepdim=True),
}
_BINARY_FUNCS = {"max": torch.maximum, "min": torch.minimum}   # elementwise, broadcasting


def _commutation(m: int, n: int) -> torch.Tensor:
    """K with vec(X') = K vec(X) for X m x n: X[i, j] sits at i + m*j in vec(X), at j + n*i in vec(X')."""
    K = torch.zeros(m * n, m * n, dtype=torch.float64)
    for i in range(m):
        for j in range(n):
            K[j + n * i, i + m * j] = 1.0
    return K


def _unvec(v: torch.Tensor, m: int, n: int) -> torch.Tensor:
    if v.shape != (m * n, 1):
        raise ValueError(f"unvec to {m} x {n} needs a column of {m * n}, got {tuple(v.shape)}")
    return v.reshape(n, m).T
_CONSTRUCTORS = {
    "eye": (1, lambda n: torch.eye(n, dtype=torch.float64)),
    "ones": (2, lambda m, n: torch.ones(m, n, dtype=torch.float64)),
    "zeros": (2, lambda m, n: torch.zeros(m, n, dtype=torch.float64)),
    "commutation": (2, _commutation),
}
_BINARY = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div}


def _int_arg(node) -> int:
    if node[0] != "num" or node[1] != int(node[1]) or node[1] < 1:
        raise ValueError(f"constructor size must be a positive integer literal, got {node}")
    return int(node[1])


def _eval(node, env):
    kind = node[0]
    if kind == "num":
        return torch.tensor([[node[1]]], dtype=torch.float64)
    if kind == "var":
        return env[node[1]]
    if kind == "neg":
        return -_eval(node[1], env)
    if kind == "T":
        return _eval(node[1], env).T
    if kind in _BINARY:
        a, b = _eval(node[1], env), _eval(node[2], env)
        torch.broadcast_shapes(a.shape, b.shape)  # raises on a mismatch
        return _BINARY[kind](a, b)
    if kind == "@":
        a, b = _eval(node[1], env), _eval(node[2], env)
        if a.shape[1] != b.shape[0]:
            raise ValueError(f"@ of {tuple(a.shape)} and {tuple(b.shape)}")
        return a @ b
    if kind == "^":
        base = _eval(node[1], env)
        expo = node[2][1] if node[2][0] == "num" else _eval(node[2], env)
        if isinstance(expo, torch.Tensor):
            if expo.numel() != 1:
                raise ValueError("non-scalar exponent")
            expo = expo.reshape(())
        return torch.pow(base, expo)
    if kind == "call":
        name, args = node[1], node[2]
        if name in _CONSTRUCTORS:
            arity, make = _CONSTRUCTORS[name]
            if len(args) != arity:
                raise ValueError(f"{name} takes {arity} arguments")
            return make(*[_int_arg(a) for a in args])
        if name == "kron" and len(args) == 2:
            a, b = _eval(args[0], env), _eval(args[1], env)   # [a_ij b] blocks (torch.kron trips on some strides)
            return (a[:, None, :, None] * b[None, :, None, :]).reshape(a.shape[0] * b.shape[0], a.shape[1] * b.shape[1])
        if name == "unvec" and len(args) == 3:
            return _unvec(_eval(args[0], env), _int_arg(args[1]), _int_arg(args[2]))
        if name in _AXIS_REDUCTIONS and len(args) == 2:
            if args[1] not in (("num", 0.0), ("num", 1.0)):
                raise ValueError(f"the axis of {name} is the literal 0 or 1")
            return _AXIS_REDUCTIONS[name](_eval(args[0], env), int(args[1][1]))
        if name in _BINARY_FUNCS and len(args) == 2:
            a, b = _eval(args[0], env), _eval(args[1], env)
            torch.broadcast_shapes(a.shape, b.shape)
            return _BINARY_FUNCS[name](a, b)
        if name not in _FUNCS or len(args) != 1:
            raise ValueError(f"unknown function {name}/{len(args)}")
        return _FUNCS[name](_eval(args[0], env))
    raise ValueError(f"bad node {kind}")


def as_2d(t: torch.Tensor) -> torch.Tensor:
    """A declared-shape tensor as the language sees it: () -> 1x1, (n,) -> n x 1."""
    return t.reshape(1, 1) if t.dim() == 0 else t.reshape(-1, 1) if t.dim() == 1 else t


def torch_eval(text: str, tensors: dict) -> torch.Tensor:
    """Evaluate `text` on torch tensors of the declared shapes; the result is 2-D."""
    env = {k: as_2d(v) for k, v in tensors.items()}
    return _eval(parse(text), env)


def _tensors(values: dict) -> dict:
    return {k: torch.as_tensor(np.asarray(v, dtype=np.float64)) for k, v in values.items()}


def torch_value(f: str, values: dict) -> np.ndarray:
    """f evaluated by the oracle on numpy values, as a 2-D numpy array."""
    with torch.no_grad():
        return torch_eval(f, _tensors(values)).numpy()


def _as_function_of(f: str, wrt: str, values: dict):
    tensors = _tensors(values)

    def fn(w):
        return torch_eval(f, {**tensors, wrt: w})

    return fn, tensors[wrt]


# ---------------------------------------------------------------------------- autograd
def torch_grad(f: str, wrt: str, values: dict) -> np.ndarray:
    """Autograd gradient of scalar f with respect to wrt, in wrt's declared shape."""
    fn, x0 = _as_function_of(f, wrt, values)
    w = x0.clone().requires_grad_(True)
    out = fn(w)
    if out.numel() != 1:
        raise ValueError(f"f is not scalar: shape {tuple(out.shape)}")
    g = torch.autograd.grad(out.reshape(()), w, allow_unused=True)[0] if out.requires_grad else None
    return (torch.zeros_like(x0) if g is None else g).detach().numpy().reshape(x0.shape)


def _column_major(t: torch.Tensor) -> torch.Tensor:
    """The entries of a 2-D tensor in vec order (columns stacked); torch's reshape reads rows."""
    return t.T.reshape(-1) if t.dim() == 2 else t.reshape(-1)


def torch_jacobian(f: str, wrt: str, values: dict) -> np.ndarray:
    """J[i, j] = d vec(f)_i / d vec(x)_j, shape (size of f, size of wrt), vec stacking columns."""
    fn, x0 = _as_function_of(f, wrt, values)
    if x0.dim() == 2:     # differentiate with respect to vec(x), so that J's columns follow vec order
        m, n = x0.shape
        jac = torch.autograd.functional.jacobian(lambda v: _column_major(fn(v.reshape(n, m).T)), _column_major(x0))
    else:
        jac = torch.autograd.functional.jacobian(lambda w: _column_major(fn(w)), x0)
    return jac.detach().numpy().reshape(-1, x0.numel())


def torch_hessian(f: str, wrt: str, values: dict) -> np.ndarray:
    """Hessian of scalar f with respect to vec(wrt), shape (size of wrt, size of wrt)."""
    fn, x0 = _as_function_of(f, wrt, values)
    if x0.dim() == 2:
        m, n = x0.shape
        hess = torch.autograd.functional.hessian(lambda v: fn(v.reshape(n, m).T).reshape(()), _column_major(x0))
    else:
        hess = torch.autograd.functional.hessian(lambda w: fn(w).reshape(()), x0)
    return hess.detach().numpy().reshape(x0.numel(), x0.numel())


def torch_hvp(f: str, wrt: str, values: dict, direction: np.ndarray) -> np.ndarray:
    """The Hessian of scalar f applied to a direction of wrt's shape (double backward), in wrt's shape."""
    fn, x0 = _as_function_of(f, wrt, values)
    v = torch.as_tensor(np.asarray(direction, dtype=np.float64)).reshape(x0.shape)
    _, out = torch.autograd.functional.hvp(lambda w: fn(w).reshape(()), x0, v)
    return out.detach().numpy()


def torch_symmetric_grad(f: str, wrt: str, values: dict) -> np.ndarray:
    """The gradient on symmetric matrices: d/dA of f((A + A')/2) at A = the (symmetric) value of wrt."""
    fn, x0 = _as_function_of(f, wrt, values)
    a = x0.clone().requires_grad_(True)
    out = fn((a + a.T) / 2).reshape(())
    return torch.autograd.grad(out, a)[0].detach().numpy()


def torch_symmetric_hvp(f: str, wrt: str, values: dict, direction: np.ndarray) -> np.ndarray:
    """The hvp on symmetric matrices: the Hessian of A -> f((A + A')/2) at the (symmetric) value of wrt,
    applied to a symmetric direction."""
    fn, x0 = _as_function_of(f, wrt, values)
    v = torch.as_tensor(np.asarray(direction, dtype=np.float64)).reshape(x0.shape)
    _, out = torch.autograd.functional.hvp(lambda a: fn((a + a.T) / 2).reshape(()), x0, v)
    return out.detach().numpy()


REFERENCES = {"grad": torch_grad, "jacobian": torch_jacobian, "hessian": torch_hessian}


# ------------------------------------------------------------------------------ inputs
def random_values(shapes: dict, seed: int = 0, domain: dict | None = None) -> dict:
    """Seeded float64 inputs: 2-D matrices, 1-D vectors, 0-D scalars.

    domain maps a name to spd | invertible | positive | unit | sign | mask | onehot.
    """
    domain = domain or {}
    unknown = set(domain) - set(shapes)
    if unknown:
        raise ValueError(f"domain for undeclared names {sorted(unknown)}")
    values = {}
    for name, shape in shapes.items():
        shape = tuple(int(s) for s in shape)
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        hint = domain.get(name)
        if hint in ("spd", "invertible") and (len(shape) != 2 or shape[0] != shape[1]):
            raise ValueError(f"{hint} needs a square matrix, {name} is {shape}")
        if hint == "spd":
            n = shape[0]
            g = rng.standard_normal((n, n))
            v = g @ g.T + n * np.eye(n)
        elif hint == "invertible":
            v = rng.standard_normal(shape) + shape[0] * np.eye(shape[0])
        elif hint == "positive":
            v = np.abs(rng.standard_normal(shape)) + 0.5
        elif hint == "unit":
            v = rng.uniform(0.2, 1.0, shape)
        elif hint == "sign":
            v = np.where(rng.standard_normal(shape) >= 0, 1.0, -1.0)
        elif hint == "mask":
            v = (rng.uniform(size=shape) < 0.7).astype(np.float64)
        elif hint == "onehot":
            v = np.zeros(shape)
            v[np.arange(shape[0]), rng.integers(0, shape[1], shape[0])] = 1.0
        elif hint is None:
            v = rng.standard_normal(shape)
        else:
            raise ValueError(f"unknown domain hint {hint!r}")
        values[name] = np.array(v, dtype=np.float64).reshape(shape)
    return values


# ---------------------------------------------------------------------------- comparing
def compare(got, ref: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> str:
    """'' if got matches ref in ref's shape, else why not.

    A size-1 result matches a scalar of any shape; a column (n, 1) and a 1-D (n,) are the same.
    """
    try:
        got = np.array(np.asarray(got, dtype=np.float64), dtype=np.float64)
    except (TypeError, ValueError) as e:
        return f"result is {type(got).__name__}, not numeric ({e})"
    column = ref.ndim == 1 or (ref.ndim == 2 and ref.shape[1] == 1)
    if ref.size == 1 and got.size == 1:
        got = got.reshape(ref.shape)
    elif column and got.shape in ((ref.shape[0],), (ref.shape[0], 1)):
        got = got.reshape(ref.shape)
    if got.shape != ref.shape:
        why = f"shape {got.shape}, want {ref.shape}"
        if got.ndim == 2 and got.T.shape == ref.shape and np.allclose(got.T, ref.reshape(got.T.shape),
                                                                        rtol=rtol, atol=atol):
            why += " (its transpose matches)"
        elif got.size == ref.size and np.allclose(got.reshape(ref.shape), ref, rtol=rtol, atol=atol):
            why += " (right numbers, wrong layout)"
        return why
    if not np.all(np.isfinite(got)):
        return "non-finite entries"
    if np.allclose(got, ref, rtol=rtol, atol=atol):
        return ""
    why = f"values differ: max abs err {np.abs(got - ref).max():.3g} (max |ref| {np.abs(ref).max():.3g})"
    if ref.ndim == 2 and ref.shape[0] == ref.shape[1] and np.allclose(got.T, ref, rtol=rtol, atol=atol):
        why += "; its transpose matches"
    if np.allclose(-got, ref, rtol=rtol, atol=atol):
        why += "; its negation matches"
    return why


def _show(a) -> str:
    return np.array2string(np.asarray(a, dtype=np.float64), precision=6, threshold=40, edgeitems=3)


def _engine():
    import matcalc  # the engine under test, imported only when a check runs

    return matcalc


def _copy(values: dict) -> dict:
    return {k: np.array(v, copy=True) for k, v in values.items()}


def _latex_ok(d, what: str) -> None:
    tex = d.latex()
    assert isinstance(tex, str) and tex.strip(), f"{what}.latex() returned {tex!r}, want a non-empty string"


def assert_value_matches(f: str, values: dict, rtol: float = RTOL, atol: float = ATOL) -> None:
    """matcalc.evaluate(f) equals the oracle's value of f."""
    want = torch_value(f, values)
    got = _engine().evaluate(f, _copy(values))
    why = compare(got, want, rtol, atol)
    assert not why, f"evaluate({f!r}) is wrong: {why}\nexpected:\n{_show(want)}\ngot:\n{_show(got)}"


def assert_derivative_matches(f: str, wrt: str, shapes: dict, seed: int = 0, domain: dict | None = None,
                              kind: str = "grad", rtol: float = RTOL, atol: float = ATOL) -> None:
    """matcalc's derivative of f (grad | jacobian | hessian) equals torch autograd at random inputs.

    Also checks d.latex() is non-empty, that the oracle reads str(d) the same way (the string is in
    the documented language), and that matcalc.evaluate(f) equals the oracle's f.
    """
    mc = _engine()
    values = random_values(shapes, seed, domain)
    want = REFERENCES[kind](f, wrt, values)
    if not np.all(np.isfinite(want)):
        raise ValueError(f"bad test case: the torch {kind} of {f!r} is not finite at seed {seed}")
    d = mc.derive(f, wrt, dict(shapes))
    strings = [str(d)]
    _latex_ok(d, "derive(f)")
    if kind == "hessian":
        d = mc.derive(strings[0], wrt, dict(shapes))
        strings.append(str(d))
        _latex_ok(d, "derive(derive(f))")
    got = mc.evaluate(strings[-1], _copy(values))
    why = compare(got, want, rtol, atol)
    if why:
        try:
            forward = compare(mc.evaluate(f, _copy(values)), torch_value(f, values), rtol, atol)
            forward = "evaluate(f) agrees with torch" if not forward else f"evaluate(f) is wrong too: {forward}"
        except Exception as e:  # noqa: BLE001 - a diagnosis only
            forward = f"evaluate(f) raised {type(e).__name__}: {e}"
        lines = [f"{kind} of {f!r} wrt {wrt} (shapes {shapes}, seed {seed}): {why}; {forward}"]
        lines += [f"derivative string{' ' + str(i + 1) if len(strings) > 1 else ''}: {s}"
                  for i, s in enumerate(strings)]
        lines += [f"expected (torch):\n{_show(want)}", f"got (matcalc):\n{_show(got)}"]
        raise AssertionError("\n".join(lines))
    for s in strings:  # str(d) must mean the same under the documented grammar, read independently
        try:
            torch_value(s, values)
        except (ValueError, RuntimeError) as e:
            raise AssertionError(f"derivative string of {f!r} wrt {wrt} is not in the documented language "
                                 f"({type(e).__name__}: {e}): {s}") from None
    why = compare(torch_value(strings[-1], values), want, rtol, atol)
    assert not why, f"the oracle reads the derivative string of {f!r} wrt {wrt} differently ({why}): {strings[-1]}"
    assert_value_matches(f, values, rtol, atol)
    if hasattr(mc, "compile") and (kind == "grad" or (kind == "hessian" and (len(shapes[wrt]) < 2 or 1 in shapes[wrt]))):
        assert_generated_matches(f, wrt, shapes, values, kind, compare, {"value": torch_value, **REFERENCES},
                                 rtol, atol)
