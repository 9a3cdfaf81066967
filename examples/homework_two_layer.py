"""The homework's two-layer net: f = ‖σ(XW₁ + b₁)W₂ + b₂ − Y‖²_F and its four gradients.

X 100×1, W1 1×20, W2 20×1, b2 100×1, Y 100×1; b1 first as a full 100×20 matrix, then as a
1×20 row broadcast over the 100 samples (its gradient sums the rows: 1ᵀ G).
Run from the repository root:  python examples/homework_two_layer.py
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import matcalc  # noqa: E402
from matcalc.derivations import render_all  # noqa: E402

F = "norm(sigmoid(X@W1 + b1)@W2 + b2 - Y)^2"
BASE = {"X": (100, 1), "W1": (1, 20), "W2": (20, 1), "b2": (100, 1), "Y": (100, 1)}
CASES = [("b1 full, 100×20", dict(BASE, b1=(100, 20))), ("b1 broadcast, 1×20", dict(BASE, b1=(1, 20)))]
VARS = ("W1", "b1", "W2", "b2")
OUTPUT = pathlib.Path(__file__).resolve().parent / "output" / "homework_two_layer.md"


def derivations(shapes=None) -> list:
    """The derivation of each gradient, in order, for one case's shapes (default: every case)."""
    cases = [shapes] if shapes else [s for _, s in CASES]
    return [matcalc.derive(F, v, s).derivation for s in cases for v in VARS]


def build() -> str:
    parts = [f"# Homework: f = {F}\n\nX 100×1, W1 1×20, W2 20×1, b2 100×1, Y 100×1.\n"]
    for title, shapes in CASES:
        parts.append(f"## {title}\n")
        parts.append(render_all(derivations(shapes), "markdown"))
    return "\n".join(parts)


def main() -> None:
    OUTPUT.write_text(build(), encoding="utf-8")
    for title, shapes in CASES:
        for v in VARS:
            report = matcalc.check(F, v, shapes)
            print(f"{title}: d/d{v} max relative error vs torch: {report.max_rel_error:.1e}")


if __name__ == "__main__":
    main()
