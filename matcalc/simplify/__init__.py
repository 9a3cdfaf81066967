"""Simplification to a normal form: analyses and the order (order), symmetry (symmetry), the
normal-form builders (normal), rules written in the language (patterns, rules), the engine."""
from .engine import SimplifyBug, simplify
from .rules import RULES, all_rules
from .symmetry import assume_symmetric, is_symmetric

__all__ = ["simplify", "RULES", "all_rules", "SimplifyBug", "assume_symmetric", "is_symmetric"]
