"""Sample points for numeric checks: distinct sizes for symbolic dimensions, and values inside
the domain of every operator a variable feeds (positive under log, SPD under logdet, ...).

>>> concrete_sizes({"X": ("n", "d"), "w": ("d", 1)})
{'X': (5, 3), 'w': (3, 1)}
"""
from __future__ import annotations

from ..ir.dims import dim_names, resolve_dim
from ..ir.expr import Expr, walk
from ..ir.operator import REGISTRY

__all__ = ["concrete_sizes", "domains_of", "random_values", "SIZES"]

SIZES = (5, 3, 4, 2, 6, 7, 8, 9, 10, 11, 12)   # the first (often samples) largest: X'@X full rank
# what a variable's values are drawn from, strongest first when several functions constrain it
SAMPLING = ("spd", "invertible", "unit", "positive", "above_minus_one", "nonzero", "symmetric", "rowsum1")


def concrete_sizes(shapes: dict) -> dict:
    """Give each symbolic dimension a distinct small size (so a missing transpose shows)."""
    symbols = []
    for shape in shapes.values():
        symbols += [n for d in shape for n in dim_names(d) if n not in symbols]
    taken = {d for shape in shapes.values() for d in shape if isinstance(d, int)}
    pool = [s for s in SIZES if s not in taken] + [s for s in SIZES if s in taken]
    size = dict(zip(symbols, pool))
    return {name: tuple(resolve_dim(d, size.__getitem__) for d in shape) for name, shape in shapes.items()}


def _node_domains(node: Expr) -> tuple:
    domain = REGISTRY[node.op].domain
    return domain(node) if callable(domain) else domain


def domains_of(f: Expr) -> dict:
    """name -> how to sample it, from the domains of the operators its variables feed."""
    need: dict[str, str] = {}
    for node in walk(f):
        for i, dom in enumerate(_node_domains(node)):
            if dom is None:
                continue
            for leaf in walk(node.args[i]):
                if leaf.op != "var":
                    continue
                hint = dom.sample
                square = leaf.shape[0] == leaf.shape[1] and leaf.shape != (1, 1)
                if hint in ("spd", "invertible") and not square:
                    hint = "positive"
                old = need.get(leaf.attr)
                if old is None or SAMPLING.index(hint) < SAMPLING.index(old):
                    need[leaf.attr] = hint
    return need


def random_values(sizes: dict, domains: dict, seed: int) -> dict:
    """Seeded float64 inputs; domains name how each variable is drawn (see SAMPLING)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    values = {}
    for name, shape in sizes.items():
        kind = domains.get(name)
        g = rng.standard_normal(shape)
        if kind == "spd":
            values[name] = g @ g.T + shape[0] * np.eye(shape[0])
        elif kind == "invertible":
            values[name] = g + shape[0] * np.eye(shape[0])
        elif kind == "positive":
            values[name] = np.abs(g) + 0.5
        elif kind == "unit":
            values[name] = rng.uniform(-0.8, 0.8, shape)
        elif kind == "above_minus_one":
            values[name] = rng.uniform(-0.5, 2.0, shape)
        elif kind == "nonzero":
            values[name] = np.sign(g + 1e-300) * (np.abs(g) + 0.5)
        elif kind == "symmetric":
            values[name] = (g + g.T) / 2
        elif kind == "rowsum1":
            u = rng.uniform(0.1, 1.0, shape)
            values[name] = u / u.sum(axis=1, keepdims=True)
        else:
            values[name] = g
    return values
