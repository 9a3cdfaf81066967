"""The command line: matcalc derive | hessian | hvp | codegen | serve.

    matcalc derive "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2" W1 W2
"""
from __future__ import annotations

import argparse
import re
import sys

from . import __version__
from .errors import InternalError, MatcalcError, ShapeError, UnknownNameError, UsageError, did_you_mean

EPILOG = """examples:
  matcalc derive "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2" W1
  matcalc derive "norm(X@W - Y)^2" W --shape X=5x3 --shape Y=5x2 --check
  matcalc derive "logdet(S) - tr(inv(S)@C)" S --latex
  matcalc derive "x*sigmoid(x)" x --shape x=5        (vector f: the Jacobian)
  matcalc derive "logdet(S) - tr(inv(S)@C)" S --symmetric S --check
  matcalc derive "-sum(Y*log(softmax(X@W)))" W --assume "rowsum(Y)=1"
  matcalc hessian "x'@A@x + sum(exp(x))" x
  matcalc hvp "norm(X@W - Y)^2" W V
  matcalc codegen "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2" W1 b1 W2 b2 --backend torch -o homework.py
  matcalc codegen "sum(log(1 + exp(-y*(X@w))))" w --kind hessian --shape X=n,d

shapes: NAME=MxN (a matrix; M and N numbers or names), NAME=N (a column vector),
NAME=scalar.  Undeclared shapes are inferred; the output says what was inferred.
"""


SHAPE_PART = re.compile(r"[0-9]+|[A-Za-z_][A-Za-z0-9_]*")


def parse_shape(text: str):
    """'100x1' -> (100, 1); 'n,d' -> ('n', 'd'); '5' -> (5,); 'scalar' -> (); anything else is a ShapeError."""
    if "=" not in text:
        raise ShapeError(f"--shape wants NAME=SHAPE, e.g. X=100x1, got {text!r}")
    name, spec = (s.strip() for s in text.split("=", 1))
    spec = spec.strip()
    if spec[:1] + spec[-1:] in ("()", "[]"):
        spec = spec[1:-1].strip()
    if spec in ("", "scalar", "1x1"):
        return name, ()
    parts = [p.strip() for p in re.split(r"[x×,]", spec)] if not SHAPE_PART.fullmatch(spec) else [spec]
    if len(parts) > 2 or not all(SHAPE_PART.fullmatch(p) for p in parts):
        raise ShapeError(f"--shape {text}: a shape is MxN, N or scalar, each of M and N a number or a name "
                         f"(X=100x3, X=n,d, x=5)")
    if any(p.isdigit() and int(p) == 0 for p in parts):
        raise ShapeError(f"--shape {text}: a dimension is at least 1")
    return name, tuple(int(p) if p.isdigit() else p for p in parts)


def declared_shapes(texts) -> dict:
    """--shape options as {name: shape}; the same name declared twice with different shapes is an error."""
    out: dict = {}
    for text in texts:
        name, shape = parse_shape(text)
        if name in out and out[name] != shape:
            raise ShapeError(f"--shape declares {name} twice, as {_show(out[name])} and as {_show(shape)}; "
                             f"keep one")
        out[name] = shape
    return out


def _show(shape) -> str:
    return "x".join(map(str, shape)) or "scalar"


class _Parser(argparse.ArgumentParser):
    """argparse with matcalc's one-line errors (exit 2)."""

    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="matcalc", description="Closed-form matrix derivatives by the trace trick.",
                                 epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"matcalc {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p):
        p.add_argument("expr", help="the function, e.g. \"norm(X@W - Y)^2\"")
        p.add_argument("--shape", action="append", default=[], metavar="NAME=SHAPE",
                       help="declare a shape: X=100x1, b1=1x20, a=scalar, x=5, X=n,d")
        p.add_argument("--latex", action="store_true", help="print LaTeX")
        p.add_argument("--inline", action="store_true", help="one expression, no named intermediates")
        p.add_argument("--check", action="store_true", help="compare with torch autograd at random inputs")
        p.add_argument("--format", choices=("text", "latex", "markdown", "html"), default=None,
                       help="output format (default text)")
        p.add_argument("-o", "--output", metavar="FILE", help="write the output to FILE (UTF-8)")
        p.add_argument("--standalone", action="store_true", help="latex: a complete document for pdflatex")
        p.add_argument("--ascii", action="store_true", help="text: the input language, no Unicode math")
        p.add_argument("--symmetric", action="append", default=[], metavar="NAME",
                       help="NAME is a symmetric matrix: its gradient is sym(G) = (G + G')/2")
        p.add_argument("--assume", action="append", default=[], metavar="FACT",
                       help="a fact to use, e.g. \"rowsum(Y)=1\" (one-hot or row-stochastic Y)")
        _limit_options(p)

    d = sub.add_parser("derive", help="gradient (scalar f) or Jacobian d vec(f)/d vec(x)' (any other f)",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(d)
    d.add_argument("vars", nargs="+", metavar="VAR", help="variables to differentiate by")
    d.add_argument("--steps", action="store_true",
                   help="show the derivation step by step, df = tr(G' dX) (vec(dF) = J vec(dX) for a "
                        "Jacobian), each rule's identity in brackets")
    d.add_argument("--layout", choices=("numerator", "denominator"), default="numerator",
                   help="Jacobian layout: numerator J_ij = df_i/dx_j (default) or its transpose")
    h = sub.add_parser("hessian", help="Hessian of scalar f: d vec(grad f)/d vec(VAR)', size(VAR) x size(VAR)")
    common(h)
    h.add_argument("vars", nargs=1, metavar="VAR")
    h.add_argument("--steps", action="store_true", help="show the vec derivation step by step, one identity a line")
    v = sub.add_parser("hvp", help="Hessian-vector product along a direction V of VAR's shape")
    common(v)
    v.add_argument("vars", nargs=1, metavar="VAR")
    v.add_argument("direction", nargs="?", default="V", help="name of the direction (default V)")
    g = sub.add_parser("codegen", help="a standalone NumPy, PyTorch or JAX module computing f and its derivatives "
                                        "(docs/codegen.md)", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("expr", help="the function, e.g. \"norm(X@W - Y)^2\"")
    g.add_argument("vars", nargs="+", metavar="VAR", help="variables to differentiate by (hvp: one)")
    g.add_argument("--shape", action="append", default=[], metavar="NAME=SHAPE",
                   help="declare a shape: X=100x1, b1=1x20, a=scalar, x=5, X=n,d")
    g.add_argument("--backend", choices=("numpy", "torch", "jax"), default="numpy", help="default numpy")
    g.add_argument("--kind", choices=("grad", "hessian", "hvp"), default="grad",
                   help="grad (default), hessian (of a vector), or hvp (Hessian times a direction)")
    g.add_argument("--direction", default="V", help="hvp: the name of the direction argument (default V)")
    g.add_argument("-o", "--output", metavar="FILE", help="write the module to FILE instead of printing it")
    _limit_options(g)
    s = sub.add_parser("serve", help="the interactive page and its JSON API on a local server (docs/serve.md)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    s.add_argument("--open", action="store_true", help="open the page in a web browser")
    return ap


def _protect_expressions(argv: list) -> list:
    """"-sum(Y*log(P))" and "-x" are expressions, not options: a leading space keeps argparse off them."""
    out = []
    for k, a in enumerate(argv):
        option_value = k and argv[k - 1] in ("-o", "--output")
        is_option = a.startswith("--") or a in ("-o", "-h") or len(a) < 2
        out.append(f" {a}" if a.startswith("-") and not is_option and not option_value else a)
    return out


def _limit_options(p) -> None:
    limits = p.add_argument_group("limits (docs/language.md#limits)")
    limits.add_argument("--time-limit", type=float, metavar="SECONDS", help="time one derivation may take (10)")
    limits.add_argument("--max-nodes", type=int, metavar="N", help="expression nodes one call may build (2,000,000)")
    limits.add_argument("--max-text", type=int, metavar="N", help="characters the printers may build (50,000,000)")
    limits.add_argument("--max-elements", type=int, metavar="N",
                        help="entries of one array --check may allocate (50,000,000)")


def main(argv=None) -> int:
    """Run the command line; any error is one line on stderr and exit status 2."""
    for stream in (sys.stdout, sys.stderr):   # a terminal that cannot show × gets \xd7, not a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parser().parse_args(_protect_expressions(argv))
        if args.command == "serve":
            from .web.server import serve   # imported here: `matcalc derive` never loads the server
            return serve(args.host, args.port, open_browser=args.open)
        from .ir.limits import entry_point, limits
        with limits(time=args.time_limit, nodes=args.max_nodes, text=args.max_text, elements=args.max_elements):
            return entry_point(_run)(args)
    except MatcalcError as e:
        print(f"matcalc: {type(e).__name__}: {e.one_line()}", file=sys.stderr)
        return 2
    except Exception as e:   # noqa: BLE001  the boundary: a bug is still one line and exit 2
        print(f"matcalc: InternalError: {InternalError.of(e, 'the command line').one_line()}", file=sys.stderr)
        return 2


def _conflicts(args) -> None:
    """Flags that ask for two different outputs are an error, not one of them silently dropped."""
    fmt = args.format
    pairs = [("--latex", args.latex and fmt not in (None, "latex"), f"--format {fmt}"),
             ("--steps", getattr(args, "steps", False) and args.latex, "--latex (use --steps --format latex)"),
             ("--steps", getattr(args, "steps", False) and args.inline, "--inline"),
             ("--standalone", args.standalone and not (args.latex or fmt == "latex"), "a format other than latex"),
             ("--ascii", args.ascii and (args.latex or fmt not in (None, "text")), "LaTeX, Markdown or HTML output")]
    for flag, clash, other in pairs:
        if clash:
            raise UsageError(f"{flag} cannot be combined with {other}")


def _check_declared(args, shapes: dict, results) -> None:
    """Every --shape names a variable of f (or the hvp direction): a slip such as w1 for W1 is an error."""
    known = set(results[0].shapes) | {getattr(args, "direction", None)} - {None}
    for name in shapes:
        if name not in known:
            raise UnknownNameError(f"--shape {name}=...: `{name}` is not a variable of f"
                                   f"{did_you_mean(name, known)}")


def _run(args) -> int:
    if args.command == "codegen":
        return _codegen(args)
    from . import api
    from .ir.dims import show_shape
    from .printing import intermediates, latex_name, to_latex, to_text
    from .simplify import simplify

    _conflicts(args)
    if args.check:   # before any output: without torch, say how to install it and stop
        from .check import require_torch
        require_torch()
    shapes = declared_shapes(args.shape)
    if args.command == "derive":
        results = api.derive(args.expr, args.vars, shapes, symmetric=args.symmetric, assume=args.assume,
                             layout=args.layout)
    elif args.command == "hessian":
        results = [api.hessian(args.expr, args.vars[0], shapes, symmetric=args.symmetric, assume=args.assume)]
    else:
        results = [api.hvp(args.expr, args.vars[0], shapes, args.direction, symmetric=args.symmetric,
                           assume=args.assume)]
    _check_declared(args, shapes, results)
    reports = _checks(args, results, shapes)   # before any output: an error leaves stdout empty
    first = results[0]
    declared = set(shapes)
    notes = list(dict.fromkeys(n for d in results for n in d.notes))
    shown = ", ".join(f"{k}: {show_shape(v)}" for k, v in first.shapes.items())
    note = "" if set(first.shapes) <= declared else "  (undeclared shapes inferred)"
    if getattr(args, "steps", False) or args.format not in (None, "text") or args.output or args.ascii:
        for line in notes:   # a document stays well-formed: its notes go to stderr
            print(f"matcalc: {line}", file=sys.stderr)
        return _document(args, results, f"shapes: {shown}{note}", reports)
    print(f"shapes: {shown}{note}")
    for line in notes:
        print(line)
    names = [] if args.inline else intermediates([d.result for d in results], forward=simplify(first.f),
                                                 taken=first.shapes)
    named = {e: n for n, e in names}
    if args.latex:
        rows = [rf"{latex_name(n)} &= {to_latex(e, named)}" for n, e in names]
        rows += [d.latex(named=False).replace(" = ", " &= ", 1) if args.inline else
                 _latex_row(d, named, to_latex) for d in results]
        print("\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}")
    else:
        for n, e in names:
            print(f"{n} = {to_text(e, named)}")
        for d in results:
            print(f"{d.symbol()} = {to_text(d.result, named)}")
    for r in reports:
        print(r)
    return 0 if all(r.ok for r in reports) else 1


def _codegen(args) -> int:
    from .codegen import generate
    shapes = dict(parse_shape(s) for s in args.shape)
    source = generate(args.expr, args.vars, shapes, args.backend, args.kind, args.direction)[0]
    if not args.output:
        sys.stdout.write(source)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(source)
    except OSError as e:
        raise MatcalcError(f"cannot write {args.output}: {e.strerror}") from None
    return 0


def _latex_row(d, named, to_latex) -> str:
    lhs = d.latex().split(" = ", 1)[0]
    return f"{lhs} &= {to_latex(d.result, named)}"


def _checks(args, results, shapes: dict) -> list:
    """--check: a report per result, against torch autograd (none without --check)."""
    if not args.check:
        return []
    from .check import check
    return [check(args.expr, d.wrt, shapes, kind=args.command, direction=getattr(args, "direction", "V"),
                  symmetric=args.symmetric, assume=args.assume) for d in results]


def _document(args, results, note: str, reports: list) -> int:
    """--steps, --format, -o: the derivations (or the results) rendered as one document."""
    from .derivations import render_all, summary
    fmt = args.format or "text"
    ascii = args.ascii or (fmt == "text" and not args.output and not _takes_unicode(sys.stdout))
    note = note.replace("×", "x") if ascii and fmt == "text" else note
    if getattr(args, "steps", False):
        if args.symmetric or args.assume:
            raise UsageError("--steps derives the plain gradient; leave out --symmetric and --assume")
        body = render_all([d.derivation for d in results], fmt, ascii=ascii, standalone=args.standalone, note=note)
    else:
        body = render_all([summary(d) for d in results], fmt, ascii=ascii, standalone=args.standalone, note=note)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as out:
                out.write(body)
        except OSError as e:
            raise UsageError(f"cannot write {args.output}: {e.strerror}") from None
    else:
        sys.stdout.write(body)
    for r in reports:   # a report would break a LaTeX or HTML document: stderr unless text
        print(r, file=sys.stdout if fmt == "text" or args.output else sys.stderr)
    return 0 if all(r.ok for r in reports) else 1


def _takes_unicode(stream) -> bool:
    try:
        "ᵀ⊙∂‖𝟏⇒−₁".encode(getattr(stream, "encoding", None) or "ascii")
        return True
    except (UnicodeEncodeError, LookupError):
        return False

