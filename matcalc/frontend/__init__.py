"""The front end: text → syntax tree (parse, with the grammar in matcalc.lark) → typed DAG (infer)."""
from .infer import normalize_shape, prepare, typecheck, unknown_variable
from .parse import MAX_DEPTH, MAX_LENGTH, Syntax, parse

__all__ = ["parse", "typecheck", "prepare", "normalize_shape", "unknown_variable", "Syntax", "MAX_LENGTH", "MAX_DEPTH"]
