"""The identities a derivation cites, keyed by name: rules (rules.py names) and trace forms.

Data only: IDENTITIES[name] = (unicode, latex); the ASCII form of a rule is the rule's
own identity (rules.py, in the input language), of a trace form ASCII[name].

>>> IDENTITIES["matrix product"][0]
'd(AB) = dA B + A dB'
"""
from __future__ import annotations

PLUMBING = frozenset({"addition", "subtraction", "negation", "transpose"})
FUSED = {("elementwise power", "Frobenius norm"): "norm squared"}   # x^2 of norm(A): one step
REARRANGE = {   # rule name -> the trace identity that moves its coefficients next to d(a)
    "addition": "linear", "subtraction": "linear", "negation": "linear", "transpose": "transpose form",
    "matrix product": "cyclic", "inverse": "cyclic", "determinant": "cyclic", "log-determinant": "cyclic",
    "trace": "trace form", "sum of entries": "sum", "mean of entries": "sum", "Frobenius norm": "inner",
    "log-sum-exp": "inner", "diagonal": "diag", "diagonal matrix": "diag embed", "row softmax": "hadamard",
}   # any other rule (elementwise) -> "hadamard"

IDENTITIES = {
    # rules
    "addition": ("d(A + B) = dA + dB", r"\mathrm{d}(A + B) = \mathrm{d}A + \mathrm{d}B"),
    "subtraction": ("d(A − B) = dA − dB", r"\mathrm{d}(A - B) = \mathrm{d}A - \mathrm{d}B"),
    "negation": ("d(−A) = −dA", r"\mathrm{d}(-A) = -\mathrm{d}A"),
    "elementwise product": ("d(A ⊙ B) = dA ⊙ B + A ⊙ dB",
                            r"\mathrm{d}(A \odot B) = \mathrm{d}A \odot B + A \odot \mathrm{d}B"),
    "elementwise quotient": ("d(A ⊘ B) = dA ⊘ B − A ⊙ dB ⊘ B∘²",
                             r"\mathrm{d}(A \oslash B) = \mathrm{d}A \oslash B - A \odot \mathrm{d}B \oslash B^{\circ 2}"),
    "elementwise power": ("d(Aᵖ) = p Aᵖ⁻¹ ⊙ dA", r"\mathrm{d}(A^{\circ p}) = p\, A^{\circ (p-1)} \odot \mathrm{d}A"),
    "matrix product": ("d(AB) = dA B + A dB", r"\mathrm{d}(AB) = \mathrm{d}A\, B + A\, \mathrm{d}B"),
    "transpose": ("d(Aᵀ) = (dA)ᵀ", r"\mathrm{d}(A^\top) = (\mathrm{d}A)^\top"),
    "trace": ("d tr(A) = tr(dA)", r"\mathrm{d}\operatorname{tr}(A) = \operatorname{tr}(\mathrm{d}A)"),
    "determinant": ("d det(A) = det(A) tr(A⁻¹ dA)",
                    r"\mathrm{d}\det A = \det A \operatorname{tr}(A^{-1} \mathrm{d}A)"),
    "log-determinant": ("d log det(A) = tr(A⁻¹ dA)", r"\mathrm{d}\log\det A = \operatorname{tr}(A^{-1} \mathrm{d}A)"),
    "inverse": ("d(A⁻¹) = −A⁻¹ dA A⁻¹", r"\mathrm{d}(A^{-1}) = -A^{-1}\, \mathrm{d}A\, A^{-1}"),
    "diagonal": ("d diag(A) = diag(dA)", r"\mathrm{d}\operatorname{diag}(A) = \operatorname{diag}(\mathrm{d}A)"),
    "diagonal matrix": ("d diag(v) = diag(dv)", r"\mathrm{d}\operatorname{diag}(v) = \operatorname{diag}(\mathrm{d}v)"),
    "sum of entries": ("d sum(A) = sum(dA)", r"\mathrm{d}\operatorname{sum}(A) = \operatorname{sum}(\mathrm{d}A)"),
    "mean of entries": ("d mean(A) = mean(dA)", r"\mathrm{d}\operatorname{mean}(A) = \operatorname{mean}(\mathrm{d}A)"),
    "Frobenius norm": ("d‖A‖ = tr(Aᵀ dA)/‖A‖", r"\mathrm{d}\|A\|_F = \operatorname{tr}(A^\top \mathrm{d}A) / \|A\|_F"),
    "log-sum-exp": ("d lse(A) = sum(exp(A − lse(A)) ⊙ dA)",
                    r"\mathrm{d}\operatorname{lse}(A) = \operatorname{sum}(\exp(A - \operatorname{lse}(A)) \odot \mathrm{d}A)"),
    "row softmax": ("dS = S ⊙ (dA − (S ⊙ dA)𝟏𝟏ᵀ), S = softmax(A)",
                    r"\mathrm{d}S = S \odot (\mathrm{d}A - (S \odot \mathrm{d}A)\mathbf{1}\mathbf{1}^\top),\ S = \operatorname{softmax}(A)"),
    "exp": ("d exp(A) = exp(A) ⊙ dA", r"\mathrm{d}\exp(A) = \exp(A) \odot \mathrm{d}A"),
    "log": ("d log(A) = dA ⊘ A", r"\mathrm{d}\log(A) = \mathrm{d}A \oslash A"),
    "sin": ("d sin(A) = cos(A) ⊙ dA", r"\mathrm{d}\sin(A) = \cos(A) \odot \mathrm{d}A"),
    "cos": ("d cos(A) = −sin(A) ⊙ dA", r"\mathrm{d}\cos(A) = -\sin(A) \odot \mathrm{d}A"),
    "tanh": ("d tanh(A) = (1 − tanh(A)∘²) ⊙ dA", r"\mathrm{d}\tanh(A) = (1 - \tanh(A)^{\circ 2}) \odot \mathrm{d}A"),
    "sigmoid": ("dσ(A) = σ'(A) ⊙ dA = σ(A) ⊙ (1 − σ(A)) ⊙ dA",
                r"\mathrm{d}\sigma(A) = \sigma'(A) \odot \mathrm{d}A = \sigma(A) \odot (1 - \sigma(A)) \odot \mathrm{d}A"),
    "relu": ("d relu(A) = step(A) ⊙ dA",
             r"\mathrm{d}\operatorname{relu}(A) = \operatorname{step}(A) \odot \mathrm{d}A"),
    "softplus": ("d softplus(A) = σ(A) ⊙ dA", r"\mathrm{d}\operatorname{softplus}(A) = \sigma(A) \odot \mathrm{d}A"),
    "sqrt": ("d√A = dA ⊘ (2√A)", r"\mathrm{d}\sqrt{A} = \mathrm{d}A \oslash (2\sqrt{A})"),
    "abs": ("d|A| = sign(A) ⊙ dA", r"\mathrm{d}|A| = \operatorname{sign}(A) \odot \mathrm{d}A"),
    "step": ("d step(A) = 0 (almost everywhere)", r"\mathrm{d}\operatorname{step}(A) = 0 \text{ (a.e.)}"),
    "sign": ("d sign(A) = 0 (almost everywhere)", r"\mathrm{d}\operatorname{sign}(A) = 0 \text{ (a.e.)}"),
    # trace forms and fused steps
    "norm squared": ("d‖A‖² = 2 tr(Aᵀ dA)", r"\mathrm{d}\|A\|_F^2 = 2 \operatorname{tr}(A^\top \mathrm{d}A)"),
    "linear": ("tr(A + B) = tr(A) + tr(B)", r"\operatorname{tr}(A + B) = \operatorname{tr}(A) + \operatorname{tr}(B)"),
    "transpose form": ("tr(Aᵀ) = tr(A)", r"\operatorname{tr}(A^\top) = \operatorname{tr}(A)"),
    "cyclic": ("tr(AB) = tr(BA)", r"\operatorname{tr}(AB) = \operatorname{tr}(BA)"),
    "hadamard": ("tr(Aᵀ(B ⊙ C)) = tr((A ⊙ B)ᵀC)",
                 r"\operatorname{tr}(A^\top (B \odot C)) = \operatorname{tr}((A \odot B)^\top C)"),
    "trace form": ("a tr(B) = tr((aI)ᵀB)", r"a \operatorname{tr}(B) = \operatorname{tr}((a I)^\top B)"),
    "sum": ("a sum(B) = tr((a𝟏𝟏ᵀ)ᵀB)", r"a \operatorname{sum}(B) = \operatorname{tr}((a \mathbf{1}\mathbf{1}^\top)^\top B)"),
    "inner": ("sum(A ⊙ B) = tr(AᵀB)", r"\operatorname{sum}(A \odot B) = \operatorname{tr}(A^\top B)"),
    "diag": ("aᵀdiag(B) = tr(diag(a)ᵀB)", r"a^\top \operatorname{diag}(B) = \operatorname{tr}(\operatorname{diag}(a)^\top B)"),
    "diag embed": ("tr(Aᵀdiag(b)) = diag(A)ᵀb", r"\operatorname{tr}(A^\top \operatorname{diag}(b)) = \operatorname{diag}(A)^\top b"),
    "broadcast": ("tr(Aᵀ𝟏B) = tr((𝟏ᵀA)ᵀB)", r"\operatorname{tr}(A^\top \mathbf{1} B) = \operatorname{tr}((\mathbf{1}^\top A)^\top B)"),
    "collect": ("tr(AᵀC) + tr(BᵀC) = tr((A + B)ᵀC)",
                r"\operatorname{tr}(A^\top C) + \operatorname{tr}(B^\top C) = \operatorname{tr}((A + B)^\top C)"),
}
ASCII = {
    "norm squared": "d norm(A)^2 = 2*tr(A'@dA)", "linear": "tr(A + B) = tr(A) + tr(B)",
    "transpose form": "tr(A') = tr(A)", "cyclic": "tr(A@B) = tr(B@A)",
    "hadamard": "tr(A'@(B*C)) = tr((A*B)'@C)", "trace form": "a*tr(B) = tr((a*I)'@B)",
    "sum": "a*sum(B) = tr((a*ones)'@B)", "inner": "sum(A*B) = tr(A'@B)",
    "diag": "a'@diag(B) = tr(diag(a)'@B)", "diag embed": "tr(A'@diag(b)) = diag(A)'@b",
    "broadcast": "tr(A'@ones@B) = tr((ones'@A)'@B)", "collect": "tr(A'@C) + tr(B'@C) = tr((A + B)'@C)",
}


def identity(name: str, style: str) -> str:
    """The identity called `name`, in style "ascii", "unicode" or "latex" (unknown rules: their own text)."""
    from .rules import RULES
    own = next((r.identity for r in RULES.values() if r.name == name), None)
    if style == "ascii":
        return ASCII.get(name) or own or name
    if name in IDENTITIES:
        return IDENTITIES[name][style == "latex"]
    text = own or name      # a rule added without a rendering: show its input-language identity
    return r"\texttt{" + text.replace("_", r"\_").replace("^", r"\^{}") + "}" if style == "latex" else text
