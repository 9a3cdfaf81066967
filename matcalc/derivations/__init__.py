"""Derivations for notes: the engine's steps (steps), the lecture's lines (lines), the identities
they cite (identities), the math styles (printers) and the formats (render)."""
from .formats import FORMATS, html_table, latex_aligned, mathml, render, render_all
from .steps import Derivation, Step, derivation, derivation_of, summary

__all__ = ["Derivation", "Step", "derivation", "derivation_of", "summary", "render", "render_all",
           "latex_aligned", "html_table", "mathml", "FORMATS"]
