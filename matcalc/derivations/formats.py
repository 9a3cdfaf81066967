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
from .identities import identity, vec_identity
from .linebreak import break_formula, visible as _visible
from .lines import lines, term_expr
from .vec_steps import vec_line_expr
from ..printing.differentials import STYLES

FORMATS = ("text", "latex", "markdown", "html")
WIDTH = 100          # text lines longer than this wrap between terms
LATEX_WIDTH = 80     # LaTeX rows showing more characters than this wrap between terms
PAGE_WIDTH = 95      # visible characters of one row of the standalone document (\small, 1.5 cm margins)
IDENTITY_SEPARATOR = r";\quad "


def _rows(dv, style_name: str, width: int) -> list:
    """[(lhs, rel, rhs, bracket)]: f, the definitions, the steps (wrapped between terms), the gradient.

    rel is "=" on a line of its own and "" on a continuation (whose rhs starts with + or −).
    """
    style = STYLES[style_name]
    if dv.vec_lines:
        return _vec_rows(dv, style_name)
    shown, D = lines(dv)
    p = style.printer(dv.name_map(), D.back)
    rows = [("f", "=", style.printer().doprint(dv.f), "")]
    rows += [(p.name(n), "=", p.doprint(e), "") for n, e in dv.names]
    for k, line in enumerate(shown):
        pieces = _join([p.doprint(term_expr(G, E, line.expanded)) for G, E in line.terms], style)
        why = (IDENTITY_SEPARATOR if style_name == "latex" else "; ").join(identity(w, style_name) for w in line.why)
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


# (function, its differential, vec of it) as each style writes them; a Hessian differentiates the gradient
VEC_LABELS = {
    ("unicode", "jacobian"): ("F", "dF", "vec(dF)"), ("unicode", "hessian"): ("∇f", "d∇f", "vec(d∇f)"),
    ("ascii", "jacobian"): ("F", "dF", "vec(dF)"), ("ascii", "hessian"): ("grad f", "d(grad f)", "vec(d(grad f))"),
    ("latex", "jacobian"): ("F", r"\mathrm{d}F", r"\operatorname{vec}(\mathrm{d}F)"),
    ("latex", "hessian"): (r"\nabla f", r"\mathrm{d}\nabla f", r"\operatorname{vec}(\mathrm{d}\nabla f)"),
}


def _vec_rows(dv, style_name: str) -> list:
    """The rows of a vec derivation (vec_steps.py): F, the names, dF, vec(dF) = ... one identity a line, J."""
    style = STYLES[style_name]
    function, differential, vec_of = VEC_LABELS[(style_name, dv.kind)]
    p = style.printer(dv.name_map(), dv.differentials)
    rows = [(function, "=", style.printer(dv.name_map()).doprint(dv.f), "")]
    rows += [(p.name(n), "=", p.doprint(e), "") for n, e in dv.names]
    (first, ops), *steps = dv.vec_lines
    rows.append((differential, "=", p.doprint(first[0][1]), "; ".join(identity(op, style_name) for op in ops)))
    for k, (terms, why) in enumerate(steps):
        cited = "" if why == ("vec",) else "; ".join(vec_identity(op, style_name) for op in why)
        rows.append((vec_of if k == 0 else "", "=", p.doprint(vec_line_expr(terms)), cited))
    rows.append((style.implies + style.symbol(dv.kind, dv.wrt, dv.direction), "=", p.doprint(dv.result), ""))
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


def latex_rows(dv, document: bool = False) -> list:
    """The rows of an aligned block: 'lhs &= rhs && [identity]' (continuations '&\\quad + ...').

    document=True, for the align* of a LaTeX document: each identity is a \\tag*, which amsmath sets at
    the right margin or, when the row leaves no room, on a line of its own; a row too long for the
    page is broken (linebreak.py), and a long list of identities is spread over several tags.
    """
    out = []
    for lhs, rel, rhs, why in _rows(dv, "latex", LATEX_WIDTH):
        if document:
            out += _document_rows(lhs, rel, rhs, why)
            continue
        row = f"{lhs} &= {rhs}".lstrip() if rel else rf"&\quad {rhs}"
        if why and _visible(rhs) + _visible(why) > LATEX_WIDTH:   # a long row: the identity on the next
            out += [row, rf"&& [\,{why}\,]"]
        else:
            out.append(row + (rf" && [\,{why}\,]" if why else ""))
    return out


def _document_rows(lhs: str, rel: str, rhs: str, why: str) -> list:
    pieces = break_formula(rhs, PAGE_WIDTH - _visible(lhs))
    rows = [f"{lhs} &= {pieces[0]}".lstrip() if rel else rf"&\quad {pieces[0]}"]
    rows += [rf"&\quad {p}" for p in pieces[1:]]
    tags = _tag_groups(why.split(IDENTITY_SEPARATOR)) if why else []
    rows[-1] += "".join(tags[:1])
    rows += [f"& {tag}" for tag in tags[1:]]
    return rows


def _tag_groups(identities: list) -> list:
    """\\tag*{$[\\, ... \\,]$} holding as many identities as fit the page, in order."""
    groups, current = [], []
    for ident in identities:
        if current and _visible(IDENTITY_SEPARATOR.join(current + [ident])) > PAGE_WIDTH:
            groups.append(current)
            current = []
        current.append(ident)
    groups.append(current)
    return [rf"\tag*{{$[\,{IDENTITY_SEPARATOR.join(g)}\,]$}}" for g in groups]


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
        blocks = ["\\begin{align*}\n" + " \\\\\n".join(latex_rows(dv, document=True)) + "\n\\end{align*}" for dv in dvs]
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
BOLD_DIGITS = str.maketrans("0123456789", "".join(chr(0x1D7CE + k) for k in range(10)))


def bold_digits(markup: str) -> str:
    """<mn mathvariant="bold">1</mn> as the bold digit 𝟏: MathML Core (Chromium) ignores mathvariant on <mn>,
    and the all-ones 𝟏 would read as a plain 1 (2 𝟏ᵀR shown as "21ᵀR").

    >>> bold_digits('<mn>2</mn><mn mathvariant="bold">1</mn>')
    '<mn>2</mn><mn>𝟏</mn>'
    """
    return re.sub(r'<mn mathvariant="bold">(\d+)</mn>', lambda m: f"<mn>{m.group(1).translate(BOLD_DIGITS)}</mn>", markup)


def mathml(latex: str, display: str = "inline") -> str:
    """MathML Core of a LaTeX formula, the ones vector in bold digits (latex2mathml is imported here, on
    first use, to keep start-up fast)."""
    from latex2mathml.converter import convert
    return bold_digits(convert(latex, display=display))


HTML_STYLE = """body { font-family: Georgia, serif; margin: 2em auto; max-width: 70em; padding: 0 1em; }
section { overflow-x: auto; margin-bottom: 2em; }
math { font-size: 1.15em; }"""
# Inline, so that a host page's table rules (Jupyter's right-aligned, wrapping, fixed-layout, striped
# tables) cannot misalign the columns: an inline style outranks any class rule.
TABLE_STYLE = "border-collapse:collapse;table-layout:auto;margin:0 auto 1em 0;border:none"
ROW_STYLE = "background:transparent"
CELL_STYLE = "padding:0.3em 0.4em;vertical-align:middle;white-space:nowrap;border:none;max-width:none"
CELL_ALIGN = {"lhs": "text-align:right", "rhs": "text-align:left",
              "why": "text-align:left;color:#555;font-size:85%;padding-left:2em"}


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
    out = [f'<table class="derivation" style="{TABLE_STYLE}">']
    for lhs, rel, rhs, why in rows:
        cells = [mathml(lhs) if lhs else "", mathml(f"{'= ' if rel else ''}{rhs}"), mathml(rf"[\,{why}\,]") if why else ""]
        out.append(f'<tr style="{ROW_STYLE}">' + "".join(
            f'<td class="{c}" style="{CELL_STYLE};{CELL_ALIGN[c]}">{x}</td>' for c, x in zip(CELL_ALIGN, cells)) + "</tr>")
    return "\n".join(out + ["</table>"])
