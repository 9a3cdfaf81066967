"""Derivations as a lecture writes them, in four formats: text, LaTeX, Markdown, HTML.

One printer per math style (Unicode text, ASCII input language, LaTeX), all on the
shared Printer (one precedence table, one parenthesize); lines.py decides what each
line says, this module only how it looks.

>>> from .steps import derivation
>>> dv = derivation("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
>>> print(render(dv))                                   # doctest: +NORMALIZE_WHITESPACE
f = ‖XW − Y‖²
R = XW − Y
df = tr(2 Rᵀ dR)            [d‖A‖² = 2 tr(Aᵀ dA)]
   = tr(2 RᵀX dW)           [d(A − B) = dA − dB; d(AB) = dA B + A dB]
   = tr((2 XᵀR)ᵀ dW)        [tr(AB) = tr(BA)]
⇒ ∂f/∂W = 2 XᵀR
"""
from __future__ import annotations

import re

from .errors import UnsupportedError
from .expr import SCALAR, deep
from .identities import identity
from .lines import lines, term_expr
from .printing import ATOM, PRECEDENCE, LatexPrinter, Printer, TextPrinter, format_number, latex_name, precedence

FORMATS = ("text", "latex", "markdown", "html")
WIDTH = 100          # text lines longer than this wrap between terms
LATEX_WIDTH = 80     # LaTeX rows showing more characters than this wrap between terms


# ---------------------------------------------------------------- printers
class DifferentialMixin:
    """Prints a placeholder d(u) (lines.Differentials) as dW, d(XW − Y) or d‖R‖."""
    D_PREFIX = "d"

    def __init__(self, names=None, differentials=None):
        super().__init__(names)
        self.differentials = differentials or {}

    def prec(self, e):
        # d(X)ᵀ needs its parentheses, X dW does not: a differential binds like a product of d and X
        return PRECEDENCE["pow"] + 5 if e in self.differentials else super().prec(e)

    def print_var(self, e):
        u = self.differentials.get(e)
        if u is None:
            return super().print_var(e)
        atom = u in self.names or (precedence(u) == ATOM and u.op not in ("ones", "zeros", "eye"))
        body = self.sub(u) if atom else self.paren(self.sub(u))
        return self.D_PREFIX + (" " if re.match(r"[A-Za-z]{2}", body) else "") + body   # d log(H), not dlog(H)

    def operands(self, e):
        # A(−B) rather than A−B: a negative right operand of a product keeps its parentheses
        left, right = super().operands(e)
        b = e.args[1]
        if e.op in ("matmul", "mul") and (b.op == "neg" or (b.is_const and b.value < 0)) and not right.startswith(("(", r"\left(")):
            right = self.paren(right)
        return left, right


SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
SUBSCRIPT = str.maketrans("0123456789x", "₀₁₂₃₄₅₆₇₈₉ₓ")
GREEK_UNICODE = dict(zip(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda lam mu nu xi pi rho sigma tau "
    "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
    "αβγδεζηθικλλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ"))
UNICODE_FUNCTIONS = {"sigmoid": "σ", "diag_embed": "diag", "logdet": "log det"}


def unicode_name(name: str) -> str:
    """W1 -> W₁, lam -> λ, b_out -> b_out."""
    m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
    if m:
        return unicode_name(m.group(1)) + m.group(2).translate(SUBSCRIPT)
    return GREEK_UNICODE.get(name, name)


class UnicodeMath(Printer):
    """Math as a lecture writes it in plain text: XᵀR, A ⊙ B, ‖R‖², σ(Z), juxtaposition for @."""

    inverse_as_superscript = True

    def name(self, n):
        return unicode_name(n)

    def paren(self, s):
        return f"({s})"

    def print_var(self, e):
        return unicode_name(e.attr)

    def print_const(self, e):
        return format_number(e.value).replace("-", "−")

    def print_ones(self, e):
        rows, cols = e.shape
        if cols == 1 or rows == 1:
            return "𝟏" if cols == 1 else "𝟏ᵀ"
        if isinstance(rows, int) and isinstance(cols, int):
            return "𝟏" + f"{rows}x{cols}".translate(SUBSCRIPT)    # the all-ones matrix 𝟏₁₀ₓ₄
        return f"ones({rows}, {cols})"

    def print_zeros(self, e):
        return "0"

    def print_eye(self, e):
        return "I"

    def _juxtapose(self, e, left, right):
        # XW and Xᵀ(XW − Y), but X dW and H exp(Z): a space where names would run together
        a, b = self._edge(e.args[0], -1), self._edge(e.args[1], 0)
        loose = any(t is not None and len(t.rstrip("₀₁₂₃₄₅₆₇₈₉")) > 1 for t in (a, b))
        tight = not loose or left.endswith(")") or right.startswith("(")
        return f"{left} {right}" if "d?" in (a, b) or not tight else left + right

    def _edge(self, e, side):
        """The word printed at one end of e (side 0: start, -1: end), or None for a symbol."""
        while True:
            if e in self.names:
                return self.name(self.names[e])
            if e in getattr(self, "differentials", {}):
                return "d?"
            if e.op == "var":
                return unicode_name(e.attr)
            if e.op in ("matmul", "mul") and self.prec(e.args[side]) >= PRECEDENCE[e.op]:
                e = e.args[side]
            elif e.op in ("transpose", "inv", "pow") and side == 0 and self.prec(e.args[0]) == ATOM:
                e = e.args[0]
            elif side == 0 and e.op not in PRECEDENCE and e.op not in ("const", "ones", "zeros", "eye", "norm", "abs"):
                return UNICODE_FUNCTIONS.get(e.op, e.op)
            else:
                return None

    def print_add(self, e):
        return " + ".join(self.operands(e))

    def print_sub(self, e):
        return " − ".join(self.operands(e))

    def print_mul(self, e):
        left, right = self.operands(e)
        if SCALAR in (e.args[0].shape, e.args[1].shape):
            return f"{left} {right}" if e.args[0].is_const else self._juxtapose(e, left, right)
        return f"{left} ⊙ {right}"

    def print_div(self, e):
        left, right = self.operands(e)
        return f"{left}/{right}" if e.args[1].shape == SCALAR else f"{left} ⊘ {right}"

    def print_matmul(self, e):
        return self._juxtapose(e, *self.operands(e))

    def print_neg(self, e):
        a = e.args[0]
        return "−" + self.parenthesize(a, self.prec(a) < PRECEDENCE["mul"] or a.op == "neg")

    def print_pow(self, e):
        base, p = e.args
        b = self.parenthesize(base, self.prec(base) <= PRECEDENCE["transpose"])
        hadamard = "∘" if base.shape != SCALAR else ""
        if p.is_const and float(p.value).is_integer():
            return b + hadamard + format_number(p.value).translate(SUPERSCRIPT)
        return f"{b}^{hadamard}{self.parenthesize(p, self.prec(p) < ATOM)}"

    def print_transpose(self, e):
        a = e.args[0]
        if a.op == "inv" and a not in self.names:
            inner = a.args[0]
            return self.parenthesize(inner, self.prec(inner) < ATOM) + "⁻ᵀ"
        return self.parenthesize(a, self.prec(a) < ATOM) + "ᵀ"

    def print_inv(self, e):
        a = e.args[0]
        return self.parenthesize(a, self.prec(a) < ATOM) + "⁻¹"

    def print_norm(self, e):
        return f"‖{self.sub(e.args[0])}‖"

    def print_abs(self, e):
        return f"|{self.sub(e.args[0])}|"

    def print_function(self, e):
        return f"{UNICODE_FUNCTIONS.get(e.op, e.op)}({', '.join(self.sub(a) for a in e.args)})"


class UnicodePrinter(DifferentialMixin, UnicodeMath):
    """Unicode math with differentials: tr(2 RᵀX dW)."""


class AsciiPrinter(DifferentialMixin, TextPrinter):
    """The input language with differentials (dW, d(X@W - Y)): for plain terminals."""


class LatexStepPrinter(DifferentialMixin, LatexPrinter):
    """LaTeX with \\mathrm{d}W for differentials (KaTeX and MathJax read it too)."""
    D_PREFIX = r"\mathrm{d}"

    def print_matmul(self, e):
        # X\,\mathrm{d}W: a thin space sets a differential apart, as in print
        left, right = self.operands(e)
        return rf"{left}\,{right}" if any(a in self.differentials for a in e.args) else f"{left} {right}"



# ------------------------------------------------------------------ styles
class Style:
    """How one math style writes the fixed parts of a line (df, ⇒, ∂f/∂W, brackets)."""
    printer = UnicodePrinter
    df, implies, plus, minus = "df", "⇒ ", " + ", " − "

    def gradient(self, wrt: str) -> str:
        return f"∂f/∂{unicode_name(wrt)}"

    def symbol(self, d) -> str:
        """The left side for a Derivative of any kind: ∂f/∂W, ∂²f/∂x², ∇²f(W)[V]."""
        if d.kind == "hessian":
            return self.hessian(d.wrt)
        if d.kind == "hvp":
            return self.hvp(d.wrt, d.direction)
        return self.gradient(d.wrt)

    def hessian(self, wrt):
        return f"∂²f/∂{unicode_name(wrt)}²"

    def hvp(self, wrt, v):
        return f"∇²f({unicode_name(wrt)})[{unicode_name(v)}]"


class Ascii(Style):
    printer = AsciiPrinter
    implies, minus = "=> ", " - "

    def symbol(self, d) -> str:
        return d.symbol()   # the plain-text left side the Derivative itself prints


class Latex(Style):
    printer = LatexStepPrinter
    df, implies, minus = r"\mathrm{d}f", r"\Rightarrow ", " - "

    def gradient(self, wrt):
        return rf"\frac{{\partial f}}{{\partial {latex_name(wrt)}}}"

    def hessian(self, wrt):
        return rf"\frac{{\partial^2 f}}{{\partial {latex_name(wrt)}^2}}"

    def hvp(self, wrt, v):
        return rf"\nabla^2 f({latex_name(wrt)})[{latex_name(v)}]"


STYLES = {"unicode": Style(), "ascii": Ascii(), "latex": Latex()}


def _visible(s: str) -> int:
    """About how many characters a LaTeX string shows: commands count one, braces none."""
    return len(re.sub(r"\\(left|right)|[{}]", "", re.sub(r"\\(operatorname|mathrm|mathbf)\{(\w+)\}|\\[A-Za-z]+", r"\2x", s)))


def _rows(dv, style_name: str, width: int) -> list:
    """[(lhs, rel, rhs, bracket)]: f, the definitions, the steps (wrapped between terms), the gradient.

    rel is "=" on a line of its own and "" on a continuation (whose rhs starts with + or −).
    """
    style = STYLES[style_name]
    shown, D = lines(dv)
    names = {e: n for n, e in dv.names}
    p = style.printer(names, D.back)
    rows = [("f", "=", style.printer().doprint(dv.derivative.f), "")]
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
    d = dv.derivative
    final = dv.steps[-1].terms[0][1] if dv.steps else d.result
    rows.append(((style.implies if shown else "") + style.symbol(d), "=", p.doprint(final), ""))
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
        parts += [f"${STYLES['latex'].symbol(dv.derivative)}$:\n\n$$\n{latex_aligned(dv)}\n$$" for dv in dvs]
        return "\n\n".join(parts) + "\n"
    return html_page(dvs, note)


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
    """MathML of a LaTeX formula (latex2mathml, imported only here: `pip install matcalc-trace[html]`)."""
    try:
        from latex2mathml.converter import convert
    except ImportError:
        raise UnsupportedError("the html format needs latex2mathml: pip install 'matcalc-trace[html]'") from None
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
           f"<title>matcalc: {html.escape(', '.join(STYLES['unicode'].symbol(dv.derivative) for dv in dvs))}</title>",
           f"<style>\n{HTML_STYLE}\n</style>", "</head>", "<body>"]
    if note:
        out.append(f'<p class="note">{html.escape(note)}</p>')
    for dv in dvs:
        out.append(f"<section>\n<h2>{mathml(STYLES['latex'].symbol(dv.derivative))}</h2>")
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
