"""The lecture's exercise: f = ‖relu(XW) − Y‖²_F, by hand, for W, X and Y (X 10×4, W 4×4, Y 10×4).

Run from the repository root:  python examples/lecture_relu.py
It writes examples/output/lecture_relu.md and checks each gradient against torch autograd.
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import matcalc  # noqa: E402
from matcalc.derivations import render_all  # noqa: E402

F = "norm(relu(X@W) - Y)^2"
SHAPES = {"X": (10, 4), "W": (4, 4), "Y": (10, 4)}
VARS = ("W", "X", "Y")
OUTPUT = pathlib.Path(__file__).resolve().parent / "output" / "lecture_relu.md"


def derivations() -> list:
    """The derivation of each gradient, in order."""
    return [matcalc.derive(F, v, SHAPES).derivation for v in VARS]


def build() -> str:
    """The Markdown of the three derivations (what output/lecture_relu.md holds)."""
    head = "# Lecture: f = norm(relu(X@W) - Y)^2\n\nShapes: X 10×4, W 4×4, Y 10×4.\n\n"
    return head + render_all(derivations(), "markdown")


def main() -> None:
    OUTPUT.write_text(build(), encoding="utf-8")
    for v in VARS:
        report = matcalc.check(F, v, SHAPES)
        print(f"d/d{v}: {matcalc.derive(F, v, SHAPES)}   max relative error vs torch: {report.max_rel_error:.1e}")


if __name__ == "__main__":
    main()
