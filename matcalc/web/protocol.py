"""The JSON requests of `matcalc serve`: their fields, their limits, and their validation.

Everything here runs in the server process before any derivation work, and knows nothing
of matcalc's internals: a body becomes a Query, or a RequestError that the server answers
with HTTP 400.

>>> parse_query({"expr": "norm(X@W - Y)^2", "wrt": ["W"], "shapes": {"X": "100x1"}}).shapes
{'X': (100, 1)}
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_BODY_BYTES = 64 * 1024        # the whole request body
MAX_EXPRESSION_CHARS = 2_000      # far above any lecture formula; matcalc's own limit is 100,000
MAX_VARIABLES = 50                # entries of wrt, shapes and symmetric
MAX_DIMENSION = 1_000_000         # a numeric dimension; derivations are symbolic, so only check() allocates
MAX_CHECK_DIMENSION = 1_000       # check() evaluates at random inputs of the declared sizes
MAX_ASSUMPTIONS = 10
MAX_ASSUMPTION_CHARS = 200

KINDS = ("gradient", "jacobian", "hessian", "hvp")
LAYOUTS = ("numerator", "denominator")
BACKENDS = ("numpy", "torch", "jax")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

# the fields each endpoint accepts; an unknown field is refused, so a typo does not pass silently
COMMON_FIELDS = {"expr", "wrt", "shapes", "kind", "symmetric", "assume", "layout", "direction"}
FIELDS = {
    "derive": COMMON_FIELDS | {"steps"},
    "check": COMMON_FIELDS,
    "codegen": COMMON_FIELDS | {"backend"},
}


class RequestError(Exception):
    """A request body that is not a valid query; `field` names the offending field."""

    def __init__(self, message: str, field: str | None = None, type: str = "RequestError"):
        super().__init__(message)
        self.field = field
        self.type = type

    def body(self) -> dict:
        """The JSON answer (HTTP 400): a request field has no line or column in the expression."""
        return {"error": {"type": self.type, "message": str(self), "line": None, "column": None, "field": self.field}}


@dataclass(frozen=True)
class Query:
    """One validated request: what to differentiate, with respect to what, and how.

    wrt is None for "every variable of f"; shapes maps a name to () (scalar),
    (n,) (column vector) or (m, n), each dimension an int or a dimension name.
    """
    expr: str
    wrt: tuple | None = None
    shapes: dict = field(default_factory=dict)
    kind: str = "gradient"
    steps: bool = False
    symmetric: tuple = ()
    assume: tuple = ()
    layout: str = "numerator"
    direction: str | None = None
    backend: str = "numpy"


def parse_query(body, endpoint: str = "derive") -> Query:
    """A Query from a decoded JSON body, or RequestError saying which field is wrong and why."""
    if not isinstance(body, dict):
        raise RequestError(f"the body is a JSON object such as {{\"expr\": \"tr(A@B)\"}}, not {_json_type(body)}")
    unknown = sorted(set(body) - FIELDS[endpoint])
    if unknown:
        raise RequestError(f"unknown field {_show(unknown[0])}; /api/{endpoint} takes "
                           f"{', '.join(sorted(FIELDS[endpoint]))}", unknown[0][:64])
    if "expr" not in body:
        raise RequestError("the field 'expr' (the function to differentiate) is missing", "expr")
    expr = body["expr"]
    if not isinstance(expr, str):
        raise RequestError(f"'expr' is a string, not {_json_type(expr)}", "expr")
    if len(expr) > MAX_EXPRESSION_CHARS:
        raise RequestError(f"the expression is {len(expr)} characters long; the limit is {MAX_EXPRESSION_CHARS}",
                           "expr", type="LimitError")
    wrt = body.get("wrt")
    wrt = None if wrt is None or wrt == [] else _names(wrt, "wrt", allow_single=True)
    shapes = _shapes(body.get("shapes") or {})
    return Query(
        expr=expr,
        wrt=wrt,
        shapes=shapes,
        kind=_choice(body.get("kind", "gradient"), KINDS, "kind"),
        steps=_flag(body.get("steps", False), "steps"),
        symmetric=_names(body.get("symmetric") or [], "symmetric"),
        assume=_assumptions(body.get("assume") or []),
        layout=_choice(body.get("layout", "numerator"), LAYOUTS, "layout"),
        direction=None if body.get("direction") in (None, "") else _name(body["direction"], "direction"),
        backend=_choice(body.get("backend", "numpy"), BACKENDS, "backend"),
    )


def parse_shape(spec, name: str = "?"):
    """A shape from JSON: "100x1", "n,d", "n×d", "5", "scalar", [100, 1], [] -> a tuple.

    >>> parse_shape("100x1"), parse_shape("n, d"), parse_shape("scalar"), parse_shape([5])
    ((100, 1), ('n', 'd'), (), (5,))
    """
    where = f"shapes.{name}"
    if isinstance(spec, str):
        text = spec.strip().strip("()[]").strip()
        if text.lower() in ("", "scalar", "1x1"):
            return ()
        # 100x1, 100 x 1, n,d, n×d, n x d; a bare x between letters stays part of a name (nx)
        parts = re.split(r"\s*(?:[,×*]|(?<=\d)\s*[xX]\s*(?=\d)|\s[xX]\s)\s*", text)
    elif isinstance(spec, list):
        parts = spec
    else:
        raise RequestError(f"the shape of {name} is a string such as \"100x1\", \"n,d\" or \"scalar\", "
                           f"or a list such as [100, 1]; not {_json_type(spec)}", where, type="ShapeError")
    if len(parts) > 2:
        raise RequestError(f"the shape of {name}, {_show(spec)}, has {len(parts)} dimensions; matcalc works with "
                           f"scalars, vectors (n) and matrices (m×n)", where, type="ShapeError")
    return tuple(_dimension(p, name, where) for p in parts)


def _dimension(part, name: str, where: str):
    if isinstance(part, str) and part.strip().isdigit():
        part = int(part.strip())
    if isinstance(part, int) and not isinstance(part, bool):
        if not 1 <= part <= MAX_DIMENSION:
            raise RequestError(f"a dimension of {name} is {part}; dimensions are 1 to {MAX_DIMENSION:,}",
                               where, type="ShapeError")
        return part
    if isinstance(part, str) and NAME.fullmatch(part.strip()):
        return part.strip()
    raise RequestError(f"a dimension of {name} is {_show(part)}; a dimension is a positive number or a name "
                       f"(e.g. 100x1, n,d, scalar)", where, type="ShapeError")


def _shapes(value) -> dict:
    if not isinstance(value, dict):
        raise RequestError(f"'shapes' maps names to shapes, e.g. {{\"X\": \"100x1\"}}; not {_json_type(value)}",
                           "shapes")
    if len(value) > MAX_VARIABLES:
        raise RequestError(f"'shapes' has {len(value)} entries; the limit is {MAX_VARIABLES}", "shapes")
    shapes = {}
    for name, spec in value.items():
        _name(name, "shapes")
        if spec is None or spec == "":   # the page sends an empty box as "not declared"
            continue
        shapes[name] = parse_shape(spec, name)
    return shapes


def _names(value, field: str, allow_single: bool = False) -> tuple:
    if allow_single and isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise RequestError(f"'{field}' is a list of variable names, not {_json_type(value)}", field)
    if len(value) > MAX_VARIABLES:
        raise RequestError(f"'{field}' has {len(value)} names; the limit is {MAX_VARIABLES}", field)
    return tuple(dict.fromkeys(_name(v, field) for v in value))   # in order, without repeats


def _name(value, field: str) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise RequestError(f"{_show(value)} in '{field}' is not a variable name (letters, digits and _, "
                           f"not starting with a digit)", field)
    return value


def _assumptions(value) -> tuple:
    if not isinstance(value, list) or len(value) > MAX_ASSUMPTIONS or not all(
            isinstance(a, str) and len(a) <= MAX_ASSUMPTION_CHARS for a in value):
        raise RequestError(f"'assume' is a list of at most {MAX_ASSUMPTIONS} facts such as \"rowsum(Y)=1\"", "assume")
    return tuple(value)


def _choice(value, choices: tuple, field: str) -> str:
    if value not in choices:
        raise RequestError(f"'{field}' is one of {', '.join(choices)}; not {_show(value)}", field)
    return value


def _flag(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise RequestError(f"'{field}' is true or false, not {_json_type(value)}", field)
    return value


def _show(value) -> str:
    """repr(value), cut short: an error message must not echo a 60 KiB string back."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _json_type(value) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
