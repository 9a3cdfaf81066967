"""The front end: text → syntax tree (parse, with the grammar in matcalc.lark) → typed DAG (infer) → the
question a derivative asks, with notes on every default it chose (question)."""
from .infer import normalize_shape, typecheck, unknown_variable
from .parse import MAX_DEPTH, MAX_LENGTH, Syntax, parse
from .question import Question, prepare

__all__ = ["parse", "typecheck", "prepare", "Question", "normalize_shape", "unknown_variable", "Syntax", "MAX_LENGTH",
           "MAX_DEPTH"]
