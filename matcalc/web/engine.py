"""The one place where `matcalc serve` calls matcalc: a Query in, a JSON-ready answer out.

Only the public API is used (derive, hessian, hvp, check, the Derivative, the error
classes, render.render); when matcalc's internals move, this module is the one to
update.  run() never raises: it answers (status, body, log), log being a traceback
for the server's log when something unexpected broke (status 500).

>>> status, body, _ = run("derive", Query("norm(X@W - Y)^2", ("W",)))
>>> status, body["results"][0]["text"]
(200, "2*X'@(X@W - Y)")
"""
from __future__ import annotations

import importlib.util
import math
import re
import traceback

import matcalc
from matcalc.derivations import mathml, render
from matcalc.errors import caret as caret_block, position

from .protocol import MAX_CHECK_DIMENSION, RequestError, Query

MAX_RESULT_CHARS = 20_000     # one derivative in the input language; its MathML is about 20 times longer
MAX_CANDIDATE_NAMES = 60      # names tried when looking for f's variables
CHECK_KIND = {"gradient": "derive", "jacobian": "derive", "hessian": "hessian", "hvp": "hvp"}
CODEGEN_KIND = {"gradient": "grad", "jacobian": "jacobian", "hessian": "hessian", "hvp": "hvp"}
DIRECTIONS = ("V", "U", "V1", "V2", "V3")


class Unavailable(Exception):
    """A feature this installation lacks (torch for check, matcalc.compile for code): HTTP 501."""


def info() -> dict:
    """What this installation can do; GET /api/info, which the page reads on load."""
    return {
        "version": matcalc.__version__,
        "torch": importlib.util.find_spec("torch") is not None,   # found, not imported: start-up stays fast
        "codegen": hasattr(matcalc, "compile"),
        "kinds": list(CHECK_KIND),
    }


def run(task: str, query: Query) -> tuple:
    """(status, body, log) for one task: "derive", "check" or "codegen"."""
    try:
        body = {"derive": derive, "check": check, "codegen": codegen}[task](query)
        return 200, body, None
    except (matcalc.MatcalcError, RequestError) as e:
        return 400, error_body(e, query.expr), None
    except Unavailable as e:
        return 501, {"error": {"type": "Unavailable", "message": str(e), "line": None, "column": None}}, None
    except RecursionError:
        # deep input that got past the length and nesting limits (a printer's or latex2mathml's recursion)
        error = matcalc.LimitError("the expression or its derivative is nested too deeply to show")
        return 400, error_body(error, query.expr), traceback.format_exc()
    except Exception:   # a bug: logged by the server, never shown to the user
        return 500, {"error": {"type": "InternalError", "message": "internal error; the server log has the details",
                               "line": None, "column": None}}, traceback.format_exc()


# ------------------------------------------------------------------ derive
def derive(query: Query) -> dict:
    """POST /api/derive: the derivatives, their LaTeX and MathML, the variables, notes and steps."""
    derivatives = _derivatives(query)
    notes = []
    results = []
    for d in derivatives:
        result = _result(d)
        if query.kind in ("gradient", "jacobian") and d.kind != query.kind:
            notes.append(f"{d.symbol()} is a {d.kind}: matcalc chooses by the shapes of f and {d.wrt}")
        if query.steps:
            result["steps"], note = _steps(d, query)
            if note and note not in notes:
                notes.append(note)
        results.append(result)
    variables = _variables(derivatives, query)
    inferred = [v for v in variables if not v["declared"]]
    if inferred:
        notes.insert(0, "inferred shapes: " + ", ".join(f"{v['name']}: {v['shape_text']}" for v in inferred))
    if query.kind == "hvp" and derivatives:
        d = derivatives[0]
        notes.append(f"{d.direction} is the direction of each Hessian-vector product, shaped like its variable")
    return {"expr": query.expr, "kind": query.kind, "variables": variables, "results": results, "notes": notes}


def _derivatives(query: Query) -> list:
    """One Derivative per variable asked for (every variable of f when wrt is None).

    The shapes inferred for the first variable are declared for the others, so that
    every result (and the variables table) reads the same shapes.
    """
    wrt, first = _wrt(query)
    taken = set(_names_in(query.expr)) | set(query.shapes)
    direction = query.direction or next((n for n in DIRECTIONS if n not in taken), "V")
    shapes = dict(first.shapes) if first else dict(query.shapes)
    out = []
    for name in wrt:
        if first is not None and name == first.wrt and query.kind in ("gradient", "jacobian"):
            d = first     # discovery already derived it
        elif query.kind == "hessian":
            d = matcalc.hessian(query.expr, name, shapes, symmetric=query.symmetric, assume=query.assume)
        elif query.kind == "hvp":
            d = matcalc.hvp(query.expr, name, shapes, direction, symmetric=query.symmetric, assume=query.assume)
        else:
            d = matcalc.derive(query.expr, name, shapes, symmetric=query.symmetric, assume=query.assume,
                               layout=query.layout)
        if len(str(d)) > MAX_RESULT_CHARS:
            raise matcalc.LimitError(f"the derivative by {name} is {len(str(d)):,} characters long; "
                                     f"the page shows results up to {MAX_RESULT_CHARS:,}")
        if not out:
            shapes = {k: v for k, v in d.shapes.items() if not (d.kind == "hvp" and k == d.direction)}
        out.append(d)
    return out


def _names_in(expr: str) -> list:
    """The words of the text, in order, without repeats: variables, functions, dimension names."""
    return list(dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr)))


def _wrt(query: Query) -> tuple:
    """(the variables asked for, a Derivative found on the way or None): wrt None means all of f's."""
    if query.wrt is not None:
        return query.wrt, None
    first = _discover(query)
    return (tuple(first.shapes) if first else ()), first


def _discover(query: Query):
    """The derivative by f's first variable, whose shapes name all of f's variables; None if f has none.

    The public API has no "variables of f": try the names in the text in order (a
    function name or a dimension is not a variable and is skipped).
    """
    candidates = _names_in(query.expr)[:MAX_CANDIDATE_NAMES]
    for name in candidates + ["_"]:   # "_" surfaces parse and shape errors when no name is a variable
        try:
            return matcalc.derive(query.expr, name, query.shapes, symmetric=query.symmetric,
                                  assume=query.assume, layout=query.layout)
        except matcalc.UnknownNameError as e:
            if not str(e).startswith(f"unknown variable `{name}`"):
                raise
    return None


def _result(d) -> dict:
    named = d.latex(named=bool(d.intermediates))   # an aligned block only when there are intermediates
    return {
        "wrt": d.wrt,
        "kind": d.kind,
        "symbol": d.symbol(),
        "text": str(d),
        "named_text": d.text(),
        "latex": d.latex(),
        "latex_named": named,
        "markdown": f"$$\n{named}\n$$",
        "mathml": mathml(d.latex(), "block"),
        "rows": [{"lhs": mathml(lhs), "rhs": mathml(f"= {rhs}")} for lhs, rhs in latex_rows(named)],
        "intermediates": [name for name, _ in d.intermediates],
        "steps": None,
    }


def latex_rows(latex: str) -> list:
    r"""[(lhs, rhs)] of `lhs = rhs`, or of the rows `lhs &= rhs` of an aligned block (latex2mathml cannot align).

    >>> latex_rows("\\begin{aligned}\nH &= X \\\\\ny &= 2 H\n\\end{aligned}")
    [('H', 'X'), ('y', '2 H')]
    """
    begin, end = "\\begin{aligned}\n", "\n\\end{aligned}"
    if latex.startswith(begin) and latex.endswith(end):
        return [tuple(row.split(" &= ", 1)) for row in latex[len(begin):-len(end)].split(" \\\\\n")]
    lhs, rhs = latex.split(" = ", 1)
    return [(lhs, rhs)]


def _steps(d, query: Query) -> tuple:
    """(steps, note): the derivation in every format, or None and why not."""
    if d.kind not in ("gradient", "jacobian", "hessian"):
        return None, "steps are shown for gradients, Jacobians and Hessians"
    if query.symmetric or query.assume:
        return None, "steps derive the plain gradient: leave out symmetric and assume to see them"
    dv = d.derivation
    page = render(dv, "html")
    tables = re.findall(r'<table class="derivation".*?</table>', page, re.S)
    return {"text": render(dv, "text"), "latex": render(dv, "latex"), "markdown": render(dv, "markdown"),
            "html": "\n".join(tables)}, None


def _variables(derivatives: list, query: Query) -> list:
    if not derivatives:
        return []
    first = derivatives[0]
    out = []
    for name, shape in first.shapes.items():
        if first.kind == "hvp" and name == first.direction:
            continue
        out.append({"name": name, "shape": list(shape), "shape_text": shape_text(shape),
                    "kind": variable_kind(shape, name in query.symmetric), "declared": name in query.shapes,
                    "symmetric": name in query.symmetric})
    return out


def shape_text(shape) -> str:
    """(1, 1) -> 'scalar', (100, 1) -> '100×1', ('n', 'd') -> 'n×d'."""
    return "scalar" if tuple(shape) in ((), (1, 1)) else "×".join(str(n) for n in shape)


def variable_kind(shape, symmetric: bool = False) -> str:
    """scalar, vector (n×1 or 1×n), matrix or symmetric."""
    shape = tuple(shape)
    if shape in ((), (1, 1)):
        return "scalar"
    if symmetric:
        return "symmetric"
    return "vector" if len(shape) < 2 or 1 in shape else "matrix"


# ------------------------------------------------------------------ check, codegen
def check(query: Query) -> dict:
    """POST /api/check: each derivative against torch autograd at random float64 inputs."""
    if not info()["torch"]:
        raise Unavailable("checking needs torch: pip install 'matcalc-trace[check]'")
    for name, shape in query.shapes.items():
        if any(isinstance(n, int) and n > MAX_CHECK_DIMENSION for n in shape):
            raise RequestError(f"check evaluates at random inputs of the declared sizes; {name} is "
                               f"{shape_text(shape)} and the limit is {MAX_CHECK_DIMENSION} per dimension",
                               f"shapes.{name}", type="LimitError")
    wrt, _ = _wrt(query)
    kind = CHECK_KIND[query.kind]
    extra = dict(symmetric=query.symmetric, assume=query.assume)
    if query.direction:
        extra["direction"] = query.direction
    reports = []
    for name in wrt:
        try:
            r = matcalc.check(query.expr, name, query.shapes, kind=kind, **extra)
        except ImportError as e:   # found but broken (a torch built for another Python, say)
            raise Unavailable(f"checking needs torch, which does not import here ({e})") from None
        error = r.max_rel_error if math.isfinite(r.max_rel_error) else None   # JSON has no inf or NaN
        reports.append({"wrt": name, "ok": r.ok, "max_rel_error": error,
                        "sizes": {k: list(v) for k, v in r.sizes.items()}, "text": str(r)})
    return {"ok": all(r["ok"] for r in reports), "reports": reports}


def codegen(query: Query) -> dict:
    """POST /api/codegen: generated code per variable, once matcalc.compile exists."""
    if not hasattr(matcalc, "compile"):
        raise Unavailable("code generation needs matcalc.compile, which this version of matcalc does not have")
    wrt, _ = _wrt(query)
    extra = {"direction": query.direction} if query.kind == "hvp" and query.direction not in (None, "V") else {}
    programs = []
    for name in wrt:
        try:
            fn = matcalc.compile(query.expr, name, shapes=query.shapes, backend=query.backend,
                                 kind=CODEGEN_KIND[query.kind], **extra)
        except ImportError as e:
            raise Unavailable(f"the {query.backend} backend is not installed here ({e})") from None
        programs.append({"wrt": name, "source": fn.source})
    return {"backend": query.backend, "programs": programs}


# ------------------------------------------------------------------ errors
CARET_LINE = re.compile(r"^  ( *)(\^+)$")
LINE_COLUMN = re.compile(r"at line (\d+), column (\d+)")


def error_body(error: Exception, expr: str) -> dict:
    """{"error": {type, message, line, column, ...}} for a bad request (HTTP 400).

    matcalc writes the place into the message (a caret block, sometimes "at line L,
    column C"); it is read back from there, the caret block kept for the page's <pre>.
    """
    if isinstance(error, RequestError):
        return error.body()
    if getattr(error, "source", None) is not None:   # the place as data: no reading back from the text
        line, column = position(error.source, error.start)
        shown = caret_block(error.source, error.start, error.end)
        width = len(shown.rsplit("\n", 1)[1].strip())
        return {"error": {"type": type(error).__name__, "message": f"{error.message} ({error.place()})",
                          "line": line, "column": column,
                          "caret": shown, "width": width, "field": "expr"}}
    message = str(error)
    lines = message.split("\n")
    caret_at = next((i for i in range(len(lines) - 1, 0, -1) if CARET_LINE.match(lines[i])), None)
    line = column = width = None
    caret = None
    if caret_at is not None:
        spaces, marks = CARET_LINE.match(lines[caret_at]).groups()
        source = lines[caret_at - 1][2:]
        caret = "\n".join(lines[caret_at - 1:caret_at + 1])
        column, width = len(spaces) + 1, len(marks)
        text_lines = expr.split("\n")
        line = next((k + 1 for k, t in enumerate(text_lines) if t.rstrip() == source.rstrip()), None)
        lines = lines[:caret_at - 1] + lines[caret_at + 1:]
    found = LINE_COLUMN.search(message)
    if found:
        line, column = int(found.group(1)), int(found.group(2))
    body = {"type": type(error).__name__, "message": "\n".join(lines).strip(), "line": line, "column": column}
    if caret is not None:
        body.update(caret=caret, width=width, field="expr")
    return {"error": body}
