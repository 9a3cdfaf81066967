"""Sample points for numeric checks: distinct sizes for symbolic dimensions, and inputs at which every
operator applied is inside its domain (positive under log and sqrt, SPD under logdet, ...).

A per-variable hint (log(X): X positive) is only a first guess: sqrt(X - Y) needs X - Y > 0, which no
rule per variable promises.  So `candidates` draws inputs by several strategies and seeds (the hints,
then other draws — positive, negative, small, inside (-1, 1), SPD — at several scales), and
`outside_domain` tests each operator's `Domain.holds` on its actual argument values; the caller keeps
the first candidate that passes (rejection sampling with a bounded number of tries).

>>> concrete_sizes({"X": ("n", "d"), "w": ("d", 1)})
{'X': (5, 3), 'w': (3, 1)}
>>> from matcalc.frontend import parse, typecheck
>>> f, _ = typecheck(parse("sum(sqrt(X - Y))"), {"X": (3, 2), "Y": (3, 2)})
>>> hints = domains_of(f)
>>> hints
{'X': 'positive', 'Y': 'positive'}
>>> tries = [v for v in candidates({"X": (3, 2), "Y": (3, 2)}, hints, seed=0) if not outside_domain([f], v)]
>>> len(tries) > 0
True
"""
from __future__ import annotations

from typing import Iterator, NamedTuple, Optional

from ..errors import EvaluationError
from ..ir.dims import dim_names, resolve_dim
from ..ir.expr import Expr, walk
from ..ir.operator import REGISTRY, Domain
from .evaluate import node_values

__all__ = ["concrete_sizes", "domains_of", "random_values", "candidates", "outside_domain", "Violation", "SIZES", "MAX_TRIES"]

SIZES = (5, 3, 4, 2, 6, 7, 8, 9, 10, 11, 12)   # the first (often samples) largest: X'@X full rank
# what a variable's values are drawn from, strongest first when several functions constrain it
SAMPLING = ("spd", "invertible", "unit", "positive", "above_minus_one", "nonzero", "symmetric", "rowsum1")
# the other draws candidates tries, each at one of SCALES
DRAWS = ("normal", "positive", "negative", "unit", "nonzero", "spd", "invertible", "above_minus_one")
SCALES = (1.0, 0.3, 0.1, 3.0)
MAX_TRIES = 200   # candidates per check: enough for a few constraints on differences, bounded in time


def concrete_sizes(shapes: dict, ascending: bool = False) -> dict:
    """Give each symbolic dimension a distinct small size (so a missing transpose shows); ascending, the
    first symbols get the smallest sizes instead: A n×d, B d×n then make A@B full rank.

    >>> concrete_sizes({"A": ("n", "d")}, ascending=True)
    {'A': (2, 3)}
    """
    symbols = []
    for shape in shapes.values():
        symbols += [n for d in shape for n in dim_names(d) if n not in symbols]
    taken = {d for shape in shapes.values() for d in shape if isinstance(d, int)}
    pool = [s for s in (sorted(SIZES) if ascending else SIZES) if s not in taken] + [s for s in SIZES if s in taken]
    size = dict(zip(symbols, pool))
    return {name: tuple(resolve_dim(d, size.__getitem__) for d in shape) for name, shape in shapes.items()}


def node_domains(node: Expr) -> tuple:
    """The Domain (or None) of each argument of node, from its operator's record."""
    domain = REGISTRY[node.op].domain
    return domain(node) if callable(domain) else domain


def _square(shape) -> bool:
    return shape[0] == shape[1] and tuple(shape) != (1, 1)


def domains_of(f: Expr) -> dict:
    """name -> how to sample it first, from the domains of the operators its variables feed."""
    need: dict[str, str] = {}
    for node in walk(f):
        for i, dom in enumerate(node_domains(node)):
            if dom is None:
                continue
            for leaf in walk(node.args[i]):
                if leaf.op != "var":
                    continue
                hint = dom.sample
                if hint in ("spd", "invertible") and not _square(leaf.shape):
                    hint = "positive"
                old = need.get(leaf.attr)
                if old is None or SAMPLING.index(hint) < SAMPLING.index(old):
                    need[leaf.attr] = hint
    return need


def _draw(rng, kind: Optional[str], shape: tuple, scale: float = 1.0):
    """One variable's values, of a kind of SAMPLING or DRAWS (None: standard normal), times scale."""
    import numpy as np
    g = rng.standard_normal(shape)
    if kind == "spd":
        v = g @ g.T + shape[0] * np.eye(shape[0])
    elif kind == "invertible":
        v = g + shape[0] * np.eye(shape[0])
    elif kind == "positive":
        v = np.abs(g) + 0.5
    elif kind == "negative":
        v = -(np.abs(g) + 0.5)
    elif kind == "unit":
        v = rng.uniform(-0.8, 0.8, shape)
    elif kind == "above_minus_one":
        v = rng.uniform(-0.5, 2.0, shape)
    elif kind == "nonzero":
        v = np.sign(g + 1e-300) * (np.abs(g) + 0.5)
    elif kind == "symmetric":
        v = (g + g.T) / 2
    elif kind == "rowsum1":      # rows that sum to one: scaling would break them
        u = rng.uniform(0.1, 1.0, shape)
        return u / u.sum(axis=1, keepdims=True)
    else:
        v = g
    return v * scale


def random_values(sizes: dict, domains: dict, seed: int) -> dict:
    """Seeded float64 inputs; domains name how each variable is drawn (see SAMPLING)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    return {name: _draw(rng, domains.get(name), shape) for name, shape in sizes.items()}


def candidates(sizes: dict, hints: dict, seed: int, *, symmetric=(), fixed: Optional[dict] = None,
               tries: int = MAX_TRIES) -> Iterator[dict]:
    """Up to `tries` seeded inputs to test: first every variable by its hint, then, in turn, mixed
    draws (a kind and a scale per variable) and draws near a constant (c + noise, or c I + noise for a
    square matrix: log(X - 2*Y) and sqrt(Y - X) together need Y < 0 and 2Y < X < Y in every entry).

    symmetric: names whose values are symmetrized; fixed: name -> a kind always used (rowsum1).
    """
    import numpy as np
    fixed = fixed or {}
    first = dict(hints, **fixed)
    for t in range(tries):
        if t == 0:
            values = random_values(sizes, first, seed)
        else:
            rng = np.random.default_rng([seed, t])
            draw = _mixed if t % 2 else _near_constant
            values = {name: _draw(rng, fixed[name], shape) if name in fixed else draw(rng, first.get(name), shape)
                      for name, shape in sizes.items()}
        for name in symmetric:
            if name in values and _square(values[name].shape):
                values[name] = (values[name] + values[name].T) / 2
        yield values


def _mixed(rng, hint: Optional[str], shape: tuple):
    kinds = [k for k in DRAWS if _square(shape) or k not in ("spd", "invertible")]
    kind = hint if hint and rng.random() < 0.5 else rng.choice(kinds)
    return _draw(rng, kind, shape, SCALES[rng.integers(len(SCALES))])


def _near_constant(rng, hint: Optional[str], shape: tuple):
    import numpy as np
    c = rng.uniform(-3.0, 3.0)
    noise = rng.choice((0.1, 0.01)) * rng.standard_normal(shape)   # small, yet a missing transpose still shows
    if _square(shape) and rng.random() < 0.5:
        return c * np.eye(shape[0]) + noise
    return c + noise


class Violation(NamedTuple):
    """Why a sample is rejected: argument `index` of `node` is not `why` (node None: evaluation failed)."""
    node: Optional[Expr]
    index: int
    why: str


def outside_domain(roots, values: dict) -> Optional[Violation]:
    """The first operator applied outside its domain at these values, or None.

    Every node of every root is evaluated (NumPy) and each Domain's `holds` tested on the actual
    argument; an evaluation the backend refuses (a singular inverse) counts as outside.
    """
    import numpy as np
    for root in roots:
        try:
            with np.errstate(all="ignore"):
                nodes = node_values(root, values)
        except EvaluationError as e:
            return Violation(None, 0, str(e))
        for node in nodes:
            if REGISTRY[node.op].leaf:
                continue
            for i, dom in enumerate(node_domains(node)):
                if dom is not None and not _holds(dom, nodes[node.args[i]]):
                    return Violation(node, i, dom.name)
    return None


def _holds(dom: Domain, value) -> bool:
    import numpy as np
    with np.errstate(all="ignore"):
        try:
            return bool(dom.holds(np, value))
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            return False
