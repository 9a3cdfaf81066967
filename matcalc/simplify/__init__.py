"""Simplification: normal forms (normal.py) and named rewrite rules with their engine (engine.py)."""
from .engine import RULES, SimplifyBug, simplify
from .normal import assume_symmetric, is_symmetric

__all__ = ["simplify", "RULES", "SimplifyBug", "assume_symmetric", "is_symmetric"]
