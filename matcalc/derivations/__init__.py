"""Derivations for notes: the engine's steps (steps), the lecture's lines (lines), the identities
they cite (identities), the math styles (printers) and the formats (render)."""
from .formats import FORMATS, html_table, latex_aligned, mathml, render, render_all
from .steps import Derivation, Step, derivation, derivation_of, summary
from .vec_steps import vec_derivation_of

__all__ = ["Derivation", "Step", "derivation", "derivation_of", "summary", "vec_derivation_of", "render", "render_all",
           "latex_aligned", "html_table", "mathml", "FORMATS"]
