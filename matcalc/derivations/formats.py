"""Derivations as a lecture writes them, in four formats: text, LaTeX, Markdown, HTML.

One printer per math style (Unicode text, ASCII input language, LaTeX), all on the
shared Printer (one precedence table, one parenthesize); lines.py decides what each
line says, this module only how it looks.

>>> from matcalc.derivations.steps import derivation
>>> dv = derivation("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
>>> print(render(dv))                                   # doctest: +NORMALIZE_WHITESPACE
f = ‖XW − Y‖²
R = XW − Y
df = tr(2 Rᵀ dR)            [d(‖A‖²) = 2 tr(Aᵀ dA)]
   = tr(2 RᵀX dW)           [d(A − B) = dA − dB; d(AB) = dA B + A dB]
   = tr((2 XᵀR)ᵀ dW)        [tr(AB) = tr(BA)]
⇒ ∂f/∂W = 2 XᵀR
"""
from __future__ import annotations

import re

from ..errors import UnsupportedError
from ..ir.expr import deep
from .identities import identity
from .lines import lines, term_expr
from .printers import STYLES

FORMATS = ("text", "latex", "markdown", "html")
WIDTH = 100          # text lines longer than this wrap between terms
LATEX_WIDTH = 80     # LaTeX rows showing more characters than this wrap between terms


def _visible(s: str) -> int:
    """About how many characters a LaTeX string shows: commands count one, braces none."""
    return len(re.sub(r"\\(left|right)|[{}]", "", re.sub(r"\\(operatorname|mathrm|mathbf)\{(\w+)\}|\\[A-Za-z]+", r"\2x", s)))


def _rows(dv, style_name: str, width: int) -> list:
    """[(lhs, rel, rhs, bracket)]: f, the definitions, the steps (wrapped between terms), the gradient.

    rel is "=" on a line of its own and "" on a continuation (whose rhs starts with + or −).
    """
    style = STYLES[style_name]
    shown, D = lines(dv)
    p = style.printer(dv.name_map(), D.back)
    rows = [("f", "=", style.printer().doprint(dv.f), "")]
    rows += [(p.name(n), "=", p.doprint(e), "") for n, e in dv.names]
    for k, line in enumerate(shown):
        pieces = _join([p.doprint(term_expr(G, E, line.expanded)) for G, E in line.terms], style)
        why = (r";\quad " if style_name == "latex" else "; ").join(identity(w, style_name) for w in line.why)
        lhs, current, first = (style.df if k == 0 else ""), "", True
        for piece in pieces:
            if current and _visible(current) + _visible(piece) > width:
                rows.append((lhs if first else "", "=" if first else "", current, ""))
                current, first = piece.lstrip(), False
            else:
                current += piece
        rows.append((lhs if first else "", "=" if first else "", current, why))
    final = dv.steps[-1].terms[0][1] if dv.steps else dv.result
    rows.append(((style.implies if shown else "") + style.symbol(dv.kind, dv.wrt, dv.direction), "=",
                 p.doprint(final), ""))
    return rows


def _join(terms: list, style: Style) -> list:
    """Terms as pieces to concatenate: ['tr(A)', ' + tr(B)', ' − x dw'] (a leading minus joins as ' − ')."""
    out = []
    for k, t in enumerate(terms):
        if k and t[:1] in ("−", "-"):
            out.append(style.minus + t[1:].lstrip())
        else:
            out.append((style.plus if k else "") + t)
    return out or ["0"]


# ------------------------------------------------------------------ formats
@deep
def render_text(dv, ascii: bool = False) -> str:
    """The derivation as aligned text lines, identities in brackets at the right."""
    rows = _rows(dv, "ascii" if ascii else "unicode", WIDTH)
    steps = [r for r in rows[len(dv.names) + 1:-1]]
    indent = max((len(r[0]) for r in steps), default=2)
    math = []
    for lhs, rel, rhs, why in rows:
        if (lhs, rel, rhs, why) in steps or not rel:
            head = lhs.rjust(indent) + (" = " if rel else "   ")
            math.append((head + rhs, why))
        else:
            math.append((f"{lhs} = {rhs}", ""))
    column = min(max((len(m) for m, why in math if why), default=0), WIDTH)
    return "\n".join((m.ljust(column) + f"    [{why}]" if why else m).rstrip() for m, why in math)


def latex_rows(dv) -> list:
    """The rows of an aligned block: 'lhs &= rhs && [identity]' (continuations '&\\quad + ...')."""
    out = []
    for lhs, rel, rhs, why in _rows(dv, "latex", LATEX_WIDTH):
        row = f"{lhs} &= {rhs}".lstrip() if rel else rf"&\quad {rhs}"
        if why and _visible(rhs) + _visible(why) > LATEX_WIDTH:   # a long row: the identity on the next
            out += [row, rf"&& [\,{why}\,]"]
        else:
            out.append(row + (rf" && [\,{why}\,]" if why else ""))
    return out


@deep
def latex_aligned(dv) -> str:
    """An `aligned` block (for $$ ... $$ in Markdown, Jupyter and d.latex(steps=True))."""
    return "\\begin{aligned}\n" + " \\\\\n".join(latex_rows(dv)) + "\n\\end{aligned}"


def render(dv, fmt: str = "text", *, ascii: bool = False, standalone: bool = False) -> str:
    """One derivation in a format of FORMATS."""
    return render_all([dv], fmt, ascii=ascii, standalone=standalone)


@deep
def render_all(dvs: list, fmt: str = "text", *, ascii: bool = False, standalone: bool = False,
               note: str = "") -> str:
    """Several derivations (one per variable) as one document; note: a line above them (shapes)."""
    if fmt not in FORMATS:
        raise UnsupportedError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    if fmt == "text":
        return "\n\n".join(([note] if note else []) + [render_text(dv, ascii) for dv in dvs]) + "\n"
    if fmt == "latex":
        blocks = ["\\begin{align*}\n" + " \\\\\n".join(latex_rows(dv)) + "\n\\end{align*}" for dv in dvs]
        body = "\n\n".join(([f"% {note}"] if note else []) + blocks) + "\n"
        return LATEX_DOCUMENT.replace("BODY", body) if standalone else body
    if fmt == "markdown":
        parts = [note] if note else []
        parts += [f"${_symbol(dv, 'latex')}$:\n\n$$\n{latex_aligned(dv)}\n$$" for dv in dvs]
        return "\n\n".join(parts) + "\n"
    return html_page(dvs, note)


def _symbol(dv, style: str) -> str:
    return STYLES[style].symbol(dv.kind, dv.wrt, dv.direction)


LATEX_DOCUMENT = r"""\documentclass{article}
\usepackage[margin=1.5cm]{geometry}
\usepackage{amsmath,amssymb}
\allowdisplaybreaks
\begin{document}
\small
BODY\end{document}
"""


# --------------------------------------------------------------------- html
def mathml(latex: str, display: str = "inline") -> str:
    """MathML of a LaTeX formula (latex2mathml is imported here, on first use, to keep start-up fast)."""
    from latex2mathml.converter import convert
    return convert(latex, display=display)


HTML_STYLE = """body { font-family: Georgia, serif; margin: 2em auto; max-width: 70em; padding: 0 1em; }
section { overflow-x: auto; margin-bottom: 2em; }
table.derivation { border-collapse: collapse; }
td { padding: 0.3em 0.4em; vertical-align: middle; white-space: nowrap; }
td.lhs { text-align: right; } td.why { color: #555; font-size: 85%; padding-left: 2em; }
math { font-size: 1.15em; }"""


@deep
def html_page(dvs: list, note: str = "") -> str:
    """One self-contained page: MathML in a table per derivation, no scripts, no network."""
    import html
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>matcalc: {html.escape(', '.join(_symbol(dv, 'unicode') for dv in dvs))}</title>",
           f"<style>\n{HTML_STYLE}\n</style>", "</head>", "<body>"]
    if note:
        out.append(f'<p class="note">{html.escape(note)}</p>')
    for dv in dvs:
        out.append(f"<section>\n<h2>{mathml(_symbol(dv, 'latex'))}</h2>")
        out.append(html_table(_rows(dv, "latex", LATEX_WIDTH)))
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def html_table(rows: list) -> str:
    """A table of MathML cells from rows (lhs, rel, rhs, bracket) of LaTeX: the columns stay aligned."""
    out = ['<table class="derivation">']
    for lhs, rel, rhs, why in rows:
        cells = [mathml(lhs) if lhs else "", mathml(f"{'= ' if rel else ''}{rhs}"), mathml(rf"[\,{why}\,]") if why else ""]
        out.append("<tr>" + "".join(f'<td class="{c}">{x}</td>' for c, x in zip(("lhs", "rhs", "why"), cells)) + "</tr>")
    return "\n".join(out + ["</table>"])
