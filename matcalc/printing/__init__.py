"""Printers, apart from the nodes: one class per format (text, Unicode, LaTeX) on a shared base,
and the choice of named intermediates."""
from .latex import LatexPrinter, latex_name, to_latex
from .names import inlining_growth, intermediates
from .text import TextPrinter, to_program, to_text
from .unicode import UnicodeMath, to_unicode, unicode_name

__all__ = ["to_text", "to_latex", "to_unicode", "latex_name", "unicode_name", "intermediates", "inlining_growth", "to_program",
           "TextPrinter", "LatexPrinter", "UnicodeMath"]
