"""The lecture's first autograd example: y = w*x + b with scalars, differentiated by w, x and b.

Run from the repository root:  python examples/linear_model.py
"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import matcalc  # noqa: E402
from matcalc.derivations import render_all  # noqa: E402

F = "w*x + b"
SHAPES = {"w": (), "x": (), "b": ()}
VARS = ("w", "x", "b")
OUTPUT = pathlib.Path(__file__).resolve().parent / "output" / "linear_model.md"


def derivations() -> list:
    """The derivation of each gradient, in order."""
    return [matcalc.derive(F, v, SHAPES).derivation for v in VARS]


def build() -> str:
    head = "# Linear model: y = w*x + b (scalars)\n\n"
    return head + render_all(derivations(), "markdown")


def main() -> None:
    OUTPUT.write_text(build(), encoding="utf-8")
    for v in VARS:
        report = matcalc.check(F, v, SHAPES)
        print(f"d/d{v}: {matcalc.derive(F, v, SHAPES)}   max relative error vs torch: {report.max_rel_error:.1e}")


if __name__ == "__main__":
    main()
