"""The formats of --steps: text (Unicode and ASCII), LaTeX (each formula parses; pdflatex compiles the
standalone document when installed), Markdown, and HTML (headless Chromium renders every formula)."""
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

import matcalc
from matcalc.cli import main
from matcalc.derivations.identities import TRACE_FORMS, identity
from matcalc.derivations import render, render_all
from matcalc.ir.operator import REGISTRY
from matcalc.derivations import derivation

LECTURE = ("norm(X@W - Y)^2", "W", {"X": (5, 3), "W": (3, 2), "Y": (5, 2)})
HOMEWORK = {"X": (100, 1), "W1": (1, 20), "W2": (20, 1), "b2": (100, 1), "Y": (100, 1), "b1": (1, 20)}
NET = "norm(sigmoid(X@W1 + b1)@W2 + b2 - Y)^2"
SAMPLES = [LECTURE, (NET, "W1", HOMEWORK), (NET, "b1", HOMEWORK), ("tr(X@A@X')", "X", None),
           ("logdet(S) - tr(inv(S)@C)", "S", None), ("-sum(Y*log(softmax(X@W)))", "W", None),
           ("w*x + b", "w", {"w": (), "x": (), "b": ()}), ("sum(sqrt(X)) + norm(X)", "X", None)]


@pytest.fixture(scope="module")
def derivations():
    return [derivation(*s) for s in SAMPLES]


def test_text_reads_like_the_lecture():
    assert render(derivation(*LECTURE)) == (
        "f = ‖XW − Y‖²\n"
        "R = XW − Y\n"
        "df = tr(2 Rᵀ dR)        [d(‖A‖²) = 2 tr(Aᵀ dA)]\n"
        "   = tr(2 RᵀX dW)       [d(A − B) = dA − dB; d(AB) = dA B + A dB]\n"
        "   = tr((2 XᵀR)ᵀ dW)    [tr(AB) = tr(BA)]\n"
        "⇒ ∂f/∂W = 2 XᵀR\n")


def test_elementwise_and_broadcast_steps(derivations):
    text = render(derivations[2])
    assert "dσ(A) = σ(A) ⊙ (1 − σ(A)) ⊙ dA" in text and "tr(Aᵀ(B ⊙ C)) = tr((A ⊙ B)ᵀC)" in text
    assert "𝟏 db₁" in text and "⇒ ∂f/∂b₁ = 2 𝟏ᵀ(" in text
    assert "tr(Xᵀ d(XA)) + tr((AᵀXᵀ)ᵀ d(Xᵀ))" in render(derivations[3])


def test_ascii_is_ascii_and_the_input_language(derivations):
    for dv in derivations:
        text = render(dv, ascii=True)
        assert text.isascii(), text
    assert render(derivations[0], ascii=True).splitlines()[-1] == "=> df/dW = 2*X'@R"


def test_long_lines_wrap_between_terms(monkeypatch):
    import matcalc.derivations.formats
    monkeypatch.setattr(matcalc.derivations.formats, "WIDTH", 50)
    dv = derivation("sum(exp(X@w)) + norm(tanh(X@w))^2 + sum(sin(X@w)) + norm(X@w)", "w")
    rows = render(dv).splitlines()
    assert any(r.lstrip().startswith(("+ ", "− ")) for r in rows), "a long line continues on the next"


def latex_formulas(dv):
    from matcalc.derivations.formats import latex_rows
    return [re.sub(r"&&?|\\quad", " ", row) for row in latex_rows(dv)]


def test_every_latex_formula_converts(derivations):
    from latex2mathml.converter import convert
    for dv in derivations:
        for formula in latex_formulas(dv):
            assert "merror" not in convert(formula), formula


def test_latex_is_align_and_standalone_is_a_document(derivations):
    body = render_all(derivations[:2], "latex")
    assert body.count(r"\begin{align*}") == 2 and body.count(r"\end{align*}") == 2
    doc = render_all(derivations[:2], "latex", standalone=True)
    assert doc.startswith(r"\documentclass") and doc.rstrip().endswith(r"\end{document}")


# Rows too long for the page: a sum of many terms in f, a long elementwise product, a long chain of sums.
LONG = [("sum(exp(X@w)) + norm(tanh(X@w))^2 + sum(sin(X@w)) + norm(X@w) + sum(cos(X@w)) + sum(sigmoid(X@w))"
         " + sum(softplus(X@w)) + sum(atan(X@w))", "w", None),
        ("sum(A*B*C*D*sigmoid(X@W)*tanh(X@W)*exp(X@W)*softplus(X@W)*cos(X@W)*sin(X@W)*atan(X@W)"
         "*log1p(exp(X@W)))", "W", None),
        ("norm(sigmoid(A@X@B + C@X@D + E@X@F + G@X@H + K@X@L + M@X@N + P@X@Q + R@X@S + T@X@U)@W - Y)^2", "X", None)]
EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def example_derivations(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.derivations()


DOCUMENTS = {"samples": lambda: [derivation(*s) for s in SAMPLES], "long_rows": lambda: [derivation(*s) for s in LONG],
             **{p.stem: (lambda name=p.stem: example_derivations(name)) for p in sorted(EXAMPLES.glob("*.py"))}}


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_standalone_latex_compiles_without_overfull_boxes(document, tmp_path):
    """Every example and sample compiles, and nothing runs into the margin (a long row is broken, a
    long identity note moves to a line of its own)."""
    (tmp_path / "d.tex").write_text(render_all(DOCUMENTS[document](), "latex", standalone=True), encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "d.pdf").stat().st_size > 1000
    log = (tmp_path / "d.log").read_text(encoding="utf-8", errors="replace")
    overfull = [line for line in log.splitlines() if "Overfull" in line]
    assert not overfull, overfull


def test_long_rows_are_broken_and_identities_are_tags():
    doc = render_all([derivation(*s) for s in LONG], "latex", standalone=True)
    assert r"\bigl(" in doc and r"\tag*{$[" in doc and "&&" not in doc


def test_markdown_uses_display_blocks_katex_reads(derivations):
    md = render_all(derivations, "markdown")
    assert md.count("$$\n\\begin{aligned}") == len(derivations)
    assert r"\operatorname*" not in md and "align*" not in md


@pytest.mark.parametrize("name", sorted([op for op, r in REGISTRY.items() if not r.leaf] + list(TRACE_FORMS)))
def test_every_identity_renders_in_every_style(name):
    """Each operator's rule and each trace form prints in all three styles; the ASCII form is the input language."""
    ascii, unicode, latex = (identity(name, style) for style in ("ascii", "unicode", "latex"))
    assert ascii.isascii() and " = " in ascii and " = " in unicode and " = " in latex
    assert "\\mathrm{d}" in latex or name in TRACE_FORMS


def test_derivative_reprs_and_latex_steps():
    d = matcalc.derive(*LECTURE)
    assert d.latex(steps=True).startswith("\\begin{aligned}") and r"\Rightarrow" in d.latex(steps=True)
    assert d._repr_markdown_().startswith("$$") and "<math" in d._repr_html_()


def test_cli_steps_formats_and_output_file(tmp_path, capsys):
    assert main(["derive", "norm(X@W - Y)^2", "W", "--steps"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("shapes:") and "⇒" in out or "=>" in out
    target = tmp_path / "d.md"
    assert main(["derive", "norm(X@W - Y)^2", "W", "X", "--steps", "--format", "markdown", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8").count("$$\n") == 4
    assert main(["derive", "norm(X@W - Y)^2", "W", "--steps", "--ascii"]) == 0
    assert capsys.readouterr().out.isascii()


def test_cli_errors_exit_2(capsys, tmp_path):
    assert main(["derive", "norm(X@W - Y)^2", "W", "--steps", "-o", str(tmp_path / "no" / "such.txt")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_derive_imports_neither_torch_nor_latex2mathml():
    code = ("import sys; from matcalc.cli import main; "
            "main(['derive', 'norm(X@W - Y)^2', 'W', '--steps', '--format', 'latex']); "
            "assert 'torch' not in sys.modules and 'latex2mathml' not in sys.modules")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr


# ------------------------------------------------------------------ html in a browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PROBE = """<script>
const sizes = [...document.querySelectorAll('math')].map(m => {
  const r = m.getBoundingClientRect(); return [r.width, r.height]; });
const pre = document.createElement('pre'); pre.id = 'probe';
pre.textContent = JSON.stringify({sizes, errors: document.querySelectorAll('merror').length});
document.body.appendChild(pre);
</script>"""


def chromium(page: str, *args) -> str:
    with tempfile.TemporaryDirectory() as profile, tempfile.TemporaryDirectory() as where:
        path = os.path.join(where, "page.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        run = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, f"file://{path}"],
                             capture_output=True, text=True, timeout=90, cwd=where)
        return run.stdout


@pytest.fixture(scope="module")
def page(derivations):
    html = render_all(derivations, "html", note="shapes: inferred")
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org/1998/Math/MathML", "")
    return html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_html_every_formula_renders_in_chromium(page):
    dom = chromium(page.replace("</body>", PROBE + "</body>"), "--dump-dom")
    probe = json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S).group(1).replace("&quot;", '"'))
    assert probe["errors"] == 0
    assert len(probe["sizes"]) == page.count("<math ") > 50
    assert all(w > 0 and h > 0 for w, h in probe["sizes"]), probe["sizes"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_html_screenshot(page, tmp_path):
    shot = tmp_path / "page.png"
    chromium(page, f"--screenshot={shot}", "--window-size=1400,1000")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, "a blank page compresses to almost nothing"


# JupyterLab's output area styles tables for data frames: cells right-aligned and allowed to wrap, a
# fixed layout, the table centred, rows striped.  These rules (written here to the same effect) are what
# misaligned the derivation; matcalc's inline styles must win over them.
JUPYTER_LIKE = """<style>
.jp-RenderedHTMLCommon table { border-collapse: collapse; table-layout: fixed; margin-left: auto; margin-right: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon tr { padding: 0.5em; white-space: normal; text-align: right; }
.jp-RenderedHTMLCommon tbody tr:nth-child(even) { background: #eee; }
</style>"""
ALIGNMENT_PROBE = """<script>
const out = [...document.querySelectorAll('table.derivation')].map(t => {
  const rows = [...t.rows].map(r => [...r.cells].map(c => {
    const m = c.querySelector('math'); if (!m) return null;
    const b = m.getBoundingClientRect(); return [b.left, b.right, b.height]; }));
  const box = t.getBoundingClientRect(), host = t.closest('.jp-RenderedHTMLCommon').getBoundingClientRect();
  return {rows, offset: box.left - host.left, background: getComputedStyle(t.rows[t.rows.length - 1]).backgroundColor};
});
const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script>"""


def probe(page: str, script: str):
    dom = chromium(page.replace("</body>", script + "</body>") if "</body>" in page else page + script, "--dump-dom")
    return json.loads(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S).group(1).replace("&quot;", '"'))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_jupyter_display_stays_aligned_under_jupyter_table_styles():
    shown = [matcalc.derive(NET, "W1", HOMEWORK), matcalc.derive(NET, "b2", HOMEWORK),
             matcalc.hessian("x'@A@x + sum(exp(x))", "x")]
    assert all(len(d.names) >= 1 for d in shown[:2]), "rows of different widths, or alignment is not tested"
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'>" + JUPYTER_LIKE + "</head><body>"
            + "".join(f'<div class="jp-RenderedHTMLCommon" style="width:1200px">{d._repr_html_()}</div>' for d in shown)
            + "</body></html>")
    tables = probe(page, ALIGNMENT_PROBE)
    assert len(tables) == len(shown)
    for table in tables:
        lhs_right = [row[0][1] for row in table["rows"]]
        rhs_left = [row[1][0] for row in table["rows"]]
        assert max(lhs_right) - min(lhs_right) < 1 and max(rhs_left) - min(rhs_left) < 1, table   # the = column
        assert table["offset"] < 2 and table["background"] in ("rgba(0, 0, 0, 0)", "transparent"), table
        assert max(row[1][2] for row in table["rows"]) < 60, "a formula wrapped onto several lines"


ONES_PROBE = r"""<script>
const found = [];
for (const m of document.querySelectorAll('math')) {
  const ls = [...m.querySelectorAll('mi, mn, mo, mtext')];
  ls.forEach((l, i) => {
    const p = ls[i - 1], script = p && p.closest('msub, msup, msubsup');
    if (script && !script.firstElementChild.contains(p)) return;   // a subscript before it reads as one
    if (l.tagName.toLowerCase() === 'mn' && l.textContent === '\u{1D7CF}' && i > 0) {
      const a = p.getBoundingClientRect(), b = l.getBoundingClientRect();
      found.push({before: p.tagName.toLowerCase(), text: p.textContent, gap: b.left - a.right});
    }
  });
}
const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(found);
document.body.appendChild(pre);
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_ones_vector_after_a_number_is_set_apart_in_chromium(page):
    """2 𝟏₁ₓ₁₀₀ read as 21₁ₓ₁₀₀: a number right before the bold one now has a ⋅ between them."""
    jupyter = matcalc.derive(NET, "b1", HOMEWORK)._repr_html_()
    found = probe(page.replace("</body>", jupyter + "</body>"), ONES_PROBE)
    after_a_number = [f for f in found if f["text"] in ("\u00b7", "\u22c5") or f["before"] == "mn"]
    assert after_a_number, "the sample pages hold 2 𝟏ᵀ(...): the probe must find it"
    assert all(f["before"] == "mo" and f["gap"] > 2 for f in after_a_number), after_a_number


def test_ones_vector_after_a_number_in_latex_and_mathml():
    d = matcalc.derive(NET, "b1", HOMEWORK)
    assert r"2 \cdot \mathbf{1}_{1 \times 100}" in d.latex()
    assert '<mn>2</mn><mo>&#x000B7;</mo><msub><mrow><mn>\U0001d7cf</mn>' in d._repr_html_()


def _dist_key(name):
    return re.sub(r"[-_.]+", "-", name).lower()


BASE_SCRIPT = r'''
import contextlib, io, sys
import matcalc
from matcalc.cli import main
net = "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2"
for argv in %r:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*argv]) == 0, argv
d = matcalc.derive(net, "W1")
d._repr_html_(), d._repr_latex_(), d._repr_markdown_(), d.latex(steps=True)
print(sorted({m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names)))
'''
FORMAT_OPTIONS = [[], ["--latex"], ["--inline"], ["--ascii"], ["--steps"], ["--steps", "--ascii"],
                  ["--format", "latex"], ["--format", "latex", "--standalone"], ["--format", "markdown"],
                  ["--format", "html"]]


def test_every_output_format_needs_only_the_base_install(tmp_path):
    """Every format of docs/derivations.md and the README, and the notebook displays, import no module of
    an optional extra (torch, jax, playwright, ...): they work from `pip install .`.  Modules that a base
    dependency picks up when present (lark takes `regex` if installed) are the machine's business."""
    from importlib.metadata import packages_distributions, requires
    extras = {_dist_key(re.match(r"[A-Za-z0-9_.-]+", r).group()) for r in requires("matcalc-trace") if "extra ==" in r}
    extra_modules = {module for module, dists in packages_distributions().items()
                     if any(_dist_key(d) in extras for d in dists)}
    assert {"torch", "jax", "playwright"} <= extra_modules, extra_modules
    argv = [["derive", "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2", "W1", *o] for o in FORMAT_OPTIONS]
    argv += [["derive", "norm(X@W - Y)^2", "W", "--format", "html", "-o", str(tmp_path / "out.html")],
             ["hessian", "x'@A@x", "x", "--latex"], ["hvp", "norm(X@W - Y)^2", "W", "--format", "markdown"]]
    run = subprocess.run([sys.executable, "-c", BASE_SCRIPT % (argv,)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    imported = {m for m in json.loads(run.stdout.strip().replace("'", '"')) if not m.startswith("_")}
    assert "matcalc" in imported
    assert not imported & extra_modules, imported & extra_modules
    assert (tmp_path / "out.html").read_text(encoding="utf-8").count("<math") > 3
