"""Text to syntax tree, with the grammar in grammar/matcalc.lark.

The tree keeps source positions so that later errors can point at the text:

>>> parse("X@W + b").op
'add'
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import lark

from .errors import LimitError, ParseError, UnknownNameError, caret, did_you_mean, position
from .expr import OPS

MAX_LENGTH = 20_000
MAX_DEPTH = 2_000

ALIASES = {"trace": "tr"}
CONSTRUCTORS = {"ones": 2, "zeros": 2, "eye": 1}
FUNCTIONS = sorted({op for op, info in OPS.items() if info.function and op != "diag_embed"}
                   | set(ALIASES) | set(CONSTRUCTORS))


@dataclass(frozen=True, eq=False)
class Syntax:
    """A node of the syntax tree: op, args, attr (name or number), and its span in the text."""
    op: str
    args: tuple = ()
    attr: object = None
    start: int = 0
    end: int = 0
    text: str = field(default="", repr=False)

    def where(self) -> str:
        """The source line with a caret under this node."""
        return caret(self.text, self.start, self.end)


def _grammar_text() -> str:
    # Installed: grammar/ ships inside the package; source tree: it sits beside it.
    packaged = resources.files("matcalc").joinpath("grammar", "matcalc.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, os.pardir, "grammar", "matcalc.lark"), encoding="utf-8") as fh:
        return fh.read()


@lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    # cache=True: Lark keeps the LALR tables in the temp folder, keyed by the grammar's hash,
    # which saves most of the CLI's start-up time; any failure to cache falls back to building them.
    options = dict(parser="lalr", propagate_positions=True, maybe_placeholders=False)
    try:
        return lark.Lark(_grammar_text(), cache=True, **options)
    except OSError:
        return lark.Lark(_grammar_text(), **options)


def parse(text: str) -> Syntax:
    """Parse one expression; raises ParseError (with line, column and caret) or LimitError."""
    if not isinstance(text, str):
        raise ParseError(f"expected the expression as a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise LimitError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ParseError("empty expression")
    _check_nesting(text)
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedCharacters as e:
        raise ParseError(f"unexpected character {text[e.pos_in_stream]!r} at line {e.line}, "
                         f"column {e.column}\n{caret(text, e.pos_in_stream)}") from None
    except lark.exceptions.UnexpectedToken as e:
        if e.token.type == "$END":
            end = len(text.rstrip())
            line, col = position(text, end)
            raise ParseError(f"the expression ends too early (at line {line}, column {col})\n"
                             f"{caret(text + ' ', end)}") from None
        pos = e.token.start_pos
        line, col = position(text, pos)
        raise ParseError(f"unexpected {e.token.value!r} at line {line}, column {col}\n"
                         f"{caret(text, pos, pos + len(e.token.value))}") from None
    except lark.exceptions.UnexpectedInput as e:  # any other parse failure
        raise ParseError(f"cannot parse the expression: {e}") from None
    return _to_syntax(tree, text)


def _check_nesting(text: str) -> None:
    """Parentheses nested deeper than MAX_DEPTH are refused before parsing."""
    depth = deepest = 0
    for ch in text:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise LimitError(f"expression nested deeper than {MAX_DEPTH} levels (parentheses {deepest} deep)")


def _to_syntax(tree, text: str) -> Syntax:
    """Convert lark's tree bottom-up without recursion (deep input must not overflow)."""
    done: dict[int, Syntax] = {}
    stack = [(tree, 0, False)]
    while stack:
        node, depth, expanded = stack.pop()
        if depth > MAX_DEPTH:
            raise LimitError(f"expression nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, lark.Token):
            done[id(node)] = _token(node, text)
            continue
        if not expanded:
            stack.append((node, depth, True))
            stack.extend((c, depth + 1, False) for c in node.children if c is not None)
            continue
        kids = [done.pop(id(c)) for c in node.children if c is not None]
        done[id(node)] = _node(node, kids, text)
    return done[id(tree)]


def _token(tok: lark.Token, text: str) -> Syntax:
    span = dict(start=tok.start_pos, end=tok.end_pos, text=text)
    if tok.type == "NUMBER":
        return Syntax("const", attr=float(tok.value), **span)
    return Syntax("name", attr=str(tok.value), **span)  # POW tokens are dropped by _node


def _node(tree: lark.Tree, kids: list, text: str) -> Syntax:
    rule = tree.data
    meta = tree.meta
    span = dict(start=meta.start_pos, end=meta.end_pos, text=text)
    if rule == "number":
        return kids[0]
    if rule == "name":
        return Syntax("var", attr=kids[0].attr, **span)
    if rule == "pow":
        return Syntax("pow", (kids[0], kids[2]), **span)
    if rule == "call":
        return _call(kids[0], kids[1:], span)
    return Syntax(str(rule), tuple(kids), **span)


def _call(name: Syntax, args: list, span: dict) -> Syntax:
    fname = ALIASES.get(name.attr, name.attr)
    where = caret(span["text"], name.start, name.end)
    if fname in CONSTRUCTORS:
        want = CONSTRUCTORS[fname]
        if fname == "eye" and len(args) == 1:
            args = args * 2
        elif len(args) != want:
            raise ParseError(f"{fname} takes {want} dimension(s), got {len(args)}\n{where}")
        dims = tuple(_dimension(a, fname) for a in args)
        return Syntax(fname, attr=dims, **span)
    if fname not in OPS or not OPS[fname].function or fname == "diag_embed":
        raise UnknownNameError(f"unknown function `{name.attr}`{did_you_mean(name.attr, FUNCTIONS)}\n{where}")
    if len(args) != 1:
        raise ParseError(f"{fname} takes 1 argument, got {len(args)}\n{where}")
    return Syntax(fname, tuple(args), **span)


def _dimension(arg: Syntax, fname: str):
    if arg.op == "const" and arg.attr == int(arg.attr) and arg.attr >= 1:
        return int(arg.attr)
    if arg.op == "var":
        return arg.attr  # a symbolic dimension, solved by shape inference
    raise ParseError(f"the dimensions of {fname} are positive integers or dimension names\n{arg.where()}")
