"""Text to syntax tree, with the grammar in matcalc.lark and function names from the registry.

The tree keeps source positions so that later errors can point at the text.
A program's definitions are substituted where their names are used, so that
the result is one expression whose shared parts are shared nodes (a DAG):

>>> parse("X@W + b").op
'add'
>>> tree = parse("R = X@W - b; R*R")
>>> tree.args[0] is tree.args[1]
True
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import lark

from ..errors import LimitError, ParseError, UnknownNameError, did_you_mean
from ..ir.dims import dim_product
from ..ir.operator import lookup_function, function_names
from .tables import load_parser

MAX_LENGTH = 100_000    # characters: matcalc's own output for a 1024-layer net reads back (46k); parsing takes ~1 s
MAX_DEPTH = 2_000       # levels of nesting: of brackets, and of unbracketed unary minus, powers, transposes
MAX_DIMENSION = 10 ** 9  # a dimension written as a number (eye(1e999) is refused here, not in numpy)


@dataclass(frozen=True, eq=False)
class Syntax:
    """A node of the syntax tree: op, args, attr (name, number or parameters), and its span in the text."""
    op: str
    args: tuple = ()
    attr: object = None
    start: int = 0
    end: int = 0
    text: str = field(default="", repr=False)

    def span(self) -> tuple:
        """(text, start, end): where an error about this node points."""
        return self.text, self.start, self.end


def parse(text: str) -> Syntax:
    """Parse an expression or a program; raises ParseError (with line, column and caret) or LimitError."""
    if not isinstance(text, str):
        raise ParseError(f"expected the expression as a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise LimitError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ParseError("empty expression")
    _check_brackets(text)
    try:
        tree = load_parser().parse(text)
    except lark.exceptions.UnexpectedCharacters as e:
        raise ParseError(f"unexpected character {text[e.pos_in_stream]!r}", text, e.pos_in_stream) from None
    except lark.exceptions.UnexpectedToken as e:
        if e.token.type == "$END":
            raise ParseError("the expression ends too early", text, len(text.rstrip())) from None
        pos = e.token.start_pos
        raise ParseError(f"unexpected {e.token.value!r}", text, pos, pos + len(e.token.value)) from None
    except lark.exceptions.UnexpectedInput as e:  # any other parse failure
        raise ParseError(f"cannot parse the expression: {str(e).splitlines()[0]}") from None
    return _to_syntax(tree, text)


def bracket_depth(text: str) -> int:
    """How deep parentheses nest in text: bracket_depth("f(a*(b + c))") == 2."""
    depth = deepest = 0
    for ch in text:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    return deepest


def _check_brackets(text: str) -> None:
    """Parentheses nested deeper than MAX_DEPTH are refused before parsing (Lark would recurse)."""
    deepest = bracket_depth(text)
    if deepest > MAX_DEPTH:
        raise LimitError(f"expression nested deeper than {MAX_DEPTH} levels (parentheses {deepest} deep)")


# Depth counts what a reader sees as nesting.  Brackets (calls included) are counted
# by _check_brackets; the tree adds only operators that nest without brackets:
# - - x, x^x^x, x''.  A chain a + b - c or tanh(A)@W is no deeper than its operands.
_UNBRACKETED = frozenset({"neg", "pow", "transpose"})


def _nests(child) -> bool:
    return isinstance(child, lark.Tree) and child.data in _UNBRACKETED


# The parser keeps every token (tables.OPTIONS), so a node's span runs from its first token to its
# last, brackets and operator symbols included; Lark's propagate_positions did the same at twice
# the parsing time.  Only names and numbers become nodes; the rest is punctuation.
_VALUES = frozenset({"NAME", "NUMBER"})
_GROUPS = frozenset({"atom", "unary"})   # ( sum ) and + unary: the inner node, with its own span


def _to_syntax(tree, text: str) -> Syntax:
    """Convert lark's tree bottom-up without recursion (deep input must not overflow).

    `values` holds (node or None for punctuation, start, end) of what is converted so far; a
    tree takes its children's values off the top."""
    values: list = []
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth < 0:   # the children are done: they are the last len(children) values
            n = len(node.children)
            kids = values[-n:]
            del values[-n:]
            where = kids[0][1], kids[-1][2]
            args = [k[0] for k in kids if k[0] is not None]
            done = args[0] if node.data in _GROUPS else _node(node.data, args, where, text)
            values.append((done, *where))
        elif isinstance(node, lark.Token):
            values.append((_token(node, text) if node.type in _VALUES else None, node.start_pos, node.end_pos))
        elif depth > MAX_DEPTH:
            raise LimitError(f"expression nested deeper than {MAX_DEPTH} levels (of unary minus, powers "
                             f"or transposes without brackets)")
        else:
            stack.append((node, -1))
            stack.extend((c, depth + _nests(c)) for c in reversed(node.children))
    return values[0][0]


def _token(tok: lark.Token, text: str) -> Syntax:
    span = dict(start=tok.start_pos, end=tok.end_pos, text=text)
    if tok.type == "NUMBER":
        value = float(tok.value)
        if value == float("inf"):   # 1e999: no float64 holds it
            raise ParseError(f"the number {tok.value} is too large (float64 holds up to 1.8e308)",
                             text, tok.start_pos, tok.end_pos)
        return Syntax("const", attr=value, **span)
    return Syntax("name", attr=str(tok.value), **span)


def _node(rule: str, kids: list, where: tuple, text: str) -> Syntax:
    span = dict(start=where[0], end=where[1], text=text)
    if rule == "number":
        return kids[0]
    if rule == "name":
        return Syntax("var", attr=kids[0].attr, **span)
    if rule == "call":
        return _call(kids[0], kids[1:], span)
    if rule == "definition":
        return _definition(kids[0], kids[1], span)
    if rule == "program":
        return _program(kids) if len(kids) > 1 else kids[0]
    return Syntax(str(rule), tuple(kids), **span)


def _call(name: Syntax, args: list, span: dict) -> Syntax:
    """name(args): an operator of the registry, its tensor arguments and its static parameters."""
    where = name.span()
    op = lookup_function(name.attr)
    if op is None:
        raise UnknownNameError(f"unknown function `{name.attr}`{did_you_mean(name.attr, function_names())}", *where)
    arity = op.arity if op.arity is not None else 2
    if op.dim_args:   # a constructor ones(m, n), or an operator with dimensions after its arguments: unvec(v, m, n)
        if len(args) != arity + op.dim_args:
            wanted = f"{arity} argument(s) and {op.dim_args} dimension(s)" if arity else f"{op.dim_args} dimension(s)"
            raise ParseError(f"{op.name} takes {wanted}, got {len(args)}", *where)
        dims = tuple(_dimension(a, name.attr) for a in args[arity:])
        return Syntax(op.name, tuple(args[:arity]), dims, **span)
    most = arity + len(op.params)
    if not arity <= len(args) <= most:
        wanted = f"{arity}" if most == arity else f"{arity} to {most}"
        raise ParseError(f"{name.attr} takes {wanted} argument(s), got {len(args)}", *where)
    params = tuple(_parameter(a, p, name.attr) for a, p in zip(args[arity:], op.params))
    attr = params[0] if len(params) == 1 else (params or None)
    return Syntax(op.name, tuple(args[:arity]), attr, **span)


def _dimension(arg: Syntax, fname: str):
    """An int, a dimension name, or a product of them (m*n), as the printers write dimensions."""
    if arg.op == "const" and float(arg.attr).is_integer() and 1 <= arg.attr <= MAX_DIMENSION:
        return int(arg.attr)
    if arg.op == "var":
        return arg.attr  # a symbolic dimension, solved by shape inference
    if arg.op == "mul":
        d = dim_product(*(_dimension(a, fname) for a in arg.args))
        if not isinstance(d, int) or d <= MAX_DIMENSION:
            return d
    raise ParseError(f"the dimensions of {fname} are integers from 1 to {MAX_DIMENSION}, dimension names "
                     f"or products of them (m*n)", *arg.span())


def _parameter(arg: Syntax, param, fname: str):
    if arg.op == "const" and arg.attr in param.choices:
        return int(arg.attr)
    choices = ", ".join(str(c) for c in param.choices)
    raise ParseError(f"the {param.name} of {fname} is one of {choices}: {param.doc}", *arg.span())


def _definition(name: Syntax, body: Syntax, span: dict) -> Syntax:
    if lookup_function(name.attr) is not None:
        raise ParseError(f"`{name.attr}` is a function and cannot be defined as a value", *name.span())
    return Syntax("define", (body,), name.attr, name.start, name.end, span["text"])


def _program(statements: list) -> Syntax:
    """The last statement with every defined name replaced by its definition (shared, not copied)."""
    *definitions, result = statements
    defined = {}
    for d in definitions:
        if d.attr in defined:
            raise ParseError(f"`{d.attr}` is defined twice", *d.span())
        defined[d.attr] = d
    values: dict[str, Syntax] = {}
    for d in definitions:
        values[d.attr] = _substitute(d.args[0], values, defined)
    return _substitute(result, values, defined)


def _substitute(root: Syntax, values: dict, defined: dict) -> Syntax:
    """root with names in `values` replaced; a name defined later (or by itself) is refused."""
    if not values and not defined:
        return root
    done: dict[int, Syntax] = {}
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if node.op == "var" and node.attr in defined:
            if node.attr not in values:
                raise ParseError(f"`{node.attr}` is used before its definition", *node.span())
            done[id(node)] = values[node.attr]
        elif not expanded and node.args:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in done)
        else:
            args = tuple(done[id(a)] for a in node.args)
            same = all(a is b for a, b in zip(args, node.args))
            done[id(node)] = node if same else replace(node, args=args)
    return done[id(root)]
